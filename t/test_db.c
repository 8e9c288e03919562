/*
 * test_db.c - milter/db.c: database names, lookups in the SigningTable
 *	order, states and validity times, the TTL cache with negative
 *	entries, lent keys, the backoff after a failure (SQLite back end)
 *
 * The database is a temporary SQLite file made from etc/schema/sqlite.sql
 * and t/data/db/fixture.sql (KEYPATH in it becomes a copy of
 * t/data/db/ed25519.pem with mode 0600). The MariaDB and PostgreSQL back
 * ends run against real servers in t/it-db.sh.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "dblib.h"
#include "tap.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

#ifndef HAVE_SQLITE3
/* main - without SQLite a sqlite: table is refused; nothing else to test */
int
main(void)
{
	struct db *db;
	char	 err[256] = "";

	plan_lazy();
	db = db_open("sqlite:/nonexistent/test_db.db", 0, (uid_t)-1, err,
	    sizeof(err));
	ok(db == NULL && strstr(err, "sqlite: this dkimd was built without "
	    "SQLite support") != NULL,
	    "built without SQLite: a sqlite: table is refused, saying why");
	db_close(db);
	skip("the SQLite back end's tests: built without SQLite");
	return done_testing();
}
#else /* HAVE_SQLITE3 */
#include <sqlite3.h>

static char dbpath[64], keypath[64];

