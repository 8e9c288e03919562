/*
 * test_arc.c - ARC chains (RFC 8617): sealing, validating, and the
 * attacks on a chain that must never give arc=pass
 *
 *	t/test_arc		the engine's own cases (keys made here)
 *	t/test_arc DIR		the scenarios of DIR/index ("NAME CV" or
 *				"NAME SKIP reason" per line, with NAME.msg
 *				and NAME.dns beside it), written from the
 *				open ARC validation suite by t/arc-suite.py
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "tap.h"
#include "msgutil.h"

#define DOMAIN	"fwd.example"

static dkim_ctx *ctx;
static struct records rec;

static const char base_msg[] =
    "From: Alice <alice@origin.example>\r\n"
    "To: list@fwd.example\r\n"
    "Subject: ARC test\r\n"
    "Date: Mon, 7 Dec 2026 01:00:00 +0000\r\n"
    "Message-ID: <arc-1@origin.example>\r\n"
    "\r\n"
    "Hello,\r\n"
    "this is the body.\r\n";

/* publish - key's record at sel._domainkey.DOMAIN */
static void
publish(dkim_key *key, const char *sel)
{
	records_publish(&rec, key, sel, DOMAIN);
}

/* verify - the ARC result of msg; reason copied into why (may be NULL) */
static enum dkim_arc_result
verify(const char *msg, char *why, size_t whylen, int *sealed_fail)
{
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	enum dkim_arc_result r = DKIM_ARC_FAIL;
	const struct dkim_arcresult *ar;

	if (m != NULL && feed(m, msg, strlen(msg), 7) == DKIM_OK) {
		ar = dkim_arc_get(m);
		r = ar->result;
		if (why)
			snprintf(why, whylen, "%s", ar->reason);
		if (sealed_fail)
			*sealed_fail = ar->sealed_fail;
	}
	dkim_msg_free(m);
	return r;
}

/*
 * seal - msg with a new ARC set on top (malloc), or NULL with the
 * engine's error in err
 */
static char *
seal(const char *msg, dkim_key *key, const char *sel, char *err,
    size_t errlen)
{
	struct dkim_arcspec sp = { 0 };
	dkim_msg *m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	char *f[3] = { NULL, NULL, NULL }, *out = NULL;
	size_t len;
	int i;

	sp.domain = DOMAIN;
	sp.selector = sel;
	sp.key = key;
	sp.authres = DOMAIN "; dkim=none";
	err[0] = '\0';
	if (m == NULL || dkim_arc_want_seal(m) != DKIM_OK ||
	    feed(m, msg, strlen(msg), 0) != DKIM_OK)
		goto out;
	if (dkim_arc_seal(m, &sp, f) != DKIM_OK) {
		snprintf(err, errlen, "%s", dkim_msg_error(m));
		goto out;
	}
	len = strlen(msg) + 200;
	for (i = 0; i < 3; i++)
		len += strlen(f[i]);
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "%s:%s\r\n%s:%s\r\n%s:%s\r\n%s",
		    dkim_arc_field_name(0), f[0], dkim_arc_field_name(1),
		    f[1], dkim_arc_field_name(2), f[2], msg);
out:
	for (i = 0; i < 3; i++)
		free(f[i]);
	dkim_msg_free(m);
	return out;
}

/* replace - a copy of s with the first from replaced by to (malloc) */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	size_t n;
	char *out;

	if (p == NULL)
		return strdup(s);
	n = strlen(s) - strlen(from) + strlen(to) + 1;
	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
	return out;
}

/*
 * drop_set - a copy of msg without the three fields of instance inst
 * (each field is one line here, plus its folded continuation lines)
 */
