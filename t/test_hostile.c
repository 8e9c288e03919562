/*
 * test_hostile.c - the engine against hostile input (issues 2 and 6)
 *
 * Data-driven part: every t/data/hostile/NAME.eml is one named case
 * (format in t/data/hostile/README, reading in t/hostile.h). A
 * verification case runs with the body fed whole, in 1-byte and in
 * 7-byte chunks; each run must give the expected results, and the
 * Authentication-Results value must be well formed. A signing case is
 * signed, then verified the same way. The cases and their signatures
 * are made by t/data/hostile/make-cases.py (not needed here).
 *
 * Programmatic part: inputs too large to keep as files (a 10 MB line,
 * 100,000 empty lines or header fields, 1,000 signatures, a 100,000-name
 * h=, a z= over the header ceiling), checked for their result, for
 * bounded time and, where the body is concerned, bounded memory; a slow
 * key source against the DNS budget; abandoned messages; forged
 * Authentication-Results; one-byte mutation sweeps; eight threads.
 *
 * No network: keys come from the directives through a records key source.
 */
#include <sys/resource.h>
#include <sys/time.h>

#include <dirent.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkim.h"
#include "dk.h"
#include "tap.h"
#include "msgutil.h"
#include "hostile.h"

static dkim_ctx *ctx;
static struct records rec;
static time_t now = 1700000000;	/* make-cases.py signs for this clock */
static unsigned lookups;	/* key lookups made, for the bound checks */

/* counting_source - records_source that also counts the lookups */
static enum dkim_dns_status
counting_source(void *arg, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	__atomic_add_fetch(&lookups, 1, __ATOMIC_SEQ_CST);
	return records_source(arg, qname, txt, reason, reasonlen);
}

/* maxrss_kb - the peak resident size of this process so far */
static long
maxrss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* ---- running cases ------------------------------------------------- */

/* feed_head - header fields of head[0..len) (CRLF lines), then eoh */
static int
feed_head(dkim_msg *m, const char *head, size_t len)
{
	const char *p = head, *end = head + len, *start, *lf;

	while (p < end) {
		start = p;
		do {
			lf = memchr(p, '\n', (size_t)(end - p));
			p = lf ? lf + 1 : end;
		} while (p < end && (*p == ' ' || *p == '\t'));
		if (dkim_header_field(m, start, (size_t)(p - start)) != DKIM_OK)
			return DKIM_ERR;
	}
	return dkim_eoh(m);
}

/*
 * feed_random - msg through m with the body in chunks of 1 to 97 bytes
 * drawn from seed (a small LCG, so that a failure can be replayed)
 */
static int
feed_random(dkim_msg *m, const char *msg, size_t len, uint32_t seed)
{
	const char *p = msg, *end = msg + len, *lf;
	size_t hlen = len, n;
	int rc;

	/* the header ends at the first empty line, if any */
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p = lf + 1;
		if (lf == msg || (p < end && *p == '\n') ||
		    (end - p >= 2 && p[0] == '\r' && p[1] == '\n')) {
			hlen = lf == msg ? 0 : (size_t)(p - msg);
			p += lf == msg ? 0 : *p == '\n' ? 1 : 2;
			break;
		}
	}
	if (lf == NULL)
		p = end;
	if ((rc = feed_head(m, msg, hlen)) != DKIM_OK)
		return rc;
	for (; p < end && rc == DKIM_OK; p += n) {
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % 97;
		if (n > (size_t)(end - p))
			n = (size_t)(end - p);
		rc = dkim_body(m, p, n);
	}
	return rc == DKIM_OK ? dkim_eom(m) : rc;
}

/*
 * cause_check - each result's cause gives that result and is a token;
 * with a "# cause:" line, the causes are the ones it lists
 */
static void
cause_check(const struct hcase *c, const dkim_msg *m, const char *what)
{
	char got[512], name[1400];
	const char *bad;

	causes_text(m, got, sizeof(got));
	if (getenv("HOSTILE_CAUSES"))
		printf("# cause %s%s: %s\n", c->name, what, got);
	bad = strstr(got, "MISMATCH") ? "MISMATCH" :
	    strstr(got, "unknown") ? "unknown" : NULL;
	if (c->cause[0]) {
		snprintf(name, sizeof(name), "hostile %s%s: causes %s",
		    c->name, what, c->cause);
		bad = strcmp(got, c->cause) == 0 ? NULL : "";
	} else
		snprintf(name, sizeof(name), "hostile %s%s: every result "
		    "has a cause that gives it", c->name, what);
	if (!check(bad == NULL, name, c->todo))
		printf("#   got causes \"%s\"\n", got);
}

