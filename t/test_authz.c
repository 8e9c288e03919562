/*
 * test_authz.c - sender authorization (authz.c): the matrix of sender x
 * From domain x data set -> allowed or refused (t/data/milter/authz/
 * matrix.txt, one test point a line), what a verdict says, a SQLite
 * data set and one that is down, the keywords through conf_load()
 *
 * The data sets are t/data/milter/authz/; the SQLite one is made in a
 * temporary file from etc/schema/sqlite.sql.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz.h"
#include "conf.h"
#include "table.h"
#include "tap.h"
#include "util.h"

#ifndef DATA
#define DATA "t/data/milter"
#endif
#ifndef SRCDIR
#define SRCDIR "."
#endif

static char lastmsg[512];
static int nerr, saw_none;

/* report - count the errors, remember the last problem */
static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (!warn)
		nerr++;
	else if (strstr(msg, "SenderAuthorization none: any sender may sign "
	    "as any domain") != NULL)
		saw_none = 1;
	snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

/* verdict - authz_check() of login/envfrom/from; out gets the details */
static enum authz_verdict
verdict(const struct conf *c, const char *login, const char *envfrom,
    const char *from, struct authz_out *out)
{
	struct authz_in in;

	in.login = login;
	in.envfrom = envfrom;
	in.from = from;
	return authz_check(c, &in, out);
}

/* allowed - 1 when login may sign for from */
static int
allowed(const struct conf *c, const char *login, const char *from)
{
	struct authz_out out;

	return verdict(c, login, NULL, from, &out) == AUTHZ_ALLOW;
}

/* slurp - a whole file, NUL-terminated (malloc()ed), or NULL */
static char *
slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf = NULL;
	long	n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(fp);
	return buf;
}

/* The data sets of the matrix, loaded once. */
static struct authz *exact_t, *wild_t;

/* value - a matrix field: NULL for "-", "" for "<>" */
static const char *
value(const char *f)
{
	return strcmp(f, "-") == 0 ? NULL : strcmp(f, "<>") == 0 ? "" : f;
}

/* matrix_line - one case of matrix.txt, one test point */
static int
matrix_line(void *arg, int lineno, char *line)
{
	struct conf *c = arg;
	struct authz_out out;
	char	f[8][300], what[300], name[400];
	int	n, got, want;

	what[0] = '\0';
	n = sscanf(line, "%299s %299s %299s %299s %299s %299s %299s %299s "
	    "%299[^\n]", f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], what);
	if (n != 9 || strcmp(f[6], "->") != 0) {
		ok(0, "matrix.txt: a well-formed line");
		printf("#   line %d: %s\n", lineno, line);
		return 1;
	}
	c->authz = strcmp(f[0], "exact") == 0 ? exact_t :
	    strcmp(f[0], "wild") == 0 ? wild_t : NULL;
	c->authz_none = strcmp(f[0], "none") == 0;
	c->subdomains = f[1][0] == 'y';
	c->senderauthzenvelope = f[2][0] == 'y';
	got = verdict(c, value(f[3]), value(f[4]), value(f[5]) ? value(f[5]) :
	    "", &out);
	want = strcmp(f[7], "allow") == 0 ? AUTHZ_ALLOW : AUTHZ_REFUSE;
	snprintf(name, sizeof(name), "matrix:%d: %s", lineno, what);
	if (!ok(got == want, name))
		printf("#   %s may sign for \"%s\"? %s (%s)\n", out.sender,
		    out.fromdom, got == AUTHZ_ALLOW ? "allow" : "refuse",
		    out.rule);
	c->authz = NULL;
	return 0;
}

/* matrix - every case of matrix.txt */
static void
matrix(void)
{
	struct conf *c = conf_defaults();

	exact_t = authz_load("file:" DATA "/authz/exact.table", report, NULL);
	wild_t = authz_load("refile:" DATA "/authz/wild.table", report, NULL);
	ok(exact_t != NULL && wild_t != NULL,
	    "file: and refile: data sets load");
	ok(util_readlines(DATA "/authz/matrix.txt", matrix_line, c, report,
	    NULL) == 0, "matrix.txt: every line read");
	conf_free(c);
}

