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
#include "dkim.h"
#include "keycheck.h"
#include "table.h"
#include "tool.h"

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

/* keys_note - a problem of the walk (keycheck.h): a note (warn) is a
 * comment in the output, an error goes to stderr */
static void
keys_note(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (warn)
		printf("; %s\n", msg);
	else
		tool_err("%s", msg);
}

/* keys_walk - fn for every key c publishes (keycheck_walk()) */
static int
keys_walk(const struct conf *c, keycheck_fn fn, void *arg)
{
	return keycheck_walk(c, 0, fn, arg, keys_note, NULL);
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

/* keys_test - fetch the record for e at domain and compare it */
static int
keys_test(void *arg, const char *domain, const struct keytab_entry *e)
{
	struct keys_test *kt = arg;
	enum dkim_dns_status st;
	enum keycheck_state ks;
	char	 qname[600], reason[256], *txt = NULL;

	if (kt->only != NULL && strcasecmp(kt->only, domain) != 0)
		return 0;
	snprintf(qname, sizeof(qname), "%s._domainkey.%s", e->selector,
	    domain);
	reason[0] = '\0';
	st = dkim_resolver_keysource(kt->res, qname, &txt, reason,
	    sizeof(reason));
	ks = keycheck_judge(e->key, st, txt);
	if (ks == KEYCHECK_MATCH) {
		printf("%s => pass\n", qname);
	} else if (ks == KEYCHECK_DNS_ERROR) {
		printf("%s => fail (DNS error: %s)\n", qname,
		    st == DKIM_DNS_OK ? "out of memory" : reason);
		kt->temp++;
	} else if (ks == KEYCHECK_MISSING) {
		printf("%s => fail (no record%s%s)\n", qname,
		    reason[0] ? ": " : "", reason);
		kt->bad++;
	} else {
		printf("%s => fail (%s)\n", qname, keycheck_why(ks));
		kt->bad++;
	}
	free(txt);
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
