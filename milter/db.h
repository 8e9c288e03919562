/*
 * db.h - KeyTable and SigningTable in a database (SQLite, MariaDB/MySQL,
 *	PostgreSQL), looked up on demand through a TTL cache
 *
 * SYNOPSIS
 *	db_is_uri(spec)				1 for a database name
 *	db_open(uri, flags, safe_uid, err, errlen)	no connection yet
 *	db_signers(db, addr, out, max, multiple, down)	as table_signers()
 *	db_release(db, out, n)			drop what db_signers() lent
 *	db_query(db, sql, params, n, fn, arg, err, errlen)
 *	db_error(db, buf, size)			why the last query failed
 *	db_close(db)
 *
 * CONTRACT
 *	Names: "sqlite:/path", "mysql://user[:password]@hosts/db",
 *	"postgresql://user[:password]@hosts/db" ("postgres://" too), where
 *	hosts is "host[:port]" or a list of them separated by commas (a
 *	primary and its replicas, tried in order: dblink.h).
 *	Parameters after '?', separated by '&': "password_file=/path" (the
 *	password is the file's first line), "ttl=SECONDS" (cache time to
 *	live, default DB_TTL_DEFAULT, 0 to 86400), "timeout=SECONDS" (to
 *	connect, and for the answer to a statement, default
 *	DB_TIMEOUT_DEFAULT, 1 to 300), "failback=SECONDS" (how often the
 *	hosts before the one in use are tried again, default
 *	DB_FAILBACK_DEFAULT, 1 to 86400), "target_session_attrs=any" or
 *	"=read-write" (only a host that takes writes; DB_RW implies it for
 *	the servers). The schema is
 *	etc/schema/ (sqlite.sql, mysql.sql, pgsql.sql): tables dkim_keys and
 *	dkim_signing.
 *
 *	db_open() parses the name only: the connection is made on the first
 *	query, so dkimd starts with the database down. After a failure the
 *	connection is closed and its host not tried again for a backoff
 *	that doubles from 1 to DB_BACKOFF_MAX seconds; the next host of the
 *	list, if any, gets the statement at once.
 *
 *	db_signers() tries the From address as table_signers() does for a
 *	file: table (user@host, host, user@.parent, .parent, user@*, *).
 *	The patterns not in the cache are asked for in one query
 *	("pattern IN (...)" on dkim_signing, 16 at a time) and each is
 *	cached, found or not; each key name found is one cached query on
 *	dkim_keys. Patterns are compared as stored: keep them lower case.
 *	An address that cannot be a lookup key (db_addr_ok(): not UTF-8,
 *	a control character, over DB_MAX_ADDR bytes) gets no signer and
 *	no query. A data error from the server (DB_DATA_ERROR) is an
 *	answer: the patterns of a query refused that way are asked for one
 *	by one, and the ones still refused are cached as having no rule;
 *	the connection stays and there is no backoff.
 *	Only keys in state "active", within not_before/not_after, sign. Answers, the
 *	negative ones included, are cached for the TTL; a parsed key is
 *	cached with its row. When the database cannot answer, an expired
 *	entry is used again (for DB_STALE_RETRY seconds at a time) and an
 *	address never seen gets no signer, with *down set to 1 (else 0):
 *	the caller's On-KeyNotFound path.
 *	Any number of threads may call db_signers() at once.
 *
 *	db_query() is for dkimtool: one statement with '?' placeholders
 *	(text parameters, NULL for SQL NULL); fn(arg, ncols, values) once
 *	per row (values[i] NULL for SQL NULL). Returns 0, or -1 (or
 *	DB_DATA_ERROR) with err.
 *
 * OWNERSHIP
 *	db_signers() lends each out[i].key (a reference) until db_release()
 *	for the same signers; the db must outlive them. db_close() frees the
 *	handle, its connection and its cache; NULL is a no-op.
 */
#ifndef DB_H
#define DB_H

#include <stddef.h>
#include <sys/types.h>

#include "table.h"

#define DB_TTL_DEFAULT	300		/* seconds */
#define DB_BACKOFF_MAX	60		/* seconds between reconnections */
#define DB_STALE_RETRY	10		/* seconds an expired entry is reused */
#define DB_CACHE_MAX	200000		/* entries in each cache */
#define DB_MAX_RULES	8		/* dkim_signing rows per pattern */
#define DB_MAX_VALUE	65536		/* bytes of one column value */

#define DB_MAX_ADDR	320		/* bytes of a From address looked up:
					 * 64 local + '@' + 255 (RFC 5321
					 * 4.5.3.1) */
#define DB_DATA_ERROR	(-2)		/* query(): the server refused a value */

/* query time histogram bounds (ms); one more bucket above the last */
#define DB_LATENCY_LE	{ 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, \
	5000 }