/* details - what a verdict says: sender, From domain, the rule */
static void
details(void)
{
	struct conf *c = conf_defaults();
	struct authz_out out;
	char	big[300], name[300];
	long	n;

	ok(verdict(c, "alice@a.example", NULL, "x@a.example", &out) ==
	    AUTHZ_ALLOW && strcmp(out.rule, "sender domain is the From domain")
	    == 0, "allowed: the rule says why");
	ok(verdict(c, "Alice@a.example", NULL, "ceo@B.example", &out) ==
	    AUTHZ_REFUSE, "refused: alice@a.example as b.example");
	is_str(out.sender, "login Alice@a.example", "refusal names the login");
	is_str(out.fromdom, "b.example", "refusal names the From domain, "
	    "lower case");
	is_str(out.rule, "sender domain is not the From domain, and no "
	    "SenderAuthorization line allows it", "refusal names the rule");
	verdict(c, "alice", NULL, "x@a.example", &out);
	ok(strstr(out.rule, "sender has no domain") != NULL,
	    "a login without a domain: the rule says so");
	c->senderauthzenvelope = 1;
	verdict(c, NULL, "", "x@a.example", &out);
	is_str(out.sender, "envelope sender <>", "the null envelope sender is "
	    "named <>");
	c->subdomains = 1;
	ok(verdict(c, "a@a.example", NULL, "x@s.a.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "SubDomains") != NULL,
	    "SubDomains: the rule says so");
	c->authz = exact_t;
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "exact.table:3 (alice@a.example "
	    "b.example)") != NULL, "table: the rule is FILE:LINE and the line");
	c->authz = NULL;
	memset(big, 'x', 246);
	snprintf(big + 246, sizeof(big) - 246, "@a.example");
	ok(verdict(c, big, NULL, "x@a.example", &out) == AUTHZ_ALLOW,
	    "a login of 256 bytes (the ceiling) is judged");
	snprintf(big + 246, sizeof(big) - 246, "@a.example.evil.test");
	ok(verdict(c, big, NULL, "x@a.example", &out) == AUTHZ_REFUSE &&
	    strstr(out.rule, "longer than 256") != NULL, "attack: a login over "
	    "the ceiling is refused, never cut to @a.example");
	ok(verdict(c, "alice@a.example ", NULL, "x@a.example", &out) ==
	    AUTHZ_REFUSE && verdict(c, "alice@a.example\t", NULL,
	    "x@a.example", &out) == AUTHZ_REFUSE && strstr(out.rule,
	    "white space") != NULL, "attack: a login with trailing white space "
	    "(equal in a MariaDB comparison) is refused");
	verdict(c, "a\nb@a.example", NULL, "x@a.example", &out);
	is_str(out.sender, "login a?b@a.example", "a control character in a "
	    "sender is not logged as such");
	conf_free(c);

	nerr = 0;
	ok(authz_load("file:" DATA "/authz/nodomain.table", report, NULL) ==
	    NULL && nerr == 1 && strstr(lastmsg, "nodomain.table:2:") != NULL,
	    "a line without a domain pattern is an error with FILE:LINE");
	ok(authz_load("file:" DATA "/authz/missing.table", report, NULL) ==
	    NULL, "a missing file is an error");
	ok(authz_count(exact_t, &n, name, sizeof(name), name, sizeof(name)) ==
	    0 && n == 5 && strstr(name, "exact.table") != NULL,
	    "dkimd -t: the lines of a file, and its name");
	authz_free(exact_t);
	authz_free(wild_t);
}

#ifdef HAVE_SQLITE3
#include <sqlite3.h>

