/*
 * test_msg.c - the engine end to end: RFC vectors, sign/verify round
 * trips in every canonicalization and chunking, tampering, key troubles,
 * Authentication-Results. Keys come from records files (no DNS here).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "tap.h"
#include "msgutil.h"

#ifndef VECTORS
#define VECTORS "t/data/vectors"
#endif

static dkim_ctx *ctx;
static struct records rec;
static time_t now = 1700000000;

/* verify_buf - verify a message; fills results[] (names), returns count */
static size_t
verify_buf(const char *msg, size_t len, size_t chunk, enum dkim_result *out,
    size_t max, char **ar)
{
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	size_t i, n = 0;

	if (feed(m, msg, len, chunk) == DKIM_OK) {
		n = dkim_result_count(m);
		for (i = 0; i < n && i < max; i++)
			out[i] = dkim_result_get(m, i)->result;
		if (ar)
			*ar = dkim_ar_value(m, "mx.example.org");
	} else if (ar)
		*ar = NULL;
	dkim_msg_free(m);
	return n;
}

/* first_result - the result of the first signature, or -1 */
static int
first_result(const char *msg, size_t len)
{
	enum dkim_result r[8];

	return verify_buf(msg, len, 0, r, 8, NULL) ? (int)r[0] : -1;
}

/* sign_buf - sign msg with one key; returns the signed message (malloc) */
static char *
sign_buf(const char *msg, size_t len, dkim_key *key, const char *d,
    const char *s, enum dkim_canon hc, enum dkim_canon bc, size_t chunk)
{
	struct dkim_signspec sp = { 0 };
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	char *out = NULL;
	const char *v;
	size_t vl;

	sp.domain = d;
	sp.selector = s;
	sp.key = key;
	sp.hcanon = hc;
	sp.bcanon = bc;
	sp.canon_set = 1;
	if (dkim_msg_add_signer(m, &sp) == DKIM_OK &&
	    feed(m, msg, len, chunk) == DKIM_OK &&
	    dkim_sig_count(m) == 1) {
		v = dkim_sig_header(m, 0);
		vl = strlen(v);
		out = malloc(len + vl + 32);
		memcpy(out, "DKIM-Signature:", 15);
		memcpy(out + 15, v, vl);
		memcpy(out + 15 + vl, "\r\n", 2);
		memcpy(out + 17 + vl, msg, len);
		out[17 + vl + len] = '\0';
	} else
		printf("# sign failed: %s\n", dkim_msg_error(m));
	dkim_msg_free(m);
	return out;
}

/* test_rfc8463 - both signatures of RFC 8463 Appendix A.3 pass */
static void
test_rfc8463(void)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7, 64, 1000 };
	enum dkim_result r[8];
	size_t len, i, n;
	char *msg = slurp(VECTORS "/rfc8463/message.eml", &len), name[128];

	ok(msg != NULL, "RFC 8463 A.3 message read");
	if (msg == NULL)
		return;
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		memset(r, 0, sizeof(r));
		n = verify_buf(msg, len, chunks[i], r, 8, NULL);
		snprintf(name, sizeof(name), "RFC 8463 A.3: ed25519 and rsa "
		    "signatures pass, body in %zu-byte chunks", chunks[i]);
		ok(n == 2 && r[0] == DKIM_RES_PASS && r[1] == DKIM_RES_PASS,
		    name);
	}
	free(msg);
}

/* test_rfc6376 - RFC 6376 Appendix A.2 (simple/simple) passes */
static void
test_rfc6376(void)
{
	size_t len;
	char *msg = slurp(VECTORS "/rfc6376/message.eml", &len);

	ok(msg != NULL, "RFC 6376 A.2 message read");
	if (msg == NULL)
		return;
	is_int(first_result(msg, len), DKIM_RES_PASS,
	    "RFC 6376 A.2: simple/simple rsa-sha256 passes");
	free(msg);
}

/* test_known_bh - signing RFC 8463 A.2 gives the published body hashes */
static void
test_known_bh(dkim_key *rsa)
{
	size_t len;
	char *msg = slurp(VECTORS "/rfc8463/unsigned.eml", &len), *s;

	if (msg == NULL) {
		ok(0, "RFC 8463 A.2 message read");
		return;
	}
	s = sign_buf(msg, len, rsa, "football.example.com", "test",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0);
	ok(s && strstr(s, "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="),
	    "relaxed body hash of RFC 8463 A.2 is the published one");
	free(s);
	s = sign_buf(msg, len, rsa, "football.example.com", "test",
	    DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0);
	ok(s && strstr(s, "bh=4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ="),
	    "simple body hash of RFC 8463 A.2 is the published one");
	free(s);
	free(msg);
}

