/*
 * db_mysql.c - the MariaDB/MySQL back end of db.c (libmariadb)
 *
 * Statements are server-side prepared statements (mysql_stmt_*), kept
 * per connection in a small table keyed by the address of their SQL text
 * (beyond DB_MY_STMTS a statement is prepared for one use). Parameters
 * are bound as strings; each result is stored whole, its columns fetched
 * as strings into buffers sized from the longest value (at most
 * DB_MAX_VALUE bytes). The connection is used by one thread at a time
 * (db.c holds its q_lock). Connect, read and write time-outs are the
 * name's timeout= seconds, so a server that stops answering costs that
 * long once, then its backoff (dblink.c). A statement refused for a value
 * (my_data_error()) is DB_DATA_ERROR: the connection is kept.
 * Without mysql.h (configure: HAVE_MARIADB undefined) the back end is
 * DBLIB_ABSENT (dblib.h): a table of its kind is refused, saying why.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dblib.h"

#ifndef HAVE_MARIADB	/* left out: DB_MARIADB_ABSENT says why */
DBLIB_ABSENT(db_mysql, "mysql", "MariaDB", DB_MARIADB_ABSENT)
#else /* HAVE_MARIADB */
#include <mysql.h>
#include <mysqld_error.h>

/* libmariadb, loaded when the first MariaDB table is opened (dblib.h) */
#define MY_FUNCS(X) \
	X(mysql_close) X(mysql_error) X(mysql_fetch_fields) \
	X(mysql_free_result) X(mysql_init) X(mysql_num_fields) \
	X(mysql_options) X(mysql_real_connect) X(mysql_set_character_set) \
	X(mysql_stmt_attr_set) X(mysql_stmt_bind_param) \
	X(mysql_stmt_bind_result) X(mysql_stmt_close) X(mysql_stmt_errno) \
	X(mysql_stmt_error) X(mysql_stmt_execute) X(mysql_stmt_fetch) \
	X(mysql_stmt_free_result) X(mysql_stmt_init) \
	X(mysql_stmt_param_count) X(mysql_stmt_prepare) \
	X(mysql_stmt_result_metadata) X(mysql_stmt_store_result)
#define DBLIB_OBJ	my
DBLIB_DEFINE(MY_FUNCS, "libmariadb.so.3", "MariaDB", "libmariadb3")

#define DB_MY_STMTS	16
#define DB_MY_COLS	16
#define DB_MY_PARAMS	16

struct my_conn {
	MYSQL	*h;
	const char *sql[DB_MY_STMTS];
	MYSQL_STMT *st[DB_MY_STMTS];
};

/* my_disconnect - close the statements and the connection */
static void
my_disconnect(void *arg)
{
	struct my_conn *c = arg;
	int	i;

	if (c == NULL)
		return;
	for (i = 0; i < DB_MY_STMTS; i++)
		if (c->st[i] != NULL)
			my.mysql_stmt_close(c->st[i]);
	if (c->h != NULL)
		my.mysql_close(c->h);
	free(c);
}