/* verify_case - verify msg in chunks; the results must be as expected */
static void
verify_case(const struct hcase *c, const char *msg, size_t len,
    const char *what)
{
	static const size_t chunks[] = { 0, 1, 7, SIZE_MAX };
	char got[512], want[512], name[1400], *ar;
	const char *why;
	dkim_msg *m;
	size_t i;
	int rc;

	expect_text(c, want, sizeof(want));
	dkim_ctx_set_unsigned_body(ctx, c->unsigned_ok);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
		rc = chunks[i] == SIZE_MAX ? feed_random(m, msg, len,
		    (uint32_t)len) : feed(m, msg, len, chunks[i]);
		results_text(m, got, sizeof(got));
		if (chunks[i] == 0)
			snprintf(name, sizeof(name), "hostile %s%s: %s "
			    "(body whole)", c->name, what, want);
		else if (chunks[i] == SIZE_MAX)
			snprintf(name, sizeof(name), "hostile %s%s: %s "
			    "(body in random chunks of 1 to 97 bytes)",
			    c->name, what, want);
		else
			snprintf(name, sizeof(name), "hostile %s%s: %s "
			    "(body in %zu-byte chunks)", c->name, what, want,
			    chunks[i]);
		if (!check(rc == DKIM_OK && strcmp(got, want) == 0, name,
		    c->todo)) {
			printf("#   got \"%s\" (rc %d %s)\n", got, rc,
			    dkim_msg_error(m));
			reasons(m);
		} else if (chunks[i] == 0 && getenv("HOSTILE_VERBOSE"))
			reasons(m);
		if (chunks[i] == 0) {
			ar = dkim_ar_value(m, "mx.example.org");
			why = strcmp(got, want) == 0 ? ar_check(ar, c) :
			    "results differ (see above)";
			snprintf(name, sizeof(name), "hostile %s%s: "
			    "Authentication-Results well formed", c->name,
			    what);
			if (!check(why == NULL, name, c->todo))
				diag_ar(why, ar);
			free(ar);
			cause_check(c, m, what);
		}
		dkim_msg_free(m);
	}
	dkim_ctx_set_unsigned_body(ctx, 0);
}

/* sign_case - sign, then verify the result (or check the refusal) */
static void
sign_case(struct hcase *c)
{
	struct dkim_signspec sp = { 0 };
	char err[256], name[1400], qname[600], *pub = NULL, *out = NULL;
	dkim_key *key = dkim_key_load_file(c->key, err, sizeof(err));
	dkim_msg *m = NULL;
	const char *v;
	size_t vl;
	int refused;

	if (key == NULL) {
		snprintf(name, sizeof(name), "hostile %s: key %s loads",
		    c->name, c->key);
		ok(0, name);
		printf("#   %s\n", err);
		return;
	}
	sp.domain = c->domain;
	sp.selector = c->selector;
	sp.key = key;
	m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	refused = dkim_msg_add_signer(m, &sp) != DKIM_OK ||
	    feed(m, c->msg, c->len, 3) != DKIM_OK || dkim_sig_count(m) != 1;
	if (c->nexpect == 1 && strcmp(c->expect[0], "sign-refused") == 0) {
		snprintf(name, sizeof(name), "hostile %s: signing is refused",
		    c->name);
		if (ok(refused, name))
			printf("#   reason: %s\n", dkim_msg_error(m));
		goto out;
	}
	snprintf(name, sizeof(name), "hostile %s: signs", c->name);
	if (!ok(!refused, name)) {
		printf("#   %s\n", dkim_msg_error(m));
		goto out;
	}
	v = dkim_sig_header(m, 0);
	vl = strlen(v);
	out = malloc(c->len + vl + 32);
	memcpy(out, "DKIM-Signature:", 15);
	memcpy(out + 15, v, vl);
	memcpy(out + 15 + vl, "\r\n", 2);
	memcpy(out + 17 + vl, c->msg, c->len);
	pub = dkim_key_public_record(key);
	snprintf(qname, sizeof(qname), "%s._domainkey.%s", c->selector,
	    c->domain);
	records_add(&rec, qname, pub ? pub : "", 0);
	verify_case(c, out, c->len + 17 + vl, " (signed, then verified)");
out:
	free(pub);
	free(out);
	dkim_msg_free(m);
	dkim_key_free(key);
}

/* namecmp - qsort order of file names */
static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* run_files - every case file of HOSTILE_DIR, in name order */
static size_t
run_files(void)
{
	DIR *d = opendir(HOSTILE_DIR);
	struct dirent *e;
	char **names = NULL, name[600];
	size_t n = 0, cap = 0, i, l;
	struct hcase c;

	if (!ok(d != NULL, "hostile case directory " HOSTILE_DIR " opens"))
		return 0;
	while ((e = readdir(d)) != NULL) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), namecmp);
	for (i = 0; i < n; i++) {
		if (case_load(&c, &rec, names[i]) < 0 || c.nexpect == 0) {
			snprintf(name, sizeof(name), "hostile case %s loads, "
			    "with an expect line", names[i]);
			ok(0, name);
		} else if (c.sign)
			sign_case(&c);
		else
			verify_case(&c, c.msg, c.len, "");
		case_free(&c);
		records_free(&rec);
		free(names[i]);
	}
	free(names);
	return n;
}

/* ---- programmatic cases: sizes that should not be files ------------ */

/*
 * base_load - a case file split into header block (without the empty
 * line) and body; its records go into rec. 0 or -1.
 */
static int
base_load(struct hcase *c, const char *file, size_t *hlen,
    const char **body, size_t *blen)
{
	const char *sep;

	if (case_load(c, &rec, file) < 0 ||
	    (sep = find(c->msg, c->len, "\r\n\r\n", 4)) == NULL) {
		case_free(c);
		return -1;
	}
	*hlen = (size_t)(sep - c->msg) + 2;
	*body = sep + 4;
	*blen = c->len - *hlen - 2;
	return 0;
}

/* one_result - the result of a single-signature message, or -1 */
static int
one_result(const dkim_msg *m)
{
	return dkim_result_count(m) == 1 ?
	    (int)dkim_result_get(m, 0)->result : -1;
}

/*
 * big_body - the header of a case file, then reps copies of a 64 KiB
 * buffer filled with byte ch (no line end anywhere): the body path must
 * hold no copy (peak RSS grows by less than 6 MB for a 10 MB body).
 */
