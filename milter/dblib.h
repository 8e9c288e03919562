/*
 * dblib.h - a database client library, loaded when a table first needs it
 *
 * SYNOPSIS
 *	#define DBLIB_OBJ pq
 *	#define PQ_FUNCS(X) X(PQconnectdbParams) X(PQfinish) ...
 *	DBLIB_DEFINE(PQ_FUNCS, "libpq.so.5", "PostgreSQL", "libpq5")
 *	dblib_load_this(err, errlen)	0 once the library and every
 *					function are there; pq.PQfinish(c)
 *	dblib_load(&lib, err, errlen)	the same for a struct dblib
 *	dblib_absent(scheme, what, why, err, errlen)	-1: not built
 *
 * CONTRACT
 *	dkimd does not link libpq, libmariadb or libsqlite3 (nor, through
 *	them, Kerberos, LDAP and GnuTLS): a site whose tables are files
 *	pays neither their memory (4.6 MB resident) nor their start-up. A
 *	back end dlopen()s its library the first time a table of its kind
 *	is opened and fills the back end's function pointers; a missing
 *	library or function is an error naming it (and the package). The outcome is
 *	kept: the first failure is the answer from then on. Thread-safe.
 *	A back end whose headers configure did not find is built without
 *	its library: its load() is dblib_absent(), and a table of its kind
 *	is a configuration error.
 */
#ifndef DBLIB_H
#define DBLIB_H

#include <pthread.h>
#include <stddef.h>

struct dblib {
	const char *soname;		/* e.g. "libpq.so.5" */
	const char *what;		/* e.g. "PostgreSQL" */
	const char *package;		/* the Debian package that has it */
	int	(*bind)(void *h, const char **missing);
	pthread_mutex_t lock;
	int	state;			/* 0 not tried, 1 loaded, -1 failed */
	char	why[300];
};

#define DBLIB_INIT(so, what, pkg, bind) \
	{ (so), (what), (pkg), (bind), PTHREAD_MUTEX_INITIALIZER, 0, "" }

int	dblib_load(struct dblib *, char *err, size_t errlen);

/*
 * DBLIB_DEFINE(FUNCS, soname, what, package) - in a back end, after
 * "#define DBLIB_OBJ name" and "#define FUNCS(X) X(fn1) X(fn2) ...":
 * a static struct DBLIB_OBJ with a pointer for every function (called as
 * name.fn1(...)), and dblib_load_this(err, errlen) that fills it.
 */
#define DBLIB_SLOT(f)	__typeof__(f) *f;
#define DBLIB_BIND(f)							\
	if (dblib_sym(h, #f, &DBLIB_OBJ.f) < 0) {			\
		*missing = #f;						\
		return -1;						\
	}
#define DBLIB_DEFINE(FUNCS, so, what, pkg)				\
static struct {								\
	FUNCS(DBLIB_SLOT)						\
} DBLIB_OBJ;								\
static int								\
dblib_bind_all(void *h, const char **missing)				\
{									\
	FUNCS(DBLIB_BIND)						\
	return 0;							\
}									\
static struct dblib dblib_this = DBLIB_INIT(so, what, pkg,		\
    dblib_bind_all);							\
static int								\
dblib_load_this(char *err, size_t errlen)				\
{									\
	return dblib_load(&dblib_this, err, errlen);			\
}

/* dblib_sym - the address of name in h into *slot; -1 when absent */
int	dblib_sym(void *h, const char *name, void *slot);

/*
 * dblib_absent - the load() of a back end that configure left out
 * (DB_NAME_ABSENT in config.h says why): always -1, with err saying that
 * this build has no such tables and how to get them.
 */
int	dblib_absent(const char *scheme, const char *what, const char *why,
	    char *err, size_t errlen);

/*
 * DBLIB_ABSENT(name, scheme, what, why) - in a back end that configure
 * left out, after db.h: the struct db_backend name with only a load(),
 * dblib_absent(); db_open() calls nothing else when load() fails.
 */
#define DBLIB_ABSENT(name, scheme, what, why)				\
static int								\
name##_absent(char *err, size_t errlen)					\
{									\
	return dblib_absent((scheme), (what), (why), err, errlen);	\
}									\
const struct db_backend name = {					\
	(scheme), NULL, NULL, NULL, name##_absent, NULL			\
};

#endif /* DBLIB_H */