/* sql - run statements on the test database path */
static int
sql(const char *path, const char *text)
{
	sqlite3	*h = NULL;
	int	rc = sqlite3_open(path, &h) == SQLITE_OK &&
	    sqlite3_exec(h, text, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;

	sqlite3_close(h);
	return rc;
}

/* asks - the answers for alice and carol as b.example with data set a:
 * 'A' allowed, 'r' refused, for each */
static const char *
asks(struct conf *c, struct authz *a)
{
	static char r[3];

	c->authz = a;
	r[0] = allowed(c, "alice@a.example", "x@b.example") ? 'A' : 'r';
	r[1] = allowed(c, "carol@a.example", "x@b.example") ? 'A' : 'r';
	c->authz = NULL;
	return r;
}

/* sqlite_cache - answers are cached for ttl=, negative ones too, and
 * reused when stale while the database cannot answer */
static void
sqlite_cache(struct conf *c, const char *path)
{
	char	spec[300];
	struct authz_out out;
	struct authz *a300, *a1;

	snprintf(spec, sizeof(spec), "sqlite:%s?ttl=300", path);
	a300 = authz_load(spec, report, NULL);
	snprintf(spec, sizeof(spec), "sqlite:%s?ttl=1", path);
	a1 = authz_load(spec, report, NULL);
	is_str(asks(c, a300), "Ar", "cache: alice allowed, carol refused");
	is_str(asks(c, a1), "Ar", "cache: the same through a ttl=1 handle");
	ok(sql(path, "DELETE FROM dkim_authorization WHERE login = "
	    "'alice@a.example'; INSERT INTO dkim_authorization (login, domain) "
	    "VALUES ('carol@a.example', 'b.example')") == 0,
	    "cache: alice's row goes, carol gets one");
	is_str(asks(c, a300), "Ar", "cache: within the TTL the answers stand, "
	    "the negative one too");
	sleep(2);
	is_str(asks(c, a1), "rA", "cache: after the TTL the rows count");
	ok(sql(path, "DROP TABLE dkim_authorization") == 0, "cache: the "
	    "table goes away (the database can no longer answer)");
	sleep(2);
	c->authz = a1;
	ok(verdict(c, "carol@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_ALLOW, "cache: an expired answer is used again while the "
	    "database cannot answer");
	ok(verdict(c, "dave@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_UNKNOWN, "cache: a sender never asked for is unknown");
	c->authz = NULL;
	authz_free(a300);
	authz_free(a1);
}

/* sqlite_table - the same rules from dkim_authorization, and a dead one */
static void
sqlite_table(void)
{
	char	path[] = "/tmp/test_authz.XXXXXX", spec[300], *schema;
	struct conf *c = conf_defaults();
	struct authz_out out;
	sqlite3	*h = NULL;
	int	fd;

	if ((fd = mkstemp(path)) < 0 || close(fd) < 0 ||
	    (schema = slurp(SRCDIR "/etc/schema/sqlite.sql")) == NULL) {
		ok(0, "sqlite: test database made");
		return;
	}
	ok(sqlite3_open(path, &h) == SQLITE_OK &&
	    sqlite3_exec(h, schema, NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_exec(h, "INSERT INTO dkim_authorization (login, domain) "
	    "VALUES ('alice@a.example', 'b.example'), ('*@hoster.example', "
	    "'*'), ('bob', '*.d.example'), ('*', 'shared.example')", NULL,
	    NULL, NULL) == SQLITE_OK, "sqlite: the schema has "
	    "dkim_authorization");
	sqlite3_close(h);
	free(schema);
	snprintf(spec, sizeof(spec), "sqlite:%s?ttl=0", path);
	c->authz = authz_load(spec, report, NULL);
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "sqlite dkim_authorization") !=
	    NULL, "sqlite: a row lets alice sign as b.example");
	ok(verdict(c, "alice@a.example", NULL, "x@c.example", &out) ==
	    AUTHZ_REFUSE, "attack: sqlite: not c.example");
	ok(allowed(c, "staff@hoster.example", "x@q.test") &&
	    allowed(c, "bob", "x@w.d.example") &&
	    allowed(c, "z@y.example", "x@shared.example"),
	    "sqlite: *@domain, bare logins and * rows as in a file");
	ok(!allowed(c, "bob", "x@d.example"),
	    "attack: sqlite: domain patterns are wildcards, anchored");
	authz_free(c->authz);
	sqlite_cache(c, path);
	unlink(path);

	c->authz = authz_load("sqlite:/nonexistent/dir/authz.db", report, NULL);
	ok(c->authz != NULL, "sqlite: a database that is not there yet loads");
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_UNKNOWN && strstr(out.rule, "unavailable") != NULL,
	    "database down: unknown, never allowed");
	ok(verdict(c, "alice@a.example", NULL, "x@a.example", &out) ==
	    AUTHZ_ALLOW,
	    "database down: the sender's own domain needs no query");
	ok(verdict(c, "j\xf6rg@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_REFUSE,
	    "a Latin-1 login is refused before any query (a data error "
	    "cannot pass for an outage)");
	conf_free(c);
}

#else /* HAVE_SQLITE3 */
/* sqlite_table - without SQLite a sqlite: data set is refused */
static void
sqlite_table(void)
{
	struct conf *c = conf_defaults();
	int	before = nerr;

	c->authz = authz_load("sqlite:/nonexistent/dir/authz.db", report,
	    NULL);
	ok(c->authz == NULL && nerr > before && strstr(lastmsg, "sqlite: "
	    "this dkimd was built without SQLite support") != NULL,
	    "built without SQLite: a sqlite: data set is an error, saying why");
	ok(!allowed(c, "alice@a.example", "x@b.example"),
	    "attack: built without SQLite: nothing is allowed in its stead");
	conf_free(c);
	skip("the SQLite data set's tests: built without SQLite");
}
#endif /* HAVE_SQLITE3 */

/* write_conf - a configuration file with text, its path in path */
static int
write_conf(char *path, const char *text)
{
	int	fd = mkstemp(path);
	ssize_t	n = (ssize_t)strlen(text);

	if (fd < 0)
		return -1;
	if (write(fd, text, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* keyfile_conf - conf_load() of KeyFile kpath, Domain a.example and
 * extra lines */
static struct conf *
keyfile_conf(const char *kpath, const char *extra)
{
	char	path[] = "/tmp/test_authz_conf.XXXXXX", text[600];
	struct conf *c;

	snprintf(text, sizeof(text), "KeyFile %s\nSelector s\nDomain "
	    "a.example\n%s", kpath, extra);
	if (write_conf(path, text) < 0)
		return NULL;
	c = conf_load(path, report, NULL);
	unlink(path);
	return c;
}

/* signs - the d= of From address addr with c's tables, "" for none */
static const char *
signs(const struct conf *c, const char *addr)
{
	static struct signer s[2];

	if (c == NULL || table_signers(c->signtab, addr, s, 2, 0) != 1)
		return "";
	return s[0].domain;
}

/* keyfile_subdomains - SubDomains with KeyFile and Domain (OpenDKIM) */
static void
keyfile_subdomains(void)
{
	char	dir[] = "/tmp/test_authz.XXXXXX", kpath[64], *key;
	struct conf *c;
	int	fd = -1;
	ssize_t	n;

	/* a folder of our own: key folders others may write are refused */
	if (mkdtemp(dir) != NULL) {
		snprintf(kpath, sizeof(kpath), "%s/key", dir);
		fd = open(kpath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	}

	key = slurp(SRCDIR "/t/data/db/ed25519.pem");
	n = key ? (ssize_t)strlen(key) : -1;
	if (fd < 0 || key == NULL || write(fd, key, (size_t)n) != n ||
	    close(fd) < 0) {
		ok(0, "KeyFile written");
		free(key);
		return;
	}
	free(key);
	c = keyfile_conf(kpath, "SubDomains yes\n");
	ok(c != NULL, "SubDomains yes with KeyFile and Domain loads");
	is_str(signs(c, "x@sub.a.example"), "a.example", "SubDomains: x@sub."
	    "a.example is signed with d=a.example, the Domain (OpenDKIM)");
	is_str(signs(c, "x@deep.sub.a.example"), "a.example",
	    "SubDomains: and deeper");
	is_str(signs(c, "x@a.example"), "a.example", "SubDomains: and "
	    "a.example itself");
	is_str(signs(c, "x@xa.example"), "", "SubDomains: not xa.example");
	conf_free(c);
	c = keyfile_conf(kpath, "");
	is_str(signs(c, "x@sub.a.example"), "", "SubDomains no (default): "
	    "Domain a.example does not sign sub.a.example");
	conf_free(c);
	unlink(kpath);
	rmdir(dir);
}

/* via_conf - the keywords through conf_load() */
static void
via_conf(void)
{
	char	path[] = "/tmp/test_authz_conf.XXXXXX";
	struct conf *c;

	write_conf(path, "Syslog no\nSenderAuthorization none\n");
	c = conf_load(path, report, NULL);
	ok(c != NULL && c->authz_none && saw_none,
	    "SenderAuthorization none loads, with a warning for the log");
	conf_free(c);
	unlink(path);

	snprintf(path, sizeof(path), "/tmp/test_authz_conf.XXXXXX");
	write_conf(path, "SenderAuthorization file:" DATA "/authz/exact.table\n"
	    "SenderAuthorizationEnvelope yes\nOn-Unauthorized reject\n");
	c = conf_load(path, report, NULL);
	ok(c != NULL && c->authz != NULL && c->senderauthzenvelope &&
	    conf_action(c, CONF_ON_UNAUTHORIZED) == CONF_ACT_REJECT,
	    "SenderAuthorization, SenderAuthorizationEnvelope, "
	    "On-Unauthorized");
	conf_free(c);
	unlink(path);

	keyfile_subdomains();

	c = conf_defaults();
	ok(c->authz == NULL && !c->authz_none && !c->senderauthzenvelope &&
	    !c->subdomains && conf_action(c, CONF_ON_UNAUTHORIZED) ==
	    CONF_ACT_ACCEPT, "defaults: the domain rule, no envelope rule, "
	    "accept unsigned");
	conf_free(c);
}

int
main(void)
{
	plan_lazy();
	matrix();
	details();
	sqlite_table();
	via_conf();
	return done_testing();
}