static char *
drop_set(const char *msg, unsigned inst)
{
	char *out = malloc(strlen(msg) + 1), tag[16], *o = out;
	const char *p = msg, *eol;
	int skipping = 0;

	if (out == NULL)
		return NULL;
	snprintf(tag, sizeof(tag), " i=%u;", inst);
	while (*p) {
		eol = strchr(p, '\n');
		eol = eol ? eol + 1 : p + strlen(p);
		if (*p != ' ' && *p != '\t')
			skipping = strncasecmp(p, "ARC-", 4) == 0 &&
			    strstr(p, tag) != NULL && strstr(p, tag) < eol;
		if (!skipping) {
			memcpy(o, p, (size_t)(eol - p));
			o += eol - p;
		}
		if (p[0] == '\r' && p[1] == '\n')
			break;		/* the body follows unchanged */
		p = eol;
	}
	strcpy(o, p);
	return out;
}

/* test_chain - three hops sealed, each verified; the attacks fail */
static void
test_chain(dkim_key *rsa, dkim_key *ed)
{
	char *h1, *h2, *h3, *t, err[256], why[256];
	int sf = 0;

	is_int(verify(base_msg, NULL, 0, NULL), DKIM_ARC_NONE,
	    "a message without ARC fields is arc=none");
	h1 = seal(base_msg, rsa, "rsa", err, sizeof(err));
	ok(h1 && strstr(h1, "cv=none"), "hop 1 sealed with cv=none");
	if (h1 == NULL)
		return;
	is_int(verify(h1, why, sizeof(why), NULL), DKIM_ARC_PASS,
	    "one RSA-sealed set verifies: arc=pass");
	h2 = seal(h1, ed, "ed", err, sizeof(err));
	ok(h2 && strstr(h2, "i=2;") && strstr(h2, "cv=pass"),
	    "hop 2 (Ed25519) sealed i=2 cv=pass");
	h3 = h2 ? seal(h2, rsa, "rsa", err, sizeof(err)) : NULL;
	ok(h3 != NULL, "hop 3 sealed");
	if (h3 == NULL)
		goto out;
	is_int(verify(h3, why, sizeof(why), NULL), DKIM_ARC_PASS,
	    "three sets, RSA and Ed25519: arc=pass");

	t = replace(h3, "this is the body", "this is the bodY");
	is_int(verify(t, why, sizeof(why), NULL), DKIM_ARC_FAIL,
	    "a body byte changed after the last seal: arc=fail");
	ok(strstr(why, "body hash") != NULL, "... because of the body hash");
	free(t);
	t = replace(h3, "Subject: ARC test", "Subject: ARC tesT");
	is_int(verify(t, NULL, 0, NULL), DKIM_ARC_FAIL,
	    "a signed header changed: arc=fail");
	free(t);
	t = drop_set(h3, 2);
	is_int(verify(t, why, sizeof(why), NULL), DKIM_ARC_FAIL,
	    "ARC set 2 of 3 removed: arc=fail");
	free(t);
	t = drop_set(h3, 1);
	is_int(verify(t, NULL, 0, NULL), DKIM_ARC_FAIL,
	    "ARC set 1 of 3 removed: arc=fail");
	free(t);
	t = replace(h3, "ARC-Seal: i=3;", "ARC-Seal: i=4;");
	is_int(verify(t, NULL, 0, NULL), DKIM_ARC_FAIL,
	    "the newest seal's instance changed: arc=fail");
	free(t);
	t = replace(h3, "cv=pass", "cv=none");
	is_int(verify(t, NULL, 0, NULL), DKIM_ARC_FAIL,
	    "a seal's cv=pass turned to cv=none: arc=fail");
	free(t);
	t = replace(h2, "cv=pass", "cv=fail");
	{
		char *s = t ? seal(t, rsa, "rsa", err, sizeof(err)) : NULL;

		ok(t && s == NULL && strstr(err, "8617") != NULL,
		    "a chain whose newest seal says cv=fail is not sealed "
		    "again");
		free(s);
	}
	free(t);
	/* a chain that fails is sealed cv=fail, and never continued */
	t = replace(h2, "this is the body", "THIS is the body");
	{
		char *f = t ? seal(t, rsa, "rsa", err, sizeof(err)) : NULL;

		ok(f && strstr(f, "i=3; cv=fail") != NULL,
		    "a broken chain is sealed i=3 cv=fail");
		is_int(f ? (int)verify(f, why, sizeof(why), &sf) : -1,
		    DKIM_ARC_FAIL, "a chain sealed cv=fail is arc=fail");
		ok(sf == 1, "... and marked as never to be continued");
		free(f);
	}
	free(t);
out:
	free(h1);
	free(h2);
	free(h3);
}

