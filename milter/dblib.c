/*
 * dblib.c - load a database client library on first use (dblib.h)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "dblib.h"

/* dblib_sym - the address of name in h into *slot; -1 when absent */
int
dblib_sym(void *h, const char *name, void *slot)
{
	void	*p = dlsym(h, name);

	memcpy(slot, &p, sizeof(p));	/* POSIX: a function's address */
	return p == NULL ? -1 : 0;
}

/* dblib_load - dlopen the library and bind its functions, once */
int
dblib_load(struct dblib *l, char *err, size_t errlen)
{
	const char *missing = "?";
	const char *e;
	void	*h;
	int	ok;

	pthread_mutex_lock(&l->lock);
	if (l->state == 0) {
		if ((h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			e = dlerror();
			snprintf(l->why, sizeof(l->why), "the %s client library "
			    "%s cannot be loaded (%s); install the %s package",
			    l->what, l->soname, e ? e : "?", l->package);
			l->state = -1;
		} else if (l->bind(h, &missing) < 0) {
			snprintf(l->why, sizeof(l->why), "the %s client library "
			    "%s has no %s()", l->what, l->soname, missing);
			l->state = -1;
			dlclose(h);
		} else
			l->state = 1;	/* kept open until exit */
	}
	ok = l->state == 1;
	if (!ok)
		snprintf(err, errlen, "%s", l->why);
	pthread_mutex_unlock(&l->lock);
	return ok ? 0 : -1;
}

/* dblib_absent - a back end this build does not have: -1 with why */
int
dblib_absent(const char *scheme, const char *what, const char *why,
    char *err, size_t errlen)
{
	snprintf(err, errlen, "%s: this dkimd was built without %s support "
	    "(%s)", scheme, what, why);
	return -1;
}