static const char sample[] =
    "From: Joe  SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner\r\n"
    "  ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Received: from a by b\r\n"
    "Received: from c by d\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.  \r\n"
    "\r\n"
    "We lost the game.\t Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n"
    "\r\n"
    "\r\n";

/* test_roundtrip - sign and verify in all four canonicalizations */
static void
test_roundtrip(dkim_key *key, const char *sel, const char *what)
{
	static const size_t chunks[] = { 0, 1, 5 };
	enum dkim_canon hc, bc;
	size_t i;
	char name[160], *s;

	for (hc = DKIM_CANON_SIMPLE; hc <= DKIM_CANON_RELAXED; hc++)
		for (bc = DKIM_CANON_SIMPLE; bc <= DKIM_CANON_RELAXED; bc++)
			for (i = 0; i < 3; i++) {
				s = sign_buf(sample, sizeof(sample) - 1, key,
				    "football.example.com", sel, hc, bc,
				    chunks[i]);
				snprintf(name, sizeof(name), "%s c=%s/%s "
				    "signed in %zu-byte chunks verifies",
				    what, hc ? "relaxed" : "simple",
				    bc ? "relaxed" : "simple", chunks[i]);
				ok(s && first_result(s, strlen(s)) ==
				    DKIM_RES_PASS, name);
				free(s);
			}
}

/* replace - a copy of s with the first "from" replaced by "to" */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t a, fl = strlen(from), tl = strlen(to);
	char *out;

	if (p == NULL)
		return strdup(s);
	a = (size_t)(p - s);
	out = malloc(strlen(s) - fl + tl + 1);
	memcpy(out, s, a);
	memcpy(out + a, to, tl);
	strcpy(out + a + tl, p + fl);
	return out;
}

/* test_tamper - altered copies of a signed message never pass */
static void
test_tamper(dkim_key *key, const char *sel)
{
	char *s = sign_buf(sample, sizeof(sample) - 1, key,
	    "football.example.com", sel, DKIM_CANON_RELAXED,
	    DKIM_CANON_RELAXED, 0), *t, *p;

	if (s == NULL) {
		ok(0, "signed message for tampering");
		return;
	}
	t = replace(s, "hungry", "Hungry");
	is_int(first_result(t, strlen(t)), DKIM_RES_FAIL,
	    "a changed body byte fails");
	free(t);
	t = replace(s, "Subject: Is dinner", "Subject: Is lunch");
	is_int(first_result(t, strlen(t)), DKIM_RES_FAIL,
	    "a changed signed header fails");
	free(t);
	p = strstr(s, "From:");
	t = malloc(strlen(s) + 64);
	memcpy(t, s, (size_t)(p - s));
	strcpy(t + (p - s), "From: evil@attacker.example\r\n");
	strcat(t, p);
	ok(first_result(t, strlen(t)) != DKIM_RES_PASS,
	    "a second From added above the first never passes");
	free(t);
	t = replace(s, "Received: from a by b", "Received: from x by y");
	is_int(first_result(t, strlen(t)), DKIM_RES_PASS,
	    "a changed unsigned header (Received) still passes");
	free(t);
	t = replace(s, "d=football.example.com", "d=example.com");
	ok(first_result(t, strlen(t)) != DKIM_RES_PASS, "d= changed never "
	    "passes");
	free(t);
	p = strstr(s, " b=") ? strstr(s, " b=") : strstr(s, "\tb=");
	t = strdup(s);
	if (p) {
		char *q = t + (p - s) + 13;
		memmove(q, strchr(q, '\r'), strlen(strchr(q, '\r')) + 1);
	}
	ok(first_result(t, strlen(t)) != DKIM_RES_PASS,
	    "b= truncated never passes");
	free(t);
	t = replace(s, "\r\n\r\nHi.", "\r\n\r\nHi.\r\nextra line");
	is_int(first_result(t, strlen(t)), DKIM_RES_FAIL,
	    "an added body line fails");
	free(t);
	t = replace(s, "Joe.\r\n\r\n\r\n", "Joe.\r\n");
	is_int(first_result(t, strlen(t)), DKIM_RES_PASS,
	    "trailing empty lines removed in transit still pass");
	free(t);
	free(s);
}

