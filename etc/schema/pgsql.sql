-- pgsql.sql - dkimd's KeyTable and SigningTable in PostgreSQL
--
--	psql -d dkim -f pgsql.sql
--	dkimd.conf: KeyTable postgresql://dkimd:PASSWORD@127.0.0.1/dkim
--	            SigningTable postgresql://dkimd:PASSWORD@127.0.0.1/dkim
--	(or postgresql://dkimd@127.0.0.1/dkim?password_file=/etc/dkimd/db.pass)
--
-- The columns mean what they mean in sqlite.sql (read it for the states
-- and the pattern order). dkimd needs SELECT only; dkimtool INSERT,
-- UPDATE and DELETE too (and USAGE on dkim_signing_id_seq).

CREATE TABLE IF NOT EXISTS dkim_keys (
	name		TEXT PRIMARY KEY,
	domain		TEXT NOT NULL,
	selector	TEXT NOT NULL,
	algorithm	TEXT NOT NULL DEFAULT 'rsa'
			CHECK (algorithm IN ('rsa', 'ed25519')),
	private_key	TEXT,
	key_path	TEXT,
	state		TEXT NOT NULL DEFAULT 'active'
			CHECK (state IN ('published', 'active', 'retired',
			    'revoked', 'disabled')),
	not_before	BIGINT,
	not_after	BIGINT,
	created		BIGINT
);
CREATE INDEX IF NOT EXISTS dkim_keys_domain ON dkim_keys (domain);

CREATE TABLE IF NOT EXISTS dkim_signing (
	id		BIGSERIAL PRIMARY KEY,
	pattern		TEXT NOT NULL,
	key_name	TEXT NOT NULL,
	identity	TEXT
);
CREATE INDEX IF NOT EXISTS dkim_signing_pattern ON dkim_signing (pattern);

-- dkim_authorization: SenderAuthorization (see sqlite.sql).
CREATE TABLE IF NOT EXISTS dkim_authorization (
	id		BIGSERIAL PRIMARY KEY,
	login		TEXT NOT NULL,
	domain		TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dkim_authorization_login
    ON dkim_authorization (login);
