/*
 * keycheck.c - the signing keys of a configuration, and whether DNS
 *	publishes each one's public key
 *
 * dkimtool testkeys and dkimd's KeyCheckInterval both walk the keys
 * here and judge what DNS says with keycheck_judge(); neither prints
 * here: problems go to the caller's report function (keycheck.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "keycheck.h"
#include "keypct.h"
#include "util.h"

#define KEYCHECK_REC_MAX	8192	/* bytes of a p= value compared */

/*
 * kc_domain - the one domain a SigningTable pattern names, copied into
 * buf; 0 when it names none (wildcards, ".parent", "*").
 */
static int
kc_domain(const char *pattern, char *buf, size_t size)
{
	const char *at = strrchr(pattern, '@');
	const char *host = at ? at + 1 : pattern;

	if (*host == '\0' || *host == '.' || strchr(host, '*') != NULL ||
	    strlen(host) >= size)
		return 0;
	memcpy(buf, host, strlen(host) + 1);
	return 1;
}

/* kc_seen - 1 when domain was already given for entry e */
static int
kc_seen(const struct table *signtab, size_t upto,
    const struct keytab_entry *e, const char *domain)
{
	char	 d[256];
	size_t	 i;

	for (i = 0; i < upto; i++)
		if (signtab->signs[i].key == e &&
		    kc_domain(signtab->signs[i].pattern, d, sizeof(d)) &&
		    strcmp(d, domain) == 0)
			return 1;
	return 0;
}

/* What a walk calls, and where its problems go. */
struct kc_walk {
	keycheck_fn fn;
	void	*arg;
	conf_report_fn report;
	void	*rarg;
};

/*
 * kc_call - fn for domain and entry e; with '%' in e's key path, for
 * the domain's own key, read now (1 and a report when it cannot be)
 */
static int
kc_call(const struct kc_walk *w, const char *domain,
    const struct keytab_entry *e)
{
	const struct keytab_entry *r = e;
	char	 why[256];

	if (e->pct != NULL &&
	    (r = keypct_get(e->pct, domain, why, sizeof(why))) == NULL) {
		util_report(w->report, w->rarg, 0, "%s (%s:%d) for %s: %s",
		    e->name, e->file, e->line, domain, why);
		return 1;
	}
	return w->fn(w->arg, domain, r);
}

/*
 * The rows of a database KeyTable, collected before use (db_query()
 * cannot be called again from inside its row callback).
 */
struct kc_rows {
	struct keytab_entry *e;
	size_t	n, max;
	int	bad;
	const struct kc_walk *w;
};

static const char kc_sql_all[] =
    "SELECT domain, selector, private_key, key_path, not_before, "
    "not_after, name FROM dkim_keys WHERE state IN ('published', "
    "'active', 'retired') ORDER BY domain, selector";
static const char kc_sql_active[] =
    "SELECT domain, selector, private_key, key_path, not_before, "
    "not_after, name FROM dkim_keys WHERE state = 'active' "
    "ORDER BY domain, selector";
static const char kc_sql_patterns[] =
    "SELECT pattern FROM dkim_signing WHERE key_name = ?";

/* kc_row - one dkim_keys row, its key loaded, into a kc_rows */
static int
kc_row(void *arg, int ncols, const char *const *v)
{
	struct kc_rows *kr = arg;
	char	 err[256];
	void	*ne;

	if (ncols < 7 || v[6] == NULL || kr->n >= TABLE_MAX_ENTRIES)
		return 0;
	if (kr->n == kr->max) {
		kr->max = kr->max ? kr->max * 2 : 64;
		if ((ne = realloc(kr->e, kr->max * sizeof(*kr->e))) == NULL)
			return -1;
		kr->e = ne;
	}
	if (db_key_entry(&kr->e[kr->n], v[6], v, (uid_t)-1, err,
	    sizeof(err)) < 0) {
		util_report(kr->w->report, kr->w->rarg, 0, "%s", err);
		kr->bad++;
		return 0;
	}
	kr->e[kr->n++].file = "database";
	return 0;
}

/* What kc_pattern_row() calls for each domain of a '%' key. */
struct kc_pct {
	const struct kc_walk *w;
	const struct keytab_entry *e;
	int	sum;
};

/* kc_pattern_row - one dkim_signing pattern of a '%' key */
static int
kc_pattern_row(void *arg, int ncols, const char *const *v)
{
	struct kc_pct *kp = arg;
	char	 d[256];

	if (ncols > 0 && v[0] != NULL && kc_domain(v[0], d, sizeof(d)))
		kp->sum += kp->w->fn(kp->w->arg, d, kp->e);
	return 0;
}

/* kc_walk_db - keycheck_walk() for tables in a database */
static int
kc_walk_db(struct db *db, int active_only, const struct kc_walk *w)
{
	struct kc_rows kr = { NULL, 0, 0, 0, w };
	struct kc_pct kp;
	const char *p[1];
	char	 err[256];
	size_t	 i;
	int	 sum;

	if (db_query(db, active_only ? kc_sql_active : kc_sql_all, NULL, 0,
	    kc_row, &kr, err, sizeof(err)) < 0) {
		util_report(w->report, w->rarg, 0, "%s", err);
		kr.bad++;
	}
	sum = kr.bad;
	for (i = 0; i < kr.n; i++) {
		if (strcmp(kr.e[i].domain, "%") != 0) {
			sum += w->fn(w->arg, kr.e[i].domain, &kr.e[i]);
			continue;
		}
		kp.w = w, kp.e = &kr.e[i], kp.sum = 0;
		p[0] = kr.e[i].name;
		if (db_query(db, kc_sql_patterns, p, 1, kc_pattern_row,
		    &kp, err, sizeof(err)) < 0) {
			util_report(w->report, w->rarg, 0, "%s", err);
			sum++;
		}
		sum += kp.sum;
	}
	for (i = 0; i < kr.n; i++)
		db_key_entry_clear(&kr.e[i]);
	free(kr.e);
	return sum;
}

