/*
 * db.c - database KeyTable and SigningTable: names, cache, reconnection
 *
 * One struct db per data set name. It holds one connection to the
 * database (a dblink over the name's hosts, made on demand, serialized
 * by q_lock) and two caches under
 * c_lock: the dkim_signing rows per pattern and the parsed dkim_keys row
 * per key name, negative answers included. Cached keys are reference
 * counted: the cache holds one reference, each signer lent by
 * db_signers() another, so an entry replaced or evicted while a message
 * still signs with it lives until db_release(). The two locks are never
 * held together. See db.h for the contract.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "dk.h"
#include "dblink.h"
#include "keyread.h"
#include "util.h"

#define DB_BUCKETS	65536		/* hash buckets per cache */
#define DB_IN_PARAMS	16		/* patterns per query (sql_rules) */
#define DB_MAX_CANDS	64		/* patterns tried per address */
#define DB_MAX_PATTERN	520		/* bytes of a pattern (address < 512) */

/* A parsed dkim_keys row, shared by the cache and the signers. */
struct dbkey {
	struct keytab_entry e;		/* first: signers point here */
	int	refs;
	long long not_before;		/* 0: none */
	long long not_after;		/* 0: none */
};

/* A dkim_signing answer for one pattern: up to DB_MAX_RULES rows. */
struct dbrules {
	size_t	n;
	char	*keyname[DB_MAX_RULES];
	char	*identity[DB_MAX_RULES];	/* NULL: none */
};

struct centry {
	struct centry *next;
	char	*name;
	time_t	expires;
	struct dbkey *key;		/* key cache; NULL: negative */
	struct dbrules *rules;		/* rule cache; NULL: negative */
};

struct cache {
	struct centry *b[DB_BUCKETS];
	size_t	n;
	time_t	swept;
};

struct db {
	const struct db_backend *be;
	struct db_uri u;
	char	*label;			/* the name without the password */
	int	pw_in_uri;		/* the password is in the name */
	char	pwwarn[300];		/* password_file others may read */
	unsigned ttl;
	uid_t	safe_uid;

	pthread_mutex_t q_lock;		/* link, lasterr */
	struct dblink link;		/* hosts, connection, backoff */
	char	lasterr[256];		/* why the last query failed */

	pthread_mutex_t c_lock;		/* the caches and key refs */
	struct cache keys;
	struct cache rules;

	/* for db_stats(): relaxed atomics, read without q_lock (a scrape
	 * must not wait behind a slow query) */
	int	down;			/* the last query failed */
	unsigned long nq[2];		/* queries: failed, answered */
	unsigned long lat[DB_NLE + 1];	/* query times, by bucket */
	unsigned long lat_ms_sum;
};

static const long db_le[DB_NLE] = DB_LATENCY_LE;

static const char sql_rules[] =
    "SELECT pattern, key_name, identity FROM dkim_signing WHERE pattern "
    "IN (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ORDER BY id";
static const char sql_key[] =
    "SELECT domain, selector, private_key, key_path, not_before, "
    "not_after FROM dkim_keys WHERE name = ? AND state = 'active'";

/* db_is_uri - 1 when spec names a database */
int
db_is_uri(const char *spec)
{
	return strncmp(spec, "sqlite:", 7) == 0 ||
	    strncmp(spec, "mysql://", 8) == 0 ||
	    strncmp(spec, "postgresql://", 13) == 0 ||
	    strncmp(spec, "postgres://", 11) == 0;
}

/*
 * pw_read - the password, the first line of file path: a regular file
 * (opened O_NONBLOCK, so a FIFO named by mistake cannot hold dkimd),
 * read without stdio buffers that would keep a copy. A file others may
 * read leaves a warning in db->pwwarn; dkimd reads it again as UserID
 * at a reload, so its group may read it.
 */