static void
big_body(const char *file, int ch, size_t reps, int want, const char *what)
{
	static char chunk[65536];
	struct hcase c;
	const char *body;
	size_t hlen, blen, i;
	dkim_msg *m;
	long rss0, grew;
	uint64_t t0;
	char name[300], *ar;
	int rc;

	if (base_load(&c, file, &hlen, &body, &blen) < 0) {
		ok(0, "base case for a big body loads");
		return;
	}
	memset(chunk, ch, sizeof(chunk));
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	rc = feed_head(m, c.msg, hlen);
	rss0 = maxrss_kb();
	t0 = dk_now_ms();
	for (i = 0; rc == DKIM_OK && i < reps; i++)
		rc = dkim_body(m, chunk, sizeof(chunk));
	if (rc == DKIM_OK)
		rc = dkim_eom(m);
	grew = maxrss_kb() - rss0;
	snprintf(name, sizeof(name), "hostile %s: %s", what,
	    dkim_result_name(want));
	if (!ok(rc == DKIM_OK && one_result(m) == want, name))
		reasons(m);
	snprintf(name, sizeof(name), "hostile %s: body not copied (peak "
	    "RSS grew %ld KB for %zu MB)", what, grew, reps / 16);
	ok(grew < 6 * 1024, name);
	snprintf(name, sizeof(name), "hostile %s: done in bounded time "
	    "(%llu ms)", what, (unsigned long long)(dk_now_ms() - t0));
	ok(dk_now_ms() - t0 < 60000, name);
	ar = dkim_ar_value(m, "mx.example.org");
	ok(ar && !strchr(ar, '\0' + 1), "hostile big body: AR made");
	free(ar);
	dkim_msg_free(m);
	case_free(&c);
	records_free(&rec);
}

/*
 * sign_big - sign a header and a 10 MB body without a line end, fed in
 * 64 KiB chunks, then verify the same: pass, and neither side keeps a
 * copy of the body
 */
static void
sign_big(int ch, const char *what)
{
	static char chunk[65536];
	static const char head[] = "From: joe@football.example.com\r\n"
	    "To: suzie@shopping.example.net\r\nSubject: big\r\n";
	struct dkim_signspec sp = { 0 };
	char err[256], name[300], *sig = NULL;
	dkim_key *key = dkim_key_load_file(HOSTILE_DIR
	    "/keys/rfc8463-test.rsa.pem", err, sizeof(err));
	char *pub = key ? dkim_key_public_record(key) : NULL;
	dkim_msg *m;
	long rss0;
	size_t i;
	int rc, pass;

	memset(chunk, ch, sizeof(chunk));
	sp.domain = "football.example.com";
	sp.selector = "test";
	sp.key = key;
	m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	rc = key && dkim_msg_add_signer(m, &sp) == DKIM_OK ? feed_head(m,
	    head, sizeof(head) - 1) : DKIM_ERR;
	rss0 = maxrss_kb();
	for (i = 0; rc == DKIM_OK && i < 160; i++)
		rc = dkim_body(m, chunk, sizeof(chunk));
	if (rc == DKIM_OK && dkim_eom(m) == DKIM_OK && dkim_sig_count(m) == 1)
		sig = strdup(dkim_sig_header(m, 0));
	dkim_msg_free(m);

	records_add(&rec, "test._domainkey.football.example.com",
	    pub ? pub : "", 0);
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	rc = sig ? dkim_header(m, "DKIM-Signature", 14, sig, strlen(sig)) :
	    DKIM_ERR;
	if (rc == DKIM_OK)
		rc = feed_head(m, head, sizeof(head) - 1);
	for (i = 0; rc == DKIM_OK && i < 160; i++)
		rc = dkim_body(m, chunk, sizeof(chunk));
	pass = rc == DKIM_OK && dkim_eom(m) == DKIM_OK &&
	    one_result(m) == DKIM_RES_PASS;
	snprintf(name, sizeof(name), "hostile %s: signed, then verified: "
	    "pass", what);
	if (!ok(pass, name))
		reasons(m);
	snprintf(name, sizeof(name), "hostile %s: signer and verifier keep "
	    "no copy (peak RSS grew %ld KB)", what, maxrss_kb() - rss0);
	ok(maxrss_kb() - rss0 < 6 * 1024, name);
	dkim_msg_free(m);
	records_free(&rec);
	free(sig);
	free(pub);
	dkim_key_free(key);
}

/* empty_lines - 100,000 empty lines after a signed body change nothing */
static void
empty_lines(const char *file, const char *extra, int want, const char *what)
{
	struct hcase c;
	const char *body;
	size_t hlen, blen, n, el = strlen(extra), i;
	char *msg, name[300];
	dkim_msg *m;
	static const size_t chunks[] = { 0, 7 };

	if (base_load(&c, file, &hlen, &body, &blen) < 0) {
		ok(0, "base case for empty lines loads");
		return;
	}
	n = c.len + 200000 + el;
	msg = malloc(n + 1);
	memcpy(msg, c.msg, c.len);
	for (i = 0; i < 100000; i++)
		memcpy(msg + c.len + 2 * i, "\r\n", 2);
	memcpy(msg + c.len + 200000, extra, el);
	for (i = 0; i < 2; i++) {
		m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
		snprintf(name, sizeof(name), "hostile %s: %s (body %s)", what,
		    dkim_result_name(want), chunks[i] ? "in 7-byte chunks" :
		    "whole");
		if (!ok(feed(m, msg, n, chunks[i]) == DKIM_OK &&
		    one_result(m) == want, name))
			reasons(m);
		dkim_msg_free(m);
	}
	free(msg);
	case_free(&c);
	records_free(&rec);
}

