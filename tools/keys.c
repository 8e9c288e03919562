/*
 * keys.c - dkimtool showkeys and testkeys: the keys of a dkimd.conf
 *
 * SYNOPSIS
 *	dkimtool showkeys -c FILE [-1] [-d DOMAIN]
 *	dkimtool testkeys -c FILE [-d DOMAIN] [--nameserver HOST[:PORT]]
 *		[--timeout MS]
 *
 * CONTRACT
 *	Both load the configuration as dkimd does (conf_load(): KeyTable and
 *	SigningTable, or the KeyFile shortcut, every key read once) and walk
 *	the (domain, selector, key) triples it signs with. A KeyTable domain
 *	of "%" (the From domain) stands for each domain that the SigningTable
 *	sends to that key: "user@host" and "host" patterns give "host";
 *	wildcard and ".parent" patterns name no one domain and are listed
 *	as a comment.
 *	showkeys prints the TXT record to publish for each, in zone-file
 *	form (as genkey writes it), or with -1 (--oneline) as one line
 *	"NAME<TAB>VALUE" for a web DNS editor. testkeys fetches each record
 *	over DNS (the Nameservers of the configuration unless --nameserver
 *	is given) and compares its k= and p= with the private key: one line
 *	per key, "SELECTOR._domainkey.DOMAIN => pass", or "=> fail (WHY)"
 *	where WHY is "no record", "record differs from the private key",
 *	"key revoked" (p= empty), "testing flag set" (t=y, RFC 6376 3.6.1)
 *	or "DNS error: ...". -d limits both to one domain. With tables in a
 *	database, the keys are its rows in state published (rotation: not
 *	signing yet), active and retired (still published). Exit status: 0
 *	when every key passes, 1 when one does not (or the configuration
 *	has an error), 75 when only DNS errors stood in the way.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "db.h"
#include "dkim.h"
#include "keypct.h"
#include "table.h"
#include "tool.h"

#define KEYS_MAX_DOMAINS	1024	/* domains listed for one "%" key */

typedef int (*keys_fn)(void *arg, const char *domain,
    const struct keytab_entry *e);

static int keys_walk_db(struct db *, keys_fn, void *);

struct keys_test {
	dkim_resolver *res;
	const char *only;		/* -d DOMAIN, or NULL */
	int	oneline;		/* showkeys -1 */
	int	bad;
	int	temp;
};

/* keys_report - print a configuration problem from conf_load() */
static void
keys_report(void *arg, int warn, const char *msg)
{
	(void)arg;
	tool_err("%s%s", warn ? "warning: " : "", msg);
}

/*
 * keys_domain - the one domain a SigningTable pattern names, copied into
 * buf; 0 when it names none (wildcards, ".parent", "*").
 */
static int
keys_domain(const char *pattern, char *buf, size_t size)
{
	const char *at = strrchr(pattern, '@');
	const char *host = at ? at + 1 : pattern;

	if (*host == '\0' || *host == '.' || strchr(host, '*') != NULL ||
	    strlen(host) >= size)
		return 0;
	memcpy(buf, host, strlen(host) + 1);
	return 1;
}

/* keys_seen - 1 when domain was already given for entry e */
static int
keys_seen(const struct table *signtab, size_t upto,
    const struct keytab_entry *e, const char *domain)
{
	char	 d[256];
	size_t	 i;

	for (i = 0; i < upto; i++)
		if (signtab->signs[i].key == e &&
		    keys_domain(signtab->signs[i].pattern, d, sizeof(d)) &&
		    strcmp(d, domain) == 0)
			return 1;
	return 0;
}

/*
 * keys_call - fn for domain and entry e; with '%' in e's key path, for
 * the domain's own key, read now (1 and a message when it cannot be)
 */
static int
keys_call(keys_fn fn, void *arg, const char *domain,
    const struct keytab_entry *e)
{
	const struct keytab_entry *r = e;
	char	 why[256];

	if (e->pct != NULL &&
	    (r = keypct_get(e->pct, domain, why, sizeof(why))) == NULL) {
		tool_err("%s (%s:%d) for %s: %s", e->name, e->file, e->line,
		    domain, why);
		return 1;
	}
	return fn(arg, domain, r);
}

/*
 * keys_walk - call fn for every (domain, key) the configuration signs
 * with; the sum of what fn returned.
 */
static int
keys_walk(const struct conf *c, keys_fn fn, void *arg)
{
	const struct keytab_entry *e;
	char	 d[256];
	size_t	 i, j, found;
	int	 sum = 0;

	if (c->signtab != NULL && c->signtab->db != NULL)
		return keys_walk_db(c->signtab->db, fn, arg);
	for (i = 0; i < c->keytab->n; i++) {
		e = &c->keytab->keys[i];
		if (strcmp(e->domain, "%") != 0) {
			sum += keys_call(fn, arg, e->domain, e);
			continue;
		}
		found = 0;
		for (j = 0; c->signtab != NULL && j < c->signtab->n &&
		    found < KEYS_MAX_DOMAINS; j++) {
			if (c->signtab->signs[j].key != e ||
			    !keys_domain(c->signtab->signs[j].pattern, d,
			    sizeof(d)) || keys_seen(c->signtab, j, e, d))
				continue;
			sum += keys_call(fn, arg, d, e);
			found++;
		}
		if (found == 0)
			printf("; %s (%s:%d): signs as the From domain, "
			    "and the SigningTable names no single domain "
			    "for it\n", e->name, e->file, e->line);
	}
	return sum;
}

