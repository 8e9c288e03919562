/*
 * test_dset.c - OpenDKIM's simple data sets (dset.c): lists, files and
 * refile: patterns, and what is refused
 */
#include <stdio.h>
#include <string.h>

#include "dset.h"
#include "tap.h"

#ifndef DATA
#define DATA "t/data/milter"
#endif

static char lastmsg[512];

static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
}

int
main(void)
{
	struct dset *d;
	const char *v = NULL;

	plan_lazy();
	d = dset_load("MacroList", "{daemon_name}=ORIGINATING|MSA, i x=", report,
	    NULL);
	ok(d != NULL && dset_count(d) == 3, "list: three elements, commas or spaces");
	ok(dset_find(d, "{DAEMON_NAME}", &v) && v != NULL &&
	    strcmp(v, "ORIGINATING|MSA") == 0, "list: KEY=VALUE, key found without case");
	ok(dset_find(d, "i", &v) && v == NULL, "list: a key without value");
	ok(dset_find(d, "x", &v) && v == NULL, "list: KEY= is a key without value");
	ok(!dset_find(d, "daemon_name", NULL), "list: keys are whole, not prefixes");
	dset_free(d);

	d = dset_load("ExemptDomains", "file:" DATA "/exempt.list", report, NULL);
	ok(d != NULL && dset_count(d) == 3, "file: one entry a line, comments skipped");
	ok(dset_find(d, "Exempt.Test", NULL), "file: found without case");
	ok(!dset_find(d, "sub.exempt.test", NULL), "file: exact, not a suffix");
	ok(dset_find(d, "b.example", &v) && v != NULL && strcmp(v, "some value") == 0,
	    "file: KEY VALUE, the value's inner white space kept");
	dset_free(d);

	d = dset_load("ExemptDomains", "refile:" DATA "/exempt.re", report, NULL);
	ok(d != NULL && dset_find(d, "a.exempt.test", NULL),
	    "refile: a pattern with '*' matches");
	ok(!dset_find(d, "exempt.test", NULL), "refile: *.exempt.test needs a label");
	ok(!dset_find(d, "a.exempt.test.evil", NULL), "refile: the pattern is anchored at its end");
	dset_free(d);

	ok(dset_load("X", "sqlite:/tmp/x.db", report, NULL) == NULL &&
	    strstr(lastmsg, "\"sqlite\" data sets are not supported") != NULL,
	    "a database data set is refused, not read as a list");
	ok(dset_load("X", "ldap://host/dc=x", report, NULL) == NULL,
	    "an LDAP data set is refused");
	ok(dset_load("X", "file:" DATA "/no-such-file", report, NULL) == NULL,
	    "a missing file is an error, not an empty set");
	d = dset_load("X", "", report, NULL);
	ok(d != NULL && dset_count(d) == 0 && !dset_find(d, "", NULL),
	    "an empty list is a set that matches nothing");
	dset_free(d);
	dset_free(NULL);
	return done_testing();
}