/*
 * big_head - a case file's message with extra text inserted at the top
 * of the header (reps copies of unit), judged as want, with cause, for
 * the first signature; the whole must take bounded time.
 */
static void
big_head(const char *file, const char *unit, size_t reps, int want,
    enum dkim_cause cause, size_t nres, const char *what)
{
	struct hcase c;
	const char *body;
	size_t hlen, blen, ul = strlen(unit), n, i;
	char *msg, name[300], *ar;
	dkim_msg *m;
	uint64_t t0;
	int rc;

	if (base_load(&c, file, &hlen, &body, &blen) < 0) {
		ok(0, "base case for a big header loads");
		return;
	}
	n = ul * reps + c.len;
	msg = malloc(n + 1);
	for (i = 0; i < reps; i++)
		memcpy(msg + i * ul, unit, ul);
	memcpy(msg + ul * reps, c.msg, c.len);
	t0 = dk_now_ms();
	lookups = 0;
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	rc = feed(m, msg, n, 4096);
	snprintf(name, sizeof(name), "hostile %s: %zu result%s, the first "
	    "%s, cause %s", what, nres, nres == 1 ? "" : "s",
	    dkim_result_name(want), dkim_cause_name(cause));
	if (!ok(rc == DKIM_OK && dkim_result_count(m) == nres &&
	    dkim_result_get(m, 0)->result == (enum dkim_result)want &&
	    dkim_result_get(m, 0)->cause == cause, name)) {
		printf("#   rc %d, %zu results\n", rc, dkim_result_count(m));
		reasons(m);
	}
	snprintf(name, sizeof(name), "hostile %s: bounded time (%llu ms) "
	    "and at most 8 key lookups (%u)", what,
	    (unsigned long long)(dk_now_ms() - t0), lookups);
	ok(dk_now_ms() - t0 < 60000 && lookups <= 8, name);
	ar = dkim_ar_value(m, "mx.example.org");
	snprintf(name, sizeof(name), "hostile %s: AR has one line per "
	    "result and no raw line end", what);
	{
		size_t lines = 0;
		const char *p;

		for (p = ar; p && (p = strstr(p, ";\r\n\t")); p += 4)
			lines++;
		ok(ar && lines == nres && strlen(ar) < 4096, name);
	}
	free(ar);
	dkim_msg_free(m);
	free(msg);
	case_free(&c);
	records_free(&rec);
}

/* many_sigs - 1,000 signatures: only max_sigs are looked at */
static void
many_sigs(void)
{
	char unit[300];
	size_t i;
	struct hcase c;
	const char *body;
	size_t hlen, blen, n = 0;
	char *msg;
	dkim_msg *m;
	uint64_t t0;
	int good = 1;

	/* 1,000 copies of one valid signature: 8 checked, each passes */
	big_head("baseline-rsa.eml", "", 0, DKIM_RES_PASS,
	    DKIM_CAUSE_PASS, 1, "control for 1,000 signatures");
	if (base_load(&c, "baseline-rsa.eml", &hlen, &body, &blen) < 0)
		return;
	{
		const char *end = strstr(c.msg, "\r\nFrom:");
		size_t sl = (size_t)(end - c.msg) + 2;

		msg = malloc(sl * 1000 + c.len + 1);
		for (i = 0; i < 1000; i++)
			memcpy(msg + i * sl, c.msg, sl);
		memcpy(msg + 1000 * sl, c.msg, c.len);
		n = 1000 * sl + c.len;
	}
	t0 = dk_now_ms();
	lookups = 0;
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	if (feed(m, msg, n, 0) != DKIM_OK)
		good = 0;
	for (i = 0; good && i < dkim_result_count(m); i++)
		if (dkim_result_get(m, i)->result != (i < 8 ? DKIM_RES_PASS :
		    DKIM_RES_POLICY) || dkim_result_get(m, i)->cause !=
		    (i < 8 ? DKIM_CAUSE_PASS : DKIM_CAUSE_TOO_MANY_SIGS))
			good = 0;
	ok(good && dkim_result_count(m) == 9, "hostile 1,001 copies of a "
	    "valid signature: the first 8 pass, one policy result for the "
	    "rest (dkim.h, max_sigs), cause too_many_sigs");
	if (!good)
		reasons(m);
	snprintf(unit, sizeof(unit), "hostile 1,001 signatures: bounded time "
	    "(%llu ms), one shared key lookup (%u)",
	    (unsigned long long)(dk_now_ms() - t0), lookups);
	ok(dk_now_ms() - t0 < 30000 && lookups == 1, unit);
	dkim_msg_free(m);
	free(msg);
	case_free(&c);
	records_free(&rec);

	/* 1,000 different selectors: 8 lookups, no more */
	msg = malloc(1000 * 200 + 1);
	for (i = 0, n = 0; i < 1000; i++)
		n += (size_t)sprintf(msg + n, "DKIM-Signature: v=1; "
		    "a=rsa-sha256; d=football.example.com; s=s%zu; h=from; "
		    "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		    "b=AAAA\r\n",
		    i);
	msg[n] = '\0';
	big_head("baseline-rsa.eml", msg, 1, DKIM_RES_PERMERROR,
	    DKIM_CAUSE_NO_KEY, 9,
	    "1,000 signatures with 1,000 selectors");
	free(msg);
}

/*
 * worst_select - the most header selection work one message can ask
 * for: 8 signatures, each with h= of 1000 different absent names, over
 * 20,000 header fields (each name scans every field); bounded time
 */