#define DB_NLE		12

/*
 * db_stats() - for monitoring, without waiting for a query in progress:
 * up is 0 from a failed query (or connection) to the next answer; a
 * data error is an answer. Times are of the back end's connect (when
 * one is needed) and query calls; a failed connection counts as a
 * failed query.
 */
struct db_stats {
	int	up;
	unsigned long answered, failed;		/* queries */
	unsigned long lat[DB_NLE + 1];		/* per bucket, not cumulative */
	unsigned long lat_ms_sum;
	size_t	keys_cached;			/* dkim_keys rows cached */
};

#define DB_RW		1		/* db_open(): read-write (dkimtool) */
#define DB_PRIMARY	2		/* only a host that takes writes */
#define DB_TIMEOUT_DEFAULT 5		/* seconds to connect, to answer */

struct db;

/* db_row_fn - one row of a result; values[i] NULL for SQL NULL */
typedef int (*db_row_fn)(void *arg, int ncols, const char *const *values);

int	db_is_uri(const char *spec);
/* db_addr_ok - 1 when addr can be a lookup key (db_signers()) */
int	db_addr_ok(const char *addr);
/* db_check - connect now and count both tables' rows (dkimd -t); 0, or
 * -1 with *reached telling whether the server answered */
int	db_check(struct db *, long *nkeys, long *nrules, int *reached,
	    char *err, size_t errlen);
struct db *db_open(const char *uri, int flags, uid_t safe_uid, char *err,
	    size_t errlen);
size_t	db_signers(struct db *, const char *addr, struct signer *out,
	    size_t max, int multiple, int *down);
void	db_release(struct db *, struct signer *out, size_t n);
int	db_query(struct db *, const char *sql, const char *const *params,
	    int nparams, db_row_fn fn, void *arg, char *err, size_t errlen);
const char *db_scheme(const struct db *);	/* "sqlite", "mysql", ... */

/*
 * Passwords are never shown: db_label() is the name of an open handle
 * without its password; db_redact() makes such a name of any spec, also
 * one that does not parse (every message that names a table uses one of
 * them). db_secret_warning() says when the password may be read by
 * others (in a name in file conf, or in its password_file).
 */
const char *db_label(const struct db *);
void	db_redact(const char *spec, char *buf, size_t size);
int	db_secret_warning(const struct db *, const char *conf, char *buf,
	    size_t size);
unsigned db_ttl(const struct db *);	/* cache seconds (ttl=) */
void	db_error(struct db *, char *buf, size_t size);	/* the last failure */
void	db_stats(struct db *, struct db_stats *);
void	db_close(struct db *);

/* db_key_entry - parse a dkim_keys row into a keytab entry; -1, why */
int	db_key_entry(struct keytab_entry *e, const char *name,
	    const char *const *row, uid_t safe_uid, char *err, size_t errlen);
void	db_key_entry_clear(struct keytab_entry *e);

/*
 * The back ends (db_sqlite.c, db_mysql.c, db_pgsql.c). connect() returns
 * a connection to u->host (one host) within u->timeout seconds, or NULL
 * with err; query() runs sql with '?' placeholders,
 * preparing it once per connection (sql is a constant: its address is
 * the key of the prepared statement) within u->timeout seconds (a server
 * that does not answer is a failure), and returns 0, or -1 with err,
 * after which db.c disconnects, or DB_DATA_ERROR with err when the
 * server answered that a parameter is not a value it can compare (a
 * data error: PostgreSQL SQLSTATE class 22, MariaDB's errors for bad
 * strings and collations): an answer, "no row", not an outage; the
 * connection stays. load() is called first, by db_open(); a back end
 * that configure left out (no headers, or --without-NAME) has only a
 * load() that fails with dblib_absent()'s message, so a table of its
 * kind is a configuration error.
 */
struct db_uri {
	char	*scheme;
	char	*user;
	char	*password;
	char	*host;
	unsigned port;			/* 0: the default */
	char	*dbname;		/* sqlite: the path */
	int	flags;			/* DB_RW, DB_PRIMARY */
	unsigned timeout;		/* seconds: connect, statement */
};

struct db_backend {
	const char *scheme;
	void	*(*connect)(const struct db_uri *, char *err, size_t errlen);
	int	(*query)(void *conn, const char *sql,
		    const char *const *params, int nparams, db_row_fn fn,
		    void *arg, char *err, size_t errlen);
	void	(*disconnect)(void *conn);
	int	(*load)(char *err, size_t errlen);	/* its library */
	/* one row, one column: "off" or "0" on a host that takes writes */
	const char *sql_read_only;
};

extern const struct db_backend db_sqlite;
extern const struct db_backend db_mysql;
extern const struct db_backend db_pgsql;

#endif /* DB_H */
