/*
 * keypct.c - KeyTable keys whose path names the From domain ("%")
 *
 * "default %:mail:/etc/dkim/keys/%/mail.private" signs every domain a
 * hoster serves with one line: the key of example.com is read from
 * /etc/dkim/keys/example.com/mail.private the first time example.com
 * signs, then kept (one keytab_entry per domain, never moved or freed
 * before the table, so a struct signer may borrow it). A domain whose
 * key cannot be read is remembered for RETRY_SECS, with the reason, so a
 * missing key costs neither a file open per message nor a log line per
 * message; after that it is tried again.
 *
 * Only a domain name made of letters, digits, '-' and '.' (no empty
 * label) is put into a path: nothing a From field carries can climb out
 * of the directory.
 */
#define _GNU_SOURCE		/* tdestroy */
#include <pthread.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keypct.h"
#include "keyread.h"
#include "util.h"

#define RETRY_SECS	60		/* a key that failed is tried again */
#define KEYPCT_MAX	100000		/* domains kept per KeyTable line */
#define KEYPCT_MAX_BAD	1000		/* of which keys that failed */

struct pinst {
	char	*domain;		/* the From domain, lower case */
	struct keytab_entry e;		/* keypath with '%' replaced */
	time_t	retry;			/* e.key == NULL: when to try again */
	char	why[200];
};

struct keypct {
	pthread_mutex_t lock;
	struct keytab_entry tmpl;	/* a copy: the table's array moves */
	uid_t	safe_uid;
	size_t	rootlen;		/* the path up to the first '%' folder */
	unsigned minbits;
	void	*root;			/* tsearch(3) tree of struct pinst */
	size_t	n, nbad;
};

static conf_report_fn rt_report;	/* problems found while running */
static void *rt_arg;

/* keypct_set_report - where problems found while signing go */
void
keypct_set_report(conf_report_fn fn, void *arg)
{
	rt_report = fn;
	rt_arg = arg;
}

/* cmp - tsearch order: by domain */
static int
cmp(const void *a, const void *b)
{
	return strcmp(((const struct pinst *)a)->domain,
	    ((const struct pinst *)b)->domain);
}

/* keypct_domain_ok - 1 when d may go into a file path */
int
keypct_domain_ok(const char *d)
{
	const char *p;
	int	label = 0;

	if (*d == '\0' || strlen(d) > 253)
		return 0;
	for (p = d; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' &&
		    *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_')
			label++;
		else
			return 0;
	}
	return label > 0;
}

/* keypct_path - tmpl with every '%' replaced by d, into buf; -1 if long */
int
keypct_path(const char *tmpl, const char *d, char *buf, size_t size)
{
	size_t	o = 0, dl = strlen(d);
	const char *p;

	for (p = tmpl; *p; p++) {
		if (*p == '%') {
			if (o + dl >= size)
				return -1;
			memcpy(buf + o, d, dl);
			o += dl;
		} else {
			if (o + 1 >= size)
				return -1;
			buf[o++] = *p;
		}
	}
	buf[o] = '\0';
	return 0;
}

/* keypct_new - the per-domain keys of KeyTable entry tmpl */
struct keypct *
keypct_new(const struct keytab_entry *tmpl, uid_t safe_uid)
{
	struct keypct *k;
	const char *pct;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	pthread_mutex_init(&k->lock, NULL);
	k->tmpl = *tmpl;
	k->tmpl.pct = NULL;
	k->safe_uid = safe_uid;
	/*
	 * From the first folder whose name the From domain makes, every
	 * folder is opened without following links and checked: a tenant
	 * must not be able to put a link or a folder of its own anywhere
	 * on the path to its key.
	 */
	if ((pct = strchr(tmpl->keypath, '%')) == NULL &&
	    (pct = strrchr(tmpl->keypath, '/')) == NULL)
		pct = tmpl->keypath;	/* no '%': as table_key_read() */
	while (pct > tmpl->keypath && pct[-1] != '/')
		pct--;
	k->rootlen = pct > tmpl->keypath ? (size_t)(pct - 1 - tmpl->keypath) :
	    0;
	return k;
}

/* keypct_set_minbits - RSA keys shorter than this are refused */
void
keypct_set_minbits(struct keypct *k, unsigned bits)
{
	k->minbits = bits;
}

