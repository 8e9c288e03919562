/*
 * table.c - KeyTable and SigningTable data sets, OpenDKIM's formats
 *
 * The tables are read once per configuration load; every private key is
 * parsed there and kept, so signing never touches the file system.
 * Lookups only read the table, so a loaded table may be shared by any
 * number of threads. See table.h for the formats and the lookup order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "db.h"
#include "keypct.h"
#include "keyread.h"
#include "table.h"
#include "util.h"

struct loadctx {
	struct table *t;
	uid_t	safe_uid;
	conf_report_fn report;
	void	*rarg;
};

/* table_spec - split a data set name into its path and kind */
const char *
table_spec(const char *spec, int *wildcard)
{
	*wildcard = 0;
	if (strncmp(spec, "file:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "refile:", 7) == 0) {
		*wildcard = 1;
		return spec + 7;
	}
	return spec;
}

/* table_wildmatch - 1 when s matches pattern ('*' any run), ignoring case */
int
table_wildmatch(const char *pat, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			mark = s;
		} else if (tolower((unsigned char)*pat) ==
		    tolower((unsigned char)*s)) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++mark;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* grow - room for one more entry of size sz in *v (n in use) */
static int
grow(void **v, size_t n, size_t sz)
{
	void	*nv;

	if (n >= TABLE_MAX_ENTRIES)
		return -1;
	if ((nv = realloc(*v, (n + 1) * sz)) == NULL)
		return -1;
	*v = nv;
	memset((char *)nv + n * sz, 0, sz);
	return 0;
}

/* split2 - cut line at its first white space; returns the rest or "" */
static char *
split2(char *line)
{
	char	*p = line;

	while (*p && !isspace((unsigned char)*p))
		p++;
	if (*p == '\0')
		return p;
	*p++ = '\0';
	return util_trim(p);
}

/*
 * key_inline - a key given in the KeyTable itself, as OpenDKIM allows:
 * the base64 of its DER form. The table then holds a secret, so it must
 * pass the checks of a key file.
 */
static int
key_inline(struct loadctx *lc, struct keytab_entry *e)
{
	char	why[256];

	if (strncmp(e->keypath, "-----BEGIN", 10) == 0) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: key \"%s\": a PEM "
		    "key goes in a file of its own (inline, give the base64 "
		    "of its DER form)", lc->t->file, e->line, e->name);
		return 1;
	}
	if (table_key_safe(lc->t->file, lc->safe_uid, why, sizeof(why)) < 0) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: key \"%s\" is "
		    "inline, and the table is not safe for a key: %s",
		    lc->t->file, e->line, e->name, why);
		return 1;
	}
	if ((e->key = dkim_key_load_base64(e->keypath, why, sizeof(why))) ==
	    NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: key \"%s\": "
		    "neither a key file path (/, ./ or ../) nor a key inline: "
		    "%s", lc->t->file, e->line, e->name, why);
		return 1;
	}
	e->inline_key = 1;
	OPENSSL_cleanse(e->keypath, strlen(e->keypath));
	free(e->keypath);
	if ((e->keypath = strdup("(inline)")) == NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: out of memory",
		    lc->t->file, e->line);
		return 1;
	}
	return 0;
}

/* table_keyload - check and read the key of KeyTable entry e of t */
int
table_keyload(const struct table *t, struct keytab_entry *e, uid_t safe_uid,
    conf_report_fn report, void *rarg)
{
	struct loadctx l, *lc = &l;
	char	why[256];

	l.t = (struct table *)t;
	l.safe_uid = safe_uid;
	l.report = report;
	l.rarg = rarg;

	if (e->keypath[0] != '/' && strncmp(e->keypath, "./", 2) != 0 &&
	    strncmp(e->keypath, "../", 3) != 0)
		return key_inline(lc, e);
	if (strchr(e->keypath, '%') != NULL) {
		if ((e->pct = keypct_new(e, lc->safe_uid)) == NULL) {
			util_report(lc->report, lc->rarg, 0, "%s:%d: out of "
			    "memory", lc->t->file, e->line);
			return 1;
		}
		return 0;		/* keys read per From domain */
	}
	if ((e->key = table_key_read(e->keypath, lc->safe_uid, why,
	    sizeof(why))) == NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: key file %s: %s",
		    lc->t->file, e->line, e->keypath, why);
		return 1;
	}
	return 0;
}