/*
 * test_shared_key - seals 1 and 2 by one key, the AMS and seal 3 by
 * another: each key is fetched once and every seal still gets its key,
 * though the seals are judged from the newest down
 */
static void
test_shared_key(dkim_key *rsa, dkim_key *ed)
{
	char *h1, *h2, *h3 = NULL, err[256], why[256] = "";

	h1 = seal(base_msg, rsa, "rsa", err, sizeof(err));
	h2 = h1 ? seal(h1, rsa, "rsa", err, sizeof(err)) : NULL;
	h3 = h2 ? seal(h2, ed, "ed", err, sizeof(err)) : NULL;
	is_int(h3 ? (int)verify(h3, why, sizeof(why), NULL) : -1,
	    DKIM_ARC_PASS, "seals 1 and 2 by one key, 3 by another: arc=pass");
	if (why[0])
		printf("#   %s\n", why);
	free(h1);
	free(h2);
	free(h3);
}

/*
 * test_failed_sealed - a chain broken by a duplicate field, sealed
 * cv=fail by us: marked as never to be continued, though its form is bad
 */
static void
test_failed_sealed(dkim_key *key)
{
	char *h1, *dup, *f = NULL, *g = NULL, err[256];
	int sf = 0;

	h1 = seal(base_msg, key, "ed", err, sizeof(err));
	dup = h1 ? replace(h1, "ARC-Authentication-Results: i=1;",
	    "ARC-Authentication-Results: i=1; x\r\n"
	    "ARC-Authentication-Results: i=1;") : NULL;
	f = dup ? seal(dup, key, "ed", err, sizeof(err)) : NULL;
	ok(f && strstr(f, "i=2; cv=fail") != NULL,
	    "a chain with two AARs of i=1 is sealed i=2 cv=fail");
	is_int(f ? (int)verify(f, NULL, 0, &sf) : -1, DKIM_ARC_FAIL,
	    "... is arc=fail");
	ok(sf == 1, "... and marked as never to be continued");
	g = f ? seal(f, key, "ed", err, sizeof(err)) : NULL;
	ok(f && g == NULL, "... and not sealed again");
	free(h1);
	free(dup);
	free(f);
	free(g);
}

/* test_limits - instances beyond 50, duplicates, forbidden tags */
static void
test_limits(void)
{
	static const char *const hostile[][2] = {
	    { "ARC-Seal: i=51; cv=none; a=rsa-sha256; d=x.example; s=s; "
	      "b=AAAA\r\n", "an instance of 51 (beyond RFC 8617's 50)" },
	    { "ARC-Seal: i=0; cv=none; a=rsa-sha256; d=x.example; s=s; "
	      "b=AAAA\r\n", "an instance of 0" },
	    { "ARC-Seal: i=99999999999999999999; cv=none\r\n",
	      "an instance that overflows" },
	    { "ARC-Authentication-Results: x.example; i=1\r\n",
	      "an AAR whose i= does not come first" },
	    { "ARC-Authentication-Results: i=1; x\r\n"
	      "ARC-Authentication-Results: i=1; y\r\n",
	      "two AARs of one instance" },
	    { "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.example; s=s; "
	      "h=from; b=AAAA\r\n"
	      "ARC-Message-Signature: i=1; a=rsa-sha256; d=x.example; s=s; "
	      "h=from; bh=AAAA; b=AAAA\r\n"
	      "ARC-Authentication-Results: i=1; x\r\n",
	      "a seal with h=" },
	    { "ARC-Seal: i=1; cv=none; i=1\r\n", "a duplicate tag" },
	    { "ARC-Seal: ;;;;\r\n", "a seal that is no tag-list" },
	};
	char msg[4096], why[256];
	size_t i;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char name[160];

		snprintf(msg, sizeof(msg), "%s%s", hostile[i][0], base_msg);
		snprintf(name, sizeof(name), "%s: arc=fail", hostile[i][1]);
		is_int(verify(msg, why, sizeof(why), NULL), DKIM_ARC_FAIL,
		    name);
		ok(why[0] != '\0', "... with a reason");
	}
}