static void
worst_select(void)
{
	size_t i, j, n = 0, cap = 8 * 20000 + 20000 * 30 + 64;
	char *msg = malloc(cap);
	uint64_t t0;
	dkim_msg *m;
	char name[200];

	for (i = 0; i < 8; i++) {
		n += (size_t)sprintf(msg + n, "DKIM-Signature: v=1; "
		    "a=rsa-sha256; d=football.example.com; s=s%zu; h=from", i);
		for (j = 0; j < 999; j++)
			n += (size_t)sprintf(msg + n, ":x-%zu", j);
		n += (size_t)sprintf(msg + n, "; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQ"
		    "jO6Sn7XIkfJVOzv8=; b=AAAA\r\n");
	}
	for (i = 0; i < 20000; i++)
		n += (size_t)sprintf(msg + n, "Y-%zu: v\r\n", i);
	n += (size_t)sprintf(msg + n, "From: a@football.example.com\r\n\r\n"
	    "hi\r\n");
	t0 = dk_now_ms();
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	feed(m, msg, n, 0);
	snprintf(name, sizeof(name), "hostile 8 signatures x 1000 h= names "
	    "over 20,000 fields: judged in bounded time (%llu ms)",
	    (unsigned long long)(dk_now_ms() - t0));
	ok(dkim_result_count(m) == 8 && dk_now_ms() - t0 < 20000, name);
	dkim_msg_free(m);
	free(msg);
}

/* huge_tags - a z= over the header ceiling, an h= of 100,000 names */
static void
huge_tags(void)
{
	size_t n = 2 * 1024 * 1024 + 64, i;
	char *unit = malloc(n);

	i = (size_t)sprintf(unit, "DKIM-Signature: v=1; a=rsa-sha256; "
	    "d=football.example.com; s=test; h=from; z=");
	memset(unit + i, 'z', n - i - 64);
	strcpy(unit + n - 64, "; bh=AAAA; b=AAAA\r\n");
	big_head("baseline-rsa.eml", unit, 1, DKIM_RES_PERMERROR,
	    DKIM_CAUSE_HEADER_TOO_LARGE, 1,
	    "a 2 MB z= (header over the 1 MiB ceiling)");
	n = 100000 * 2 + 256;
	unit = realloc(unit, n);
	i = (size_t)sprintf(unit, "DKIM-Signature: v=1; a=rsa-sha256; "
	    "d=football.example.com; s=test; h=from");
	while (i < 100000 * 2)
		i += (size_t)sprintf(unit + i, ":x");
	sprintf(unit + i, "; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;"
	    " b=AAAA\r\n");
	big_head("baseline-rsa.eml", unit, 1, DKIM_RES_PERMERROR,
	    DKIM_CAUSE_SIG_SYNTAX, 2,
	    "an h= of 100,000 names");
	free(unit);
}

/* ar_forged - Authentication-Results disguises from ar-forged.txt */
static void
ar_forged(void)
{
	char *buf = slurp(HOSTILE_DIR "/ar-forged.txt", NULL), *line, *tab;
	char *save = NULL, name[600];
	size_t n = 0, len;
	int want;

	if (!ok(buf != NULL, "ar-forged.txt reads"))
		return;
	for (line = strtok_r(buf, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*line == '#' || (tab = strchr(line, '\t')) == NULL)
			continue;
		*tab++ = '\0';
		want = strcmp(line, "ours") == 0;
		snprintf(name, sizeof(name), "hostile forged AR \"%.200s\": %s",
		    tab, want ? "recognized as ours (removed)" :
		    "not ours (kept)");
		len = unescape(tab);
		is_int(dkim_ar_is_ours(tab, len, "mx.example.org"), want, name);
		n++;
	}
	ok(n >= 25, "at least 25 forged Authentication-Results disguises");
	free(buf);
}

/* slow_source - a key source that answers after 2 s */
static enum dkim_dns_status
slow_source(void *arg, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	struct timespec ts = { 2, 0 };

	nanosleep(&ts, NULL);
	return records_source(arg, qname, txt, reason, reasonlen);
}

/* dns_budget - a key lookup slower than the DNS budget is a temperror */
static void
dns_budget(void)
{
	dkim_ctx *slow = dkim_ctx_new(), *save = ctx;
	struct hcase c;
	dkim_msg *m;
	uint64_t t0;
	int rc;

	dkim_ctx_set_keysource(slow, slow_source, &rec);
	dkim_ctx_set_clock(slow, fixed_clock, &now);
	dkim_ctx_set_limits(slow, 0, 0, 0, 300);
	if (case_load(&c, &rec, "baseline-rsa.eml") < 0) {
		ok(0, "baseline case loads");
		dkim_ctx_free(slow);
		return;
	}
	ctx = slow;
	t0 = dk_now_ms();
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	rc = feed(m, c.msg, c.len, 0);
	if (!ok(rc == DKIM_OK && one_result(m) == DKIM_RES_TEMPERROR &&
	    dkim_result_get(m, 0)->cause == DKIM_CAUSE_DNS_TEMP,
	    "hostile key lookup slower than the 300 ms DNS budget: "
	    "temperror, cause dns_temp"))
		reasons(m);
	ok(dk_now_ms() - t0 < 1500, "hostile slow key lookup: end of "
	    "message within the budget, not the lookup's 2 s");
	dkim_msg_free(m);
	ctx = save;
	dkim_ctx_free(slow);	/* waits for the worker still sleeping */
	case_free(&c);
	records_free(&rec);
}