/* keys_line - one KeyTable line: NAME DOMAIN:SELECTOR:KEYPATH */
static int
keys_line(void *arg, int lineno, char *line)
{
	struct loadctx *lc = arg;
	struct table *t = lc->t;
	struct keytab_entry *e;
	char	*val, *sel, *path;

	val = split2(line);
	if (*val == '\0' || (sel = strchr(val, ':')) == NULL ||
	    (path = strchr(sel + 1, ':')) == NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: expected \"NAME "
		    "DOMAIN:SELECTOR:KEYPATH\"", t->file, lineno);
		return 1;
	}
	*sel++ = '\0';
	*path++ = '\0';
	if (*val == '\0' || *sel == '\0' || *path == '\0') {
		util_report(lc->report, lc->rarg, 0, "%s:%d: empty domain, "
		    "selector or key path", t->file, lineno);
		return 1;
	}
	if (table_key(t, line) != NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: key name \"%s\" "
		    "given twice", t->file, lineno, line);
		return 1;
	}
	if (grow((void **)&t->keys, t->n, sizeof(*t->keys)) < 0) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: too many entries "
		    "or out of memory", t->file, lineno);
		return 1;
	}
	e = &t->keys[t->n++];
	e->file = t->file;
	e->line = lineno;
	if ((e->name = strdup(line)) == NULL ||
	    (e->domain = strdup(val)) == NULL ||
	    (e->selector = strdup(sel)) == NULL ||
	    (e->keypath = strdup(path)) == NULL) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: out of memory",
		    t->file, lineno);
		return 1;
	}
	util_lower(e->domain);
	return table_keyload(t, e, lc->safe_uid, lc->report, lc->rarg);
}

/* signs_line - one SigningTable line: PATTERN KEYNAME [IDENTITY] */
static int
signs_line(void *arg, int lineno, char *line)
{
	struct loadctx *lc = arg;
	struct table *t = lc->t;
	struct signtab_entry *e;
	char	*name, *ident;

	name = split2(line);
	if (*name == '\0') {
		util_report(lc->report, lc->rarg, 0, "%s:%d: pattern \"%s\" "
		    "has no key name", t->file, lineno, line);
		return 1;
	}
	ident = split2(name);
	if (grow((void **)&t->signs, t->n, sizeof(*t->signs)) < 0) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: too many entries "
		    "or out of memory", t->file, lineno);
		return 1;
	}
	e = &t->signs[t->n++];
	e->line = lineno;
	if ((e->pattern = strdup(line)) == NULL ||
	    (e->keyname = strdup(name)) == NULL ||
	    (*ident != '\0' && (e->identity = strdup(ident)) == NULL)) {
		util_report(lc->report, lc->rarg, 0, "%s:%d: out of memory",
		    t->file, lineno);
		return 1;
	}
	util_lower(e->pattern);
	return 0;
}

/* load_db - a database data set: the handle, no entries (db.h) */
static struct table *
load_db(struct table *t, const char *spec, uid_t safe_uid,
    conf_report_fn report, void *rarg)
{
	char	err[256], name[512];

	/* messages name it without its password (db.h) */
	if ((t->db = db_open(spec, 0, safe_uid, err, sizeof(err))) == NULL ||
	    (t->file = strdup(db_label(t->db))) == NULL) {
		db_redact(spec, name, sizeof(name));
		util_report(report, rarg, 0, "%s: %s", name, t->db ? "out of "
		    "memory" : err);
		table_free(t);
		return NULL;
	}
	return t;
}

