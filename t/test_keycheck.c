/*
 * test_keycheck.c - keycheck_judge(): what a published record says about
 * a signing key (dkimtool testkeys, KeyCheckInterval)
 *
 * The key is RFC 8463's test RSA key and its record as dkimcore makes
 * it; each case alters that record the way a zone goes wrong.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keycheck.h"
#include "tap.h"

#ifndef KEYDIR
#define KEYDIR "t/data/hostile/keys"
#endif

/* judge - keycheck_judge() of key against an OK answer txt */
static enum keycheck_state
judge(const dkim_key *k, const char *txt)
{
	return keycheck_judge(k, DKIM_DNS_OK, txt);
}

/* with_p - rec with prefix before it and its p= value replaced by p
 * (malloc) */
static char *
with_p(const char *rec, const char *prefix, const char *p)
{
	const char *v = strstr(rec, "p=");
	size_t	n = strlen(prefix) + strlen(p) + 8;
	char	*out;

	if (v == NULL || (out = malloc(n + (size_t)(v - rec))) == NULL)
		return NULL;
	snprintf(out, n + (size_t)(v - rec), "%s%.*sp=%s", prefix,
	    (int)(v - rec), rec, p);
	return out;
}

int
main(void)
{
	static const struct {
		const char *prefix;
		const char *p;		/* NULL: ours */
		enum keycheck_state want;
		const char *proves;
	} c[] = {
		{ "", "", KEYCHECK_REVOKED, "p= empty: revoked" },
		{ "t=y; ", NULL, KEYCHECK_TESTING,
		    "t=y with our key: testing" },
		{ "t=s:y; ", NULL, KEYCHECK_TESTING, "t=s:y: testing too" },
		{ "t=s; ", NULL, KEYCHECK_MATCH, "t=s alone: a match" },
		{ "k=ed25519; ", NULL, KEYCHECK_DIFFERS,
		    "our p= under k=ed25519: differs" },
		{ "", "AAAA", KEYCHECK_DIFFERS, "a truncated p=: differs" },
	};
	char	err[256], *rec, *r;
	dkim_key *k, *other;
	const char *p;
	size_t	i;

	plan_lazy();
	k = dkim_key_load_file(KEYDIR "/rfc8463-test.rsa.pem", err,
	    sizeof(err));
	other = dkim_key_load_file(KEYDIR "/big2048.rsa.pem", err,
	    sizeof(err));
	if (!ok(k != NULL && other != NULL, "the test keys load"))
		return done_testing();
	rec = dkim_key_public_record(k);
	ok(rec != NULL, "the key's record is made");
	is_int(judge(k, rec), KEYCHECK_MATCH, "its own record matches");
	r = dkim_key_public_record(other);
	is_int(judge(k, r), KEYCHECK_DIFFERS,
	    "another key's record: differs (a zone serving its own key)");
	free(r);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		r = with_p(rec, c[i].prefix, c[i].p != NULL ? c[i].p :
		    strstr(rec, "p=") + 2);
		is_int(r != NULL ? (int)judge(k, r) : -1, c[i].want,
		    c[i].proves);
		free(r);
	}
	/* FWS inside the base64, as a zone file's split strings give */
	p = strstr(rec, "p=") + 2;
	if ((r = malloc(strlen(rec) + 8)) != NULL) {
		snprintf(r, strlen(rec) + 8, "v=DKIM1; p=%.20s \t %s", p,
		    p + 20);
		is_int(judge(k, r), KEYCHECK_MATCH,
		    "white space inside p= is ignored");
		free(r);
	}
	is_int(keycheck_judge(k, DKIM_DNS_NOKEY, NULL), KEYCHECK_MISSING,
	    "no key record: missing");
	is_int(keycheck_judge(k, DKIM_DNS_BAD, NULL), KEYCHECK_MISSING,
	    "several records: missing (not one key)");
	is_int(keycheck_judge(k, DKIM_DNS_TEMPFAIL, NULL), KEYCHECK_DNS_ERROR,
	    "a temporary failure: dns_error, nothing known");
	is_str(keycheck_name(KEYCHECK_MAX), "unknown",
	    "a state out of range is named unknown");
	is_str(keycheck_name(KEYCHECK_DIFFERS), "differs",
	    "states have label tokens");
	free(rec);
	dkim_key_free(k);
	dkim_key_free(other);
	return done_testing();
}