/* sign_overflow - a header block over the ceiling is never signed */
static void
sign_overflow(void)
{
	struct dkim_signspec sp = { 0 };
	char err[256], *msg;
	dkim_key *key = dkim_key_load_file(HOSTILE_DIR
	    "/keys/rfc8463-test.rsa.pem", err, sizeof(err));
	dkim_msg *m;
	size_t i, n = 0;
	static const char unit[] = "X-Filler: 0123456789abcdef\r\n";

	msg = malloc(100000 * (sizeof(unit) - 1) + 64);
	for (i = 0; i < 100000; i++, n += sizeof(unit) - 1)
		memcpy(msg + n, unit, sizeof(unit) - 1);
	n += (size_t)sprintf(msg + n, "From: a@football.example.com\r\n\r\n"
	    "hi\r\n");
	sp.domain = "football.example.com";
	sp.selector = "test";
	sp.key = key;
	m = dkim_msg_new(ctx, DKIM_MODE_SIGN);
	ok(key && dkim_msg_add_signer(m, &sp) == DKIM_OK &&
	    feed(m, msg, n, 0) != DKIM_OK && dkim_sig_count(m) == 0,
	    "hostile signing 100,000 header fields (over the ceiling) is "
	    "refused, not a signature over part of the header");
	dkim_msg_free(m);
	dkim_key_free(key);
	free(msg);
}

/*
 * abandon - a message dropped at each stage (a client that disconnects
 * mid-header, mid-body with key lookups in flight, or calls out of
 * order): no crash, no leak (the sanitizer build checks), errors say so
 */
static void
abandon(void)
{
	struct hcase c;
	const char *body;
	size_t hlen, blen, i;
	dkim_msg *m;

	if (base_load(&c, "two-sigs-good-and-bad.eml", &hlen, &body,
	    &blen) < 0) {
		ok(0, "base case for abandoned messages loads");
		return;
	}
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	dkim_header_field(m, c.msg, 40);
	dkim_msg_free(m);
	ok(1, "hostile message abandoned in the middle of its header");

	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	ok(feed_head(m, c.msg, hlen) == DKIM_OK &&
	    dkim_body(m, body, blen / 2) == DKIM_OK,
	    "hostile abandoned message: header and half the body taken");
	dkim_msg_free(m);
	ok(1, "hostile message abandoned mid-body, key lookups in flight");

	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	ok(feed_head(m, c.msg, hlen) == DKIM_OK &&
	    dkim_header_field(m, "X-Late: 1\r\n", 11) == DKIM_ERR,
	    "hostile header field after end of header is an error");
	ok(dkim_eoh(m) == DKIM_ERR, "hostile end of header twice is an error");
	ok(dkim_eom(m) == DKIM_OK && dkim_eom(m) == DKIM_ERR &&
	    dkim_body(m, "x", 1) == DKIM_ERR,
	    "hostile end of message twice, or body after it, is an error");
	ok(dkim_result_count(m) == 2 && dkim_result_get(m, 2) == NULL &&
	    dkim_result_get(m, (size_t)-1) == NULL,
	    "hostile result index out of range gives NULL");
	dkim_msg_free(m);

	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	ok(dkim_body(m, "x\r\n", 3) == DKIM_OK && dkim_eom(m) == DKIM_OK &&
	    dkim_result_count(m) == 0, "hostile body with no header at all: "
	    "no signature, no crash");
	dkim_msg_free(m);

	for (i = 0; i < 3; i++) {
		m = dkim_msg_new(ctx, i == 2 ? DKIM_MODE_SIGN :
		    DKIM_MODE_VERIFY);
		dkim_header(m, "", 0, "x", 1);
		dkim_header(m, " \t", 2, "x", 1);
		dkim_header(m, "From", 4, "", 0);
		dkim_header(m, "DKIM-Signature", 14, "", 0);
		dkim_eom(m);
		dkim_msg_free(m);
	}
	ok(1, "hostile empty names and values through dkim_header()");
	case_free(&c);
	records_free(&rec);
}

/*
 * many_bodyhashes - with max_sigs raised to 21, twenty-one signatures
 * that each need their own body hash (twenty distinct l= and the base
 * case's own): the first 16 are judged (fail: b= is junk), the rest are
 * policy (DK_MAX_BODYHASH, a bound of ours that a retry cannot lift),
 * never temperror
 */
static void
many_bodyhashes(void)
{
	dkim_ctx *big = dkim_ctx_new(), *save = ctx;
	struct hcase c;
	char *msg;
	size_t n = 0, i, nfail = 0, npolicy = 0;
	dkim_msg *m;

	dkim_ctx_set_keysource(big, counting_source, &rec);
	dkim_ctx_set_clock(big, fixed_clock, &now);
	dkim_ctx_set_limits(big, 21, 0, 0, 0);
	if (case_load(&c, &rec, "baseline-rsa.eml") < 0) {
		dkim_ctx_free(big);
		return;
	}
	msg = malloc(20 * 200 + c.len);
	for (i = 0; i < 20; i++)
		n += (size_t)sprintf(msg + n, "DKIM-Signature: v=1; "
		    "a=rsa-sha256; d=football.example.com; s=test; h=from; "
		    "l=%zu; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; "
		    "b=AAAA\r\n", i + 1);
	memcpy(msg + n, c.msg, c.len);
	n += c.len;
	ctx = big;
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	feed(m, msg, n, 0);
	for (i = 0; i < dkim_result_count(m); i++) {
		nfail += dkim_result_get(m, i)->result == DKIM_RES_FAIL;
		npolicy += dkim_result_get(m, i)->cause ==
		    DKIM_CAUSE_TOO_MANY_BODYHASHES;
	}
	if (!ok(dkim_result_count(m) == 21 && nfail == 16 && npolicy == 5,
	    "hostile 21 signatures with 21 distinct l= (max_sigs 21): 16 "
	    "judged, 5 policy (body hash bound, cause too_many_bodyhashes), "
	    "none temperror"))
		reasons(m);
	dkim_msg_free(m);
	ctx = save;
	dkim_ctx_free(big);
	free(msg);
	case_free(&c);
	records_free(&rec);
}