/* test_fifty - 50 sets seal and verify; the 51st is refused */
static void
test_fifty(dkim_key *key)
{
	char *msg = strdup(base_msg), *next, err[256];
	int i, sealed = 0;

	for (i = 0; i < DKIM_ARC_MAX && msg; i++) {
		next = seal(msg, key, "ed", err, sizeof(err));
		free(msg);
		msg = next;
		sealed += msg != NULL;
	}
	is_int(sealed, DKIM_ARC_MAX, "50 hops sealed in turn");
	if (msg == NULL)
		return;
	is_int(verify(msg, NULL, 0, NULL), DKIM_ARC_PASS,
	    "a chain of 50 sets verifies");
	next = seal(msg, key, "ed", err, sizeof(err));
	ok(next == NULL, "a 51st set is refused");
	free(next);
	free(msg);
}

/* suite - the scenarios of dir; TAP per scenario, skips counted */
static void
suite(const char *dir)
{
	char path[4096], *index, *line, *save = NULL, *sp, *msg, why[256];
	int skipped = 0, run = 0;

	snprintf(path, sizeof(path), "%s/index", dir);
	if ((index = slurp(path, NULL)) == NULL) {
		ok(0, "suite index readable");
		return;
	}
	for (line = strtok_r(index, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		char name[256], want[64];
		enum dkim_arc_result w, got;

		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(sp - line), line);
		if (strncmp(sp + 1, "SKIP", 4) == 0) {
			printf("ok %d - %s # SKIP%s\n", ++tap_n, name, sp + 5);
			skipped++;
			continue;
		}
		snprintf(want, sizeof(want), "%s", sp + 1);
		w = strcmp(want, "pass") == 0 ? DKIM_ARC_PASS :
		    strcmp(want, "none") == 0 ? DKIM_ARC_NONE : DKIM_ARC_FAIL;
		records_free(&rec);
		snprintf(path, sizeof(path), "%s/%s.dns", dir, name);
		records_load(&rec, path);
		snprintf(path, sizeof(path), "%s/%s.msg", dir, name);
		if ((msg = slurp(path, NULL)) == NULL) {
			ok(0, name);
			continue;
		}
		got = verify(msg, why, sizeof(why), NULL);
		free(msg);
		run++;
		if (!ok(got == w, name))
			printf("#   got arc=%s (%s), want %s\n",
			    dkim_arc_result_name(got), why, want);
		else if (got == DKIM_ARC_FAIL)
			printf("#   arc=fail: %s\n", why);
	}
	printf("# validation suite: %d scenarios run, %d skipped\n", run,
	    skipped);
	free(index);
}

int
main(int argc, char **argv)
{
	(void)fixed_clock;
	dkim_key *rsa, *ed;

	plan_lazy();
	if ((ctx = dkim_ctx_new()) == NULL) {
		ok(0, "context made");
		return done_testing();
	}
	dkim_ctx_set_keysource(ctx, records_source, &rec);
	if (argc > 1) {
		suite(argv[1]);
	} else {
		rsa = new_key("RSA");
		ed = new_key("ED25519");
		ok(rsa && ed, "an RSA and an Ed25519 key made");
		if (rsa && ed) {
			publish(rsa, "rsa");
			publish(ed, "ed");
			test_chain(rsa, ed);
			test_shared_key(rsa, ed);
			test_failed_sealed(ed);
			test_fifty(ed);
		}
		test_limits();
		dkim_key_free(rsa);
		dkim_key_free(ed);
	}
	dkim_ctx_free(ctx);
	records_free(&rec);
	return done_testing();
}
