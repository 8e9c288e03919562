/*
 * keyimport.c - dkimtool import: OpenDKIM tables and amavisd-new
 *	dkim_key() lines into a database's dkim_keys and dkim_signing
 *
 * SYNOPSIS
 *	dkimtool import DB [-K KEYTABLE] [-S SIGNINGTABLE] [-A AMAVISCONF]
 *		[--inline]
 *
 * CONTRACT
 *	The KeyTable and SigningTable are read by table.c as dkimd reads
 *	them (every key loaded, so a broken key stops the import before
 *	anything is written for it). A refile: SigningTable's wildcards
 *	become the database's exact patterns where they mean the same:
 *	"*" stays, "*@DOMAIN" becomes "DOMAIN", "*@*.DOMAIN" becomes
 *	".DOMAIN", "USER@*" stays; any other wildcard is reported and
 *	skipped. A refile: table is tried in file order, the database in
 *	OpenDKIM's order (user@host, host, ..., *): the same signer comes
 *	out as long as one address matches one pattern, or the more
 *	specific patterns come first in the file, as they usually do. Keys
 *	are stored by path, or as PEM with --inline.
 *
 *	amavisd-new lines "dkim_key('DOMAIN', 'SELECTOR', 'PATH', ...);"
 *	(single or double quotes; other lines ignored) each give the key
 *	"SELECTOR._domainkey.DOMAIN" and the rule "DOMAIN" -> that key, which
 *	is how amavisd-new picks a key for a From domain. Lines are read up
 *	to TABLE_MAX_LINE bytes.
 *
 *	Exit status: 0 when everything was imported, 1 when something was
 *	not (each reported on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "keys.h"
#include "table.h"
#include "tool.h"

/* import_report - print a table problem */
static void
import_report(void *arg, int warn, const char *msg)
{
	(void)arg;
	tool_err("%s%s", warn ? "warning: " : "", msg);
}

/* import_pattern - the database pattern for a refile: one, or NULL */
static const char *
import_pattern(const char *pat, char *buf, size_t size)
{
	const char *at = strrchr(pat, '@');

	if (strchr(pat, '*') == NULL || strcmp(pat, "*") == 0)
		return pat;
	if (at != NULL && strcmp(at + 1, "*") == 0 &&
	    strchr(pat, '*') == at + 1)
		return pat;			/* user@* */
	if (strncmp(pat, "*@", 2) != 0 || strchr(pat + 2, '*') != NULL) {
		if (strncmp(pat, "*@*.", 4) == 0 &&
		    strchr(pat + 4, '*') == NULL) {
			snprintf(buf, size, "%s", pat + 3);
			return buf;		/* .parent: subdomains */
		}
		return NULL;
	}
	snprintf(buf, size, "%s", pat + 2);
	return buf;
}

/* import_key - one key into dkim_keys; 0 or -1 */
static int
import_key(struct db *db, const struct keydb_opts *o, const char *name,
    const char *domain, const char *selector, const char *path,
    const char *const *patterns, int np)
{
	char	*pem = NULL;
	int	 rc;

	if (o->inline_pem && (pem = keydb_readpem(path)) == NULL)
		return -1;
	rc = keydb_insert(db, name, domain, selector, pem, path, "active",
	    patterns, np, NULL);
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	return rc;
}