/* huge_keys - key records of 1 MB and of 100,000 tags are permerrors */
static void
huge_keys(void)
{
	static const char qn[] = "test._domainkey.football.example.com";
	struct hcase c;
	char *txt, name[200];
	size_t i, n = 1024 * 1024;
	dkim_msg *m;
	int k;

	for (k = 0; k < 2; k++) {
		if (case_load(&c, &rec, "baseline-rsa.eml") < 0)
			return;
		txt = malloc(n + 64);
		i = (size_t)sprintf(txt, "v=DKIM1; k=rsa; ");
		if (k == 0) {
			i += (size_t)sprintf(txt + i, "p=");
			memset(txt + i, 'A', n - i);
		} else
			while (i + 8 < n)
				i += (size_t)sprintf(txt + i, "x%zu=1;",
				    i % 100000);
		txt[k == 0 ? n : i] = '\0';
		records_add(&rec, qn, txt, 0);
		m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
		snprintf(name, sizeof(name), "hostile key record of 1 MB %s: "
		    "permerror", k == 0 ? "(one huge p=)" : "(100,000+ tags)");
		if (!ok(feed(m, c.msg, c.len, 0) == DKIM_OK &&
		    one_result(m) == DKIM_RES_PERMERROR, name))
			reasons(m);
		dkim_msg_free(m);
		free(txt);
		case_free(&c);
		records_free(&rec);
	}
}

/*
 * verify_any - verify msg once; 1 when any signature passed. The AR
 * value must be well formed whatever the results are.
 */
static int
verify_any(const char *msg, size_t len, int *arbad)
{
	struct hcase c = { .nexpect = 0 };
	char got[512], *w, *save = NULL, *ar;
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	int pass = 0;

	feed(m, msg, len, 0);
	results_text(m, got, sizeof(got));
	for (w = strtok_r(got, " ", &save); w && c.nexpect < MAX_EXPECT;
	    w = strtok_r(NULL, " ", &save)) {
		c.expect[c.nexpect++] = w;
		pass |= strcmp(w, "pass") == 0;
	}
	ar = dkim_ar_value(m, "mx.example.org");
	if (ar_check(ar, &c) != NULL)
		(*arbad)++;
	free(ar);
	dkim_msg_free(m);
	return pass;
}

/*
 * mutate_sweep - every byte of a signed message (but the empty line
 * after its header), and of its key record, replaced in turn by NUL,
 * '(', ';' and 0xFF: no such message passes, nothing crashes, every AR
 * value stays well formed
 */
static void
mutate_sweep(const char *file)
{
	static const char bad[] = { '\0', '(', ';', (char)0xff };
	struct hcase c;
	const char *body;
	size_t hlen, blen, i, k, tries = 0, passes = 0;
	char *copy, *key, name[400];
	int arbad = 0;

	if (base_load(&c, file, &hlen, &body, &blen) < 0)
		return;
	copy = malloc(c.len);
	for (i = 0; i < c.len; i++)
		for (k = 0; k < sizeof(bad); k++) {
			if (c.msg[i] == bad[k] || i == hlen || i == hlen + 1)
				continue;	/* the empty line stays */
			memcpy(copy, c.msg, c.len);
			copy[i] = bad[k];
			tries++;
			if (verify_any(copy, c.len, &arbad)) {
				passes++;
				printf("#   passed with byte %zu as "
				    "0x%02x\n", i, (unsigned char)bad[k]);
			}
		}
	snprintf(name, sizeof(name), "hostile %s: %zu one-byte mutations "
	    "of the message: none passes", c.name, tries);
	ok(passes == 0, name);
	snprintf(name, sizeof(name), "hostile %s: %zu one-byte mutations "
	    "of the message: every AR well formed", c.name, tries);
	is_int(arbad, 0, name);

	/* the key record: mutated in place (records_source returns a copy) */
	key = rec.n ? rec.value[0] : NULL;
	tries = passes = 0;
	arbad = 0;
	for (i = 0; key && key[i]; i++)
		for (k = 0; k < sizeof(bad); k++) {
			char was = key[i];

			if (was == bad[k])
				continue;
			key[i] = bad[k];
			tries++;
			if (verify_any(c.msg, c.len, &arbad)) {
				passes++;
				printf("#   passed with key byte %zu as "
				    "0x%02x\n", i, (unsigned char)bad[k]);
			}
			key[i] = was;
		}
	snprintf(name, sizeof(name), "hostile %s: %zu one-byte mutations "
	    "of the key record: none passes", c.name, tries);
	ok(key && passes == 0, name);
	snprintf(name, sizeof(name), "hostile %s: %zu one-byte mutations "
	    "of the key record: every AR well formed", c.name, tries);
	is_int(arbad, 0, name);
	free(copy);
	case_free(&c);
	records_free(&rec);
}

/* Cases for the threads test: all use the standard two keys. */
static const char *const thread_cases[] = {
	"baseline-rsa.eml", "baseline-ed25519.eml", "tampered-body.eml",
	"from-two.eml", "dup-tag-d.eml", "two-sigs-good-and-bad.eml",
	"l-content-after.eml", "body-bare-cr.eml", "key-rsa-1024.eml",
	"h-oversigned.eml"
};
#define NTHREAD_CASES	(sizeof(thread_cases) / sizeof(thread_cases[0]))
#define NTHREADS	8

