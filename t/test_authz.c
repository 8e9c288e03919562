/*
 * test_authz.c - sender authorization (authz.c): the matrix of sender x
 * From domain x data set -> allowed, refused or unknown, with the rule;
 * the keywords through conf_load()
 *
 * The data sets are t/data/milter/authz/; the SQLite one is made in a
 * temporary file from etc/schema/sqlite.sql.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "authz.h"
#include "conf.h"
#include "table.h"
#include "tap.h"

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

/* default_rule - no data set: the sender's domain, and only it */
static void
default_rule(void)
{
	struct conf *c = conf_defaults();
	struct authz_out out;

	ok(verdict(c, "alice@a.example", NULL, "x@a.example", &out) ==
	    AUTHZ_ALLOW && strcmp(out.rule, "sender domain is the From domain")
	    == 0, "default: alice@a.example signs as a.example, and the rule "
	    "says why");
	ok(allowed(c, "Alice@A.Example", "x@a.EXAMPLE"),
	    "default: domains compare without case");
	ok(verdict(c, "alice@a.example", NULL, "ceo@b.example", &out) ==
	    AUTHZ_REFUSE, "attack: alice@a.example may not sign as b.example");
	is_str(out.sender, "login alice@a.example", "refusal names the login");
	is_str(out.fromdom, "b.example", "refusal names the From domain");
	ok(strstr(out.rule, "not the From domain") != NULL,
	    "refusal names the rule");
	ok(!allowed(c, "alice@a.example", "x@sub.a.example"),
	    "attack: without SubDomains a subdomain is another domain");
	ok(!allowed(c, "alice@sub.a.example", "x@a.example"),
	    "attack: a subdomain login may not sign for its parent");
	ok(!allowed(c, "alice@a.example", "x@evila.example"),
	    "attack: a.example is no suffix of evila.example");
	ok(!allowed(c, "alice@a.example", "x@a.example.evil.test"),
	    "attack: a.example.evil.test is not a.example");
	ok(!allowed(c, "b.example", "x@b.example"),
	    "attack: a login without '@' named like a domain is refused");
	ok(verdict(c, "alice", NULL, "x@a.example", &out) == AUTHZ_REFUSE &&
	    strstr(out.rule, "no domain") != NULL,
	    "a login without a domain is refused without a data set");
	ok(!allowed(c, "alice@", "x@a.example"),
	    "attack: a login ending in '@' has no domain");
	ok(!allowed(c, "\"x@b.example\"@a.example", "y@b.example"),
	    "attack: an '@' in the login's local part does not make its domain");
	ok(allowed(c, "\"x@b.example\"@a.example", "y@a.example"),
	    "... its domain is after the last '@'");
	ok(verdict(c, "alice@a.example", NULL, "", &out) == AUTHZ_REFUSE &&
	    strcmp(out.rule, "no From domain") == 0,
	    "no From address: refused (nothing to authorize)");
	ok(!allowed(c, "alice@a.example", "undisclosed"),
	    "a From without '@' is refused");
	c->subdomains = 1;
	ok(verdict(c, "alice@a.example", NULL, "x@sub.a.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "SubDomains") != NULL,
	    "SubDomains: alice@a.example signs as sub.a.example");
	ok(allowed(c, "alice@a.example", "x@deep.sub.a.example"),
	    "SubDomains: and deeper");
	ok(!allowed(c, "alice@sub.a.example", "x@a.example"),
	    "attack: SubDomains: still not the parent");
	ok(!allowed(c, "alice@a.example", "x@xa.example"),
	    "attack: SubDomains: xa.example is not below a.example");
	ok(!allowed(c, "admin@example", "x@bank.example"),
	    "attack: SubDomains: a login at a single-label domain covers nothing"
	    " below it");
	conf_free(c);
}

/* not_authenticated - the envelope rule, off and on */
static void
not_authenticated(void)
{
	struct conf *c = conf_defaults();
	struct authz_out out;

	ok(verdict(c, NULL, "bob@a.example", "x@b.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "SenderAuthorizationEnvelope no"),
	    "unauthenticated, envelope rule off (default): allowed, as before");
	c->senderauthzenvelope = 1;
	ok(verdict(c, NULL, "bob@a.example", "x@a.example", &out) ==
	    AUTHZ_ALLOW && strcmp(out.sender, "envelope sender bob@a.example")
	    == 0, "envelope rule: envelope domain = From domain: allowed");
	ok(verdict(c, NULL, "bob@a.example", "x@b.example", &out) ==
	    AUTHZ_REFUSE, "attack: envelope rule: bob@a.example as b.example "
	    "is refused");
	ok(verdict(c, NULL, "", "x@a.example", &out) == AUTHZ_REFUSE &&
	    strcmp(out.sender, "envelope sender <>") == 0,
	    "attack: envelope rule: the empty envelope sender signs nothing");
	ok(verdict(c, NULL, NULL, "x@a.example", &out) == AUTHZ_REFUSE,
	    "envelope rule: an unknown envelope sender is the empty one");
	ok(verdict(c, "alice@b.example", "bob@a.example", "x@a.example", &out)
	    == AUTHZ_REFUSE && strstr(out.sender, "login") != NULL,
	    "attack: a login is judged by the login, not by MAIL FROM");
	c->authz_none = 1;
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_ALLOW && strcmp(out.rule, "SenderAuthorization none") == 0,
	    "SenderAuthorization none: anybody signs anything (OpenDKIM)");
	conf_free(c);
}

/* exact_table - a file: data set */
static void
exact_table(void)
{
	struct conf *c = conf_defaults();
	struct authz_out out;

	c->authz = authz_load("file:" DATA "/authz/exact.table", report, NULL);
	ok(c->authz != NULL, "file: data set loads");
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_ALLOW && strstr(out.rule, "exact.table:3") != NULL,
	    "table: the line alice@a.example b.example lets her, rule FILE:LINE");
	ok(allowed(c, "ALICE@a.example", "x@B.example"),
	    "table: logins and domains compare without case");
	ok(allowed(c, "alice@a.example", "x@a.example"),
	    "table: her own domain still");
	ok(!allowed(c, "alice@a.example", "x@c.example"),
	    "attack: table: not a domain her lines do not list");
	ok(!allowed(c, "alicex@a.example", "x@b.example"),
	    "attack: table: file: logins are exact, not prefixes");
	ok(!allowed(c, "mallory@a.example", "x@b.example"),
	    "attack: table: another login of her domain gets nothing of hers");
	ok(allowed(c, "staff@hoster.example", "x@anything.test"),
	    "table: *@hoster.example * lets every hoster login sign anything");
	ok(!allowed(c, "staff@evil.hoster.example", "x@anything.test"),
	    "attack: table: *@hoster.example is not *@sub.hoster.example");
	ok(!allowed(c, "staff@hoster.example.evil", "x@anything.test"),
	    "attack: table: nor *@hoster.example.evil");
	ok(allowed(c, "bob", "x@c.example") && allowed(c, "bob", "x@w.d.example"),
	    "table: a login without a domain signs what its line lists");
	ok(!allowed(c, "bob", "x@d.example"),
	    "attack: table: *.d.example is below d.example, not d.example");
	ok(allowed(c, "nobody@z.example", "x@shared.example"),
	    "table: the line * shared.example applies to every login");
	ok(allowed(c, "carol@a.example", "x@e.example") &&
	    allowed(c, "carol@a.example", "x@f.example"),
	    "table: domain patterns may be separated by white space");
	c->senderauthzenvelope = 1;
	ok(verdict(c, NULL, "alice@a.example", "x@b.example", &out) ==
	    AUTHZ_ALLOW, "envelope rule: the table applies to the envelope "
	    "sender");
	conf_free(c);

	c = conf_defaults();
	c->authz = authz_load("refile:" DATA "/authz/wild.table", report, NULL);
	ok(c->authz != NULL, "refile: data set loads");
	ok(allowed(c, "ops@eu.tenant.example", "x@tenant.example"),
	    "refile: *@*.tenant.example matches ops@eu.tenant.example");
	ok(!allowed(c, "ops@tenant.example.evil", "x@tenant.example"),
	    "attack: refile: the pattern is anchored at the end");
	ok(allowed(c, "dave2@a.example", "x@g.example") &&
	    !allowed(c, "dave@b.example", "x@g.example"),
	    "refile: dave*@a.example");
	conf_free(c);

	nerr = 0;
	ok(authz_load("file:" DATA "/authz/nodomain.table", report, NULL) ==
	    NULL && nerr == 1 && strstr(lastmsg, "nodomain.table:2:") != NULL,
	    "a line without a domain pattern is an error with FILE:LINE");
	ok(authz_load("file:" DATA "/authz/missing.table", report, NULL) ==
	    NULL, "a missing file is an error");
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
	snprintf(spec, sizeof(spec), "sqlite:%s", path);
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
	unlink(path);

	c->authz = authz_load("sqlite:/nonexistent/dir/authz.db", report, NULL);
	ok(c->authz != NULL, "sqlite: a database that is not there yet loads");
	ok(verdict(c, "alice@a.example", NULL, "x@b.example", &out) ==
	    AUTHZ_UNKNOWN && strstr(out.rule, "unavailable") != NULL,
	    "database down: unknown, never allowed");
	ok(verdict(c, "alice@a.example", NULL, "x@a.example", &out) ==
	    AUTHZ_ALLOW, "database down: the sender's own domain needs no query");
	conf_free(c);
}

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
	    "SenderAuthorization, SenderAuthorizationEnvelope, On-Unauthorized");
	conf_free(c);
	unlink(path);

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
	default_rule();
	not_authenticated();
	exact_table();
	sqlite_table();
	via_conf();
	return done_testing();
}