/* load - read one data set with the given line handler */
static struct table *
load(const char *spec, int is_keys, uid_t safe_uid, conf_report_fn report,
    void *rarg)
{
	struct loadctx lc;
	struct table *t;
	const char *path;
	char	name[512];
	int	wildcard;

	db_redact(spec, name, sizeof(name));	/* what messages show */
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		util_report(report, rarg, 0, "%s: out of memory", name);
		return NULL;
	}
	path = table_spec(spec, &wildcard);
	t->wildcard = wildcard;
	t->is_keys = is_keys;
	if (db_is_uri(spec))
		return load_db(t, spec, safe_uid, report, rarg);
	if (strstr(spec, "://") != NULL) {	/* a misspelt database name */
		util_report(report, rarg, 0, "%s: neither a file (file:, "
		    "refile:, a path) nor a database (sqlite:, mysql://, "
		    "postgresql://)", name);
		goto fail;
	}
	if ((t->file = strdup(path)) == NULL) {
		util_report(report, rarg, 0, "%s: out of memory", name);
		goto fail;
	}
	if (is_keys && wildcard) {
		util_report(report, rarg, 0, "%s: a KeyTable cannot be a "
		    "refile: (names are looked up exactly)", path);
		goto fail;
	}
	lc.t = t;
	lc.safe_uid = safe_uid;
	lc.report = report;
	lc.rarg = rarg;
	if (util_readlines(path, is_keys ? keys_line : signs_line, &lc,
	    report, rarg) != 0)
		goto fail;
	return t;
fail:
	table_free(t);
	return NULL;
}

/* table_load_keys - read a KeyTable and every key it names */
struct table *
table_load_keys(const char *spec, uid_t safe_uid, conf_report_fn report,
    void *arg)
{
	return load(spec, 1, safe_uid, report, arg);
}

/* table_load_signing - read a SigningTable */
struct table *
table_load_signing(const char *spec, conf_report_fn report, void *arg)
{
	return load(spec, 0, (uid_t)-1, report, arg);
}

/* table_key - the KeyTable entry called name, or NULL */
const struct keytab_entry *
table_key(const struct table *keytab, const char *name)
{
	size_t	i;

	for (i = 0; keytab != NULL && i < keytab->n; i++)
		if (strcmp(keytab->keys[i].name, name) == 0)
			return &keytab->keys[i];
	return NULL;
}

/* table_link - point each SigningTable entry at its KeyTable entry */
int
table_link(struct table *signtab, const struct table *keytab,
    conf_report_fn report, void *arg)
{
	size_t	i;
	int	errors = 0;

	if ((signtab->db != NULL) != (keytab->db != NULL)) {
		util_report(report, arg, 0, "%s: a SigningTable and a KeyTable "
		    "must both be files or both the same database",
		    signtab->file);
		return 1;
	}
	for (i = 0; i < signtab->n; i++) {
		struct signtab_entry *e = &signtab->signs[i];

		e->key = (struct keytab_entry *)table_key(keytab, e->keyname);
		if (e->key == NULL) {
			util_report(report, arg, 0, "%s:%d: key name \"%s\" is "
			    "not in the KeyTable", signtab->file, e->line,
			    e->keyname);
			errors++;
		}
	}
	return errors;
}

/* add_signer - append the signer for entry e; returns the new count */
static size_t
add_signer(const struct signtab_entry *e, const char *fromdom,
    struct signer *out, size_t n, size_t max)
{
	struct signer *s;
	const char *p;
	size_t	o = 0;
	char	why[256];

	if (n >= max || e->key == NULL)
		return n;
	s = &out[n];
	s->key = e->key;
	if (e->key->pct != NULL &&
	    (s->key = keypct_get(e->key->pct, fromdom, why, sizeof(why))) ==
	    NULL)
		return n;		/* reported by keypct_get() */
	snprintf(s->domain, sizeof(s->domain), "%s",
	    strcmp(e->key->domain, "%") == 0 ? fromdom : e->key->domain);
	s->identity[0] = '\0';
	for (p = e->identity; p != NULL && *p && o + 1 < sizeof(s->identity);
	    p++) {
		if (*p == '%')
			o += (size_t)snprintf(s->identity + o,
			    sizeof(s->identity) - o, "%s", fromdom);
		else
			s->identity[o++] = *p;
		if (o >= sizeof(s->identity)) {
			s->identity[0] = '\0';
			return n + 1;
		}
		s->identity[o] = '\0';
	}
	return n + 1;
}

