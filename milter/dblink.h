/*
 * dblink.h - the connection of a database table: several hosts tried in
 *	order, each with a backoff of its own, and the way back to the first
 *
 * SYNOPSIS
 *	dblink_hosts(l, list, err, errlen)	"h1[:p1],h2[:p2],..." into l
 *	dblink_label(l, buf, size)		the list as it may be shown
 *	dblink_conn(l, err, errlen)		the connection, made when needed
 *	dblink_query(l, sql, params, n, fn, arg, err, errlen)
 *	dblink_close(l)
 *	dblink_set_report(fn, arg)		where fail-overs are told
 *
 * CONTRACT
 *	A name may list up to DB_MAX_HOSTS servers (a primary and its
 *	replicas): "host", "host:port" or "[IPv6]:port", separated by
 *	commas, as libpq reads a multi-host URI. The caller sets l->be,
 *	l->u (whose host and port are ignored: each attempt copies u and
 *	puts one host in it) and l->label (the name without its password) and serializes every call on one dblink.
 *
 *	A connection is made to the first host, in the name's order, that
 *	is not backing off, and that, when l->u->flags has DB_PRIMARY,
 *	answers that it takes writes (the back end's sql_read_only: "off"
 *	or "0"; a replica is read-only). A host that fails (no connection,
 *	or a statement that gets no answer within the back end's time-out)
 *	is not tried again for a backoff that doubles from 1 to
 *	DB_BACKOFF_MAX seconds, and the statement goes to the next host at
 *	once: a message waits at most one time-out per host that fails.
 *	A statement of a DB_RW link is not sent again after a failure
 *	(the server may have done it): only the connection moves on.
 *	While connected to a host after the first, the hosts before it are
 *	tried again every l->failback seconds (their backoff permitting),
 *	and the link moves back to the first of them that answers; until
 *	then the current connection stays.
 *
 *	A fail-over is told through the function dblink_set_report() gave
 *	(the daemon logs it; the default tells no one): a host that failed
 *	while the name lists others ("NAME: HOST: why; the next host is
 *	tried"), a connection made to a host after the first ("NAME: now
 *	on HOST"), and the way back ("NAME: back on HOST"). A host that
 *	fails backs off, so each is told at most once a backoff.
 *
 *	dblink_query() returns 0, DB_DATA_ERROR (an answer: the connection
 *	stays), or -1 with err; for a name with several hosts err starts
 *	with the host that failed. With DB_PRIMARY and every host that
 *	answered a replica, err says that only replicas answer.
 *
 * OWNERSHIP
 *	The host names are the link's; dblink_close() frees them and closes
 *	the connection (a zeroed link is a no-op). be and u are borrowed.
 */
#ifndef DBLINK_H
#define DBLINK_H

#include <stddef.h>
#include <time.h>

#include "db.h"

#define DB_MAX_HOSTS	8		/* servers in one name */
#define DB_FAILBACK_DEFAULT 30		/* seconds before the first again */

struct dblink_host {
	char	*name;			/* NULL: no host (sqlite) */
	unsigned port;			/* 0: the default */
	unsigned fails;			/* in a row */
	time_t	retry_at;		/* not tried before */
};

struct dblink {
	const struct db_backend *be;
	const struct db_uri *u;
	const char *label;		/* the name, for messages */
	struct dblink_host host[DB_MAX_HOSTS];
	size_t	n;			/* hosts; 1 for sqlite (name NULL) */
	size_t	cur;			/* the host of conn */
	unsigned failback;		/* seconds */
	time_t	back_at;		/* next try of the hosts before cur */
	void	*conn;
};

/* a conf_report_fn: one line; dblink always sets warn */
typedef void (*dblink_report_fn)(void *arg, int warn, const char *msg);

void	dblink_set_report(dblink_report_fn fn, void *arg);
int	dblink_hosts(struct dblink *, const char *list, char *err,
	    size_t errlen);
void	dblink_label(const struct dblink *, char *buf, size_t size);
void	*dblink_conn(struct dblink *, char *err, size_t errlen);
int	dblink_query(struct dblink *, const char *sql,
	    const char *const *params, int nparams, db_row_fn fn, void *arg,
	    char *err, size_t errlen);
void	dblink_close(struct dblink *);

#endif /* DBLINK_H */
