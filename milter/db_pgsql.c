/*
 * db_pgsql.c - the PostgreSQL back end of db.c (libpq)
 *
 * db.c writes its statements with '?' placeholders; they are rewritten
 * here as $1, $2, ... and prepared once per connection under the names
 * s0, s1, ... (a table keyed by the address of the SQL text; beyond
 * DB_PG_STMTS a statement is run unprepared). Parameters and results
 * are text. The connection is used by one thread at a time (db.c holds
 * its q_lock); a connection that libpq reports bad, or a server that
 * does not answer within the name's timeout= (libpq's connect_timeout
 * to connect, then a poll() deadline per statement), makes the query
 * fail, and db.c closes the connection; a data error (SQLSTATE class 22) is returned
 * as DB_DATA_ERROR and the connection kept.
 * Without libpq-fe.h (configure: HAVE_LIBPQ undefined) the back end is
 * DBLIB_ABSENT (dblib.h): a table of its kind is refused, saying why.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "dblib.h"

#ifndef HAVE_LIBPQ	/* left out: DB_PGSQL_ABSENT says why */
DBLIB_ABSENT(db_pgsql, "postgresql", "PostgreSQL", DB_PGSQL_ABSENT)
#else /* HAVE_LIBPQ */
#include <libpq-fe.h>

/* libpq, loaded when the first PostgreSQL table is opened (dblib.h) */
#define PQ_FUNCS(X) \
	X(PQclear) X(PQconnectdbParams) X(PQconsumeInput) \
	X(PQerrorMessage) X(PQfinish) X(PQgetResult) X(PQgetisnull) \
	X(PQgetvalue) X(PQisBusy) X(PQnfields) X(PQntuples) \
	X(PQresultErrorField) X(PQresultErrorMessage) X(PQresultStatus) \
	X(PQsendPrepare) \
	X(PQsendQueryParams) X(PQsendQueryPrepared) X(PQsocket) \
	X(PQstatus)
#define DBLIB_OBJ	pq
DBLIB_DEFINE(PQ_FUNCS, "libpq.so.5", "PostgreSQL", "libpq5")

#define DB_PG_STMTS	16
#define DB_PG_COLS	16
#define DB_PG_SQL	4096		/* bytes of one rewritten statement */
struct pg_conn {
	PGconn	*h;
	long	wait_ms;		/* for the answer to a statement */
	const char *sql[DB_PG_STMTS];
};

/* pg_disconnect - close the connection */
static void
pg_disconnect(void *arg)
{
	struct pg_conn *c = arg;

	if (c == NULL)
		return;
	pq.PQfinish(c->h);
	free(c);
}