/* slurp - a whole file, malloc()ed, or NULL */
static char *
slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf;
	long	 n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((buf = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* sql - run statements on the test database by a connection of its own */
static int
sql(const char *text)
{
	sqlite3	*h;
	int	 rc;

	if (sqlite3_open(dbpath, &h) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(h, text, NULL, NULL, NULL);
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

/* subst - text with the first KEYPATH replaced by keypath (malloc()ed) */
static char *
subst(const char *text)
{
	const char *p = strstr(text, "KEYPATH");
	size_t	 off;
	char	*q;

	if (p == NULL || (q = malloc(strlen(text) + sizeof(keypath))) == NULL)
		return NULL;
	off = (size_t)(p - text);
	memcpy(q, text, off);
	strcpy(q + off, keypath);
	strcat(q, p + 7);
	return q;
}

/* setup - the temporary database and key file; -1 on failure */
static int
setup(void)
{
	char	*schema, *fix, *key, *rows = NULL;
	FILE	*fp = NULL;
	int	 fd, rc = -1;

	snprintf(dbpath, sizeof(dbpath), "/tmp/test_db.XXXXXX");
	snprintf(keypath, sizeof(keypath), "/tmp/test_db_key.XXXXXX");
	if ((fd = mkstemp(dbpath)) < 0)
		return -1;
	close(fd);
	if ((fd = mkstemp(keypath)) < 0)
		return -1;
	schema = slurp(SRCDIR "/etc/schema/sqlite.sql");
	fix = slurp(SRCDIR "/t/data/db/fixture.sql");
	key = slurp(SRCDIR "/t/data/db/ed25519.pem");
	if (schema == NULL || fix == NULL || key == NULL ||
	    (rows = subst(fix)) == NULL || (fp = fdopen(fd, "w")) == NULL)
		goto out;
	fputs(key, fp);
	fclose(fp);
	chmod(keypath, 0600);
	if (sql(schema) == 0 && sql(rows) == 0)
		rc = 0;
out:
	free(schema);
	free(fix);
	free(key);
	free(rows);
	return rc;
}

/* signers - db_signers() for addr; the count, out filled */
static size_t
signers(struct db *db, const char *addr, struct signer *out, int multiple)
{
	int	down;

	return db_signers(db, addr, out, 8, multiple, &down);
}

/* test_names - which names are databases, and bad ones */
static void
test_names(void)
{
	char	 err[256], pw[64] = "/tmp/test_db_pw.XXXXXX";
	char	 uri[200];
	struct db *db;
	FILE	*fp;
	int	 fd;

	ok(db_is_uri("sqlite:/var/lib/dkimd/keys.db"),
	    "sqlite:/path is a database");
	ok(db_is_uri("mysql://u@h/db"), "mysql:// is a database");
	ok(db_is_uri("postgresql://u@h/db"), "postgresql:// is a database");
	ok(db_is_uri("postgres://u@h/db"), "postgres:// is a database too");
	ok(!db_is_uri("file:/etc/keytable"), "file: is not a database");
	ok(!db_is_uri("/etc/dkimd/keytable"), "a bare path is not a database");

	db = db_open("mysql://nohost", 0, (uid_t)-1, err, sizeof(err));
	ok(db == NULL && strstr(err, "USER") != NULL,
	    "mysql:// without user@host/db is refused with the expected form");
	db = db_open("sqlite:", 0, (uid_t)-1, err, sizeof(err));
	ok(db == NULL, "sqlite: without a path is refused");
	db = db_open("postgresql://u@h/db?ttl=soon", 0, (uid_t)-1, err,
	    sizeof(err));
	ok(db == NULL && strstr(err, "ttl") != NULL, "ttl=soon is refused");
	db = db_open("postgresql://u@h:99999/db", 0, (uid_t)-1, err,
	    sizeof(err));
	ok(db == NULL && strstr(err, "port") != NULL, "port 99999 is refused");
	db = db_open("mysql://u:pw@db.example:3307/keys?ttl=5", 0, (uid_t)-1,
	    err, sizeof(err));
	ok(db != NULL && strcmp(db_scheme(db), "mysql") == 0,
	    "mysql://user:password@host:port/db?ttl=5 opens (no connection "
	    "yet)");
	db_close(db);
	db = db_open("postgresql://u@h/db?password_file=/nonexistent", 0,
	    (uid_t)-1, err, sizeof(err));
	ok(db == NULL && strstr(err, "password_file") != NULL,
	    "a password_file that cannot be read is refused");
	if ((fd = mkstemp(pw)) >= 0 && (fp = fdopen(fd, "w")) != NULL) {
		fputs("secret\n", fp);
		fclose(fp);
	}
	snprintf(uri, sizeof(uri), "postgresql://u@h/db?password_file=%s", pw);
	db = db_open(uri, 0, (uid_t)-1, err, sizeof(err));
	ok(db != NULL && strcmp(db_scheme(db), "postgresql") == 0,
	    "password_file=PATH is read at open");
	db_close(db);
	unlink(pw);
	db_close(NULL);
	ok(1, "db_close(NULL) is a no-op");
}

/*
 * test_redact - a password never reaches a message: the label of an
 * open handle, the shown form of names that do not parse, the errors of
 * db_open() (the data in t/data/db/secret-names: one name a line)
 */
static void
test_redact(void)
{
	char	 err[256], shown[512], line[512], conf[64] =
	    "/tmp/test_db_conf.XXXXXX", pw[64] = "/tmp/test_db_pw.XXXXXX";
	char	 uri[200];
	struct db *db;
	FILE	*fp;
	int	 fd, leaks = 0, names = 0;

	if ((fp = fopen(SRCDIR "/t/data/db/secret-names", "r")) == NULL) {
		ok(0, "t/data/db/secret-names can be read");
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		names++;
		db_redact(line, shown, sizeof(shown));
		err[0] = '\0';
		db = db_open(line, 0, (uid_t)-1, err, sizeof(err));
		if (strstr(shown, "S3cr3tPw") != NULL || strstr(err,
		    "S3cr3tPw") != NULL || (db != NULL &&
		    strstr(db_label(db), "S3cr3tPw") != NULL)) {
			printf("# leaks: %s -> %s / %s\n", line, shown, err);
			leaks++;
		}
		db_close(db);
	}
	fclose(fp);
	printf("# %d names\n", names);
	ok(names >= 10 && leaks == 0, "redact: no name, well-formed or not, "
	    "shows its password (label, shown form, error)");
	db_redact("mysql://u:S3cr3tPw@h:3307/db?ttl=5", shown, sizeof(shown));
	is_str(shown, "mysql://u:***@h:3307/db",
	    "redact: user, host, port and database stay; password and "
	    "parameters go");
	db_redact("postgresql://u:S3cr3tPw@h", shown, sizeof(shown));
	is_str(shown, "postgresql://u:***@h",
	    "redact: a name missing its database still shows its host");
	db_redact("file:/etc/dkimd/keytable", shown, sizeof(shown));
	is_str(shown, "file:/etc/dkimd/keytable", "redact: a file is shown as "
	    "it is");
	db = db_open("mysql://u:S3cr3tPw@h/db", 0, (uid_t)-1, err,
	    sizeof(err));
	is_str(db ? db_label(db) : "", "mysql://u@h/db",
	    "label: the open handle's name has no password");

	if ((fd = mkstemp(conf)) >= 0)
		close(fd);
	chmod(conf, 0640);
	ok(db != NULL && !db_secret_warning(db, conf, err, sizeof(err)),
	    "warning: none for a password in a file only group may read");
	chmod(conf, 0644);
	ok(db != NULL && db_secret_warning(db, conf, err, sizeof(err)) &&
	    strstr(err, "may be read by others (mode 0644)") != NULL &&
	    strstr(err, "S3cr3tPw") == NULL,
	    "warning: a password in a file others may read, without it");
	db_close(db);
	unlink(conf);
	if ((fd = mkstemp(pw)) >= 0 && (fp = fdopen(fd, "w")) != NULL) {
		fputs("S3cr3tPw\n", fp);
		fclose(fp);
	}
	chmod(pw, 0604);
	snprintf(uri, sizeof(uri), "postgresql://u@h/db?password_file=%s", pw);
	db = db_open(uri, 0, (uid_t)-1, err, sizeof(err));
	ok(db != NULL && db_secret_warning(db, NULL, err, sizeof(err)) &&
	    strstr(err, "password_file") != NULL && strstr(err, "0604") != NULL
	    && strstr(err, "S3cr3tPw") == NULL,
	    "warning: a password_file others may read, without the password");
	db_close(db);
	chmod(pw, 0640);
	db = db_open(uri, 0, (uid_t)-1, err, sizeof(err));
	ok(db != NULL && !db_secret_warning(db, NULL, err, sizeof(err)),
	    "warning: none for a password_file only group may read");
	db_close(db);
	unlink(pw);
	(void)mkfifo(pw, 0600);
	db = db_open(uri, 0, (uid_t)-1, err, sizeof(err));
	ok(db == NULL && strstr(err, "not a regular file") != NULL,
	    "password_file: a FIFO is refused, without waiting for a writer");
	unlink(pw);
}

/* test_lookups - the SigningTable order, states and validity */
static void
test_lookups(struct db *db)
{
	struct signer out[8];
	size_t	 n;
	int	 down;

	n = signers(db, "Alice@Example.com", out, 0);
	ok(n == 1 && strcmp(out[0].domain, "example.com") == 0 &&
	    strcmp(out[0].key->selector, "sel1") == 0,
	    "host pattern: d= the key's domain (lower case), its selector");
	db_release(db, out, n);
	ok(n == 1 && out[0].key == NULL, "db_release takes the lent key back");

	n = signers(db, "user@example.com", out, 0);
	is_str(n == 1 ? out[0].identity : "", "user@example.com",
	    "user@host pattern first; '%' in the identity is the From domain");
	db_release(db, out, n);

	n = signers(db, "user@example.com", out, 1);
	is_int(n, 3, "MultipleSignatures: user@host, host and user@* all sign");
	ok(n == 3 && strcmp(out[2].domain, "example.com") == 0 &&
	    strcmp(out[2].key->selector, "s2") == 0,
	    "user@* with a '%' key signs as the From domain");
	db_release(db, out, n);

	n = signers(db, "x@lists.sub.example.org", out, 0);
	ok(n == 1 && strcmp(out[0].domain, "lists.sub.example.org") == 0,
	    ".parent pattern matches a subdomain at any depth");
	db_release(db, out, n);

	n = signers(db, "x@example.org", out, 0);
	is_int(n, 0, ".parent does not match the parent itself");
	is_int(signers(db, "bob@disabled.test", out, 0), 0,
	    "a disabled key does not sign");
	is_int(signers(db, "bob@future.test", out, 0), 0,
	    "a key before its not_before does not sign");
	is_int(signers(db, "bob@past.test", out, 0), 0,
	    "a key after its not_after does not sign");
	is_int(signers(db, "bob@bad.test", out, 0), 0,
	    "a row whose PEM does not parse does not sign");
	is_int(signers(db, "bob@gone.test", out, 0), 0,
	    "a rule naming a missing key does not sign");
	is_int(signers(db, "bob@nowhere.test", out, 0), 0,
	    "an address no pattern matches gets no signer");
	ok(db_signers(db, "bob@nowhere.test", out, 8, 0, &down) == 0 &&
	    down == 0, "... and that is an answer, not a database failure");
	is_int(signers(db, "no-at-sign", out, 0), 0,
	    "an address without '@' gets no signer");

	n = signers(db, "bob@file.test", out, 0);
	ok(n == 1 && strcmp(out[0].key->keypath, keypath) == 0,
	    "key_path: the key is read from the file");
	db_release(db, out, n);
}

/* test_cache - TTL, negative entries, keys lent across a change */
static void
test_cache(struct db *db)
{
	struct signer out[8], held[8];
	size_t	 n, nheld;

	nheld = signers(db, "a@example.com", held, 0);
	is_int(signers(db, "a@new.test", out, 0), 0, "new.test: no key yet");
	ok(sql("INSERT INTO dkim_signing (pattern, key_name) VALUES "
	    "('new.test', 'k-pct'); DELETE FROM dkim_signing WHERE pattern = "
	    "'example.com';") == 0, "rows changed by another connection");
	is_int(signers(db, "a@new.test", out, 0), 0,
	    "within the TTL the negative answer is cached");
	n = signers(db, "a@example.com", out, 0);
	is_int(n, 1, "within the TTL a removed rule still signs (cached)");
	db_release(db, out, n);
	/* a TTL of 3 s: room for a slow (sanitizer, loaded) machine above */
	sleep(4);
	n = signers(db, "a@new.test", out, 0);
	ok(n == 1 && strcmp(out[0].domain, "new.test") == 0,
	    "after the TTL a domain added meanwhile signs");
	db_release(db, out, n);
	is_int(signers(db, "a@example.com", out, 0), 0,
	    "after the TTL a removed rule no longer signs");
	ok(nheld == 1 && held[0].key != NULL &&
	    strcmp(held[0].key->selector, "sel1") == 0 &&
	    dkim_key_bits(held[0].key->key) > 0,
	    "a key lent before the change is still whole");
	db_release(db, held, nheld);
}

/* A thread of test_threads(): lookups, each key checked while lent. */
struct worker {
	struct db *db;
	int	bad;
	int	signed_n;
};

/* worker - 500 lookups of two addresses; counts malformed answers */
static void *
worker(void *arg)
{
	struct worker *w = arg;
	struct signer out[8];
	size_t	 n, j;
	int	 i, down;

	for (i = 0; i < 500; i++) {
		n = db_signers(w->db, i % 2 ? "a@new.test" : "a@x.example.org",
		    out, 8, 1, &down);
		for (j = 0; j < n; j++)
			if (out[j].key == NULL ||
			    out[j].key->selector == NULL ||
			    dkim_key_bits(out[j].key->key) == 0)
				w->bad++;
		w->signed_n += n > 0;
		db_release(w->db, out, n);
	}
	return NULL;
}

/*
 * test_threads - 8 threads look up at once with a TTL of 0 (every
 * lookup replaces cache entries and the keys lent out) while rows change
 */
static void
test_threads(void)
{
	struct worker w[8];
	pthread_t th[8];
	struct db *db;
	char	 uri[100], err[256];
	int	 i, bad = 0, started = 0, n = 0;

	snprintf(uri, sizeof(uri), "sqlite:%s?ttl=0", dbpath);
	if ((db = db_open(uri, 0, (uid_t)-1, err, sizeof(err))) == NULL) {
		ok(0, "sqlite:PATH?ttl=0 opens");
		return;
	}
	for (i = 0; i < 8; i++) {
		w[i].db = db;
		w[i].bad = w[i].signed_n = 0;
		started += pthread_create(&th[i], NULL, worker, &w[i]) == 0;
	}
	for (i = 0; i < 20; i++)
		(void)sql(i % 2 ? "DELETE FROM dkim_signing WHERE pattern = "
		    "'.example.org'" : "INSERT INTO dkim_signing (pattern, "
		    "key_name) VALUES ('.example.org', 'k-pct')");
	for (i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		bad += w[i].bad;
		n += w[i].signed_n;
	}
	is_int(started, 8, "8 lookup threads started");
	ok(bad == 0 && n > 0, "concurrent lookups with a TTL of 0 while rows "
	    "change: every lent key is whole");
	db_close(db);
}

/* test_down - a database that cannot be opened: no signer, backoff */
static void
test_down(void)
{
	struct signer out[8];
	struct db *db;
	char	 err[256];
	int	 down = 0;

	db = db_open("sqlite:/nonexistent/dir/keys.db", 0, (uid_t)-1, err,
	    sizeof(err));
	ok(db != NULL,
	    "a database that is not there still opens (dkimd starts)");
	ok(db_signers(db, "a@example.com", out, 8, 0, &down) == 0 &&
	    down == 1, "no database: no signer, and *down says it is unknown");
	ok(db_query(db, "SELECT 1", NULL, 0, NULL, NULL, err,
	    sizeof(err)) < 0 && strstr(err, "next try") != NULL,
	    "after a failure the next query waits for the backoff");
	down = 1;
	ok(db_signers(db, "j\xf6rg@example.com", out, 8, 0, &down) == 0 &&
	    down == 0, "no database, a Latin-1 address: not asked (not "
	    "\"unknown\"): it has no key");
	db_close(db);
}

/* test_addr_ok - which From addresses can be lookup keys (data in code:
 * the bytes are the point) */
static void
test_addr_ok(void)
{
	char	 longest[DB_MAX_ADDR + 2];

	ok(db_addr_ok("user@example.com") && db_addr_ok("\xc3\xa9l\xc3\xa8ve@"
	    "\xc3\xa9" "cole.example") && db_addr_ok("\xf0\x9f\x98\x80@example.com"),
	    "lookup key: ASCII and UTF-8 (2 and 4 bytes) addresses are keys");
	ok(!db_addr_ok("j\xf6rg@example.com") && !db_addr_ok("\xff@x") &&
	    !db_addr_ok("a\xc3@x"), "lookup key: Latin-1 and cut UTF-8 are not");
	ok(!db_addr_ok("\xc0\xaf@x") && !db_addr_ok("\xe0\x80\xaf@x") &&
	    !db_addr_ok("\xed\xa0\x80@x") && !db_addr_ok("\xf4\x90\x80\x80@x"),
	    "lookup key: overlong forms, surrogates, > U+10FFFF are not");
	ok(!db_addr_ok("a\tb@x") && !db_addr_ok("a\x7f@x") &&
	    !db_addr_ok("a\r\n@x") && !db_addr_ok("\xc2\x85@x"),
	    "lookup key: C0, DEL and C1 control characters are not");
	memset(longest, 'a', sizeof(longest));
	memcpy(longest + DB_MAX_ADDR - 12, "@example.com", 12);
	longest[DB_MAX_ADDR] = '\0';
	ok(db_addr_ok(longest), "lookup key: DB_MAX_ADDR (320) bytes is a key");
	memmove(longest + 1, longest, DB_MAX_ADDR + 1);
	ok(!db_addr_ok(longest), "lookup key: one byte more is not");
}

/* bind_one - a dblib bind function asking for the symbol in want */
static const char *want;
static int
bind_one(void *h, const char **missing)
{
	void	(*fn)(void);

	if (dblib_sym(h, want, &fn) < 0) {
		*missing = want;
		return -1;
	}
	return fn == NULL ? -1 : 0;
}

/* test_dblib - client libraries loaded on demand, and their failures */
static void
test_dblib(void)
{
	struct dblib nolib = DBLIB_INIT("libdkimd-none.so.9", "Nothing",
	    "nothing-pkg", bind_one);
	struct dblib libc = DBLIB_INIT("libc.so.6", "C", "libc6", bind_one);
	struct dblib libc2 = DBLIB_INIT("libc.so.6", "C", "libc6", bind_one);
	char	err[300];

	want = "strlen";
	ok(dblib_load(&libc, err, sizeof(err)) == 0,
	    "dblib: a library and its function load");
	ok(dblib_load(&nolib, err, sizeof(err)) < 0 &&
	    strstr(err, "the Nothing client library libdkimd-none.so.9 cannot "
	    "be loaded") != NULL && strstr(err, "install the nothing-pkg "
	    "package") != NULL, "dblib: a missing library names its package");
	err[0] = '\0';
	ok(dblib_load(&nolib, err, sizeof(err)) < 0 && err[0] != '\0',
	    "dblib: ... and stays failed, with its reason");
	want = "dkimd_no_such_function";
	ok(dblib_load(&libc2, err, sizeof(err)) < 0 &&
	    strstr(err, "has no dkimd_no_such_function()") != NULL,
	    "dblib: a missing function is named");
}

int
main(void)
{
	struct db *db;
	char	 uri[100], err[256];

	plan_lazy();
	test_names();
	test_redact();
	test_addr_ok();
	test_dblib();
	if (setup() < 0) {
		ok(0, "the test database is made from the schema and fixture");
		return done_testing();
	}
	snprintf(uri, sizeof(uri), "sqlite:%s?ttl=3", dbpath);
	db = db_open(uri, 0, (uid_t)-1, err, sizeof(err));
	ok(db != NULL, "sqlite:PATH?ttl=3 opens");
	if (db != NULL) {
		test_lookups(db);
		test_cache(db);
	}
	db_close(db);
	test_threads();
	test_down();
	unlink(dbpath);
	unlink(keypath);
	return done_testing();
}
#endif /* HAVE_SQLITE3 */