/* keycheck_walk - fn for every (domain, key) c signs with (keycheck.h) */
int
keycheck_walk(const struct conf *c, int active_only, keycheck_fn fn,
    void *arg, conf_report_fn report, void *rarg)
{
	const struct kc_walk w = { fn, arg, report, rarg };
	const struct keytab_entry *e;
	char	 d[256];
	size_t	 i, j, found;
	int	 sum = 0;

	if (c->signtab != NULL && c->signtab->db != NULL)
		return kc_walk_db(c->signtab->db, active_only, &w);
	for (i = 0; c->keytab != NULL && i < c->keytab->n; i++) {
		e = &c->keytab->keys[i];
		if (strcmp(e->domain, "%") != 0) {
			sum += kc_call(&w, e->domain, e);
			continue;
		}
		found = 0;
		for (j = 0; c->signtab != NULL && j < c->signtab->n &&
		    found < KEYCHECK_MAX_DOMAINS; j++) {
			if (c->signtab->signs[j].key != e ||
			    !kc_domain(c->signtab->signs[j].pattern, d,
			    sizeof(d)) || kc_seen(c->signtab, j, e, d))
				continue;
			sum += kc_call(&w, d, e);
			found++;
		}
		if (found == 0)
			util_report(report, rarg, 1, "%s (%s:%d): signs as the "
			    "From domain, and the SigningTable names no single "
			    "domain for it", e->name, e->file, e->line);
	}
	return sum;
}

/*
 * kc_tag - the value of tag name in a key record, white space removed,
 * into buf (size bytes); 0 when absent or too long.
 */
static int
kc_tag(const char *rec, const char *name, char *buf, size_t size)
{
	const char *p = rec, *v;
	size_t	 nlen = strlen(name), n;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (strncmp(p, name, nlen) == 0) {
			v = p + nlen;
			while (*v == ' ' || *v == '\t')
				v++;
			if (*v == '=') {
				for (v++, n = 0; *v != '\0' && *v != ';'; v++) {
					if (*v == ' ' || *v == '\t' ||
					    *v == '\r' || *v == '\n')
						continue;
					if (n + 1 >= size)
						return 0;
					buf[n++] = *v;
				}
				buf[n] = '\0';
				return 1;
			}
		}
		if ((p = strchr(p, ';')) == NULL)
			break;
		p++;
	}
	return 0;
}

/* kc_flag - 1 when the colon-separated list flags holds f */
static int
kc_flag(const char *flags, const char *f)
{
	size_t	 n = strlen(f);
	const char *p;

	for (p = flags; p != NULL; p = strchr(p, ':')) {
		if (*p == ':')
			p++;
		if (strncasecmp(p, f, n) == 0 && (p[n] == ':' || p[n] == '\0'))
			return 1;
	}
	return 0;
}

/* kc_same - 1 when the published record carries our public key */
static int
kc_same(const char *ours, const char *theirs)
{
	char	 a[KEYCHECK_REC_MAX], b[KEYCHECK_REC_MAX];
	char	 ka[32], kb[32];

	if (!kc_tag(ours, "k", ka, sizeof(ka)))
		snprintf(ka, sizeof(ka), "rsa");
	if (!kc_tag(theirs, "k", kb, sizeof(kb)))
		snprintf(kb, sizeof(kb), "rsa");	/* §3.6.1 default */
	return strcmp(ka, kb) == 0 && kc_tag(ours, "p", a, sizeof(a)) &&
	    kc_tag(theirs, "p", b, sizeof(b)) && strcmp(a, b) == 0;
}

/* keycheck_judge - what a lookup of key's record says (keycheck.h) */
enum keycheck_state
keycheck_judge(const dkim_key *key, enum dkim_dns_status st,
    const char *txt)
{
	enum keycheck_state r;
	char	 p[16], t[64], *ours;

	if (st == DKIM_DNS_TEMPFAIL)
		return KEYCHECK_DNS_ERROR;
	if (st != DKIM_DNS_OK || txt == NULL)
		return KEYCHECK_MISSING;
	if (kc_tag(txt, "p", p, sizeof(p)) && p[0] == '\0')
		return KEYCHECK_REVOKED;		/* RFC 6376 3.6.1, p= */
	if ((ours = dkim_key_public_record(key)) == NULL)
		return KEYCHECK_DNS_ERROR;	/* no memory: try again */
	if (!kc_same(ours, txt))
		r = KEYCHECK_DIFFERS;
	else if (kc_tag(txt, "t", t, sizeof(t)) && kc_flag(t, "y"))
		r = KEYCHECK_TESTING;
	else
		r = KEYCHECK_MATCH;
	free(ours);
	return r;
}

static const char *const kc_names[KEYCHECK_MAX] = {
	"match", "differs", "revoked", "testing", "missing", "dns_error"
};
static const char *const kc_whys[KEYCHECK_MAX] = {
	"published record matches", "record differs from the private key",
	"key revoked", "testing flag set", "no record", "DNS error"
};

/* keycheck_name - a state's token; "unknown" out of range */
const char *
keycheck_name(enum keycheck_state s)
{
	return (unsigned)s < KEYCHECK_MAX ? kc_names[s] : "unknown";
}

/* keycheck_why - a state in testkeys' words; "unknown" out of range */
const char *
keycheck_why(enum keycheck_state s)
{
	return (unsigned)s < KEYCHECK_MAX ? kc_whys[s] : "unknown";
}
