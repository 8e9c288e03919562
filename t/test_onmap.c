/*
 * test_onmap.c - the On-* situation of verification results (onmap.c)
 * comes from the engine's causes alone: every cause has the situation
 * written in t/data/milter/onmap.txt, a reason text that says otherwise
 * changes nothing, the most pressing situation of several signatures
 * wins, and real verifications (key records served here, no DNS) land
 * where they should.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onmap.h"
#include "tap.h"
/* msgutil.h's helpers are static; this program uses some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "msgutil.h"
#pragma GCC diagnostic pop

#ifndef KEYDIR
#define KEYDIR "t/data/hostile/keys"
#endif

#define SEL_NAME	"brisbane._domainkey.example.com"

/* the On-* keywords, by situation; "-" for none */
static const struct {
	const char *name;
	enum conf_on on;
} ons[] = {
	{ "-", CONF_ON_MAX },
	{ "On-BadSignature", CONF_ON_BADSIGNATURE },
	{ "On-DNSError", CONF_ON_DNSERROR },
	{ "On-NoSignature", CONF_ON_NOSIGNATURE },
	{ "On-InternalError", CONF_ON_INTERNALERROR },
	{ "On-KeyNotFound", CONF_ON_KEYNOTFOUND },
	{ "On-BadAuthor", CONF_ON_BADAUTHOR },
};

/* on_name - the keyword of a situation */
static const char *
on_name(enum conf_on on)
{
	size_t i;

	for (i = 0; i < sizeof(ons) / sizeof(ons[0]); i++)
		if (ons[i].on == on)
			return ons[i].name;
	return "?";
}

/* token_ok - 1 when s is a cause token: [a-z_]+, at most 32 bytes */
static int
token_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32)
		return 0;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || *s == '_'))
			return 0;
	return 1;
}