/*
 * The rows of a database KeyTable, collected before use (db_query()
 * cannot be called again from inside its row callback).
 */
struct keys_rows {
	struct keytab_entry *e;
	size_t	n, max;
	int	bad;
};

static const char keys_sql_all[] =
    "SELECT domain, selector, private_key, key_path, not_before, "
    "not_after, name FROM dkim_keys WHERE state IN ('published', "
    "'active', 'retired') ORDER BY domain, selector";
static const char keys_sql_patterns[] =
    "SELECT pattern FROM dkim_signing WHERE key_name = ?";

/* keys_row - one dkim_keys row, its key loaded, into a keys_rows */
static int
keys_row(void *arg, int ncols, const char *const *v)
{
	struct keys_rows *kr = arg;
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
		tool_err("%s", err);
		kr->bad++;
		return 0;
	}
	kr->e[kr->n++].file = "database";
	return 0;
}

/* What keys_pattern_row() calls for each domain of a '%' key. */
struct keys_pct {
	keys_fn	fn;
	void	*arg;
	const struct keytab_entry *e;
	int	sum;
};

/* keys_pattern_row - one dkim_signing pattern of a '%' key */
static int
keys_pattern_row(void *arg, int ncols, const char *const *v)
{
	struct keys_pct *kp = arg;
	char	 d[256];

	if (ncols > 0 && v[0] != NULL && keys_domain(v[0], d, sizeof(d)))
		kp->sum += kp->fn(kp->arg, d, kp->e);
	return 0;
}

/* keys_walk_db - keys_walk() for tables in a database */
static int
keys_walk_db(struct db *db, keys_fn fn, void *arg)
{
	struct keys_rows kr = { NULL, 0, 0, 0 };
	struct keys_pct kp;
	const char *p[1];
	char	 err[256];
	size_t	 i;
	int	 sum;

	if (db_query(db, keys_sql_all, NULL, 0, keys_row, &kr, err,
	    sizeof(err)) < 0) {
		tool_err("%s", err);
		kr.bad++;
	}
	sum = kr.bad;
	for (i = 0; i < kr.n; i++) {
		if (strcmp(kr.e[i].domain, "%") != 0) {
			sum += fn(arg, kr.e[i].domain, &kr.e[i]);
			continue;
		}
		kp.fn = fn, kp.arg = arg, kp.e = &kr.e[i], kp.sum = 0;
		p[0] = kr.e[i].name;
		if (db_query(db, keys_sql_patterns, p, 1, keys_pattern_row,
		    &kp, err, sizeof(err)) < 0) {
			tool_err("%s", err);
			sum++;
		}
		sum += kp.sum;
	}
	for (i = 0; i < kr.n; i++)
		db_key_entry_clear(&kr.e[i]);
	free(kr.e);
	return sum;
}

/* keys_show - print the record to publish for e at domain */
static int
keys_show(void *arg, const char *domain, const struct keytab_entry *e)
{
	struct keys_test *kt = arg;
	char	*rec, *zone = NULL;

	if (kt->only != NULL && strcasecmp(kt->only, domain) != 0)
		return 0;
	if ((rec = dkim_key_public_record(e->key)) == NULL ||
	    (!kt->oneline &&
	    (zone = tool_zone(domain, e->selector, rec)) == NULL)) {
		tool_err("%s: cannot make the public key record", e->keypath);
		free(rec);
		return 1;
	}
	if (kt->oneline)
		printf("%s._domainkey.%s\t%s\n", e->selector, domain, rec);
	else
		printf("; %s, key %s\n%s", e->name, e->keypath, zone);
	free(rec);
	free(zone);
	return 0;
}

/*
 * keys_tag - the value of tag name in a key record, white space removed,
 * into buf (size bytes); 0 when absent or too long.
 */
static int
keys_tag(const char *rec, const char *name, char *buf, size_t size)
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

/* keys_flag - 1 when the colon-separated list flags holds f */
static int
keys_flag(const char *flags, const char *f)
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

/* keys_same - 1 when the published record carries our public key */
static int
keys_same(const char *ours, const char *theirs)
{
	static char a[8192], b[8192];
	char	 ka[32], kb[32];

	if (!keys_tag(ours, "k", ka, sizeof(ka)))
		snprintf(ka, sizeof(ka), "rsa");
	if (!keys_tag(theirs, "k", kb, sizeof(kb)))
		snprintf(kb, sizeof(kb), "rsa");	/* §3.6.1 default */
	return strcmp(ka, kb) == 0 && keys_tag(ours, "p", a, sizeof(a)) &&
	    keys_tag(theirs, "p", b, sizeof(b)) && strcmp(a, b) == 0;
}