/* exact - add the file: entries whose key is exactly k */
static size_t
exact(const struct table *t, const char *k, const char *fromdom,
    struct signer *out, size_t n, size_t max, int multiple)
{
	size_t	i;

	for (i = 0; i < t->n && n < max; i++) {
		if (strcmp(t->signs[i].pattern, k) != 0)
			continue;
		n = add_signer(&t->signs[i], fromdom, out, n, max);
		if (!multiple)
			break;
	}
	return n;
}

/* table_signers_down - table_signers(); *down: a database did not answer */
size_t
table_signers_down(const struct table *t, const char *addr,
    struct signer *out, size_t max, int multiple, int *down)
{
	*down = 0;
	if (t != NULL && t->db != NULL)
		return db_signers(t->db, addr, out, max, multiple, down);
	return table_signers(t, addr, out, max, multiple);
}

/* table_signers - the signatures to make for From address addr */
size_t
table_signers(const struct table *t, const char *addr, struct signer *out,
    size_t max, int multiple)
{
	char	a[512], k[600], *at, *host;
	const char *p;
	size_t	i, n = 0;
	int	down;

	if (t != NULL && t->db != NULL)
		return db_signers(t->db, addr, out, max, multiple, &down);
	if (t == NULL || max == 0 || strlen(addr) >= sizeof(a))
		return 0;
	snprintf(a, sizeof(a), "%s", addr);
	util_lower(a);
	if ((at = strrchr(a, '@')) == NULL)
		return 0;
	host = at + 1;
	if (max > 1 && !multiple)
		max = 1;
	if (t->wildcard) {
		for (i = 0; i < t->n && n < max; i++)
			if (table_wildmatch(t->signs[i].pattern, a))
				n = add_signer(&t->signs[i], host, out, n, max);
		return n;
	}
	/* The order of opendkim.conf(5), SigningTable. */
	n = exact(t, a, host, out, n, max, multiple);
	if (n < max)
		n = exact(t, host, host, out, n, max, multiple);
	*at = '\0';
	for (p = strchr(host, '.'); p != NULL && n < max;
	    p = strchr(p + 1, '.')) {
		snprintf(k, sizeof(k), "%s@%s", a, p);
		n = exact(t, k, host, out, n, max, multiple);
	}
	for (p = strchr(host, '.'); p != NULL && n < max;
	    p = strchr(p + 1, '.'))
		n = exact(t, p, host, out, n, max, multiple);
	snprintf(k, sizeof(k), "%s@*", a);
	if (n < max)
		n = exact(t, k, host, out, n, max, multiple);
	if (n < max)
		n = exact(t, "*", host, out, n, max, multiple);
	return n;
}

/* table_db_error - why a database table last failed, into buf */
void
table_db_error(const struct table *t, char *buf, size_t size)
{
	if (t != NULL && t->db != NULL)
		db_error(t->db, buf, size);
	else
		snprintf(buf, size, "%s", "");
}

/* table_release - give back the keys a database table lent to signers */
void
table_release(const struct table *t, struct signer *out, size_t n)
{
	if (t != NULL && t->db != NULL)
		db_release(t->db, out, n);
}

/* table_free - free a table, its entries and its keys; NULL is a no-op */
void
table_free(struct table *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; t->keys != NULL && i < t->n; i++) {
		free(t->keys[i].name);
		free(t->keys[i].domain);
		free(t->keys[i].selector);
		free(t->keys[i].keypath);
		dkim_key_free(t->keys[i].key);
		keypct_free(t->keys[i].pct);
	}
	for (i = 0; t->signs != NULL && i < t->n; i++) {
		free(t->signs[i].pattern);
		free(t->signs[i].keyname);
		free(t->signs[i].identity);
	}
	free(t->keys);
	free(t->signs);
	free(t->file);
	db_close(t->db);
	free(t);
}
