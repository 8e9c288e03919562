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

/*
 * owner_ok - 0 when st may hold a private key (folder NULL) or be a
 * folder on its path (folder "" for the key's own, else its name) under
 * RequireSafeKeys: owned by root, safe_uid or the running user, not
 * writable by group or others, and a key not readable by them; else -1,
 * why.
 */
static int
owner_ok(const struct stat *st, uid_t safe_uid, const char *folder,
    char *why, size_t whylen)
{
	mode_t	bad = S_IWGRP | S_IWOTH;
	char	what[300];

	if (folder == NULL)
		bad |= S_IRGRP | S_IROTH;
	if (folder == NULL)
		what[0] = '\0';
	else if (*folder == '\0')
		snprintf(what, sizeof(what), "its folder ");
	else
		snprintf(what, sizeof(what), "folder \"%s\" on its path ",
		    folder);
	if ((st->st_mode & bad) && folder == NULL) {
		snprintf(why, whylen, "unsafe permissions %04o (group or others "
		    "may read or write it; chmod 600, or RequireSafeKeys no)",
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (st->st_mode & bad) {
		snprintf(why, whylen, "%smay be written by group or others "
		    "(mode %04o), who could put another key in its place; chmod "
		    "go-w", what, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != safe_uid &&
	    st->st_uid != geteuid()) {
		snprintf(why, whylen, "%s%sowned by uid %lu, neither root nor "
		    "the user dkimd runs as", what, folder ? "is " : "",
		    (unsigned long)st->st_uid);
		return -1;
	}
	return 0;
}

/* table_key_safe - 0 when path may hold a private key; else -1, why */
int
table_key_safe(const char *path, uid_t safe_uid, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	if (safe_uid == (uid_t)-1)
		return 0;
	return owner_ok(&st, safe_uid, NULL, why, whylen);
}

/*
 * folder_walk - open, below the first rootlen bytes of path (opened as
 * they are: the administrator's), each folder down to the key's own
 * with O_NOFOLLOW, checking each under RequireSafeKeys, so that no one
 * but root or dkimd's user can have put a link or a folder of its own
 * on the way. flen is the length of the key's folder in path. Returns
 * the descriptor of the key's folder, or -1 with why.
 */
static int
folder_walk(const char *path, size_t rootlen, size_t flen, uid_t safe_uid,
    char *why, size_t whylen)
{
	const char *p, *q;
	char	part[4096];
	struct stat st;
	int	dfd, nfd, e;

	snprintf(part, sizeof(part), "%.*s", (int)rootlen, path);
	if ((dfd = open(rootlen ? part : path[0] == '/' ? "/" : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	for (p = path + rootlen; p < path + flen; p = q) {
		for (; p < path + flen && *p == '/'; p++)
			;
		for (q = p; q < path + flen && *q != '/'; q++)
			;
		if (q == p)
			break;
		snprintf(part, sizeof(part), "%.*s", (int)(q - p), p);
		nfd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		e = errno;
		close(dfd);
		errno = e;
		if ((dfd = nfd) < 0) {
			if (errno != ELOOP && errno != ENOTDIR)
				snprintf(why, whylen, "%s", strerror(errno));
			else if (q == path + flen)
				snprintf(why, whylen, "its folder is a symbolic "
				    "link or not a folder (name the real one)");
			else
				snprintf(why, whylen, "folder \"%s\" on its path "
				    "is a symbolic link or not a folder (name "
				    "the real one)", part);
			return -1;
		}
		if (safe_uid != (uid_t)-1 && (fstat(dfd, &st) < 0 ||
		    owner_ok(&st, safe_uid, q == path + flen ? "" : part, why,
		    whylen) < 0))
			goto fail;
	}
	if (rootlen == flen && safe_uid != (uid_t)-1 && (fstat(dfd, &st) < 0 ||
	    owner_ok(&st, safe_uid, "", why, whylen) < 0))
		goto fail;		/* the key's folder is the root */
	return dfd;
fail:
	close(dfd);
	return -1;
}

/*
 * key_open - open the key file path for reading, once, so that what is
 * checked is what is read: the folders below the first rootlen bytes
 * down to the key's own are opened one by one (folder_walk()); then the
 * file is opened relative to its folder with O_NOFOLLOW (a link planted
 * where the key should be is refused, not followed) and O_NONBLOCK (a
 * FIFO cannot hold the open), and fstat() of that descriptor is
 * checked. Returns the descriptor, or -1 with why.
 */
static int
key_open(const char *path, size_t rootlen, uid_t safe_uid, char *why,
    size_t whylen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 :
	    path;
	size_t	flen = slash ? (size_t)(slash - path) : 0;
	struct stat st;
	int	dfd, fd = -1;

	if (flen >= 4096) {
		snprintf(why, whylen, "path too long");
		return -1;
	}
	if (rootlen > flen)
		rootlen = flen;
	if ((dfd = folder_walk(path, rootlen, flen, safe_uid, why,
	    whylen)) < 0)
		return -1;
	if ((fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", errno == ELOOP ? "a symbolic link "
		    "(name the key file itself)" : strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	if (safe_uid != (uid_t)-1 && owner_ok(&st, safe_uid, NULL, why,
	    whylen) < 0)
		goto fail;
	close(dfd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return -1;
}

/*
 * table_key_read - the private key in file path, checked and read
 * through one descriptor (key_open()); the folders below the parent of
 * its own are not checked. NULL with why.
 */
dkim_key *
table_key_read(const char *path, uid_t safe_uid, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/');
	size_t	rootlen = 0;

	/* the root: everything up to the last '/' of the key's folder */
	if (slash != NULL) {
		for (rootlen = (size_t)(slash - path); rootlen > 0 &&
		    path[rootlen - 1] != '/'; rootlen--)
			;
		if (rootlen > 0)
			rootlen--;
	}
	return table_key_read_below(path, rootlen, safe_uid, why, whylen);
}

/*
 * table_key_read_below - table_key_read() with every folder below the
 * first rootlen bytes of path opened without following links and, under
 * RequireSafeKeys, checked
 */
dkim_key *
table_key_read_below(const char *path, size_t rootlen, uid_t safe_uid,
    char *why, size_t whylen)
{
	dkim_key *key = NULL;
	char	*buf;
	size_t	n = 0;
	ssize_t	r;
	int	fd;

	if ((fd = key_open(path, rootlen, safe_uid, why, whylen)) < 0)
		return NULL;
	if ((buf = malloc(TABLE_KEY_MAX + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	while (n <= TABLE_KEY_MAX && ((r = read(fd, buf + n,
	    TABLE_KEY_MAX + 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (n > TABLE_KEY_MAX)
		snprintf(why, whylen, "not a PEM private key: over %d bytes",
		    TABLE_KEY_MAX);
	else if (r < 0)
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
	else
		key = dkim_key_load_pem(buf, n, why, whylen);
	OPENSSL_cleanse(buf, TABLE_KEY_MAX + 1);
	free(buf);
out:
	close(fd);
	return key;
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