/* load - read p's key; 0, or -1 with p->why set */
static int
load(struct keypct *k, struct pinst *p)
{
	char	why[160];

	if ((p->e.key = table_key_read_below(p->e.keypath, k->rootlen,
	    k->safe_uid, why, sizeof(why))) == NULL) {
		snprintf(p->why, sizeof(p->why), "key file %s: %s",
		    p->e.keypath, why);
		return -1;
	}
	if (k->minbits && dkim_key_alg(p->e.key) == DKIM_ALG_RSA_SHA256 &&
	    dkim_key_bits(p->e.key) < k->minbits) {
		snprintf(p->why, sizeof(p->why), "key file %s: %u bits, "
		    "below MinimumKeyBits %u", p->e.keypath,
		    dkim_key_bits(p->e.key), k->minbits);
		dkim_key_free(p->e.key);
		p->e.key = NULL;
		return -1;
	}
	return 0;
}

/* pinst_free - free one domain's entry */
static void
pinst_free(void *v)
{
	struct pinst *p = v;

	if (p == NULL)
		return;
	free(p->domain);
	free(p->e.keypath);
	dkim_key_free(p->e.key);
	free(p);
}

/* pinst_new - an entry for domain d, its key not read yet */
static struct pinst *
pinst_new(const struct keypct *k, const char *d)
{
	struct pinst *p;
	char	path[4096];

	if (keypct_path(k->tmpl.keypath, d, path, sizeof(path)) < 0 ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->e = k->tmpl;
	p->e.key = NULL;
	p->e.pct = NULL;
	if ((p->domain = strdup(d)) == NULL ||
	    (p->e.keypath = strdup(path)) == NULL) {
		p->e.keypath = NULL;
		pinst_free(p);
		return NULL;
	}
	return p;
}

/* report - a failure, once per RETRY_SECS and domain */
static void
report(const struct keytab_entry *t, const char *d, const char *why)
{
	util_report(rt_report, rt_arg, 1, "%s:%d: key \"%s\" for %s: %s",
	    t->file, t->line, t->name, d, why);
}

/*
 * keypct_get - the entry of domain d (its key read now if need be), or
 * NULL with the reason in why
 */
const struct keytab_entry *
keypct_get(struct keypct *k, const char *d, char *why, size_t whylen)
{
	struct pinst key, *p, **slot;
	const struct keytab_entry *r = NULL;
	time_t	now = time(NULL);

	if (!keypct_domain_ok(d)) {
		snprintf(why, whylen, "\"%s\" cannot name a key file", d);
		return NULL;
	}
	key.domain = (char *)d;
	pthread_mutex_lock(&k->lock);
	if ((slot = tfind(&key, &k->root, cmp)) != NULL) {
		p = *slot;
		if (p->e.key == NULL && now >= p->retry) {
			if (load(k, p) < 0) {
				p->retry = now + RETRY_SECS;
				report(&k->tmpl, d, p->why);
			} else
				k->nbad--;
		}
	} else if (k->n >= KEYPCT_MAX || (p = pinst_new(k, d)) == NULL) {
		snprintf(why, whylen, "too many domains for one KeyTable line, "
		    "or out of memory");
		goto out;
	} else if (load(k, p) < 0 && k->nbad >= KEYPCT_MAX_BAD) {
		snprintf(why, whylen, "%s", p->why);
		report(&k->tmpl, d, p->why);
		pinst_free(p);
		goto out;
	} else if (tsearch(p, &k->root, cmp) == NULL) {
		snprintf(why, whylen, "out of memory");
		pinst_free(p);
		goto out;
	} else {
		k->n++;
		if (p->e.key == NULL) {
			k->nbad++;
			p->retry = now + RETRY_SECS;
			report(&k->tmpl, d, p->why);
		}
	}
	if (p->e.key != NULL)
		r = &p->e;
	else
		snprintf(why, whylen, "%s", p->why);
out:
	pthread_mutex_unlock(&k->lock);
	return r;
}

/* keypct_count - domains kept, and of those how many without a key */
void
keypct_count(struct keypct *k, size_t *n, size_t *bad)
{
	pthread_mutex_lock(&k->lock);
	*n = k->n;
	*bad = k->nbad;
	pthread_mutex_unlock(&k->lock);
}

/* keypct_free - free every domain's entry; NULL is a no-op */
void
keypct_free(struct keypct *k)
{
	if (k == NULL)
		return;
	tdestroy(k->root, pinst_free);
	pthread_mutex_destroy(&k->lock);
	free(k);
}
