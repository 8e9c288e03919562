/*
 * db_sqlite.c - the SQLite back end of db.c (libsqlite3)
 *
 * The database file is opened read-only for dkimd and read-write (and
 * created) for dkimtool (DB_RW). Statements are prepared once per
 * connection and kept in a small table keyed by the address of their SQL
 * text; statements beyond DB_SQLITE_STMTS are prepared for one use. A
 * busy database (another process writing) is waited for up to
 * DB_SQLITE_BUSY_MS. The connection is used by one thread at a time
 * (db.c holds its q_lock).
 * Without sqlite3.h (configure: HAVE_SQLITE3 undefined) the back end is
 * DBLIB_ABSENT (dblib.h): a table of its kind is refused, saying why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dblib.h"

#ifndef HAVE_SQLITE3	/* left out: DB_SQLITE_ABSENT says why */
DBLIB_ABSENT(db_sqlite, "sqlite", "SQLite", DB_SQLITE_ABSENT)
#else /* HAVE_SQLITE3 */
#include <sqlite3.h>

/* libsqlite3, loaded when the first SQLite table is opened (dblib.h) */
#define SQ_FUNCS(X) \
	X(sqlite3_bind_null) X(sqlite3_bind_text) X(sqlite3_busy_timeout) \
	X(sqlite3_clear_bindings) X(sqlite3_close) \
	X(sqlite3_column_count) X(sqlite3_column_text) X(sqlite3_errmsg) \
	X(sqlite3_finalize) X(sqlite3_open_v2) X(sqlite3_prepare_v2) \
	X(sqlite3_reset) X(sqlite3_step)
#define DBLIB_OBJ	sq
DBLIB_DEFINE(SQ_FUNCS, "libsqlite3.so.0", "SQLite", "libsqlite3-0")

#define DB_SQLITE_STMTS		16
#define DB_SQLITE_BUSY_MS	2000
#define DB_SQLITE_COLS		16

struct sqlite_conn {
	sqlite3	*h;
	const char *sql[DB_SQLITE_STMTS];
	sqlite3_stmt *st[DB_SQLITE_STMTS];
};

/* sqlite_disconnect - finalize the statements and close */
static void
sqlite_disconnect(void *arg)
{
	struct sqlite_conn *c = arg;
	int	i;

	if (c == NULL)
		return;
	for (i = 0; i < DB_SQLITE_STMTS; i++)
		sq.sqlite3_finalize(c->st[i]);
	sq.sqlite3_close(c->h);
	free(c);
}

/* sqlite_connect - open the database file */
static void *
sqlite_connect(const struct db_uri *u, char *err, size_t errlen)
{
	struct sqlite_conn *c;
	int	flags = u->flags & DB_RW ?
	    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (sq.sqlite3_open_v2(u->dbname, &c->h, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite:%s: %s", u->dbname,
		    c->h ? sq.sqlite3_errmsg(c->h) : "out of memory");
		sqlite_disconnect(c);
		return NULL;
	}
	sq.sqlite3_busy_timeout(c->h, DB_SQLITE_BUSY_MS);
	return c;
}

/* sqlite_stmt - the prepared statement for sql; *once: finalize after */
static sqlite3_stmt *
sqlite_stmt(struct sqlite_conn *c, const char *sql, int *once)
{
	sqlite3_stmt *st = NULL;
	int	i;

	*once = 0;
	for (i = 0; i < DB_SQLITE_STMTS && c->sql[i] != NULL; i++)
		if (c->sql[i] == sql) {
			sq.sqlite3_reset(c->st[i]);
			sq.sqlite3_clear_bindings(c->st[i]);
			return c->st[i];
		}
	if (sq.sqlite3_prepare_v2(c->h, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (i == DB_SQLITE_STMTS) {
		*once = 1;
		return st;
	}
	c->sql[i] = sql;
	c->st[i] = st;
	return st;
}

/* sqlite_query - run sql with text parameters, fn once per row */
static int
sqlite_query(void *arg, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *fnarg, char *err, size_t errlen)
{
	struct sqlite_conn *c = arg;
	const char *vals[DB_SQLITE_COLS];
	sqlite3_stmt *st;
	int	i, n, rc, once, status = -1;

	if ((st = sqlite_stmt(c, sql, &once)) == NULL) {
		snprintf(err, errlen, "sqlite: %s", sq.sqlite3_errmsg(c->h));
		return -1;
	}
	for (i = 0; i < nparams; i++)
		if ((params[i] == NULL ? sq.sqlite3_bind_null(st, i + 1) :
		    sq.sqlite3_bind_text(st, i + 1, params[i], -1,
		    SQLITE_TRANSIENT)) != SQLITE_OK)
			goto fail;
	n = sq.sqlite3_column_count(st);
	if (n > DB_SQLITE_COLS)
		n = DB_SQLITE_COLS;
	while ((rc = sq.sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			vals[i] = (const char *)sq.sqlite3_column_text(st, i);
		if (fn != NULL && fn(fnarg, n, vals) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	}
	if (rc != SQLITE_DONE)
		goto fail;
	status = 0;
	goto out;
fail:
	snprintf(err, errlen, "sqlite: %s", sq.sqlite3_errmsg(c->h));
out:
	if (once)
		sq.sqlite3_finalize(st);
	else
		sq.sqlite3_reset(st);
	return status;
}

const struct db_backend db_sqlite = {
	"sqlite", sqlite_connect, sqlite_query, sqlite_disconnect,
	dblib_load_this, NULL	/* one writer: the file */
};
#endif /* HAVE_SQLITE3 */
