/*
 * authz.c - sender authorization (SenderAuthorization, SubDomains,
 *	SenderAuthorizationEnvelope): the rules are in authz.h
 *
 * Without it, whoever may submit mail (any SMTP login, any local
 * process) obtains the signature of whatever domain its From names,
 * which DMARC then trusts. The decision is kept apart from the milter
 * callbacks so that the whole matrix (sender x From x data set) is
 * unit-tested (t/test_authz.c).
 *
 * A data set is read once per configuration load, like the other tables
 * (util_readlines(), the file:/refile: names of table.h); a database
 * one is asked through db_query() with the '?' placeholders of db.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authz.h"
#include "dk.h"
#include "db.h"
#include "table.h"
#include "util.h"

struct authz_line {
	char	*login;			/* lower case */
	char	**domains;		/* lower case, NULL-terminated */
	int	line;
};

/* A database's answer for one sender and From domain, cached. */
struct aentry {
	struct aentry *next;
	char	*key;			/* "sender\nfromdom" */
	time_t	expires;
	int	found;
	char	row[200];		/* "login domain" of the row found */
};

struct authz {
	char	*file;			/* path, or a label without secrets */
	int	wildcard;		/* refile: */
	size_t	n;
	size_t	alloc;
	struct authz_line *lines;
	struct db *db;			/* a database data set, or NULL */
	pthread_mutex_t lock;		/* the cache (with db) */
	struct aentry **cache;		/* AUTHZ_BUCKETS chains (with db) */
	size_t	ncache;
};

#define AUTHZ_BUCKETS	4096		/* cache hash chains */

/* The candidate login keys of an exact lookup: sender, *@domain, *. */
#define AUTHZ_CANDS	3
#define AUTHZ_MAX_SENDER 256		/* longer senders are refused */

static const char sql_authz[] =
    "SELECT login, domain FROM dkim_authorization WHERE login IN (?, ?, ?) "
    "ORDER BY id";

/* cache_flush - drop every cached answer (lock held, or sole owner) */
static void
cache_flush(struct authz *a)
{
	struct aentry *e, *next;
	size_t	i;

	for (i = 0; a->cache != NULL && i < AUTHZ_BUCKETS; i++) {
		for (e = a->cache[i]; e != NULL; e = next) {
			next = e->next;
			free(e->key);
			free(e);
		}
		a->cache[i] = NULL;
	}
	a->ncache = 0;
}

/* authz_free - free a data set; NULL is a no-op */
void
authz_free(struct authz *a)
{
	size_t	i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		free(a->lines[i].login);
		util_strvfree(a->lines[i].domains);
	}
	free(a->lines);
	free(a->file);
	db_close(a->db);
	if (a->cache != NULL) {
		cache_flush(a);
		free(a->cache);
		pthread_mutex_destroy(&a->lock);
	}
	free(a);
}

/* authz_line - one "LOGIN-PATTERN DOMAIN-PATTERN[,...]" line into a;
 * -1 when out of room, 1 when malformed */
static int
authz_line(struct authz *a, int lineno, char *line)
{
	struct authz_line *l, *nl;
	char	*rest = line;
	size_t	na, i;

	while (*rest && *rest != ' ' && *rest != '\t')
		rest++;
	if (*rest)
		*rest++ = '\0';
	if (a->n == a->alloc) {
		na = a->alloc ? a->alloc * 2 : 16;
		if (a->n >= TABLE_MAX_ENTRIES ||
		    (nl = realloc(a->lines, na * sizeof(*nl))) == NULL)
			return -1;
		a->lines = nl;
		a->alloc = na;
	}
	l = &a->lines[a->n];
	memset(l, 0, sizeof(*l));
	l->line = lineno;
	if ((l->login = strdup(line)) == NULL ||
	    (l->domains = util_split(rest)) == NULL) {
		free(l->login);
		return -1;
	}
	a->n++;
	util_lower(l->login);
	for (i = 0; l->domains[i] != NULL; i++)
		util_lower(l->domains[i]);
	if (i == 0 || i > AUTHZ_MAX_DOMAINS)
		return 1;
	return 0;
}

struct loadctx {
	struct authz *a;
	conf_report_fn report;
	void	*rarg;
};