static struct hcase tcase[NTHREAD_CASES];

/* thread_main - verify every thread case 20 times; count wrong results */
static void *
thread_main(void *arg)
{
	size_t i, r, *wrong = arg;
	char got[512], want[512];
	dkim_msg *m;

	for (r = 0; r < 20; r++)
		for (i = 0; i < NTHREAD_CASES; i++) {
			m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
			feed(m, tcase[i].msg, tcase[i].len, (r % 3) * 7);
			results_text(m, got, sizeof(got));
			expect_text(&tcase[i], want, sizeof(want));
			if (strcmp(got, want) != 0)
				(*wrong)++;
			dkim_msg_free(m);
		}
	return NULL;
}

/*
 * threads - eight threads verify hostile cases at once through one
 * context (as the milter does, a thread per connection): every result
 * is the one a lone thread gets
 */
static void
threads(void)
{
	pthread_t t[NTHREADS];
	size_t wrong[NTHREADS] = { 0 }, i, total = 0;
	int started = 1;

	for (i = 0; i < NTHREAD_CASES; i++)
		if (case_load(&tcase[i], &rec, thread_cases[i]) < 0)
			started = 0;
	for (i = 0; started && i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, thread_main, &wrong[i]) != 0)
			started = 0;
	while (i-- > 0) {
		pthread_join(t[i], NULL);
		total += wrong[i];
	}
	is_int(started ? (long long)total : -1, 0, "hostile 8 threads x 200 "
	    "messages through one context: every result as expected");
	for (i = 0; i < NTHREAD_CASES; i++)
		case_free(&tcase[i]);
	records_free(&rec);
}

/* big_bodies - 10 MB bodies and 100,000 empty lines, bounded memory */
static void
big_bodies(void)
{
	big_body("baseline-rsa.eml", 'a', 160, DKIM_RES_FAIL,
	    "a 10 MB body line without a line end (relaxed)");
	big_body("baseline-simple-simple.eml", 'a', 160, DKIM_RES_FAIL,
	    "a 10 MB body line without a line end (simple)");
	big_body("baseline-rsa.eml", ' ', 160, DKIM_RES_FAIL,
	    "10 MB of spaces without a line end (relaxed)");
	big_body("baseline-rsa.eml", '\r', 160, DKIM_RES_FAIL,
	    "10 MB of bare CRs");
	big_body("body-empty.eml", '\n', 160, DKIM_RES_PASS,
	    "10 MB of bare LFs where the body was empty (all dropped)");
	sign_big('a', "a 10 MB body line without a line end");
	sign_big(' ', "a 10 MB body of spaces without a line end");
	empty_lines("baseline-rsa.eml", "", DKIM_RES_PASS,
	    "100,000 empty lines after the body (relaxed)");
	empty_lines("baseline-simple-simple.eml", "", DKIM_RES_PASS,
	    "100,000 empty lines after the body (simple)");
	empty_lines("baseline-rsa.eml", "x\r\n", DKIM_RES_FAIL,
	    "100,000 empty lines, then text");
}

/* big_headers - many fields, tiny fields, a field folded 100,000 times */
static void
big_headers(void)
{
	static const char filler[] = "X-Filler: 0123456789abcdef\r\n";
	char *f = malloc(100000 * 4 + 32);
	size_t i, o = (size_t)sprintf(f, "X-Folded: x");

	big_head("baseline-rsa.eml", filler, 100000, DKIM_RES_PERMERROR,
	    DKIM_CAUSE_HEADER_TOO_LARGE, 1,
	    "100,000 header fields (over the 1 MiB ceiling)");
	big_head("baseline-rsa.eml", filler, 20000, DKIM_RES_PASS,
	    DKIM_CAUSE_PASS, 1,
	    "20,000 unsigned header fields (560 KB, under the ceiling)");
	big_head("baseline-rsa.eml", "X:\r\n", 40000, DKIM_RES_PERMERROR,
	    DKIM_CAUSE_HEADER_TOO_LARGE, 1,
	    "40,000 tiny header fields (160 KB, but their table is over the "
	    "1 MiB ceiling)");
	big_head("baseline-rsa.eml", "X-Folded: x\r\n", 1, DKIM_RES_PASS,
	    DKIM_CAUSE_PASS, 1,
	    "control for a field folded 100,000 times");
	for (i = 0; i < 100000; i++)
		o += (size_t)sprintf(f + o, "\r\n y");
	strcpy(f + o, "\r\n");
	big_head("baseline-rsa.eml", f, 1, DKIM_RES_PASS, DKIM_CAUSE_PASS, 1,
	    "an unsigned field folded 100,000 times");
	free(f);
}

int
main(void)
{
	size_t n;

	(void)records_load;	/* msgutil.h's, unused here */
	plan_lazy();
	ctx = dkim_ctx_new();
	dkim_ctx_set_keysource(ctx, counting_source, &rec);
	dkim_ctx_set_clock(ctx, fixed_clock, &now);

	big_bodies();	/* first, while the peak RSS is still low */
	big_headers();
	many_sigs();
	huge_tags();
	worst_select();
	sign_overflow();
	abandon();
	huge_keys();
	threads();
	mutate_sweep("baseline-rsa.eml");
	mutate_sweep("baseline-ed25519.eml");
	mutate_sweep("baseline-simple-simple.eml");
	many_bodyhashes();
	dns_budget();
	ar_forged();

	n = run_files();
	ok(n >= 80, "at least 80 hostile case files");

	dkim_ctx_free(ctx);
	records_free(&rec);
	return done_testing();
}
