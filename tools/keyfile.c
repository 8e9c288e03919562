/*
 * keyfile.c - dkimtool rotate and activate on file tables (OpenDKIM's
 *	KeyTable and SigningTable formats)
 *
 * SYNOPSIS
 *	dkimtool rotate -c DKIMD.CONF -d DOMAIN [-s SELECTOR] [-a ALG] [-b BITS]
 *	dkimtool activate -c DKIMD.CONF -d DOMAIN [--grace SECONDS]
 *
 * CONTRACT
 *	The same steps as for a database (keydb.c), with the state of each
 *	key on its KeyTable line, in a comment that dkimd and OpenDKIM skip:
 *	"# dkimtool: published", "# dkimtool: retired until UNIXTIME"; a
 *	line without one is active. rotate writes the new key next to the
 *	domain's active key (SELECTOR.private, mode 0600, never over an
 *	existing file) and appends its line, published: dkimd loads it but
 *	no SigningTable line names it yet. activate points the SigningTable
 *	lines of the domain's active keys at the newest published one, marks
 *	those keys retired, and turns retired lines past their grace into
 *	comments ("# dkimtool: revoked: ..."), printing the revoking record.
 *	Only keys whose KeyTable domain is DOMAIN itself are rotated (a "%"
 *	key signs for many domains). Files are replaced whole (a temporary
 *	file renamed over them, same mode); dkimd reads them again when it
 *	is told to reload (SIGHUP). Lines are at most TABLE_MAX_LINE bytes,
 *	TABLE_MAX_ENTRIES a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "keys.h"
#include "table.h"
#include "tool.h"

#define KF_TAG		"# dkimtool: "

enum kf_state { KF_OTHER, KF_ACTIVE, KF_PUBLISHED, KF_RETIRED, KF_REVOKED,
    KF_DELETED };

struct kf_line {
	char	*text;			/* the line, without its end */
	enum kf_state state;
	char	 name[256], domain[256], selector[64], path[1024];
	long long until;		/* KF_RETIRED, KF_REVOKED */
	int	chosen;			/* activate: replaces an active key */
};

struct kf_file {
	const char *path;
	struct kf_line *l;
	size_t	 n;
};

static char *kf_fmt(const char *, ...) __attribute__((format(printf, 1, 2)));