/* load_line - authz_line() with its problems reported as FILE:LINE */
static int
load_line(void *arg, int lineno, char *line)
{
	struct loadctx *lc = arg;
	int	r = authz_line(lc->a, lineno, line);

	if (r < 0)
		util_report(lc->report, lc->rarg, 0, "%s:%d: too many lines "
		    "or out of memory", lc->a->file, lineno);
	else if (r > 0)
		util_report(lc->report, lc->rarg, 0, "%s:%d: expected \"LOGIN "
		    "DOMAIN[,DOMAIN...]\" (1 to %d domain patterns)",
		    lc->a->file, lineno, AUTHZ_MAX_DOMAINS);
	return r != 0;
}

/* authz_load - read a SenderAuthorization data set, or open its database */
struct authz *
authz_load(const char *spec, conf_report_fn report, void *arg)
{
	struct loadctx lc;
	struct authz *a;
	const char *path;
	char	err[256];
	int	wildcard;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		goto nomem;
	if (db_is_uri(spec)) {
		if ((a->db = db_open(spec, 0, (uid_t)-1, err, sizeof(err))) ==
		    NULL) {
			util_report(report, arg, 0, "SenderAuthorization: %s",
			    err);
			goto fail;
		}
		/* the name may hold a password: the log gets the kind */
		if ((a->file = malloc(64)) == NULL ||
		    (a->cache = calloc(AUTHZ_BUCKETS, sizeof(*a->cache))) ==
		    NULL)
			goto nomem;
		pthread_mutex_init(&a->lock, NULL);
		snprintf(a->file, 64, "%s dkim_authorization",
		    db_scheme(a->db));
		return a;
	}
	path = table_spec(spec, &wildcard);
	a->wildcard = wildcard;
	if ((a->file = strdup(path)) == NULL)
		goto nomem;
	lc.a = a;
	lc.report = report;
	lc.rarg = arg;
	if (util_readlines(path, load_line, &lc, report, arg) != 0)
		goto fail;
	return a;
nomem:
	util_report(report, arg, 0, "%s: out of memory", spec);
fail:
	authz_free(a);
	return NULL;
}

/* count_row - a COUNT(*) row into *arg */
static int
count_row(void *arg, int ncols, const char *const *v)
{
	if (ncols >= 1 && v[0] != NULL)
		*(long *)arg = strtol(v[0], NULL, 10);
	return 0;
}

/* authz_count - the lines (or rows) of a data set, and its name */
int
authz_count(struct authz *a, long *n, char *name, size_t namelen, char *err,
    size_t errlen)
{
	snprintf(name, namelen, "%s", a->file);
	*n = (long)a->n;
	if (a->db == NULL)
		return 0;
	*n = -1;
	return db_query(a->db, "SELECT COUNT(*) FROM dkim_authorization", NULL,
	    0, count_row, n, err, errlen);
}

/* domain_of - the part after the last '@' of s, or NULL */
static const char *
domain_of(const char *s)
{
	const char *at = strrchr(s, '@');

	return at != NULL && at[1] != '\0' ? at + 1 : NULL;
}

/* is_below - 1 when d is a proper subdomain of parent (both lower case) */
static int
is_below(const char *d, const char *parent)
{
	size_t	dl = strlen(d), pl = strlen(parent);

	return dl > pl + 1 && d[dl - pl - 1] == '.' &&
	    strcmp(d + dl - pl, parent) == 0;
}

/* any_domain - the first of domains matching d, or NULL */
static const char *
any_domain(char *const *domains, const char *d)
{
	for (; *domains != NULL; domains++)
		if (table_wildmatch(*domains, d))
			return *domains;
	return NULL;
}

/* candidates - sender, "*@" its domain ("*" again without one), "*" */
static void
candidates(const char *sender, char c[AUTHZ_CANDS][AUTHZ_MAX_SENDER + 2])
{
	const char *d = domain_of(sender);

	snprintf(c[0], AUTHZ_MAX_SENDER + 2, "%s", sender);
	snprintf(c[1], AUTHZ_MAX_SENDER + 2, "%s%s", d ? "*@" : "*",
	    d ? d : "");
	snprintf(c[2], AUTHZ_MAX_SENDER + 2, "*");
}

/* lookup_lines - a file line allowing sender to sign for d: 1 and rule */
static int
lookup_lines(const struct authz *a, const char *sender, const char *d,
    struct authz_out *out)
{
	char	c[AUTHZ_CANDS][AUTHZ_MAX_SENDER + 2];
	const struct authz_line *l;
	const char *dp;
	size_t	i;
	int	k, hit;

