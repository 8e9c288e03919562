-- fixture.sql - rows for t/test_db.c (after etc/schema/sqlite.sql)
-- One Ed25519 test key (ed25519.pem, made for these tests) in every row.
INSERT INTO dkim_keys (name, domain, selector, private_key, state)
    VALUES ('k-ex', 'Example.COM', 'sel1', '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOxstFNcnj1Q6x+gQHqCxPeqTxr5mkaCJKNM5O9cjbDy
-----END PRIVATE KEY-----
', 'active');
INSERT INTO dkim_keys (name, domain, selector, private_key, state)
    VALUES ('k-pct', '%', 's2', '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOxstFNcnj1Q6x+gQHqCxPeqTxr5mkaCJKNM5O9cjbDy
-----END PRIVATE KEY-----
', 'active');
INSERT INTO dkim_keys (name, domain, selector, private_key, state)
    VALUES ('k-dis', 'disabled.test', 's3', '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOxstFNcnj1Q6x+gQHqCxPeqTxr5mkaCJKNM5O9cjbDy
-----END PRIVATE KEY-----
', 'disabled');
INSERT INTO dkim_keys (name, domain, selector, private_key, state, not_before)
    VALUES ('k-future', 'future.test', 's4', '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOxstFNcnj1Q6x+gQHqCxPeqTxr5mkaCJKNM5O9cjbDy
-----END PRIVATE KEY-----
', 'active', 4102444800);
INSERT INTO dkim_keys (name, domain, selector, private_key, state, not_after)
    VALUES ('k-past', 'past.test', 's5', '-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIOxstFNcnj1Q6x+gQHqCxPeqTxr5mkaCJKNM5O9cjbDy
-----END PRIVATE KEY-----
', 'active', 946684800);
INSERT INTO dkim_keys (name, domain, selector, key_path, state)
    VALUES ('k-file', 'file.test', 's6', 'KEYPATH', 'active');
INSERT INTO dkim_keys (name, domain, selector, private_key, state)
    VALUES ('k-bad', 'bad.test', 's7', 'not a key', 'active');
INSERT INTO dkim_signing (pattern, key_name, identity)
    VALUES ('user@example.com', 'k-ex', 'user@%');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('example.com', 'k-ex');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('.example.org', 'k-pct');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('user@*', 'k-pct');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('disabled.test', 'k-dis');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('future.test', 'k-future');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('past.test', 'k-past');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('file.test', 'k-file');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('bad.test', 'k-bad');
INSERT INTO dkim_signing (pattern, key_name) VALUES ('gone.test', 'k-none');