/* test_keys - what DNS says about the key decides the result */
static void
test_keys(dkim_key *key)
{
	char *s = sign_buf(sample, sizeof(sample) - 1, key, "keys.example",
	    "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0), *pub, rv[4096];

	pub = dkim_key_public_record(key);
	records_add(&rec, "sel._domainkey.keys.example", pub, 0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PASS,
	    "key record from dkim_key_public_record verifies");
	records_add(&rec, "sel._domainkey.keys.example", "v=DKIM1; k=rsa; p=",
	    0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "revoked key (empty p=) is a permerror");
	records_add(&rec, "sel._domainkey.keys.example", "", DKIM_DNS_NOKEY);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "no key record is a permerror");
	records_add(&rec, "sel._domainkey.keys.example", "",
	    DKIM_DNS_TEMPFAIL);
	is_int(first_result(s, strlen(s)), DKIM_RES_TEMPERROR,
	    "a DNS failure is a temperror");
	records_add(&rec, "sel._domainkey.keys.example", "", DKIM_DNS_BAD);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "an ambiguous or malformed answer is a permerror");
	snprintf(rv, sizeof(rv), "%s; t=y", pub);
	records_add(&rec, "sel._domainkey.keys.example", rv, 0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PASS,
	    "a testing key (t=y) still reports pass");
	snprintf(rv, sizeof(rv), "v=DKIM1; h=sha1; %s", pub + 9);
	records_add(&rec, "sel._domainkey.keys.example", rv, 0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "a key restricted to h=sha1 rejects rsa-sha256");
	records_add(&rec, "sel._domainkey.keys.example",
	    "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
	    0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "an ed25519 key for an rsa-sha256 signature is a permerror");
	records_add(&rec, "sel._domainkey.keys.example", "v=DKIM1; p=!!!!",
	    0);
	is_int(first_result(s, strlen(s)), DKIM_RES_PERMERROR,
	    "malformed base64 in p= is a permerror");
	free(pub);
	free(s);
}

/* test_ar - Authentication-Results fields written and recognized */
static void
test_ar(void)
{
	static const char unsigned_msg[] = "From: a@b.example\r\n\r\nhi\r\n";
	enum dkim_result r[4];
	char *ar = NULL;
	size_t len;
	char *msg = slurp(VECTORS "/rfc8463/message.eml", &len);

	verify_buf(unsigned_msg, sizeof(unsigned_msg) - 1, 0, r, 4, &ar);
	is_str(ar, " mx.example.org; dkim=none", "no signature: dkim=none");
	free(ar);
	if (msg) {
		verify_buf(msg, len, 0, r, 4, &ar);
		ok(ar && strstr(ar, "dkim=pass") &&
		    strstr(ar, "header.d=football.example.com") &&
		    strstr(ar, "header.s=brisbane") &&
		    strstr(ar, "header.a=ed25519-sha256") &&
		    strstr(ar, "header.b=\"/gCrinpc\""),
		    "AR names d=, s=, a= and a quoted b= prefix");
		printf("# %s\n", ar ? ar : "(null)");
		free(ar);
		free(msg);
	}
	ok(dkim_ar_is_ours(" mx.example.org; dkim=pass", 26, "mx.example.org"),
	    "AR: plain authserv-id is ours");
	ok(dkim_ar_is_ours(" MX.Example.ORG.; dkim=pass", 27, "mx.example.org"),
	    "AR: upper case and trailing dot are ours");
	ok(dkim_ar_is_ours(" (forged) \"mx.example.org\" 1; spf=pass", 38,
	    "mx.example.org"), "AR: comment, quotes and version are ours");
	ok(dkim_ar_is_ours("\r\n\tmx.example.org;", 18, "mx.example.org"),
	    "AR: folded before the id is ours");
	ok(!dkim_ar_is_ours(" mx.example.org.evil; dkim=pass", 31,
	    "mx.example.org"), "AR: a longer id is not ours");
	ok(!dkim_ar_is_ours(" other.example; dkim=pass", 25, "mx.example.org"),
	    "AR: a foreign id is not ours");
	ok(!dkim_ar_is_ours(" (unterminated", 14, "mx.example.org"),
	    "AR: an unterminated comment is not ours and does not crash");
}

/* test_sign_refusals - what the signer refuses */
static void
test_sign_refusals(dkim_key *key)
{
	static const char nofrom[] = "To: x@y.example\r\n\r\nbody\r\n";
	static const char twofrom[] = "From: a@b.example\r\nFrom: c@d.example"
	    "\r\n\r\nbody\r\n";
	char *s;

	s = sign_buf(nofrom, sizeof(nofrom) - 1, key, "b.example", "s",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0);
	ok(s == NULL, "a message with no From is not signed");
	free(s);
	s = sign_buf(twofrom, sizeof(twofrom) - 1, key, "b.example", "s",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0);
	ok(s == NULL, "a message with two From fields is not signed");
	free(s);
	s = sign_buf(sample, sizeof(sample) - 1, key, "bad(domain", "s",
	    DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, 0);
	ok(s == NULL, "an invalid signing domain is refused");
	free(s);
}