	candidates(sender, c);
	for (i = 0; i < a->n; i++) {
		l = &a->lines[i];
		hit = a->wildcard && table_wildmatch(l->login, sender);
		for (k = 0; !a->wildcard && !hit && k < AUTHZ_CANDS; k++)
			hit = strcmp(l->login, c[k]) == 0;
		if (!hit || (dp = any_domain(l->domains, d)) == NULL)
			continue;
		snprintf(out->rule, sizeof(out->rule), "SenderAuthorization "
		    "%s:%d (%.80s %.80s)", a->file, l->line, l->login, dp);
		return 1;
	}
	return 0;
}

/* One database answer: the first row allowing the From domain. */
struct dbrow {
	const char *d;
	int	found;
	char	login[128];
	char	domain[128];
};

/* dbrow_fn - a dkim_authorization row (login, domain) */
static int
dbrow_fn(void *arg, int ncols, const char *const *v)
{
	struct dbrow *r = arg;

	if (r->found || ncols < 2 || v[0] == NULL || v[1] == NULL ||
	    !table_wildmatch(v[1], r->d))
		return 0;
	r->found = 1;
	snprintf(r->login, sizeof(r->login), "%s", v[0]);
	snprintf(r->domain, sizeof(r->domain), "%s", v[1]);
	return 0;
}