/* my_connect - connect over TCP with time-outs */
static void *
my_connect(const struct db_uri *u, char *err, size_t errlen)
{
	unsigned timeout = u->timeout, proto = MYSQL_PROTOCOL_TCP;
	struct my_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->h = my.mysql_init(NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(c);
		return NULL;
	}
	my.mysql_options(c->h, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	my.mysql_options(c->h, MYSQL_OPT_READ_TIMEOUT, &timeout);
	my.mysql_options(c->h, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	my.mysql_options(c->h, MYSQL_OPT_PROTOCOL, &proto);
	if (my.mysql_real_connect(c->h, u->host, u->user, u->password,
	    u->dbname, u->port, NULL, 0) == NULL) {
		snprintf(err, errlen, "mysql: %s", my.mysql_error(c->h));
		my_disconnect(c);
		return NULL;
	}
	my.mysql_set_character_set(c->h, "utf8mb4");
	return c;
}

/* my_stmt - the prepared statement for sql; *once: close after use */
static MYSQL_STMT *
my_stmt(struct my_conn *c, const char *sql, int *once, char *err,
    size_t errlen)
{
	MYSQL_STMT *st;
	int	i;

	*once = 0;
	for (i = 0; i < DB_MY_STMTS && c->sql[i] != NULL; i++)
		if (c->sql[i] == sql)
			return c->st[i];
	if ((st = my.mysql_stmt_init(c->h)) == NULL) {
		snprintf(err, errlen, "mysql: %s", my.mysql_error(c->h));
		return NULL;
	}
	if (my.mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		snprintf(err, errlen, "mysql: %s", my.mysql_stmt_error(st));
		my.mysql_stmt_close(st);
		return NULL;
	}
	if (i == DB_MY_STMTS) {
		*once = 1;
		return st;
	}
	c->sql[i] = sql;
	c->st[i] = st;
	return st;
}

/* my_bind_params - bind the text parameters */
static int
my_bind_params(MYSQL_STMT *st, const char *const *params, int nparams,
    MYSQL_BIND *b, unsigned long *len, char *isnull)
{
	int	i;

	if (nparams > DB_MY_PARAMS ||
	    (int)my.mysql_stmt_param_count(st) != nparams)
		return -1;
	memset(b, 0, sizeof(*b) * (size_t)nparams);
	for (i = 0; i < nparams; i++) {
		isnull[i] = params[i] == NULL;
		len[i] = params[i] ? strlen(params[i]) : 0;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = (void *)(params[i] ? params[i] : "");
		b[i].buffer_length = len[i];
		b[i].length = &len[i];
		b[i].is_null = (void *)&isnull[i];
	}
	return nparams ? (my.mysql_stmt_bind_param(st, b) ? -1 : 0) : 0;
}

/* my_rows - fetch the stored result as strings, fn once per row */
static int
my_rows(MYSQL_STMT *st, MYSQL_RES *meta, db_row_fn fn, void *fnarg)
{
	MYSQL_BIND b[DB_MY_COLS];
	MYSQL_FIELD *f = my.mysql_fetch_fields(meta);
	unsigned long len[DB_MY_COLS];
	char	isnull[DB_MY_COLS], *buf[DB_MY_COLS];
	const char *vals[DB_MY_COLS];
	int	i, n = (int)my.mysql_num_fields(meta), rc = -1, r;

	if (n > DB_MY_COLS)
		n = DB_MY_COLS;
	memset(b, 0, sizeof(b));
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < n; i++) {
		size_t sz = f[i].max_length > DB_MAX_VALUE ? DB_MAX_VALUE :
		    f[i].max_length;

		if ((buf[i] = malloc(sz + 1)) == NULL)
			goto out;
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = buf[i];
		b[i].buffer_length = sz + 1;
		b[i].length = &len[i];
		b[i].is_null = (void *)&isnull[i];
	}
	if (my.mysql_stmt_bind_result(st, b) != 0)
		goto out;
	while ((r = my.mysql_stmt_fetch(st)) == 0 || r == MYSQL_DATA_TRUNCATED) {
		for (i = 0; i < n; i++) {
			buf[i][len[i] < b[i].buffer_length ? len[i] :
			    b[i].buffer_length - 1] = '\0';
			vals[i] = isnull[i] ? NULL : buf[i];
		}
		if (fn != NULL && fn(fnarg, n, vals) < 0)
			goto out;
	}
	rc = r == MYSQL_NO_DATA ? 0 : -1;
out:
	for (i = 0; i < n; i++)
		free(buf[i]);
	return rc;
}

/*
 * my_data_error - 1 when the statement failed on a value, not on the
 * server or the connection: a string the column's character set cannot
 * hold or compare (1267, 1270, 1271 illegal mix of collations; 1300 an
 * invalid character string; 1366 an incorrect string value), a value
 * truncated or too long (1292, 1406)
 */
static int
my_data_error(unsigned e)
{
	return e == ER_CANT_AGGREGATE_2COLLATIONS ||
	    e == ER_CANT_AGGREGATE_3COLLATIONS ||
	    e == ER_CANT_AGGREGATE_NCOLLATIONS ||
	    e == ER_INVALID_CHARACTER_STRING ||
	    e == ER_TRUNCATED_WRONG_VALUE_FOR_FIELD ||
	    e == ER_TRUNCATED_WRONG_VALUE || e == ER_DATA_TOO_LONG;
}

/* my_query - run sql with text parameters, fn once per row */
static int
my_query(void *arg, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *fnarg, char *err, size_t errlen)
{
	struct my_conn *c = arg;
	MYSQL_BIND pb[DB_MY_PARAMS];
	unsigned long plen[DB_MY_PARAMS];
	char	pnull[DB_MY_PARAMS];
	my_bool	yes = 1;
	MYSQL_STMT *st;
	MYSQL_RES *meta = NULL;
	int	once, rc = -1;

	if ((st = my_stmt(c, sql, &once, err, errlen)) == NULL)
		return -1;
	if (my_bind_params(st, params, nparams, pb, plen, pnull) < 0 ||
	    my.mysql_stmt_execute(st) != 0)
		goto fail;
	if ((meta = my.mysql_stmt_result_metadata(st)) == NULL) {
		rc = 0;			/* no result set: INSERT, UPDATE */
		goto out;
	}
	my.mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &yes);
	if (my.mysql_stmt_store_result(st) != 0)
		goto fail;
	if (my_rows(st, meta, fn, fnarg) == 0) {
		rc = 0;
		goto out;
	}
fail:
	snprintf(err, errlen, "mysql: %s", my.mysql_stmt_errno(st) ?
	    my.mysql_stmt_error(st) : "cannot read the result");
	if (my_data_error(my.mysql_stmt_errno(st)))
		rc = DB_DATA_ERROR;
out:
	if (meta != NULL)
		my.mysql_free_result(meta);
	my.mysql_stmt_free_result(st);
	if (once)
		my.mysql_stmt_close(st);
	return rc;
}

const struct db_backend db_mysql = {
	"mysql", my_connect, my_query, my_disconnect,
	dblib_load_this,
	/* 1 on a replica (and on a primary set read-only) */
	"SELECT @@global.read_only"
};
#endif /* HAVE_MARIADB */