/* test_multi - two signatures in one pass, both verify */
static void
test_multi(dkim_key *rsa, dkim_key *ed)
{
	struct dkim_signspec a = { 0 }, b = { 0 };
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	enum dkim_result r[4] = { 0 };
	char *out;
	size_t n = 0;

	a.domain = b.domain = "football.example.com";
	a.selector = "test";
	a.key = rsa;
	b.selector = "brisbane";
	b.key = ed;
	ok(dkim_msg_add_signer(m, &a) == DKIM_OK &&
	    dkim_msg_add_signer(m, &b) == DKIM_OK &&
	    feed(m, sample, sizeof(sample) - 1, 3) == DKIM_OK &&
	    dkim_sig_count(m) == 2, "one pass makes rsa and ed25519 signatures");
	if (dkim_sig_count(m) == 2) {
		out = malloc(sizeof(sample) + 4096);
		sprintf(out, "DKIM-Signature:%s\r\nDKIM-Signature:%s\r\n%s",
		    dkim_sig_header(m, 1), dkim_sig_header(m, 0), sample);
		n = verify_buf(out, strlen(out), 0, r, 4, NULL);
		free(out);
	}
	ok(n == 2 && r[0] == DKIM_RES_PASS && r[1] == DKIM_RES_PASS,
	    "both signatures of one pass verify");
	dkim_msg_free(m);
}

/* test_limits - header ceiling and bare LF input */
static void
test_limits(dkim_key *key)
{
	dkim_ctx *small = dkim_ctx_new(), *save = ctx;
	struct { char *p; } big;
	char *w;
	enum dkim_result r[2] = { 0 };
	size_t i, n;
	char *s, *lf;

	/* 5,000 fields of 40 bytes exceed a 64 KiB ceiling */
	big.p = malloc(5000 * 40 + 256);
	strcpy(big.p, "DKIM-Signature: v=1; a=rsa-sha256; d=x.example; "
	    "s=s; h=from; bh=AAAA; b=AAAA\r\nFrom: a@x.example\r\n");
	w = big.p + strlen(big.p);
	for (i = 0; i < 5000; i++)
		w += sprintf(w, "X-Filler: 0123456789012345678901234\r\n");
	strcpy(w, "\r\nbody\r\n");
	dkim_ctx_set_keysource(small, records_source, &rec);
	dkim_ctx_set_limits(small, 0, 65536, 0, 0);
	ctx = small;
	n = verify_buf(big.p, strlen(big.p), 0, r, 2, NULL);
	ok(n == 1 && r[0] == DKIM_RES_PERMERROR,
	    "a header block over the ceiling is a permerror, not a crash");
	ctx = save;
	dkim_ctx_free(small);
	free(big.p);

	/* the same message with LF line ends verifies */
	s = sign_buf(sample, sizeof(sample) - 1, key, "football.example.com",
	    "test", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, 0);
	if (s == NULL) {
		ok(0, "signed for LF test");
		return;
	}
	lf = malloc(strlen(s) + 1);
	for (i = 0, n = 0; s[i]; i++)
		if (!(s[i] == '\r' && s[i + 1] == '\n'))
			lf[n++] = s[i];
	lf[n] = '\0';
	is_int(first_result(lf, n), DKIM_RES_PASS,
	    "simple/simple signature verifies on the LF-only copy");
	free(lf);
	free(s);
}

int
main(void)
{
	char err[256];
	dkim_key *rsa, *ed;

	plan_lazy();
	ctx = dkim_ctx_new();
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	dkim_ctx_set_clock(ctx, fixed_clock, &now);
	ok(records_load(&rec, VECTORS "/rfc8463/records.txt") == 0 &&
	    records_load(&rec, VECTORS "/rfc6376/records.txt") == 0,
	    "vector records loaded");
	rsa = dkim_key_load_file(VECTORS "/rfc8463/test.rsa.pem", err,
	    sizeof(err));
	ed = dkim_key_load_file(VECTORS "/rfc8463/brisbane.ed25519.pem", err,
	    sizeof(err));
	ok(rsa && ed, "RFC 8463 private keys load");
	if (rsa == NULL || ed == NULL)
		return done_testing();

	test_rfc8463();
	test_rfc6376();
	test_known_bh(rsa);
	test_roundtrip(rsa, "test", "rsa-sha256");
	test_roundtrip(ed, "brisbane", "ed25519-sha256");
	test_multi(rsa, ed);
	test_tamper(rsa, "test");
	test_tamper(ed, "brisbane");
	test_sign_refusals(rsa);
	test_ar();
	test_limits(rsa);
	test_keys(rsa);

	dkim_key_free(rsa);
	dkim_key_free(ed);
	dkim_ctx_free(ctx);
	records_free(&rec);
	return done_testing();
}
