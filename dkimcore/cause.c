/*
 * cause.c - why a signature got its result, as a token for programs
 *
 * SYNOPSIS
 *	dkim_cause_name(cause)		"no_key", "body_hash", ...
 *	dkim_cause_result(cause)	the result the cause gives
 *
 * CONTRACT
 *	One table holds, for each enum dkim_cause, its name and its result
 *	(RFC 8601 §2.7.1), so the verifier cannot set a cause and a result
 *	that disagree. The names are stable: programs act on them, logs and
 *	metrics carry them as they are; they are lower case, [a-z_] only,
 *	and never hold text from the message. A value out of range is
 *	"unknown" and permerror.
 */
#include "dk.h"

static const struct {
	const char *name;
	enum dkim_result result;
} causes[DKIM_CAUSE_MAX] = {
	[DKIM_CAUSE_NONE] = { "none", DKIM_RES_NONE },
	[DKIM_CAUSE_PASS] = { "pass", DKIM_RES_PASS },
	[DKIM_CAUSE_SIG_SYNTAX] = { "sig_syntax", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_ALG_UNKNOWN] = { "alg_unknown", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_X_BEFORE_T] = { "x_before_t", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_EXPIRED] = { "expired", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_FUTURE] = { "future", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_HNAMES_LIMIT] = { "hnames_limit", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_L_BEYOND_BODY] = { "l_beyond_body", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_HEADER_TOO_LARGE] = { "header_too_large",
	    DKIM_RES_PERMERROR },
	/* RFC 8301 §3.1 (rsa-sha1) and §3.2 (key size) */
	[DKIM_CAUSE_WEAK_ALG] = { "weak_alg", DKIM_RES_POLICY },
	[DKIM_CAUSE_SHORT_KEY] = { "short_key", DKIM_RES_POLICY },
	[DKIM_CAUSE_TOO_MANY_SIGS] = { "too_many_sigs", DKIM_RES_POLICY },
	[DKIM_CAUSE_TOO_MANY_BODYHASHES] = { "too_many_bodyhashes",
	    DKIM_RES_POLICY },
	[DKIM_CAUSE_UNSIGNED_BODY] = { "unsigned_body", DKIM_RES_POLICY },
	/* RFC 5322 §3.6 allows one From: none or several is permerror */
	[DKIM_CAUSE_FROM_COUNT] = { "from_count", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_HEADER_LEADING_WSP] = { "header_leading_wsp",
	    DKIM_RES_POLICY },
	[DKIM_CAUSE_FROM_SYNTAX] = { "from_syntax", DKIM_RES_POLICY },
	[DKIM_CAUSE_SENDER_COUNT] = { "sender_count", DKIM_RES_POLICY },
	[DKIM_CAUSE_SENDER_SYNTAX] = { "sender_syntax", DKIM_RES_POLICY },
	[DKIM_CAUSE_SENDER_MAILBOXES] = { "sender_mailboxes",
	    DKIM_RES_POLICY },
	[DKIM_CAUSE_DNS_TEMP] = { "dns_temp", DKIM_RES_TEMPERROR },
	[DKIM_CAUSE_NO_KEY] = { "no_key", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_DNS_PERM] = { "dns_perm", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_SYNTAX] = { "key_syntax", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_REVOKED] = { "key_revoked", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_TYPE] = { "key_type", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_HASH] = { "key_hash", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_STRICT] = { "key_strict", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_KEY_INVALID] = { "key_invalid", DKIM_RES_PERMERROR },
	[DKIM_CAUSE_BODY_HASH] = { "body_hash", DKIM_RES_FAIL },
	[DKIM_CAUSE_BAD_SIGNATURE] = { "bad_signature", DKIM_RES_FAIL },
	[DKIM_CAUSE_INTERNAL] = { "internal", DKIM_RES_TEMPERROR },
};

/* dkim_cause_name - the cause's token, "unknown" out of range */
const char *
dkim_cause_name(enum dkim_cause c)
{
	if ((unsigned)c >= DKIM_CAUSE_MAX || causes[c].name == NULL)
		return "unknown";
	return causes[c].name;
}

/* dkim_cause_result - the result the cause gives; permerror out of range */
enum dkim_result
dkim_cause_result(enum dkim_cause c)
{
	if ((unsigned)c >= DKIM_CAUSE_MAX || causes[c].name == NULL)
		return DKIM_RES_PERMERROR;
	return causes[c].result;
}
