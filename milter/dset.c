/*
 * dset.c - OpenDKIM's simple data sets: keys with optional values, from
 * a file, a file of wildcard patterns, or an inline list (dset.h)
 *
 * An exact set is sorted once at load, so a lookup is a binary search
 * whatever its size; a refile: set keeps its file order, as OpenDKIM
 * tries its patterns, and the first that matches decides.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dset.h"
#include "table.h"
#include "util.h"

struct dent {
	char	*key;			/* as written; compared without case */
	char	*value;			/* NULL when none */
};

struct dset {
	struct dent *v;
	size_t	n;
	int	wildcard;		/* refile: patterns, in order */
};

struct dload {
	struct dset *d;
	const char *where;
	conf_report_fn report;
	void	*rarg;
};

/* add - one entry key (value or NULL); 1 after reporting an error */
static int
add(struct dload *dl, int lineno, const char *key, size_t klen,
    const char *value)
{
	struct dent *nv;
	char	*k, *v = NULL;

	if (klen == 0) {
		util_report(dl->report, dl->rarg, 0, "%s:%d: empty key",
		    dl->where, lineno);
		return 1;
	}
	if (dl->d->n >= DSET_MAX) {
		util_report(dl->report, dl->rarg, 0, "%s:%d: more than %d "
		    "entries", dl->where, lineno, DSET_MAX);
		return 1;
	}
	if ((nv = realloc(dl->d->v, (dl->d->n + 1) * sizeof(*nv))) == NULL)
		goto nomem;
	dl->d->v = nv;
	if ((k = strndup(key, klen)) == NULL)
		goto nomem;
	if (value != NULL && *value != '\0' && (v = strdup(value)) == NULL) {
		free(k);
		goto nomem;
	}
	dl->d->v[dl->d->n].key = k;
	dl->d->v[dl->d->n++].value = v;
	return 0;
nomem:
	util_report(dl->report, dl->rarg, 0, "%s:%d: out of memory",
	    dl->where, lineno);
	return 1;
}

/* add_line - "KEY" or "KEY VALUE" of a file: or refile: data set */
static int
add_line(void *arg, int lineno, char *line)
{
	char	*v = line;

	while (*v && !isspace((unsigned char)*v))
		v++;
	if (*v)
		*v++ = '\0';
	return add(arg, lineno, line, strlen(line), util_trim(v));
}

/* add_list - the elements of an inline list, "KEY" or "KEY=VALUE" */
static int
add_list(struct dload *dl, const char *text)
{
	char	**v, **p, *eq;
	int	errors = 0;

	if ((v = util_split(text)) == NULL) {
		util_report(dl->report, dl->rarg, 0, "%s: out of memory",
		    dl->where);
		return 1;
	}
	for (p = v; *p; p++) {
		eq = strchr(*p, '=');
		errors += add(dl, 0, *p, eq ? (size_t)(eq - *p) : strlen(*p),
		    eq ? eq + 1 : NULL);
	}
	util_strvfree(v);
	return errors;
}

/* dent_cmp - order of an exact set, for qsort() and bsearch() */
static int
dent_cmp(const void *a, const void *b)
{
	return strcasecmp(((const struct dent *)a)->key,
	    ((const struct dent *)b)->key);
}

/* other_kind - 1 when spec names a data set kind dset.c cannot read
 * ("sqlite:", "ldap:", "lua:", ...), with the kind's length in *n */
static int
other_kind(const char *spec, size_t *n)
{
	size_t	i;

	for (i = 0; isalpha((unsigned char)spec[i]); i++)
		;
	*n = i;
	return i > 0 && spec[i] == ':';
}

/* dset_load - the data set of keyword name, from spec (dset.h) */
struct dset *
dset_load(const char *name, const char *spec, conf_report_fn report,
    void *arg)
{
	struct dload dl;
	size_t	n;
	int	errors;

	dl.report = report;
	dl.rarg = arg;
	if ((dl.d = calloc(1, sizeof(*dl.d))) == NULL) {
		util_report(report, arg, 0, "%s: out of memory", name);
		return NULL;
	}
	if (strncmp(spec, "file:", 5) == 0 || strncmp(spec, "refile:", 7) ==
	    0 || spec[0] == '/') {
		dl.where = table_spec(spec, &dl.d->wildcard);
		errors = util_readlines(dl.where, add_line, &dl, report, arg);
	} else if (strncmp(spec, "csl:", 4) == 0) {
		dl.where = name;
		errors = add_list(&dl, spec + 4);
	} else if (other_kind(spec, &n)) {
		util_report(report, arg, 0, "%s: \"%.*s\" data sets are not "
		    "supported here; use file:, refile: or a list", name,
		    (int)n, spec);
		errors = 1;
	} else {
		dl.where = name;
		errors = add_list(&dl, spec);
	}
	if (errors != 0) {
		dset_free(dl.d);
		return NULL;
	}
	if (!dl.d->wildcard && dl.d->n > 1)
		qsort(dl.d->v, dl.d->n, sizeof(*dl.d->v), dent_cmp);
	return dl.d;
}

/* dset_find - 1 when key is in the set, its value (or NULL) in *value */
int
dset_find(const struct dset *d, const char *key, const char **value)
{
	struct dent want, *e = NULL;
	size_t	i;

	if (d == NULL || key == NULL)
		return 0;
	if (d->wildcard) {
		for (i = 0; i < d->n && e == NULL; i++)
			if (table_wildmatch(d->v[i].key, key))
				e = &d->v[i];
	} else if (d->n > 0) {
		want.key = (char *)(uintptr_t)key;
		e = bsearch(&want, d->v, d->n, sizeof(*d->v), dent_cmp);
	}
	if (e != NULL && value != NULL)
		*value = e->value;
	return e != NULL;
}

/* dset_count - number of entries */
size_t
dset_count(const struct dset *d)
{
	return d == NULL ? 0 : d->n;
}

/* dset_key - the key of entry i, as written */
const char *
dset_key(const struct dset *d, size_t i)
{
	return d != NULL && i < d->n ? d->v[i].key : NULL;
}

/* dset_value - the value of entry i, NULL when none */
const char *
dset_value(const struct dset *d, size_t i)
{
	return d != NULL && i < d->n ? d->v[i].value : NULL;
}

/* dset_free - free a set; NULL is a no-op */
void
dset_free(struct dset *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->v[i].key);
		free(d->v[i].value);
	}
	free(d->v);
	free(d);
}