static int
pw_read(struct db *db, const char *path, char *err, size_t errlen)
{
	char	line[512];
	struct stat st;
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "password_file %s: %s", path, fd < 0 ?
		    strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & S_IROTH)
		snprintf(db->pwwarn, sizeof(db->pwwarn), "password_file %s may "
		    "be read by others (mode %04o): chmod o-r", path,
		    (unsigned)(st.st_mode & 07777));
	while ((n = read(fd, line, sizeof(line) - 1)) < 0 && errno == EINTR)
		;
	close(fd);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	free(db->u.password);
	db->u.password = strdup(line);
	explicit_bzero(line, sizeof(line));
	if (db->u.password == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

#define DB_PARAMS	"(ttl=, timeout=, failback=, password_file=, " \
			"target_session_attrs=)"

/* uri_seconds - v as seconds from min to max into *out; -1, why */
static int
uri_seconds(const char *p, const char *v, unsigned min, unsigned max,
    unsigned *out, char *err, size_t errlen)
{
	unsigned long n;
	char	*end;

	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno != 0 || *end != '\0' || end == v || *v == '-' || n < min ||
	    n > max) {
		snprintf(err, errlen, "bad %s (%u to %u seconds)", p, min, max);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* uri_param - one "name=value" parameter after '?' into u or db */
static int
uri_param(struct db *db, char *p, char *err, size_t errlen)
{
	char	*v = strchr(p, '=');

	if (v == NULL) {
		/* not echoed: a password pasted in the wrong place */
		snprintf(err, errlen, "a parameter without '=' %s", DB_PARAMS);
		return -1;
	}
	*v++ = '\0';
	if (strcmp(p, "ttl") == 0)
		return uri_seconds(p, v, 0, 86400, &db->ttl, err, errlen);
	if (strcmp(p, "timeout") == 0)
		return uri_seconds(p, v, 1, 300, &db->u.timeout, err, errlen);
	if (strcmp(p, "failback") == 0)
		return uri_seconds(p, v, 1, 86400, &db->link.failback, err,
		    errlen);
	if (strcmp(p, "password_file") == 0)
		return pw_read(db, v, err, errlen);
	if (strcmp(p, "target_session_attrs") == 0) {
		/* libpq's names: any host, or one that takes writes */
		if (strcmp(v, "read-write") == 0)
			db->u.flags |= DB_PRIMARY;
		else if (strcmp(v, "any") != 0) {
			snprintf(err, errlen, "bad target_session_attrs (any, "
			    "read-write)");
			return -1;
		}
		return 0;
	}
	/* the name is not echoed either: it could be a password */
	snprintf(err, errlen, "unknown parameter %s", DB_PARAMS);
	return -1;
}

/*
 * uri_server - split "user[:password]@host[:port][,host[:port]...]/db"
 * into db->u and the link's hosts
 */
static int
uri_server(struct db *db, char *s, char *err, size_t errlen)
{
	char	*at = strrchr(s, '@'), *slash, *colon;

	if (at == NULL || (slash = strchr(at, '/')) == NULL ||
	    slash[1] == '\0') {
		snprintf(err, errlen, "expected "
		    "USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]...]/DB");
		return -1;
	}
	*at++ = '\0';
	*slash++ = '\0';
	if ((colon = strchr(s, ':')) != NULL) {
		*colon++ = '\0';
		db->pw_in_uri = 1;
	}
	if (dblink_hosts(&db->link, at, err, errlen) < 0)
		return -1;
	if ((db->u.user = strdup(s)) == NULL ||
	    (db->u.dbname = strdup(slash)) == NULL ||
	    (colon != NULL && db->u.password == NULL &&
	    (db->u.password = strdup(colon)) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* uri_parse - fill db->u, db->label and the parameters from uri */
static int
uri_parse(struct db *db, const char *uri, char *err, size_t errlen)
{
	char	*s, *q, *p, *rest;
	size_t	 size, o;
	int	rc = -1;

	if ((s = strdup(uri)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((q = strchr(s, '?')) != NULL) {
		*q++ = '\0';
		for (p = strtok_r(q, "&", &rest); p != NULL;
		    p = strtok_r(NULL, "&", &rest))
			if (uri_param(db, p, err, errlen) < 0)
				goto out;
	}
	if (!db_is_uri(s)) {
		snprintf(err, errlen, "not a database name (sqlite:, mysql://, "
		    "postgresql://)");
		goto out;
	}
	if (strncmp(s, "sqlite:", 7) == 0) {
		db->be = &db_sqlite;
		if (s[7] == '\0' || (db->u.dbname = strdup(s + 7)) == NULL) {
			snprintf(err, errlen, "expected sqlite:/PATH");
			goto out;
		}
		if ((db->label = strdup(s)) == NULL)
			goto nomem;
		db->link.n = 1;		/* one "host": the file */
		rc = 0;
		goto out;
	}
	db->be = strncmp(s, "mysql://", 8) == 0 ? &db_mysql : &db_pgsql;
	if (uri_server(db, strstr(s, "://") + 3, err, errlen) < 0)
		goto out;
	size = strlen(uri) + 32 + 4 * DB_MAX_HOSTS;	/* with [] added */
	if ((db->label = malloc(size)) == NULL)
		goto nomem;
	o = (size_t)snprintf(db->label, size, "%s://%s@", db->be->scheme,
	    db->u.user);
	dblink_label(&db->link, db->label + o, size - o);
	o += strlen(db->label + o);
	snprintf(db->label + o, size - o, "/%s", db->u.dbname);
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	explicit_bzero(s, strlen(uri));
	free(s);
	return rc;
}

/*
 * db_redact - spec as it may be shown: a database name without its
 * password and parameters, even when it does not parse (the user part
 * up to ':', then "***" for the rest of the user information), also
 * with a scheme dkimd does not know; other specs (files) unchanged
 */
void
db_redact(const char *spec, char *buf, size_t size)
{
	const char *auth = strstr(spec, "://"), *end, *at, *colon;

	end = spec + strcspn(spec, "?");
	if (strncmp(spec, "sqlite:", 7) == 0) {
		snprintf(buf, size, "%.*s", (int)(end - spec), spec);
		return;
	}
	if (auth == NULL) {		/* a file: no user information */
		snprintf(buf, size, "%s", spec);
		return;
	}
	if (auth > end) {		/* "://" among the parameters */
		snprintf(buf, size, "%.*s?...", (int)(end - spec), spec);
		return;
	}
	/* any "SCHEME://": a misspelt scheme must not show a password */
	auth += 3;
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at == auth) {		/* no '@': a ':' may start a password */
		colon = memchr(auth, ':', (size_t)(end - auth));
		snprintf(buf, size, "%.*s%s", (int)((colon ? colon : end) -
		    spec), spec, colon ? ":***" : "");
		return;
	}
	colon = memchr(auth, ':', (size_t)(at - auth));
	snprintf(buf, size, "%.*s%s%.*s", (int)((colon ? colon : at - 1) -
	    spec), spec, colon ? ":***@" : "@", (int)(end - at), at);
}

/* db_label - the handle's name without its password, for messages */
const char *
db_label(const struct db *db)
{
	return db->label;
}

/*
 * db_secret_warning - 1 with a warning in buf when the password may be
 * read by others: it is in the name and conf (the file holding the name)
 * is readable by others, or its password_file is; else 0
 */
int
db_secret_warning(const struct db *db, const char *conf, char *buf,
    size_t size)
{
	struct stat st;

	if (db->pw_in_uri && conf != NULL && stat(conf, &st) == 0 &&
	    (st.st_mode & S_IROTH)) {
		snprintf(buf, size, "%s holds the password of %s and may be "
		    "read by others (mode %04o): chmod o-r, or use "
		    "password_file", conf, db->label,
		    (unsigned)(st.st_mode & 07777));
		return 1;
	}
	if (db->pwwarn[0] != '\0') {
		snprintf(buf, size, "%s: %s", db->label, db->pwwarn);
		return 1;
	}
	return 0;
}

/* db_open - a handle for uri; the connection is made on first use */
struct db *
db_open(const char *uri, int flags, uid_t safe_uid, char *err, size_t errlen)
{
	struct db *db;

	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	db->ttl = DB_TTL_DEFAULT;
	db->safe_uid = safe_uid;
	db->u.flags = flags;
	db->u.timeout = DB_TIMEOUT_DEFAULT;
	db->link.failback = DB_FAILBACK_DEFAULT;
	pthread_mutex_init(&db->q_lock, NULL);
	pthread_mutex_init(&db->c_lock, NULL);
	if (uri_parse(db, uri, err, errlen) < 0 ||
	    db->be->load(err, errlen) < 0) {
		db_close(db);
		return NULL;
	}
	db->u.scheme = (char *)db->be->scheme;
	if (flags & DB_RW)	/* dkimtool writes: to the primary */
		db->u.flags |= DB_PRIMARY;
	db->link.be = db->be;
	db->link.u = &db->u;
	db->link.label = db->label;
	return db;
}

/* db_ttl - how long answers may be cached (the name's ttl=), seconds */
unsigned
db_ttl(const struct db *db)
{
	return db->ttl;
}

/* db_scheme - the back end's name */
const char *
db_scheme(const struct db *db)
{
	return db->be->scheme;
}

/* count_query - one query took ms, answered or not */
static void
count_query(struct db *db, long ms, int answered)
{
	size_t	i;

	for (i = 0; i < DB_NLE && ms > db_le[i]; i++)
		;
	__atomic_fetch_add(&db->lat[i], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&db->lat_ms_sum, (unsigned long)(ms < 0 ? 0 : ms),
	    __ATOMIC_RELAXED);
	__atomic_fetch_add(&db->nq[answered != 0], 1, __ATOMIC_RELAXED);
}

/* db_stats - the counters of db (db.h) */
void
db_stats(struct db *db, struct db_stats *st)
{
	size_t	i;

	memset(st, 0, sizeof(*st));
	st->up = !__atomic_load_n(&db->down, __ATOMIC_RELAXED);
	st->failed = __atomic_load_n(&db->nq[0], __ATOMIC_RELAXED);
	st->answered = __atomic_load_n(&db->nq[1], __ATOMIC_RELAXED);
	for (i = 0; i <= DB_NLE; i++)
		st->lat[i] = __atomic_load_n(&db->lat[i], __ATOMIC_RELAXED);
	st->lat_ms_sum = __atomic_load_n(&db->lat_ms_sum, __ATOMIC_RELAXED);
	pthread_mutex_lock(&db->c_lock);
	st->keys_cached = db->keys.n;
	pthread_mutex_unlock(&db->c_lock);
}

/* db_query - run one statement, connecting first when needed */
int
db_query(struct db *db, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *arg, char *err, size_t errlen)
{
	long	t0;
	int	rc;

	pthread_mutex_lock(&db->q_lock);
	/* a data error is an answer: no backoff (dblink.c) */
	t0 = (long)dk_now_ms();
	rc = dblink_query(&db->link, sql, params, nparams, fn, arg, err,
	    errlen);
	/* timed and counted: every host that failed on the way included */
	count_query(db, (long)dk_now_ms() - t0, rc != -1);
	if (rc == -1)
		snprintf(db->lasterr, sizeof(db->lasterr), "%s", err);
	__atomic_store_n(&db->down, rc == -1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&db->q_lock);
	return rc;
}

/* first_count - a COUNT(*) row into *arg */
static int
first_count(void *arg, int ncols, const char *const *values)
{
	if (ncols >= 1 && values[0] != NULL)
		*(long *)arg = strtol(values[0], NULL, 10);
	return 0;
}

/*
 * db_check - connect now and count the rows of both tables (dkimd -t).
 * 0 with the counts; -1 with *reached 0 when the server did not answer,
 * 1 when it answered but the tables could not be read.
 */
int
db_check(struct db *db, long *nkeys, long *nrules, int *reached, char *err,
    size_t errlen)
{
	void	*conn;
	int	rc = -1;

	*nkeys = *nrules = -1;
	*reached = 0;
	pthread_mutex_lock(&db->q_lock);
	if ((conn = dblink_conn(&db->link, err, errlen)) == NULL)
		goto out;
	*reached = 1;
	if (db->be->query(conn, "SELECT COUNT(*) FROM dkim_keys", NULL, 0,
	    first_count, nkeys, err, errlen) < 0 ||
	    db->be->query(conn, "SELECT COUNT(*) FROM dkim_signing", NULL,
	    0, first_count, nrules, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	pthread_mutex_unlock(&db->q_lock);
	return rc;
}

/* db_error - why the last query failed, into buf ("" when none did) */
void
db_error(struct db *db, char *buf, size_t size)
{
	pthread_mutex_lock(&db->q_lock);
	snprintf(buf, size, "%s", db->lasterr);
	pthread_mutex_unlock(&db->q_lock);
}

/* hash - a bucket index for s */
static size_t
hash(const char *s)
{
	return dk_name_hash(s, strlen(s)) % DB_BUCKETS;
}

/* dbkey_put - drop one reference (c_lock held, or sole owner) */
static void
dbkey_put(struct dbkey *k)
{
	if (k == NULL || --k->refs > 0)
		return;
	db_key_entry_clear(&k->e);
	free(k);
}

/* rules_free - free a dkim_signing answer; NULL is a no-op */
static void
rules_free(struct dbrules *r)
{
	size_t	i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		free(r->keyname[i]);
		free(r->identity[i]);
	}
	free(r);
}

/* centry_free - free a cache entry and drop what it holds */
static void
centry_free(struct centry *ce)
{
	dbkey_put(ce->key);
	rules_free(ce->rules);
	free(ce->name);
	free(ce);
}

/* cache_find - the entry for name, fresh or not, or NULL (c_lock held) */
static struct centry *
cache_find(struct cache *c, const char *name)
{
	struct centry *ce;

	for (ce = c->b[hash(name)]; ce != NULL; ce = ce->next)
		if (strcmp(ce->name, name) == 0)
			return ce;
	return NULL;
}

/* cache_sweep - drop expired entries, at most once a second (c_lock) */
static void
cache_sweep(struct cache *c, time_t now)
{
	struct centry **pp, *ce;
	size_t	i;

	if (c->swept == now)
		return;
	c->swept = now;
	for (i = 0; i < DB_BUCKETS; i++)
		for (pp = &c->b[i]; (ce = *pp) != NULL;) {
			if (ce->expires > now) {
				pp = &ce->next;
				continue;
			}
			*pp = ce->next;
			centry_free(ce);
			c->n--;
		}
}

/*
 * cache_put - insert ce in place of any entry for its name (c_lock
 * held); when the cache is full of live entries, one of them goes.
 */
static void
cache_put(struct cache *c, struct centry *ce, time_t now)
{
	struct centry **pp, *old;
	size_t	h = hash(ce->name), i;

	for (pp = &c->b[h]; (old = *pp) != NULL; pp = &old->next)
		if (strcmp(old->name, ce->name) == 0) {
			ce->next = old->next;
			*pp = ce;
			centry_free(old);
			return;
		}
	if (c->n >= DB_CACHE_MAX)
		cache_sweep(c, now);
	for (i = h; c->n >= DB_CACHE_MAX; i = (i + 1) % DB_BUCKETS)
		if ((old = c->b[i]) != NULL) {
			c->b[i] = old->next;
			centry_free(old);
			c->n--;
		}
	ce->next = c->b[h];
	c->b[h] = ce;
	c->n++;
}

/* cache_free - free every entry */
static void
cache_free(struct cache *c)
{
	struct centry *ce, *next;
	size_t	i;

	for (i = 0; i < DB_BUCKETS; i++)
		for (ce = c->b[i]; ce != NULL; ce = next) {
			next = ce->next;
			centry_free(ce);
		}
}

/* The candidate patterns of one address, and one IN query's answers. */
struct cands {
	size_t	n;
	char	name[DB_MAX_CANDS][DB_MAX_PATTERN];
};

struct in_rows {
	const char *name[DB_IN_PARAMS];
	struct dbrules *r[DB_IN_PARAMS];
	size_t	n;
};

/* rules_in_row - one dkim_signing row, filed under its pattern */
static int
rules_in_row(void *arg, int ncols, const char *const *v)
{
	struct in_rows *ir = arg;
	struct dbrules *r;
	size_t	i;

	if (ncols < 3 || v[0] == NULL || v[1] == NULL)
		return 0;
	for (i = 0; i < ir->n && strcasecmp(ir->name[i], v[0]) != 0; i++)
		;
	if (i == ir->n)
		return 0;
	if (ir->r[i] == NULL && (ir->r[i] = calloc(1, sizeof(*r))) == NULL)
		return -1;
	if ((r = ir->r[i])->n >= DB_MAX_RULES)
		return 0;
	if ((r->keyname[r->n] = strdup(v[1])) == NULL)
		return -1;
	if (v[2] != NULL && v[2][0] != '\0' &&
	    (r->identity[r->n] = strdup(v[2])) == NULL) {
		free(r->keyname[r->n]);
		return -1;
	}
	r->n++;
	return 0;
}

static void rules_ask(struct db *, struct in_rows *, int *);

/*
 * rules_one_by_one - after a data error on the query for several
 * patterns, ask for each alone: the one the server cannot compare (a
 * local part in a character set the table does not hold, say) must not
 * cost the others their answer. Rows already filed are dropped first.
 */
static void
rules_one_by_one(struct db *db, struct in_rows *ir, int *down)
{
	struct in_rows one;
	size_t	i;

	for (i = 0; i < ir->n; i++) {
		rules_free(ir->r[i]);
		ir->r[i] = NULL;
		memset(&one, 0, sizeof(one));
		one.name[0] = ir->name[i];
		one.n = 1;
		rules_ask(db, &one, down);
	}
}

/*
 * rules_ask - one IN query for the patterns ir->name[0..n), its answers
 * cached (absent ones, and ones the server refused as data, as negative
 * entries). On failure expired entries are reused a while, and *down is
 * set when a pattern has none.
 */
static void
rules_ask(struct db *db, struct in_rows *ir, int *down)
{
	const char *params[DB_IN_PARAMS];
	struct centry *ce;
	char	err[256];
	time_t	now = time(NULL);
	size_t	i;
	int	rc;

	for (i = 0; i < DB_IN_PARAMS; i++)
		params[i] = i < ir->n ? ir->name[i] : NULL;
	rc = db_query(db, sql_rules, params, DB_IN_PARAMS, rules_in_row, ir,
	    err, sizeof(err));
	if (rc == DB_DATA_ERROR && ir->n > 1) {
		rules_one_by_one(db, ir, down);
		return;
	}
	pthread_mutex_lock(&db->c_lock);
	for (i = 0; i < ir->n; i++) {
		if (rc == -1) {
			if ((ce = cache_find(&db->rules, ir->name[i])) == NULL)
				*down = 1;
			else if (ce->expires < now + DB_STALE_RETRY)
				ce->expires = now + DB_STALE_RETRY;
			rules_free(ir->r[i]);
		} else if ((ce = calloc(1, sizeof(*ce))) == NULL ||
		    (ce->name = strdup(ir->name[i])) == NULL) {
			free(ce);
			rules_free(ir->r[i]);
		} else {
			ce->expires = now + (time_t)db->ttl;
			ce->rules = ir->r[i];
			cache_put(&db->rules, ce, now);
		}
		ir->r[i] = NULL;
	}
	pthread_mutex_unlock(&db->c_lock);
}

/*
 * rules_fill - make sure every candidate has a cache entry: the ones
 * missing or expired are asked for DB_IN_PARAMS at a time, so a new
 * address costs one round trip to the database, not one per pattern.
 */
static void
rules_fill(struct db *db, const struct cands *c, int *down)
{
	struct in_rows ir;
	struct centry *ce;
	time_t	now = time(NULL);
	size_t	i;
	int	fresh;

	memset(&ir, 0, sizeof(ir));
	for (i = 0; i < c->n; i++) {
		pthread_mutex_lock(&db->c_lock);
		ce = cache_find(&db->rules, c->name[i]);
		fresh = ce != NULL && ce->expires > now;
		pthread_mutex_unlock(&db->c_lock);
		if (fresh)
			continue;
		ir.name[ir.n++] = c->name[i];
		if (ir.n == DB_IN_PARAMS) {
			rules_ask(db, &ir, down);
			ir.n = 0;
		}
	}
	if (ir.n > 0)
		rules_ask(db, &ir, down);
}

/* key_row - one dkim_keys row, parsed into a struct dbkey */
struct key_row {
	struct db *db;
	const char *name;
	struct dbkey *k;
	char	why[256];
};

/* key_row_fn - parse the (only) row of the key query */
static int
key_row_fn(void *arg, int ncols, const char *const *v)
{
	struct key_row *kr = arg;
	struct dbkey *k;

	if (ncols < 6 || kr->k != NULL)
		return 0;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return -1;
	if (db_key_entry(&k->e, kr->name, v, kr->db->safe_uid, kr->why,
	    sizeof(kr->why)) < 0) {
		free(k);		/* a bad key: as if absent */
		return 0;
	}
	k->e.file = kr->db->label;
	k->not_before = v[4] ? strtoll(v[4], NULL, 10) : 0;
	k->not_after = v[5] ? strtoll(v[5], NULL, 10) : 0;
	k->refs = 1;
	kr->k = k;
	return 0;
}

/*
 * fetch - the key cache entry for name, asking the database when it is
 * missing or expired. Returns the entry (c_lock held on return either
 * way), or NULL when there is none; *down is set to 1 when that is
 * because the database could not say.
 */
static struct centry *
fetch(struct db *db, const char *name, int *down)
{
	struct cache *c = &db->keys;
	struct centry *ce, *nce;
	struct key_row kr;
	const char *params[1] = { name };
	char	err[256];
	time_t	now = time(NULL);
	int	rc;

	pthread_mutex_lock(&db->c_lock);
	if ((ce = cache_find(c, name)) != NULL && ce->expires > now)
		return ce;
	pthread_mutex_unlock(&db->c_lock);

	memset(&kr, 0, sizeof(kr));
	kr.db = db;
	kr.name = name;
	rc = db_query(db, sql_key, params, 1, key_row_fn, &kr, err,
	    sizeof(err));

	pthread_mutex_lock(&db->c_lock);
	if (rc == DB_DATA_ERROR) {	/* an answer: no such key */
		dbkey_put(kr.k);
		kr.k = NULL;
	} else if (rc < 0) {
		dbkey_put(kr.k);
		if ((ce = cache_find(c, name)) != NULL &&
		    ce->expires < now + DB_STALE_RETRY)
			ce->expires = now + DB_STALE_RETRY;
		if (ce == NULL)
			*down = 1;
		return ce;
	}
	if ((nce = calloc(1, sizeof(*nce))) == NULL ||
	    (nce->name = strdup(name)) == NULL) {
		free(nce);
		dbkey_put(kr.k);
		*down = 1;
		return NULL;
	}
	nce->expires = now + (time_t)db->ttl;
	nce->key = kr.k;
	cache_put(c, nce, now);
	return nce;
}

/* lend - add the signer for key name keyname to out; returns the count */
static size_t
lend(struct db *db, const char *keyname, const char *identity,
    const char *fromdom, struct signer *out, size_t n, int *down)
{
	struct centry *ce;
	struct dbkey *k;
	struct signer *s = &out[n];
	time_t	now = time(NULL);
	size_t	o = 0;
	const char *p;

	ce = fetch(db, keyname, down);
	if (ce == NULL || (k = ce->key) == NULL ||
	    (k->not_before && now < k->not_before) ||
	    (k->not_after && now >= k->not_after)) {
		pthread_mutex_unlock(&db->c_lock);
		return n;
	}
	k->refs++;
	pthread_mutex_unlock(&db->c_lock);
	s->key = &k->e;
	snprintf(s->domain, sizeof(s->domain), "%s",
	    strcmp(k->e.domain, "%") == 0 ? fromdom : k->e.domain);
	s->identity[0] = '\0';
	for (p = identity; p != NULL && *p && o + 1 < sizeof(s->identity);
	    p++)
		o += (size_t)snprintf(s->identity + o, sizeof(s->identity) - o,
		    "%s", *p == '%' ? fromdom : (char[2]){ *p, '\0' });
	if (o >= sizeof(s->identity))
		s->identity[0] = '\0';
	return n + 1;
}

/*
 * try - add the signers of one candidate pattern (its cache entry made by
 * rules_fill(), fresh or reused); returns the count
 */
static size_t
try(struct db *db, const char *pattern, const char *fromdom,
    struct signer *out, size_t n, size_t max, int *down)
{
	char	 keyname[DB_MAX_RULES][256], ident[DB_MAX_RULES][512];
	int	 hasid[DB_MAX_RULES];
	struct centry *ce;
	size_t	 i, nr = 0;

	pthread_mutex_lock(&db->c_lock);
	ce = cache_find(&db->rules, pattern);
	for (i = 0; ce != NULL && ce->rules != NULL && i < ce->rules->n;
	    i++, nr++) {
		snprintf(keyname[nr], sizeof(keyname[nr]), "%s",
		    ce->rules->keyname[i]);
		hasid[nr] = ce->rules->identity[i] != NULL;
		snprintf(ident[nr], sizeof(ident[nr]), "%s",
		    hasid[nr] ? ce->rules->identity[i] : "");
	}
	pthread_mutex_unlock(&db->c_lock);
	for (i = 0; i < nr && n < max; i++)
		n = lend(db, keyname[i], hasid[i] ? ident[i] : NULL, fromdom,
		    out, n, down);
	return n;
}

/*
 * candidates - the patterns for address a (lower case) in the order of
 * opendkim.conf(5), SigningTable, as table.c tries a file: user@host,
 * host, user@.parent and .parent for each parent, user@*, *
 */
static void
candidates(const char *a, struct cands *c)
{
	const char *at = strrchr(a, '@'), *host = at + 1, *p;
	int	ul = (int)(at - a);

	c->n = 0;
#define CAND(...) do {							\
	if (c->n < DB_MAX_CANDS)					\
		snprintf(c->name[c->n++], DB_MAX_PATTERN, __VA_ARGS__);	\
} while (0)
	CAND("%s", a);
	CAND("%s", host);
	/* Two places kept for user@* and *, however deep the host. */
	for (p = strchr(host, '.'); p != NULL && c->n < DB_MAX_CANDS - 2;
	    p = strchr(p + 1, '.'))
		CAND("%.*s@%s", ul, a, p);
	for (p = strchr(host, '.'); p != NULL && c->n < DB_MAX_CANDS - 2;
	    p = strchr(p + 1, '.'))
		CAND("%s", p);
	CAND("%.*s@*", ul, a);
	CAND("*");
#undef CAND
}

/*
 * db_addr_ok - 1 when addr can be a lookup key: at most DB_MAX_ADDR
 * bytes of UTF-8 (RFC 3629 section 4: no overlong forms, no surrogates,
 * nothing above U+10FFFF) without control characters. Anything else is
 * no address (RFC 6531 allows UTF-8 in addresses, nothing else beyond
 * ASCII), and would only make a server refuse the query.
 */
int
db_addr_ok(const char *addr)
{
	const unsigned char *p = (const unsigned char *)addr;
	unsigned cp, min;
	int	 more;

	if (strlen(addr) > DB_MAX_ADDR)
		return 0;
	while (*p) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf)
			cp = *p & 0x1f, more = 1, min = 0x80;
		else if (*p >= 0xe0 && *p <= 0xef)
			cp = *p & 0x0f, more = 2, min = 0x800;
		else if (*p >= 0xf0 && *p <= 0xf4)
			cp = *p & 0x07, more = 3, min = 0x10000;
		else
			return 0;
		for (p++; more > 0; more--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff))
			return 0;
		if (cp >= 0x80 && cp <= 0x9f)	/* C1 controls */
			return 0;
	}
	return 1;
}

/* db_signers - the signatures to make for From address addr */
size_t
db_signers(struct db *db, const char *addr, struct signer *out, size_t max,
    int multiple, int *down)
{
	struct cands c;
	char	 a[512];
	size_t	 i, n = 0;

	*down = 0;
	if (db == NULL || max == 0 || !db_addr_ok(addr))
		return 0;		/* no query: no key can match */
	snprintf(a, sizeof(a), "%s", addr);
	util_lower(a);
	if (strrchr(a, '@') == NULL)
		return 0;
	if (!multiple)
		max = 1;
	candidates(a, &c);
	rules_fill(db, &c, down);
	for (i = 0; i < c.n && n < max; i++)
		n = try(db, c.name[i], strrchr(a, '@') + 1, out, n, max, down);
	return n;
}

/* db_release - give back the keys db_signers() lent to out[0..n) */
void
db_release(struct db *db, struct signer *out, size_t n)
{
	size_t	i;

	if (db == NULL)
		return;
	pthread_mutex_lock(&db->c_lock);
	for (i = 0; i < n; i++) {
		dbkey_put((struct dbkey *)(void *)out[i].key);
		out[i].key = NULL;
	}
	pthread_mutex_unlock(&db->c_lock);
}

/*
 * db_key_entry - fill e from a dkim_keys row (domain, selector,
 * private_key, key_path, ...): the PEM when there is one, else the file
 */
int
db_key_entry(struct keytab_entry *e, const char *name,
    const char *const *v, uid_t safe_uid, char *err, size_t errlen)
{
	const char *pem = v[2], *path = v[3];

	memset(e, 0, sizeof(*e));
	if (v[0] == NULL || v[1] == NULL || ((pem == NULL || *pem == '\0') &&
	    (path == NULL || *path == '\0'))) {
		snprintf(err, errlen, "key %s: no domain, selector or key",
		    name);
		return -1;
	}
	if ((e->name = strdup(name)) == NULL ||
	    (e->domain = strdup(v[0])) == NULL ||
	    (e->selector = strdup(v[1])) == NULL ||
	    (e->keypath = strdup(pem != NULL && *pem ? "(in the database)" :
	    path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	util_lower(e->domain);
	e->not_before = v[4] ? strtoll(v[4], NULL, 10) : 0;
	e->not_after = v[5] ? strtoll(v[5], NULL, 10) : 0;
	if (pem != NULL && *pem)
		e->key = dkim_key_load_pem(pem, strlen(pem), err, errlen);
	else
		e->key = table_key_read(path, safe_uid, err, errlen);
	if (e->key == NULL)
		goto fail;
	return 0;
fail:
	db_key_entry_clear(e);
	return -1;
}

/* db_key_entry_clear - free what db_key_entry() filled in */
void
db_key_entry_clear(struct keytab_entry *e)
{
	free(e->name);
	free(e->domain);
	free(e->selector);
	free(e->keypath);
	dkim_key_free(e->key);
	memset(e, 0, sizeof(*e));
}

/* db_close - free the handle, its connection and caches; NULL is a no-op */
void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	dblink_close(&db->link);
	cache_free(&db->keys);
	cache_free(&db->rules);
	pthread_mutex_destroy(&db->q_lock);
	pthread_mutex_destroy(&db->c_lock);
	free(db->u.user);
	if (db->u.password != NULL)
		explicit_bzero(db->u.password, strlen(db->u.password));
	free(db->u.password);
	free(db->u.dbname);
	free(db->label);
	free(db);
}
