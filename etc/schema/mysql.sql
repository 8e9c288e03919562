-- mysql.sql - dkimd's KeyTable and SigningTable in MariaDB or MySQL
--
--	mariadb dkim < mysql.sql
--	dkimd.conf: KeyTable mysql://dkimd:PASSWORD@127.0.0.1/dkim
--	            SigningTable mysql://dkimd:PASSWORD@127.0.0.1/dkim
--	(or mysql://dkimd@127.0.0.1/dkim?password_file=/etc/dkimd/db.pass)
--
-- The columns mean what they mean in sqlite.sql (read it for the states
-- and the pattern order). dkimd needs SELECT only; dkimtool INSERT,
-- UPDATE and DELETE too.

CREATE TABLE IF NOT EXISTS dkim_keys (
	name		VARCHAR(255) NOT NULL PRIMARY KEY,
	domain		VARCHAR(255) NOT NULL,
	selector	VARCHAR(63) NOT NULL,
	algorithm	VARCHAR(16) NOT NULL DEFAULT 'rsa',
	private_key	TEXT,
	key_path	VARCHAR(1024),
	state		VARCHAR(16) NOT NULL DEFAULT 'active',
	not_before	BIGINT,
	not_after	BIGINT,
	created		BIGINT,
	CHECK (algorithm IN ('rsa', 'ed25519')),
	CHECK (state IN ('published', 'active', 'retired', 'revoked',
	    'disabled')),
	INDEX dkim_keys_domain (domain)
) DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS dkim_signing (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	pattern		VARCHAR(320) NOT NULL,
	key_name	VARCHAR(255) NOT NULL,
	identity	VARCHAR(320),
	INDEX dkim_signing_pattern (pattern)
) DEFAULT CHARSET = utf8mb4;

-- dkim_authorization: SenderAuthorization (see sqlite.sql).
CREATE TABLE IF NOT EXISTS dkim_authorization (
	id		BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	login		VARCHAR(320) NOT NULL,
	domain		VARCHAR(255) NOT NULL,
	INDEX dkim_authorization_login (login)
) DEFAULT CHARSET = utf8mb4;