/* import_tables - an OpenDKIM KeyTable and SigningTable; errors */
static int
import_tables(struct db *db, const struct keydb_opts *o)
{
	struct table *kt = NULL, *st = NULL;
	const struct keytab_entry *e;
	const char *pat, *p[3];
	char	 buf[600];
	size_t	 i;
	int	 errors = 0;

	if (o->keytable != NULL && (kt = table_load_keys(o->keytable,
	    (uid_t)-1, import_report, NULL)) == NULL)
		return 1;
	for (i = 0; kt != NULL && i < kt->n; i++) {
		e = &kt->keys[i];
		if (e->inline_key) {
			tool_err("%s:%d: key \"%s\" is inline; write it to a "
			    "file (openssl pkey -inform DER) and add it with "
			    "\"dkimtool key add\"", e->file, e->line, e->name);
			errors++;
			continue;
		}
		if (e->pct != NULL) {
			tool_err("%s:%d: key \"%s\": a key path with '%%' names "
			    "one file per domain; add each domain's key with "
			    "\"dkimtool key add\"", e->file, e->line, e->name);
			errors++;
			continue;
		}
		errors += import_key(db, o, e->name, e->domain, e->selector,
		    e->keypath, NULL, 0) < 0;
	}
	if (o->signtable != NULL && (st = table_load_signing(o->signtable,
	    import_report, NULL)) == NULL)
		errors++;
	for (i = 0; st != NULL && i < st->n; i++) {
		if ((pat = st->wildcard ? import_pattern(st->signs[i].pattern,
		    buf, sizeof(buf)) : st->signs[i].pattern) == NULL) {
			tool_err("%s:%d: pattern %s has no database form; "
			    "skipped", st->file, st->signs[i].line,
			    st->signs[i].pattern);
			errors++;
			continue;
		}
		p[0] = pat, p[1] = st->signs[i].keyname;
		p[2] = st->signs[i].identity;
		errors += keydb_q(db, keydb_sql_ins_rule, p, 3, NULL, NULL) < 0;
	}
	table_free(kt);
	table_free(st);
	return errors;
}

/*
 * import_quoted - the next quoted string after *cp (quotes ' or "), into
 * buf; advances *cp. -1 when there is none.
 */
static int
import_quoted(const char **cp, char *buf, size_t size)
{
	const char *p = *cp, *end;
	char	 q;

	p += strcspn(p, "'\"");
	if (*p == '\0')
		return -1;
	q = *p++;
	if ((end = strchr(p, q)) == NULL || (size_t)(end - p) >= size)
		return -1;
	memcpy(buf, p, (size_t)(end - p));
	buf[end - p] = '\0';
	*cp = end + 1;
	return 0;
}

/* import_amavis - dkim_key('domain', 'selector', 'path') lines; errors */
static int
import_amavis(struct db *db, const struct keydb_opts *o)
{
	char	 line[TABLE_MAX_LINE], dom[256], sel[64], path[1024];
	char	 name[400];
	const char *cp, *pat[1];
	FILE	*fp;
	int	 errors = 0, lineno = 0;

	if ((fp = fopen(o->amavis, "r")) == NULL) {
		tool_err("%s: %s", o->amavis, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		cp = line + strspn(line, " \t");
		if (strncmp(cp, "dkim_key", 8) != 0 ||
		    strchr(cp + 8, '(') == NULL)
			continue;
		cp = strchr(cp, '(') + 1;
		if (import_quoted(&cp, dom, sizeof(dom)) < 0 ||
		    import_quoted(&cp, sel, sizeof(sel)) < 0 ||
		    import_quoted(&cp, path, sizeof(path)) < 0) {
			tool_err("%s:%d: expected dkim_key('DOMAIN', "
			    "'SELECTOR', 'PATH')", o->amavis, lineno);
			errors++;
			continue;
		}
		snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom);
		pat[0] = dom;
		errors += import_key(db, o, name, dom, sel, path, pat, 1) < 0;
	}
	fclose(fp);
	return errors;
}

/* keydb_import - dkimtool import */
int
keydb_import(struct db *db, const struct keydb_opts *o)
{
	int	 errors = 0;

	if (o->keytable == NULL && o->signtable == NULL && o->amavis == NULL)
		return tool_usage("import: -K KEYTABLE, -S SIGNINGTABLE or "
		    "-A AMAVISCONF needed");
	errors += import_tables(db, o);
	if (o->amavis != NULL)
		errors += import_amavis(db, o);
	return errors ? TOOL_EX_FAIL : TOOL_EX_OK;
}
