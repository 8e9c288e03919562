/*
 * dset.h - OpenDKIM's simple data sets: a list of keys, each with an
 * optional value (ExemptDomains, DontSignMailTo, MacroList)
 *
 * SYNOPSIS
 *	dset_load(name, spec, report, arg)	a data set, or NULL
 *	dset_find(d, key, &value)		1 when key is in the set
 *	dset_count(d), dset_key(d, i), dset_value(d, i)	each entry in turn
 *	dset_free(d)
 *
 * CONTRACT
 *	spec is written as opendkim(8) writes a data set (DATA SETS):
 *	"file:/path" or "/path" (one entry a line: KEY, or KEY white space
 *	VALUE), "refile:/path" (the same, KEY a pattern in which '*' is
 *	any run of characters, patterns tried in file order), "csl:LIST"
 *	or any other text (a list separated by commas or white space, an
 *	element "KEY=VALUE" giving a value). Keys are compared without
 *	case. A spec that names another kind of data set (a database, LDAP,
 *	Lua, ...) is an error: read as a list it would silently match
 *	nothing. At most DSET_MAX entries; errors are reported through
 *	report() as "FILE:LINE: what" (or "NAME: what" for a list), and the
 *	result is NULL then. An empty set is valid and matches nothing.
 *
 * OWNERSHIP
 *	The caller frees the set with dset_free(); dset_find()'s value and
 *	dset_key()'s and dset_value()'s strings live as long as the set.
 */
#ifndef DSET_H
#define DSET_H

#include <stddef.h>

#include "conf.h"

#define DSET_MAX	100000	/* entries of one data set */

struct dset;

struct dset *dset_load(const char *name, const char *spec,
	    conf_report_fn report, void *arg);
int	dset_find(const struct dset *, const char *key, const char **value);
size_t	dset_count(const struct dset *);
const char *dset_key(const struct dset *, size_t i);
const char *dset_value(const struct dset *, size_t i);
void	dset_free(struct dset *);

#endif /* DSET_H */