/* keys_why - why the published record txt is not ours; NULL: it is */
static const char *
keys_why(const char *ours, const char *txt)
{
	char	 p[16], t[64];

	if (keys_tag(txt, "p", p, sizeof(p)) && p[0] == '\0')
		return "key revoked";		/* RFC 6376 3.6.1, p= */
	if (!keys_same(ours, txt))
		return "record differs from the private key";
	if (keys_tag(txt, "t", t, sizeof(t)) && keys_flag(t, "y"))
		return "testing flag set";
	return NULL;
}

/* keys_test - fetch the record for e at domain and compare it */
static int
keys_test(void *arg, const char *domain, const struct keytab_entry *e)
{
	struct keys_test *kt = arg;
	enum dkim_dns_status st;
	char	 qname[600], reason[256], *txt = NULL, *ours;
	const char *why;

	if (kt->only != NULL && strcasecmp(kt->only, domain) != 0)
		return 0;
	snprintf(qname, sizeof(qname), "%s._domainkey.%s", e->selector,
	    domain);
	if ((ours = dkim_key_public_record(e->key)) == NULL) {
		tool_err("%s: cannot make the public key record", e->keypath);
		kt->bad++;
		return 1;
	}
	reason[0] = '\0';
	st = dkim_resolver_keysource(kt->res, qname, &txt, reason,
	    sizeof(reason));
	if (st == DKIM_DNS_OK && (why = keys_why(ours, txt)) == NULL) {
		printf("%s => pass\n", qname);
	} else if (st == DKIM_DNS_OK) {
		printf("%s => fail (%s)\n", qname, why);
		kt->bad++;
	} else if (st == DKIM_DNS_TEMPFAIL) {
		printf("%s => fail (DNS error: %s)\n", qname, reason);
		kt->temp++;
	} else {
		printf("%s => fail (no record%s%s)\n", qname,
		    reason[0] ? ": " : "", reason);
		kt->bad++;
	}
	free(txt);
	free(ours);
	return 0;
}

/* keys_load - the configuration named by -c; NULL after printing why */
static struct conf *
keys_load(const char *path)
{
	struct conf *c;

	if ((c = conf_load(path, keys_report, NULL)) == NULL) {
		tool_err("%s: configuration has errors", path);
		return NULL;
	}
	if (c->keytab == NULL || (c->keytab->n == 0 && c->keytab->db ==
	    NULL)) {
		tool_err("%s: no KeyTable or KeyFile: no keys", path);
		conf_free(c);
		return NULL;
	}
	return c;
}

/* keys_main - dkimtool showkeys and testkeys */
int
keys_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nameserver", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "oneline", no_argument, NULL, '1' },
		{ "domain", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	struct keys_test kt = { NULL, NULL, 0, 0, 0 };
	const char *cmd = argv[0], *path = NULL, *ns = NULL;
	char	 err[256];
	unsigned timeout = 0;
	struct conf *c = NULL;
	int	 test = strcmp(cmd, "testkeys") == 0, ch, status = TOOL_EX_FAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":1c:d:n:T:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			kt.only = optarg;
			break;
		case '1':
			kt.oneline = 1;
			break;
		case 'n':
			ns = optarg;
			break;
		case 'T':
			if (tool_timeout(optarg, &timeout) < 0)
				return TOOL_EX_USAGE;
			break;
		default:
			return tool_badopt(cmd, ch, argv);
		}
	}
	if (path == NULL || optind != argc)
		return tool_usage("%s needs -c FILE and nothing else", cmd);
	if (!test && (ns != NULL || timeout != 0))
		return tool_usage("showkeys: --nameserver and --timeout are "
		    "for testkeys");
	if (test && kt.oneline)
		return tool_usage("testkeys: -1 is for showkeys");
	if ((c = keys_load(path)) == NULL)
		goto fail;
	if (!test) {
		status = keys_walk(c, keys_show, &kt) ? TOOL_EX_FAIL :
		    TOOL_EX_OK;
		goto fail;
	}
	if (ns == NULL)
		ns = c->nameservers;
	if (timeout == 0 && c->dnstimeout > 0)
		timeout = c->dnstimeout > TOOL_TIMEOUT_MAX / 1000 ?
		    TOOL_TIMEOUT_MAX : (unsigned)c->dnstimeout * 1000;
	if ((kt.res = dkim_resolver_new(ns, timeout, err,
	    sizeof(err))) == NULL) {
		tool_err("resolver: %s", err);
		goto fail;
	}
	keys_walk(c, keys_test, &kt);
	status = kt.bad ? TOOL_EX_FAIL : kt.temp ? TOOL_EX_TEMP : TOOL_EX_OK;

fail:
	fflush(stdout);
	dkim_resolver_free(kt.res);
	conf_free(c);
	return status;
}