/* kf_fmt - a formatted string (malloc()ed), or NULL */
static char *
kf_fmt(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* kf_parse - the KeyTable fields and state of line l->text */
static void
kf_parse(struct kf_line *l)
{
	const char *tag = strstr(l->text, KF_TAG);
	char	 val[1400];

	l->state = KF_OTHER;
	if (tag != NULL && sscanf(tag, KF_TAG "revoked until %lld: %255s "
	    "%1399s", &l->until, l->name, val) == 3 &&
	    sscanf(val, "%255[^:]:%63[^:]:%1023s", l->domain, l->selector,
	    l->path) == 3) {
		l->state = KF_REVOKED;	/* rotate --auto: deleted at until */
		return;
	}
	if (sscanf(l->text, " %255s %1399s", l->name, val) != 2 ||
	    l->name[0] == '#' ||
	    sscanf(val, "%255[^:]:%63[^:]:%1023s", l->domain, l->selector,
	    l->path) != 3)
		return;
	l->state = KF_ACTIVE;
	if (tag == NULL)
		return;
	tag += strlen(KF_TAG);
	if (strncmp(tag, "published", 9) == 0)
		l->state = KF_PUBLISHED;
	else if (sscanf(tag, "retired until %lld", &l->until) == 1)
		l->state = KF_RETIRED;
}

/* kf_free - free the lines of f */
static void
kf_free(struct kf_file *f)
{
	size_t	 i;

	for (i = 0; i < f->n; i++)
		free(f->l[i].text);
	free(f->l);
	f->l = NULL;
	f->n = 0;
}

/* kf_add - append a copy of text as a line of f; -1 when full or no memory */
static int
kf_add(struct kf_file *f, const char *text)
{
	struct kf_line *nl;

	if (f->n >= TABLE_MAX_ENTRIES ||
	    (nl = realloc(f->l, (f->n + 1) * sizeof(*nl))) == NULL)
		return -1;
	f->l = nl;
	memset(&f->l[f->n], 0, sizeof(*nl));
	if ((f->l[f->n].text = strdup(text)) == NULL)
		return -1;
	kf_parse(&f->l[f->n++]);
	return 0;
}

/* kf_read - every line of path into f; -1 after printing why */
static int
kf_read(const char *path, struct kf_file *f)
{
	char	 line[TABLE_MAX_LINE + 2];
	FILE	*fp;
	size_t	 len;

	memset(f, 0, sizeof(*f));
	f->path = path;
	if ((fp = fopen(path, "r")) == NULL) {
		tool_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strcspn(line, "\r\n");
		if (line[len] == '\0' && !feof(fp)) {
			tool_err("%s: a line over %d bytes", path,
			    TABLE_MAX_LINE);
			goto fail;
		}
		line[len] = '\0';
		if (kf_add(f, line) < 0) {
			tool_err("%s: too many lines or out of memory", path);
			goto fail;
		}
	}
	fclose(fp);
	return 0;
fail:
	fclose(fp);
	kf_free(f);
	return -1;
}

/* kf_write - replace f->path by the lines of f; -1 after printing why */
static int
kf_write(const struct kf_file *f)
{
	char	 tmp[1100];
	struct stat st;
	FILE	*fp;
	size_t	 i;
	int	 fd;

	if (stat(f->path, &st) < 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.dkimtool", f->path) >=
	    (int)sizeof(tmp) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, st.st_mode & 07777))
	    < 0) {
		tool_err("%s: cannot write beside it: %s", f->path,
		    strerror(errno));
		return -1;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	for (i = 0; i < f->n; i++)
		fprintf(fp, "%s\n", f->l[i].text);
	if (fflush(fp) != 0 || fsync(fd) != 0 || fclose(fp) != 0 ||
	    rename(tmp, f->path) < 0) {
		tool_err("%s: %s", f->path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* kf_set - rewrite line l of the KeyTable with a new state */
static int
kf_set(struct kf_line *l, enum kf_state state, long long until)
{
	char	*text;

	if (state == KF_PUBLISHED)
		text = kf_fmt("%s\t%s:%s:%s\t%spublished", l->name,
		    l->domain, l->selector, l->path, KF_TAG);
	else if (state == KF_RETIRED)
		text = kf_fmt("%s\t%s:%s:%s\t%sretired until %lld", l->name,
		    l->domain, l->selector, l->path, KF_TAG, until);
	else if (state == KF_ACTIVE)
		text = kf_fmt("%s\t%s:%s:%s", l->name, l->domain, l->selector,
		    l->path);
	else if (state == KF_REVOKED)
		text = kf_fmt("%srevoked until %lld: %s %s:%s:%s", KF_TAG,
		    until, l->name, l->domain, l->selector, l->path);
	else if (state == KF_DELETED)
		text = kf_fmt("%sdeleted: %s %s:%s:%s", KF_TAG, l->name,
		    l->domain, l->selector, l->path);
	else
		text = kf_fmt("%srevoked: %s %s:%s:%s", KF_TAG, l->name,
		    l->domain, l->selector, l->path);
	if (text == NULL)
		return -1;
	free(l->text);
	l->text = text;
	l->state = state;
	l->until = until;
	return 0;
}

/* kf_tables - the file paths of the configuration's tables; -1, why */
static int
kf_tables(const char *conf, char *kt, char *st, size_t size)
{
	struct conf *c;
	int	 wild, rc = -1;

	if ((c = conf_load(conf, tool_conf_errors, NULL)) == NULL) {
		tool_err("%s: configuration has errors", conf);
		return -1;
	}
	if (c->keytable == NULL || c->signingtable == NULL)
		tool_err("%s: no KeyTable and SigningTable", conf);
	else {
		snprintf(kt, size, "%s", table_spec(c->keytable, &wild));
		snprintf(st, size, "%s", table_spec(c->signingtable, &wild));
		rc = 0;
	}
	conf_free(c);
	return rc;
}

/* kf_newkey - write a new key to path (0600, not over a file); 0 or -1 */
static int
kf_newkey(const char *path, const char *pem)
{
	int	 fd;
	size_t	 len = strlen(pem);

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		tool_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (write(fd, pem, len) != (ssize_t)len || fsync(fd) != 0) {
		tool_err("%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* keyfile_rotate - dkimtool rotate -c on file tables */
int
keyfile_rotate(const struct keydb_opts *o)
{
	struct kf_file kt;
	struct kf_line nl;
	char	 ktp[1024], stp[1024], sel[64], *pem = NULL, *slash;
	const struct kf_line *act = NULL;
	const char *alg = o->alg;
	dkim_key *key;
	time_t	 now = time(NULL);
	size_t	 i, off;
	int	 rc = TOOL_EX_FAIL;

	if (kf_tables(o->conf, ktp, stp, sizeof(ktp)) < 0 ||
	    kf_read(ktp, &kt) < 0)
		return TOOL_EX_FAIL;
	for (i = 0; i < kt.n; i++)
		if (kt.l[i].state == KF_ACTIVE &&
		    strcasecmp(kt.l[i].domain, o->domain) == 0)
			act = &kt.l[i];
	if (act == NULL) {
		tool_err("%s: no active key for %s", ktp, o->domain);
		goto out;
	}
	if (alg == NULL && (key = dkim_key_load_file(act->path, NULL, 0)) !=
	    NULL) {
		alg = dkim_key_alg(key) == DKIM_ALG_ED25519_SHA256 ?
		    "ed25519" : "rsa";
		dkim_key_free(key);
	}
	if (o->selector != NULL)
		snprintf(sel, sizeof(sel), "%s", o->selector);
	else
		strftime(sel, sizeof(sel), "s%Y%m%d", gmtime(&now));
	memset(&nl, 0, sizeof(nl));
	snprintf(nl.name, sizeof(nl.name), "%s._domainkey.%s", sel,
	    o->domain);
	snprintf(nl.domain, sizeof(nl.domain), "%s", o->domain);
	snprintf(nl.selector, sizeof(nl.selector), "%s", sel);
	snprintf(nl.path, sizeof(nl.path), "%s", act->path);
	/* the new key goes beside the active one: keep its folder part */
	off = (slash = strrchr(nl.path, '/')) == NULL ? 0 :
	    (size_t)(slash - nl.path) + 1;
	snprintf(nl.path + off, sizeof(nl.path) - off, "%s.private", sel);
	if ((pem = keydb_genpem(alg, o->bits)) == NULL ||
	    kf_newkey(nl.path, pem) < 0)
		goto out;
	if (kf_set(&nl, KF_PUBLISHED, 0) < 0 || kf_add(&kt, nl.text) < 0 ||
	    kf_write(&kt) < 0 ||
	    keydb_record(pem, NULL, o->domain, sel) < 0)
		goto out;
	if (!o->autorun)
		printf("; %s is published, not yet signing: publish the "
		    "record, check with testkeys, then dkimtool activate -c %s "
		    "-d %s\n", nl.name, o->conf, o->domain);
	rc = TOOL_EX_OK;
out:
	free(nl.text);
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	kf_free(&kt);
	return rc;
}

/* kf_repoint - SigningTable lines naming key from now name key to */
static int
kf_repoint(struct kf_file *st, const char *from, const char *to)
{
	char	 pat[TABLE_MAX_LINE], name[256], *text;
	const char *rest;
	size_t	 i;
	int	 n;

	for (i = 0; i < st->n; i++) {
		if (sscanf(st->l[i].text, " %4095s %255s%n", pat, name, &n) !=
		    2 || pat[0] == '#' || strcmp(name, from) != 0)
			continue;
		rest = st->l[i].text + n;
		if ((text = kf_fmt("%s\t%s%s", pat, to, rest)) == NULL)
			return -1;
		free(st->l[i].text);
		st->l[i].text = text;
	}
	return 0;
}

/* kf_revoke_due - retired lines of kt past their grace; the count */
static int
kf_revoke_due(struct kf_file *kt)
{
	char	*zone;
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < kt->n; i++) {
		if (kt->l[i].state != KF_RETIRED ||
		    kt->l[i].until > (long long)time(NULL))
			continue;
		if ((zone = tool_zone(kt->l[i].domain, kt->l[i].selector,
		    "v=DKIM1; p=")) == NULL || kf_set(&kt->l[i], KF_OTHER,
		    0) < 0) {
			free(zone);
			return -1;
		}
		printf("; %s._domainkey.%s revoked: publish\n%s",
		    kt->l[i].selector, kt->l[i].domain, zone);
		free(zone);
		n++;
	}
	return n;
}

/* kf_alg - "rsa" or "ed25519", the algorithm of key file path ("" if none) */
static const char *
kf_alg(const char *path)
{
	dkim_key *key;
	const char *alg = "";

	if ((key = dkim_key_load_file(path, NULL, 0)) != NULL) {
		alg = dkim_key_alg(key) == DKIM_ALG_ED25519_SHA256 ?
		    "ed25519" : "rsa";
		dkim_key_free(key);
	}
	return alg;
}

/*
 * kf_successor - the key that replaces active line a: the newest
 * published key of the domain with a's algorithm, else newest (any)
 */
static struct kf_line *
kf_successor(struct kf_file *kt, const struct kf_line *a,
    struct kf_line *newest)
{
	struct kf_line *same = NULL;
	const char *alg = kf_alg(a->path);
	size_t	 i;

	for (i = 0; i < kt->n; i++)
		if (kt->l[i].state == KF_PUBLISHED &&
		    strcasecmp(kt->l[i].domain, a->domain) == 0 &&
		    strcmp(kf_alg(kt->l[i].path), alg) == 0)
			same = &kt->l[i];
	return same ? same : newest;
}

/*
 * keyfile_activate - dkimtool activate -c on file tables: each active key
 * of the domain gives way to the newest published one of its algorithm
 * (a domain that signs with RSA and Ed25519 keeps both), else to the
 * newest published one
 */
int
keyfile_activate(const struct keydb_opts *o)
{
	struct kf_file kt, st;
	char	 ktp[1024], stp[1024];
	struct kf_line *nk = NULL, *rep;
	long long until = (long long)time(NULL) + o->grace;
	size_t	 i;
	int	 rc = TOOL_EX_FAIL, n = 0, chosen = 0;

	memset(&st, 0, sizeof(st));
	if (kf_tables(o->conf, ktp, stp, sizeof(ktp)) < 0 ||
	    kf_read(ktp, &kt) < 0)
		return TOOL_EX_FAIL;
	if (kf_read(stp, &st) < 0)
		goto out;
	for (i = 0; i < kt.n; i++)
		if (kt.l[i].state == KF_PUBLISHED &&
		    strcasecmp(kt.l[i].domain, o->domain) == 0)
			nk = &kt.l[i];		/* the newest wins */
	for (i = 0; nk != NULL && i < kt.n; i++) {
		if (kt.l[i].state != KF_ACTIVE ||
		    strcasecmp(kt.l[i].domain, o->domain) != 0)
			continue;
		rep = kf_successor(&kt, &kt.l[i], nk);
		rep->chosen = chosen = 1;
		if (kf_repoint(&st, kt.l[i].name, rep->name) < 0 ||
		    kf_set(&kt.l[i], KF_RETIRED, until) < 0)
			goto out;
		printf("; %s retired: keep its record published until %lld\n",
		    kt.l[i].name, until);
	}
	if (nk != NULL && !chosen)
		nk->chosen = 1;
	for (i = 0; i < kt.n; i++)
		if (kt.l[i].chosen && kf_set(&kt.l[i], KF_ACTIVE, 0) < 0)
			goto out;
	if (!o->autorun && (n = kf_revoke_due(&kt)) < 0)
		goto out;
	if (nk == NULL && n == 0) {
		tool_err("%s: no published key to activate and no retired key "
		    "due (dkimtool rotate first)", o->domain);
		goto out;
	}
	/* The key first, so that every name the SigningTable gives exists. */
	if (kf_write(&kt) < 0 || (nk != NULL && kf_write(&st) < 0))
		goto out;
	for (i = 0; i < kt.n; i++)
		if (kt.l[i].chosen)
			printf("; %s active%s\n", kt.l[i].name, o->autorun ?
			    "" : ": reload dkimd (SIGHUP)");
	rc = TOOL_EX_OK;
out:
	kf_free(&kt);
	kf_free(&st);
	return rc;
}

/*
 * keyfile_keys - the keys of the KeyTable (of domain, or all when NULL)
 * in a state rotate --auto acts on, with their public records; -1, why
 */
int
keyfile_keys(const char *conf, const char *domain, struct rot_keys *ks)
{
	static const enum rot_state map[] = { ROT_OTHER, ROT_ACTIVE,
	    ROT_PUBLISHED, ROT_RETIRED, ROT_REVOKED, ROT_OTHER };
	struct kf_file kt;
	struct rot_key *k;
	struct stat sb;
	char	 ktp[1024], stp[1024];
	size_t	 i;

	ks->n = 0;
	if (kf_tables(conf, ktp, stp, sizeof(ktp)) < 0 ||
	    kf_read(ktp, &kt) < 0)
		return -1;
	for (i = 0; i < kt.n && ks->n < ROT_KEYS_MAX; i++) {
		if (map[kt.l[i].state] == ROT_OTHER || (domain != NULL &&
		    strcasecmp(kt.l[i].domain, domain) != 0) ||
		    strcmp(kt.l[i].domain, "%") == 0)
			continue;
		k = &ks->k[ks->n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", kt.l[i].name);
		snprintf(k->domain, sizeof(k->domain), "%s", kt.l[i].domain);
		snprintf(k->selector, sizeof(k->selector), "%s",
		    kt.l[i].selector);
		snprintf(k->alg, sizeof(k->alg), "%s", kf_alg(kt.l[i].path));
		k->state = map[kt.l[i].state];
		k->until = kt.l[i].until;
		k->created = stat(kt.l[i].path, &sb) == 0 ?
		    (long long)sb.st_mtime : 0;
		k->record = k->state == ROT_REVOKED ? NULL :
		    keys_public_record(NULL, kt.l[i].path);
	}
	kf_free(&kt);
	return 0;
}

/*
 * keyfile_mark - the KeyTable line of key name becomes revoked (deleted
 * from DNS at until) or, with ROT_OTHER, deleted (a comment); -1, why
 */
int
keyfile_mark(const char *conf, const char *name, enum rot_state state,
    long long until)
{
	struct kf_file kt;
	char	 ktp[1024], stp[1024];
	size_t	 i;
	int	 rc = -1;

	if (kf_tables(conf, ktp, stp, sizeof(ktp)) < 0 ||
	    kf_read(ktp, &kt) < 0)
		return -1;
	for (i = 0; i < kt.n; i++)
		if ((kt.l[i].state == KF_RETIRED || kt.l[i].state ==
		    KF_REVOKED) && strcmp(kt.l[i].name, name) == 0)
			break;
	if (i == kt.n)
		tool_err("%s: no retired or revoked key %s", ktp, name);
	else if (kf_set(&kt.l[i], state == ROT_REVOKED ? KF_REVOKED :
	    KF_DELETED, until) == 0 && kf_write(&kt) == 0)
		rc = 0;
	kf_free(&kt);
	return rc;
}
