-- sqlite.sql - dkimd's KeyTable and SigningTable in SQLite
--
--	sqlite3 /var/lib/dkimd/keys.db < sqlite.sql
--	dkimd.conf: KeyTable sqlite:/var/lib/dkimd/keys.db
--	            SigningTable sqlite:/var/lib/dkimd/keys.db
--
-- dkim_keys: one row per key. name is what dkim_signing.key_name refers
-- to (dkimtool writes SELECTOR._domainkey.DOMAIN); domain is d= ('%': the
-- From domain); the private key is private_key (PEM) or else key_path.
-- Only state 'active' signs; 'published' is a new key waiting for its
-- DNS record, 'retired' an old one still published until not_after,
-- 'revoked' one whose record is now "p=", 'disabled' one switched off.
-- not_before/not_after are Unix times (NULL: no limit).
--
-- dkim_signing: patterns looked up exactly, in OpenDKIM's order for a
-- From address user@host: user@host, host, user@.parent, .parent,
-- user@*, * (lower case). identity is i= ('%' the From domain), or NULL.
-- Rows with the same pattern are tried in id order.

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
	not_before	INTEGER,
	not_after	INTEGER,
	created		INTEGER
);
CREATE INDEX IF NOT EXISTS dkim_keys_domain ON dkim_keys (domain);

CREATE TABLE IF NOT EXISTS dkim_signing (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	pattern		TEXT NOT NULL,
	key_name	TEXT NOT NULL,
	identity	TEXT
);
CREATE INDEX IF NOT EXISTS dkim_signing_pattern ON dkim_signing (pattern);

-- dkim_authorization: SenderAuthorization in a database (dkimd.conf(5)):
-- the sender login (or, with SenderAuthorizationEnvelope, the envelope
-- sender) may sign for the From domains matching domain, besides its own
-- domain. login is looked up exactly, lower case: the sender, then
-- '*@' and its domain, then '*'; domain is a wildcard pattern ('*' any
-- run: '*' every domain, '*.a.example' the subdomains of a.example).
-- One domain pattern per row.

CREATE TABLE IF NOT EXISTS dkim_authorization (
	id		INTEGER PRIMARY KEY AUTOINCREMENT,
	login		TEXT NOT NULL,
	domain		TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dkim_authorization_login
    ON dkim_authorization (login);