/* listed - the situation the data file gives token, or NULL */
static const char *
listed(char *data, const char *token)
{
	static char on[64];
	char *line, *save = NULL, *copy = strdup(data), *sp;

	on[0] = '\0';
	for (line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || (sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		if (strcmp(line, token) == 0) {
			snprintf(on, sizeof(on), "%s", sp + 1);
			break;
		}
	}
	free(copy);
	return on[0] ? on : NULL;
}

/* test_table - every cause: a distinct token, its situation as listed */
static void
test_table(void)
{
	char *data = slurp(DATA "/onmap.txt", NULL), name[200];
	const char *tok, *want;
	int c, d, bad_tok = 0, dup = 0, unlisted = 0, differ = 0, lines = 0;
	char *line, *save = NULL, *sp;

	if (!ok(data != NULL, "onmap.txt reads"))
		return;
	for (c = 0; c < DKIM_CAUSE_MAX; c++) {
		tok = dkim_cause_name((enum dkim_cause)c);
		if (!token_ok(tok) || strcmp(tok, "unknown") == 0) {
			printf("#   cause %d: bad token \"%s\"\n", c, tok);
			bad_tok++;
		}
		for (d = 0; d < c; d++)
			if (strcmp(tok, dkim_cause_name((enum dkim_cause)d)) ==
			    0)
				dup++;
		if ((want = listed(data, tok)) == NULL) {
			printf("#   cause %s: not in onmap.txt\n", tok);
			unlisted++;
		} else if (strcmp(want, on_name(onmap_cause(
		    (enum dkim_cause)c))) != 0) {
			printf("#   cause %s: %s, onmap.txt says %s\n", tok,
			    on_name(onmap_cause((enum dkim_cause)c)), want);
			differ++;
		}
	}
	for (line = strtok_r(data, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		if (*line != '#' && (sp = strchr(line, ' ')) != NULL)
			lines++;
	is_int(bad_tok, 0, "every cause's name is a token: [a-z_], no text "
	    "from mail, never \"unknown\"");
	is_int(dup, 0, "no two causes share a name");
	is_int(unlisted, 0, "every cause is listed in onmap.txt");
	is_int(differ, 0, "every cause maps to the situation onmap.txt gives");
	snprintf(name, sizeof(name), "onmap.txt lists %d causes, no more",
	    DKIM_CAUSE_MAX);
	is_int(lines, DKIM_CAUSE_MAX, name);
	is_str(dkim_cause_name(DKIM_CAUSE_MAX), "unknown",
	    "a cause out of range is named \"unknown\"");
	is_int(dkim_cause_result(DKIM_CAUSE_MAX), DKIM_RES_PERMERROR,
	    "a cause out of range is a permerror");
	is_int(onmap_cause(DKIM_CAUSE_MAX), CONF_ON_BADSIGNATURE,
	    "a cause out of range is On-BadSignature, never no action");
	free(data);
}

/* one - the situation of a single result */
static enum conf_on
one(enum dkim_cause c, const char *reason)
{
	struct dkim_sigresult r = { .result = dkim_cause_result(c),
	    .cause = c, .reason = reason, .domain = "", .selector = "" };

	return onmap_add(CONF_ON_NOSIGNATURE, &r);
}

/* test_reason_ignored - the text says one thing, the cause another */
static void
test_reason_ignored(void)
{
	is_int(one(DKIM_CAUSE_KEY_SYNTAX, "no key: NXDOMAIN"),
	    CONF_ON_BADSIGNATURE, "a key_syntax result whose reason begins "
	    "\"no key\" is On-BadSignature (the old text match said "
	    "On-KeyNotFound)");
	is_int(one(DKIM_CAUSE_NO_KEY, "bad key record: missing tag p="),
	    CONF_ON_KEYNOTFOUND, "a no_key result reworded is still "
	    "On-KeyNotFound");
	is_int(one(DKIM_CAUSE_NO_KEY, ""), CONF_ON_KEYNOTFOUND,
	    "a no_key result without any reason is On-KeyNotFound");
	is_int(one(DKIM_CAUSE_DNS_PERM, "malformed"), CONF_ON_KEYNOTFOUND,
	    "dns_perm (a malformed answer) is On-KeyNotFound, as before");
	is_int(one(DKIM_CAUSE_BODY_HASH, "no key"), CONF_ON_BADSIGNATURE,
	    "a body_hash result whose reason is \"no key\" is "
	    "On-BadSignature");
	is_int(one(DKIM_CAUSE_DNS_TEMP, "no key"), CONF_ON_DNSERROR,
	    "a dns_temp result whose reason is \"no key\" is On-DNSError");
	is_int(one(DKIM_CAUSE_PASS, "no key"), CONF_ON_MAX,
	    "a pass is no action whatever its reason says");
	is_int(one(DKIM_CAUSE_INTERNAL, "key lookup: timeout"),
	    CONF_ON_INTERNALERROR, "an internal (out of memory) result is "
	    "On-InternalError, not On-DNSError");
}

/* fold - the situation of results whose causes are named in list */
static enum conf_on
fold(const char *list)
{
	struct dkim_sigresult r = { .reason = "" };
	enum conf_on on = CONF_ON_NOSIGNATURE;
	char *copy = strdup(list), *tok, *save = NULL;
	int c;

	for (tok = strtok_r(copy, " ", &save); tok;
	    tok = strtok_r(NULL, " ", &save)) {
		for (c = 0; c < DKIM_CAUSE_MAX; c++)
			if (strcmp(dkim_cause_name((enum dkim_cause)c),
			    tok) == 0)
				break;
		r.cause = (enum dkim_cause)c;
		r.result = dkim_cause_result(r.cause);
		on = onmap_add(on, &r);
	}
	free(copy);
	return on;
}

/* test_order - several signatures: a pass wins, then the most pressing */
static void
test_order(void)
{
	static const struct {
		const char *causes;
		enum conf_on want;
	} rows[] = {
		{ "", CONF_ON_NOSIGNATURE },
		{ "body_hash no_key expired", CONF_ON_KEYNOTFOUND },
		{ "no_key dns_temp bad_signature", CONF_ON_DNSERROR },
		{ "dns_temp no_key", CONF_ON_DNSERROR },
		{ "dns_temp internal", CONF_ON_INTERNALERROR },
		{ "internal dns_temp", CONF_ON_INTERNALERROR },
		{ "body_hash pass dns_temp", CONF_ON_MAX },
		{ "weak_alg too_many_sigs", CONF_ON_BADSIGNATURE },
	};
	char name[200];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(name, sizeof(name), "signatures \"%s\": %s",
		    rows[i].causes, on_name(rows[i].want));
		is_int(fold(rows[i].causes), rows[i].want, name);
	}
}

/* verify - the situation of msg verified against rec; *cause its first */
static enum conf_on
verify(dkim_ctx *ctx, const char *msg, enum dkim_cause *cause)
{
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	enum conf_on on = CONF_ON_DEFAULT;

	*cause = DKIM_CAUSE_MAX;
	if (m && feed(m, msg, strlen(msg), 0) == DKIM_OK) {
		on = onmap_message(m);
		if (dkim_result_count(m) > 0)
			*cause = dkim_result_get(m, 0)->cause;
	}
	dkim_msg_free(m);
	return on;
}

/* engine_case - one served record (or failure) and what it leads to */
static void
engine_case(dkim_ctx *ctx, struct records *rec, const char *msg,
    const char *value, int fail, enum conf_on want, const char *cause,
    const char *what)
{
	enum dkim_cause got;
	char name[300];

	records_free(rec);
	if (value != NULL)
		records_add(rec, SEL_NAME, value, fail);
	snprintf(name, sizeof(name), "%s: %s, cause %s", what, on_name(want),
	    cause);
	if (!ok(verify(ctx, msg, &got) == want &&
	    strcmp(dkim_cause_name(got), cause) == 0, name))
		printf("#   got cause %s\n", dkim_cause_name(got));
}

/* test_engine - real verifications, each key outcome served here */
static void
test_engine(void)
{
	static const char body_msg[] = "From: joe@example.com\r\n"
	    "Subject: onmap\r\n\r\nHello.\r\n";
	char err[200], *msg = NULL, *pub = NULL, *p;
	struct records rec = { 0 };
	dkim_ctx *ctx = dkim_ctx_new();
	dkim_key *key = dkim_key_load_file(KEYDIR
	    "/rfc8463-brisbane.ed25519.pem", err, sizeof(err));

	if (!ok(ctx && key && (pub = dkim_key_public_record(key)) &&
	    (msg = signed_copy(ctx, key, "example.com", "brisbane",
	    body_msg)), "ed25519 key loads, "
	    "signs a message"))
		goto out;
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	engine_case(ctx, &rec, msg, pub, 0, CONF_ON_MAX, "pass",
	    "key served");
	engine_case(ctx, &rec, msg, NULL, 0, CONF_ON_KEYNOTFOUND, "no_key",
	    "no record (NXDOMAIN)");
	engine_case(ctx, &rec, msg, "", DKIM_DNS_TEMPFAIL, CONF_ON_DNSERROR,
	    "dns_temp", "lookup fails for now");
	engine_case(ctx, &rec, msg, "", DKIM_DNS_BAD, CONF_ON_KEYNOTFOUND,
	    "dns_perm", "malformed answer");
	engine_case(ctx, &rec, msg, "v=DKIM1; k=ed25519; p=",
	    0, CONF_ON_BADSIGNATURE, "key_revoked", "empty p= (revoked)");
	engine_case(ctx, &rec, msg, "v=DKIM2; p=AAAA", 0,
	    CONF_ON_BADSIGNATURE, "key_syntax", "v=DKIM2 record");
	engine_case(ctx, &rec, body_msg, pub, 0, CONF_ON_NOSIGNATURE, "unknown",
	    "no DKIM-Signature");
	if ((p = strstr(msg, "Hello.")) != NULL)
		*p = 'J';
	engine_case(ctx, &rec, msg, pub, 0, CONF_ON_BADSIGNATURE, "body_hash",
	    "body changed after signing");
out:
	records_free(&rec);
	free(msg);
	free(pub);
	dkim_key_free(key);
	dkim_ctx_free(ctx);
}

int
main(void)
{
	plan_lazy();
	test_table();
	test_reason_ignored();
	test_order();
	test_engine();
	return done_testing();
}