/* pg_connect - connect with the parts of the name as keywords */
static void *
pg_connect(const struct db_uri *u, char *err, size_t errlen)
{
	const char *kw[9], *val[9];
	char	port[16], timeout[16];
	struct pg_conn *c;
	int	n = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	kw[n] = "host", val[n++] = u->host;
	kw[n] = "user", val[n++] = u->user;
	kw[n] = "dbname", val[n++] = u->dbname;
	/* libpq waits at least 2 s, and this long for each address */
	snprintf(timeout, sizeof(timeout), "%u", u->timeout);
	kw[n] = "connect_timeout", val[n++] = timeout;
	/* addresses are UTF-8 (RFC 6531): the server converts, or refuses
	 * what its encoding lacks (SQLSTATE 22P05, a data error) */
	kw[n] = "client_encoding", val[n++] = "UTF8";
	if (u->password != NULL)
		kw[n] = "password", val[n++] = u->password;
	if (u->port) {
		snprintf(port, sizeof(port), "%u", u->port);
		kw[n] = "port", val[n++] = port;
	}
	kw[n] = NULL, val[n] = NULL;
	c->wait_ms = (long)u->timeout * 1000;
	c->h = pq.PQconnectdbParams(kw, val, 0);
	if (c->h == NULL || pq.PQstatus(c->h) != CONNECTION_OK) {
		snprintf(err, errlen, "postgresql: %.*s", 200,
		    c->h ? pq.PQerrorMessage(c->h) : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		pg_disconnect(c);
		return NULL;
	}
	return c;
}

/* pg_rewrite - sql with each '?' as $N into buf; -1 when too long */
static int
pg_rewrite(const char *sql, char *buf, size_t size)
{
	size_t	o = 0;
	int	n = 0, w;

	for (; *sql; sql++) {
		if (*sql == '?')
			w = snprintf(buf + o, size - o, "$%d", ++n);
		else
			w = snprintf(buf + o, size - o, "%c", *sql);
		if (w < 0 || (size_t)w >= size - o)
			return -1;
		o += (size_t)w;
	}
	return 0;
}

/*
 * pg_wait - the result of the command sent, waiting at most c->wait_ms
 * for the server (a server that stops answering must not hold dkimd's
 * threads: db.c then disconnects and backs off). NULL with err on
 * time-out or a broken connection.
 */
static PGresult *
pg_wait(struct pg_conn *c, int sent, char *err, size_t errlen)
{
	struct pollfd pfd;
	struct timespec now;
	PGresult *r, *extra;
	long	deadline, left;
	int	rc;

	if (!sent)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec * 1000L + now.tv_nsec / 1000000 + c->wait_ms;
	pfd.fd = pq.PQsocket(c->h);
	pfd.events = POLLIN;
	while (pq.PQisBusy(c->h)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline - (now.tv_sec * 1000L + now.tv_nsec / 1000000);
		if (left <= 0) {
			snprintf(err, errlen, "postgresql: no answer in %ld ms",
			    c->wait_ms);
			return NULL;
		}
		if ((rc = poll(&pfd, 1, (int)left)) < 0 && errno != EINTR)
			goto fail;
		if (rc > 0 && !pq.PQconsumeInput(c->h))
			goto fail;
	}
	r = pq.PQgetResult(c->h);
	while ((extra = pq.PQgetResult(c->h)) != NULL)
		pq.PQclear(extra);
	if (r != NULL)
		return r;
fail:
	snprintf(err, errlen, "postgresql: %.*s", 200, pq.PQerrorMessage(c->h));
	err[strcspn(err, "\n")] = '\0';
	return NULL;
}

/* pg_exec - run sql, prepared when there is room; the result */
static PGresult *
pg_exec(struct pg_conn *c, const char *sql, const char *const *params,
    int nparams, char *err, size_t errlen)
{
	char	text[DB_PG_SQL], name[16];
	PGresult *r;
	int	i;

	if (pg_rewrite(sql, text, sizeof(text)) < 0) {
		snprintf(err, errlen, "postgresql: statement too long");
		return NULL;
	}
	for (i = 0; i < DB_PG_STMTS && c->sql[i] != NULL; i++)
		if (c->sql[i] == sql)
			break;
	if (i == DB_PG_STMTS)
		return pg_wait(c, pq.PQsendQueryParams(c->h, text, nparams, NULL,
		    params, NULL, NULL, 0), err, errlen);
	snprintf(name, sizeof(name), "s%d", i);
	if (c->sql[i] == NULL) {
		r = pg_wait(c, pq.PQsendPrepare(c->h, name, text, nparams, NULL),
		    err, errlen);
		if (r == NULL || pq.PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		pq.PQclear(r);
		c->sql[i] = sql;
	}
	return pg_wait(c, pq.PQsendQueryPrepared(c->h, name, nparams, params,
	    NULL, NULL, 0), err, errlen);
}

/*
 * pg_data_error - 1 when r is the server refusing a value: SQLSTATE
 * class 22, "data exception" (22021 a byte sequence not valid in the
 * encoding, 22P05 a character the database's encoding lacks, 22001 too
 * long, ...). The connection is sound after it.
 */
static int
pg_data_error(const PGresult *r)
{
	const char *state = pq.PQresultErrorField(r, PG_DIAG_SQLSTATE);

	return state != NULL && strncmp(state, "22", 2) == 0;
}

/* pg_query - run sql with text parameters, fn once per row */
static int
pg_query(void *arg, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *fnarg, char *err, size_t errlen)
{
	struct pg_conn *c = arg;
	const char *vals[DB_PG_COLS];
	PGresult *r;
	int	i, row, n, rc = -1;

	if ((r = pg_exec(c, sql, params, nparams, err, errlen)) == NULL)
		return -1;
	if (pq.PQresultStatus(r) != PGRES_TUPLES_OK &&
	    pq.PQresultStatus(r) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "postgresql: %.*s", 200,
		    pq.PQresultErrorMessage(r));
		err[strcspn(err, "\n")] = '\0';
		if (pg_data_error(r))
			rc = DB_DATA_ERROR;
		goto out;
	}
	n = pq.PQnfields(r) > DB_PG_COLS ? DB_PG_COLS : pq.PQnfields(r);
	for (row = 0; row < pq.PQntuples(r); row++) {
		for (i = 0; i < n; i++)
			vals[i] = pq.PQgetisnull(r, row, i) ? NULL :
			    pq.PQgetvalue(r, row, i);
		if (fn != NULL && fn(fnarg, n, vals) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	pq.PQclear(r);
	return rc;
}

const struct db_backend db_pgsql = {
	"postgresql", pg_connect, pg_query, pg_disconnect,
	dblib_load_this,
	/* what libpq's target_session_attrs=read-write asks */
	"SELECT current_setting('transaction_read_only')"
};
#endif /* HAVE_LIBPQ */