/* cache_find - the entry for key, fresh or not, or NULL (lock held) */
static struct aentry *
cache_find(const struct authz *a, const char *key, size_t h)
{
	struct aentry *e;

	for (e = a->cache[h]; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* cache_put - the database's answer r for key (lock held); a full
 * cache is emptied first */
static void
cache_put(struct authz *a, const char *key, size_t h, const struct dbrow *r)
{
	struct aentry *e = cache_find(a, key, h);

	if (e == NULL) {
		if (a->ncache >= AUTHZ_CACHE_MAX)
			cache_flush(a);
		if ((e = calloc(1, sizeof(*e))) == NULL ||
		    (e->key = strdup(key)) == NULL) {
			free(e);
			return;		/* not cached: asked again next time */
		}
		e->next = a->cache[h];
		a->cache[h] = e;
		a->ncache++;
	}
	e->expires = time(NULL) + (time_t)db_ttl(a->db);
	e->found = r->found;
	snprintf(e->row, sizeof(e->row), "%.98s %.98s", r->login, r->domain);
}

/*
 * cached - the cached answer for key into out: 1 allowed, 0 not, -1
 * when there is none fresh (or, with stale, none at all; a stale one is
 * then kept DB_STALE_RETRY seconds more, as db.c does)
 */
static int
cached(struct authz *a, const char *key, size_t h, int stale,
    struct authz_out *out)
{
	struct aentry *e;
	time_t	now = time(NULL);
	int	r = -1;

	pthread_mutex_lock(&a->lock);
	if ((e = cache_find(a, key, h)) != NULL && (stale || e->expires > now)) {
		if (stale && e->expires < now + DB_STALE_RETRY)
			e->expires = now + DB_STALE_RETRY;
		r = e->found;
		if (r)
			snprintf(out->rule, sizeof(out->rule), "SenderAuthori"
			    "zation %s (%s)", a->file, e->row);
	}
	pthread_mutex_unlock(&a->lock);
	return r;
}

/*
 * lookup_db - ask the database, through the cache (answers live for the
 * name's ttl=, negative ones too): 1 allowed (rule set), 0 not, -1 when
 * it did not answer and nothing was cached (rule set to why)
 */
static int
lookup_db(struct authz *a, const char *sender, const char *d,
    struct authz_out *out)
{
	char	c[AUTHZ_CANDS][AUTHZ_MAX_SENDER + 2], err[256];
	char	key[AUTHZ_MAX_SENDER + 260];
	const char *params[AUTHZ_CANDS];
	struct dbrow r;
	size_t	h;
	int	i, rc;

	snprintf(key, sizeof(key), "%s\n%s", sender, d);
	h = dk_name_hash(key, strlen(key)) % AUTHZ_BUCKETS;
	if ((rc = cached(a, key, h, 0, out)) >= 0)
		return rc;
	/* a sender that cannot be a lookup key (db_addr_ok) has no line */
	if (!db_addr_ok(sender))
		return 0;
	candidates(sender, c);
	for (i = 0; i < AUTHZ_CANDS; i++)
		params[i] = c[i];
	memset(&r, 0, sizeof(r));
	r.d = d;
	/* a data error (a byte the database's encoding refuses) is an
	 * answer, "no line", cached like one; only a lost server is not */
	if ((rc = db_query(a->db, sql_authz, params, AUTHZ_CANDS, dbrow_fn,
	    &r, err, sizeof(err))) == DB_DATA_ERROR)
		r.found = 0;
	else if (rc < 0) {
		if ((rc = cached(a, key, h, 1, out)) >= 0)
			return rc;
		snprintf(out->rule, sizeof(out->rule), "SenderAuthorization "
		    "%s unavailable (%.200s)", a->file, err);
		return -1;
	}
	pthread_mutex_lock(&a->lock);
	cache_put(a, key, h, &r);
	pthread_mutex_unlock(&a->lock);
	if (r.found)
		snprintf(out->rule, sizeof(out->rule), "SenderAuthorization "
		    "%s (%s %s)", a->file, r.login, r.domain);
	return r.found;
}

/* by_domain - the default rule: 1 when sender's domain allows d */
static int
by_domain(const struct conf *c, const char *sender, const char *d,
    struct authz_out *out)
{
	const char *sd = domain_of(sender);

	if (sd == NULL)
		return 0;
	if (strcmp(sd, d) == 0) {
		snprintf(out->rule, sizeof(out->rule), "sender domain is the "
		    "From domain");
		return 1;
	}
	if (c->subdomains && strchr(sd, '.') != NULL && is_below(d, sd)) {
		snprintf(out->rule, sizeof(out->rule), "SubDomains: %.200s is "
		    "below the sender domain", d);
		return 1;
	}
	return 0;
}

/* decide - sender (lower case) and From domain d: the rules in order */
static enum authz_verdict
decide(const struct conf *c, const char *sender, const char *d,
    struct authz_out *out)
{
	struct authz *a = c->authz;
	int	r = 0;

	if (by_domain(c, sender, d, out))
		return AUTHZ_ALLOW;
	if (a != NULL && a->db != NULL)
		r = lookup_db(a, sender, d, out);
	else if (a != NULL)
		r = lookup_lines(a, sender, d, out);
	if (r < 0)
		return AUTHZ_UNKNOWN;
	if (r > 0)
		return AUTHZ_ALLOW;
	snprintf(out->rule, sizeof(out->rule), "%s, and no SenderAuthorization"
	    " line allows it", domain_of(sender) == NULL ? "sender has no "
	    "domain" : c->subdomains ? "sender domain is neither the From "
	    "domain nor a parent of it" : "sender domain is not the From "
	    "domain");
	return AUTHZ_REFUSE;
}

/* printable - control characters of s made '?', for the log line */
static void
printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
}

/* authz_check - may the sender of in sign as its From domain */
enum authz_verdict
authz_check(const struct conf *c, const struct authz_in *in,
    struct authz_out *out)
{
	char	sender[AUTHZ_MAX_SENDER + 1];
	const char *s, *d, *p;

	memset(out, 0, sizeof(*out));
	if (c->authz_none) {
		snprintf(out->rule, sizeof(out->rule), "SenderAuthorization "
		    "none");
		return out->verdict = AUTHZ_ALLOW;
	}
	if (in->login != NULL && *in->login != '\0')
		s = in->login;
	else if (c->senderauthzenvelope)
		s = in->envfrom != NULL && *in->envfrom != '\0' ?
		    in->envfrom : "<>";
	else {
		snprintf(out->rule, sizeof(out->rule), "not authenticated, "
		    "SenderAuthorizationEnvelope no");
		return out->verdict = AUTHZ_ALLOW;
	}
	snprintf(out->sender, sizeof(out->sender), "%s %.256s", s == in->login ?
	    "login" : "envelope sender", s);
	printable(out->sender);
	d = in->from != NULL ? domain_of(in->from) : NULL;
	snprintf(out->fromdom, sizeof(out->fromdom), "%s", d ? d : "");
	util_lower(out->fromdom);
	if (d == NULL || strlen(d) >= sizeof(out->fromdom)) {
		snprintf(out->rule, sizeof(out->rule), "no From domain (or one "
		    "over %zu bytes)", sizeof(out->fromdom) - 1);
		return out->verdict = AUTHZ_REFUSE;
	}
	if (strlen(s) > AUTHZ_MAX_SENDER) {
		snprintf(out->rule, sizeof(out->rule), "sender longer than %d "
		    "bytes", AUTHZ_MAX_SENDER);
		return out->verdict = AUTHZ_REFUSE;
	}
	/* a database may compare "x@a.example " equal to "x@a.example" */
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(out->rule, sizeof(out->rule), "white space or "
			    "a control character in the sender");
			return out->verdict = AUTHZ_REFUSE;
		}
	snprintf(sender, sizeof(sender), "%s", s);
	util_lower(sender);
	return out->verdict = decide(c, sender, out->fromdom, out);
}
