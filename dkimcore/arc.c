/*
 * arc.c - validating an ARC chain (RFC 8617 §5.2) while verifying
 *
 * SYNOPSIS
 *	dk_arc_eoh(m)	at end of header: find the ARC sets, check their
 *			form, hash the newest ARC-Message-Signature and
 *			every ARC-Seal, send for their keys
 *	dk_arc_eom(m)	at end of message: judge them, newest AMS first,
 *			then the seals from the newest down
 *	dkim_arc_get(m)	the chain's result: none, pass or fail, a reason
 *
 * CONTRACT
 *	A message without ARC fields costs one pass over its field names
 *	(their hashes, kept by msg.c) and gets arc=none. Everything else
 *	about a chain is checked with the DKIM engine's own parts: the tag
 *	parser and field checks of sig.c (dk_sig_parse_kind), header
 *	selection and canonicalization of msg.c and canon.c, the key lookup,
 *	key rules (RFC 8301 included) and signature check of verify.c. A
 *	chain that is malformed in any way is arc=fail with a reason; it
 *	never costs more than DKIM_ARC_MAX sets (the sets are a fixed
 *	table, the seals one allocation of at most that many), and the seal
 *	hashes are made in one pass over the sets, not one per seal.
 *
 *	The reason is for people: it may name an instance and a tag, never
 *	text of the message beyond a sanitized d= or s=.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "arc.h"

/* The field names of an ARC set, in the order a seal hashes them. */
static const struct {
	const char *name;
	size_t	len;
} arc_names[3] = {
	{ "arc-authentication-results", 26 },
	{ "arc-message-signature", 21 },
	{ "arc-seal", 8 }
};

/* dkim_arc_result_name - RFC 8601's name of a chain result */
const char *
dkim_arc_result_name(enum dkim_arc_result r)
{
	switch (r) {
	case DKIM_ARC_PASS:
		return "pass";
	case DKIM_ARC_FAIL:
		return "fail";
	case DKIM_ARC_NONE:
		break;
	}
	return "none";
}

/* arc_fail - the chain fails, with a reason; returns 0 for chaining */
static int
arc_fail(struct dk_arc *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
arc_fail(struct dk_arc *a, const char *fmt, ...)
{
	va_list ap;

	a->res.result = DKIM_ARC_FAIL;
	a->decided = 1;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* arc_kind - which ARC field f is (ARC_AAR, ARC_AMS, ARC_AS), or -1 */
static int
arc_kind(const dkim_msg *m, const struct dk_field *f)
{
	int k;

	for (k = 0; k < 3; k++)
		if (dk_field_is(m, f, arc_names[k].name, arc_names[k].len))
			return k;
	return -1;
}

/* dk_arc_field_kind - the same for arcseal.c */
int
dk_arc_field_kind(const dkim_msg *m, const struct dk_field *f)
{
	return arc_kind(m, f);
}

/* arc_number - an instance, 1..DKIM_ARC_MAX, from digits; 0 if none */
static unsigned
arc_number(const char *v, size_t n)
{
	unsigned r = 0;
	size_t i;

	if (n == 0 || n > 2)
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		r = r * 10 + (unsigned)(v[i] - '0');
	}
	return r >= 1 && r <= DKIM_ARC_MAX ? r : 0;
}

#define IS_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/*
 * aar_instance - the instance of an ARC-Authentication-Results value,
 * which must begin "i=" instance ";" (RFC 8617 §4.1.1), FWS allowed
 * around the tokens; 0 when it does not
 */
static unsigned
aar_instance(const char *v, size_t n)
{
	const char *p = v, *end = v + n, *d;

	while (p < end && IS_FWS(*p))
		p++;
	if (p == end || *p++ != 'i')
		return 0;
	while (p < end && IS_FWS(*p))
		p++;
	if (p == end || *p++ != '=')
		return 0;
	while (p < end && IS_FWS(*p))
		p++;
	for (d = p; p < end && *p >= '0' && *p <= '9'; p++)
		;
	if (p == d)
		return 0;
	n = (size_t)(p - d);
	while (p < end && IS_FWS(*p))
		p++;
	if (p == end || *p != ';')
		return 0;
	return arc_number(d, n);
}

/*
 * tag_instance - the i= of an ARC-Seal or ARC-Message-Signature, and
 * (seal) its cv=; 0 with why when the tag-list is bad or i= is missing
 * or out of 1..DKIM_ARC_MAX
 */
static unsigned
tag_instance(const char *v, size_t n, enum dk_arc_cv *cv, char *why,
    size_t whylen)
{
	struct dk_tag tags[DK_TAGS_MAX];
	size_t nt, i;
	unsigned inst = 0;
	int seen = 0;

	if (dk_tag_split(v, n, tags, DK_TAGS_MAX, &nt, why, whylen) < 0)
		return 0;
	if (cv != NULL)
		*cv = ARC_CV_BAD;
	for (i = 0; i < nt; i++) {
		const struct dk_tag *t = &tags[i];

		if (dk_tag_is(t, "i")) {
			seen = 1;
			inst = arc_number(t->val, t->vlen);
		} else if (dk_tag_is(t, "cv") && cv != NULL) {
			if (t->vlen == 4 && strncasecmp(t->val, "none", 4) == 0)
				*cv = ARC_CV_NONE;
			else if (t->vlen == 4 &&
			    strncasecmp(t->val, "pass", 4) == 0)
				*cv = ARC_CV_PASS;
			else if (t->vlen == 4 &&
			    strncasecmp(t->val, "fail", 4) == 0)
				*cv = ARC_CV_FAIL;
		}
	}
	if (inst == 0)
		dk_why(why, whylen, seen ? "i= is not an instance 1..%d" :
		    "no i= tag", DKIM_ARC_MAX);
	return inst;
}

/*
 * collect - place every ARC field in its set. A field without a valid
 * instance, or a second of a kind at one, fails the chain (the first
 * such reason is kept) but the others are still placed, so that the
 * chain's length and its newest seal's cv= are known to a sealer.
 */
static int
collect(dkim_msg *m, struct dk_arc *a)
{
	static const char *const label[3] = { "ARC-Authentication-Results",
	    "ARC-Message-Signature", "ARC-Seal" };
	enum dk_arc_cv cv = ARC_CV_BAD;
	char why[128] = "";
	unsigned inst;
	size_t i;
	int k;

	for (i = 0; i < m->nfields; i++) {
		const struct dk_field *f = &m->fields[i];
		const char *v = m->arena.data + f->value;

		if ((k = arc_kind(m, f)) < 0)
			continue;
		a->nfields++;
		if (k == ARC_AAR) {
			if ((inst = aar_instance(v, f->vlen)) == 0) {
				if (!a->decided)
					arc_fail(a, "ARC-Authentication-Results "
					    "does not begin with i=1..%d;",
					    DKIM_ARC_MAX);
				continue;
			}
		} else if ((inst = tag_instance(v, f->vlen,
		    k == ARC_AS ? &cv : NULL, why, sizeof(why))) == 0) {
			if (!a->decided)
				arc_fail(a, "%s: %s", label[k], why);
			continue;
		}
		if (a->set[inst].f[k] != 0) {
			if (!a->decided)
				arc_fail(a, "two %s fields with i=%u",
				    label[k], inst);
			continue;
		}
		a->set[inst].f[k] = i + 1;
		if (k == ARC_AS)
			a->set[inst].cv = cv;
		if (inst > a->n)
			a->n = inst;
	}
	/* §5.1.2: a chain whose newest seal says cv=fail ends there */
	if (a->n > 0 && a->set[a->n].f[ARC_AS] != 0 &&
	    a->set[a->n].cv == ARC_CV_FAIL)
		a->res.sealed_fail = 1;
	return 0;
}

/*
 * structure - every set 1..n complete, the newest seal not cv=fail,
 * and each seal's cv= what its place says (RFC 8617 §5.2 steps 2-3)
 */
static void
structure(struct dk_arc *a)
{
	unsigned i;
	int k;

	for (i = 1; i <= a->n; i++)
		for (k = 0; k < 3; k++)
			if (a->set[i].f[k] == 0) {
				arc_fail(a, "ARC set %u has no %s", i,
				    k == ARC_AAR ? "ARC-Authentication-Results"
				    : k == ARC_AMS ? "ARC-Message-Signature" :
				    "ARC-Seal");
				return;
			}
	if (a->set[a->n].cv == ARC_CV_FAIL) {
		arc_fail(a, "the chain was sealed failed (cv=fail) at i=%u",
		    a->n);
		return;
	}
	for (i = 1; i <= a->n; i++) {
		if (a->set[i].cv == ARC_CV_BAD) {
			arc_fail(a, "ARC-Seal i=%u has no valid cv=", i);
			return;
		}
		if (a->set[i].cv != (i == 1 ? ARC_CV_NONE : ARC_CV_PASS)) {
			arc_fail(a, "ARC-Seal i=%u has cv=%s", i,
			    a->set[i].cv == ARC_CV_NONE ? "none" :
			    a->set[i].cv == ARC_CV_PASS ? "pass" : "fail");
			return;
		}
	}
}

/* key_name - the key name of a parsed signature into v->qname */
static void
key_name(struct dk_vsig *v)
{
	snprintf(v->qname, sizeof(v->qname), "%s._domainkey.%s",
	    v->sig.selector, v->sig.domain);
}

/*
 * send_lookup - start v's key lookup, unless one that is judged before
 * it (dk_arc_eom: the AMS, then the seals from the newest down) has the
 * same key name: the AMS, or a newer seal (index above k, sent first)
 */
static void
send_lookup(dkim_msg *m, struct dk_arc *a, struct dk_vsig *v, unsigned k,
    int *same)
{
	unsigned j;

	key_name(v);
	*same = -1;
	if (v != &a->ams && a->ams.pending &&
	    strcasecmp(a->ams.qname, v->qname) == 0) {
		*same = DKIM_ARC_MAX;
		return;
	}
	for (j = k + 1; v != &a->ams && j < a->nseals; j++)
		if (a->as[j].pending && a->same[j] < 0 &&
		    strcasecmp(a->as[j].qname, v->qname) == 0) {
			*same = (int)j;
			return;
		}
	v->lookup = dk_lookup_start(m->ctx, v->qname);
}

/*
 * newest_ams - parse the newest ARC-Message-Signature, hash it and the
 * fields it names, and send for its key. RFC 8617 §4.1.2: its h= must
 * not name ARC-Seal.
 */
static void
newest_ams(dkim_msg *m, struct dk_arc *a, time_t now, struct dk_buf *scratch)
{
	struct dk_vsig *v = &a->ams;
	size_t i;

	v->field = a->set[a->n].f[ARC_AMS] - 1;
	v->bh = -1;
	v->same_key = -1;
	dk_vsig_prepare(m, v, DK_SIG_AMS, now, scratch);
	if (!v->pending) {
		arc_fail(a, "ARC-Message-Signature i=%u: %s", a->n, v->reason);
		return;
	}
	for (i = 0; i < v->sig.nh; i++)
		if (strcasecmp(v->sig.hnames[i], "arc-seal") == 0) {
			v->pending = 0;
			arc_fail(a, "ARC-Message-Signature i=%u signs "
			    "ARC-Seal", a->n);
			return;
		}
	send_lookup(m, a, v, 0, &a->ams_same);
}

/* seal_parse - parse the seal of set i into a->as[i - 1]; 0 or -1 */
static int
seal_parse(dkim_msg *m, struct dk_arc *a, unsigned i, time_t now)
{
	struct dk_vsig *v = &a->as[i - 1];
	const struct dk_field *f = &m->fields[a->set[i].f[ARC_AS] - 1];
	char why[160];

	v->field = a->set[i].f[ARC_AS] - 1;
	v->bh = -1;
	v->same_key = -1;
	if (dk_sig_parse_kind(&v->sig, DK_SIG_AS, m->arena.data + f->value,
	    f->vlen, why, sizeof(why)) < 0) {
		arc_fail(a, "ARC-Seal i=%u: %s", i, why);
		return -1;
	}
	/* RFC 8617 §4.1.3: seals are always relaxed */
	v->sig.hcanon = DKIM_CANON_RELAXED;
	v->res.alg = v->sig.alg;
	if (dk_sig_check(&v->sig, now, why, sizeof(why)) != DKIM_CAUSE_NONE) {
		arc_fail(a, "ARC-Seal i=%u: %s", i, why);
		return -1;
	}
	return 0;
}

/* hash_set_field - one field of set i, relaxed, with its CRLF */
static int
hash_set_field(dkim_msg *m, const struct dk_arc *a, EVP_MD_CTX *md,
    unsigned i, int k, struct dk_buf *scratch)
{
	return dk_hash_field(m, md, DKIM_CANON_RELAXED,
	    &m->fields[a->set[i].f[k] - 1], scratch);
}

/*
 * seals - parse every seal and make its hash: seal i signs sets 1..i,
 * each as AAR, AMS, AS, relaxed, its own AS last with b= empty and no
 * CRLF (RFC 8617 §5.1.1). One running hash carries sets 1..i-1 and is
 * copied for seal i, so n seals cost n sets hashed, not n*n/2.
 */
static void
seals(dkim_msg *m, struct dk_arc *a, time_t now, struct dk_buf *scratch)
{
	EVP_MD_CTX *run = NULL, *md = NULL;
	unsigned i;

	if ((a->as = calloc(a->n, sizeof(*a->as))) == NULL ||
	    (run = EVP_MD_CTX_new()) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(run, EVP_sha256(), NULL) != 1) {
		arc_fail(a, "out of memory");
		goto out;
	}
	a->nseals = a->n;
	for (i = 1; i <= a->n; i++) {
		struct dk_vsig *v = &a->as[i - 1];

		if (seal_parse(m, a, i, now) < 0)
			goto out;
		if (hash_set_field(m, a, run, i, ARC_AAR, scratch) < 0 ||
		    hash_set_field(m, a, run, i, ARC_AMS, scratch) < 0 ||
		    EVP_MD_CTX_copy_ex(md, run) != 1 ||
		    dk_hash_blanked(m, md, DKIM_CANON_RELAXED,
		    &m->fields[v->field], &v->sig, scratch) < 0 ||
		    EVP_DigestFinal_ex(md, v->hdigest, &v->hdlen) != 1 ||
		    hash_set_field(m, a, run, i, ARC_AS, scratch) < 0) {
			arc_fail(a, "out of memory hashing ARC-Seal i=%u", i);
			goto out;
		}
		v->pending = 1;
	}
	for (i = a->n; i-- > 0;)
		send_lookup(m, a, &a->as[i], i, &a->same[i]);
out:
	EVP_MD_CTX_free(run);
	EVP_MD_CTX_free(md);
}

/*
 * dk_arc_eoh - find and check the chain's form, start its hashes and
 * lookups. Only the newest AMS is verified (§5.2 step 4); older ones
 * may have been broken by the hops since, which ARC expects.
 */
int
dk_arc_eoh(dkim_msg *m)
{
	struct dk_buf scratch = { .max = m->ctx->max_header };
	struct dk_arc *a;
	time_t now;
	uint32_t h[3];
	size_t i;
	int k, any = 0;

	if (m->arc_seal && (m->arc_bh = dk_bodyhash_get(m,
	    DKIM_CANON_RELAXED, DKIM_ALG_RSA_SHA256, -1)) < 0)
		return dk_msg_fail(m, "out of memory");
	for (k = 0; k < 3; k++)
		h[k] = dk_name_hash(arc_names[k].name, arc_names[k].len);
	for (i = 0; i < m->nfields && !any; i++)
		for (k = 0; k < 3; k++)
			if (m->fields[i].hash == h[k])
				any = 1;
	if (!any)
		return DKIM_OK;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return dk_msg_fail(m, "out of memory");
	m->arc = a;
	a->ams_same = -1;
	for (i = 0; i < DKIM_ARC_MAX; i++)
		a->same[i] = -1;
	collect(m, a);
	if (a->decided)
		return DKIM_OK;
	if (a->nfields == 0)
		return DKIM_OK;	/* only a hash collision: no chain */
	if (m->overflow) {
		arc_fail(a, "header block too large to verify");
		return DKIM_OK;
	}
	structure(a);
	if (a->decided)
		return DKIM_OK;
	now = dk_ctx_now(m->ctx);
	newest_ams(m, a, now, &scratch);
	if (!a->decided)
		seals(m, a, now, &scratch);
	dk_buf_free(&scratch);
	return DKIM_OK;
}

/* judge - wait for v's key and check it; 1 on pass */
static int
judge(dkim_msg *m, struct dk_arc *a, struct dk_vsig *v, int same)
{
	const struct dk_vsig *o = same < 0 ? NULL :
	    same == DKIM_ARC_MAX ? &a->ams : &a->as[same];

	dk_vsig_judge(m, v, o);
	return v->res.result == DKIM_RES_PASS;
}

/*
 * dk_arc_eom - judge the newest AMS, then every seal from the newest
 * down (§5.2 steps 4 and 6); the first that does not pass fails the
 * chain, and the others' lookups are let go by dk_arc_free()
 */
void
dk_arc_eom(dkim_msg *m)
{
	struct dk_arc *a = m->arc;
	unsigned i;

	if (a == NULL || a->decided || a->n == 0)
		return;
	if (!judge(m, a, &a->ams, a->ams_same)) {
		arc_fail(a, "ARC-Message-Signature i=%u: %s", a->n,
		    a->ams.reason);
		return;
	}
	for (i = a->n; i >= 1; i--)
		if (!judge(m, a, &a->as[i - 1], a->same[i - 1])) {
			arc_fail(a, "ARC-Seal i=%u: %s", i,
			    a->as[i - 1].reason);
			return;
		}
	a->res.result = DKIM_ARC_PASS;
	a->decided = 1;
}

/* release - let go of a signature's lookup and key text */
static void
release(struct dk_vsig *v)
{
	char *txt, reason[8];

	if (v->lookup) {
		dk_lookup_wait(v->lookup, 0, &txt, reason, sizeof(reason));
		free(txt);
		v->lookup = NULL;
	}
	free(v->keytxt);
	v->keytxt = NULL;
	dk_sig_clear(&v->sig);
}

/* dk_arc_free - release the chain state */
void
dk_arc_free(dkim_msg *m)
{
	struct dk_arc *a = m->arc;
	unsigned i;

	if (a == NULL)
		return;
	release(&a->ams);
	for (i = 0; i < a->nseals; i++)
		release(&a->as[i]);
	free(a->as);
	free(a);
	m->arc = NULL;
}

/*
 * dkim_arc_get - the chain's result after end of message (verify mode);
 * none until then, or when the message has no ARC field
 */
const struct dkim_arcresult *
dkim_arc_get(const dkim_msg *m)
{
	static const struct dkim_arcresult none = {
		.result = DKIM_ARC_NONE, .reason = "", .as_domain = "",
		.as_selector = "", .ams_domain = "", .ams_selector = ""
	};
	struct dk_arc *a = m->arc;

	if (a == NULL || m->state != DK_ST_DONE || a->nfields == 0)
		return &none;
	a->res.instances = a->n;
	a->res.reason = a->res.result == DKIM_ARC_PASS ? "" : a->reason;
	a->res.as_domain = a->nseals ? a->as[a->n - 1].sig.domain : "";
	a->res.as_selector = a->nseals ? a->as[a->n - 1].sig.selector : "";
	a->res.ams_domain = a->ams.sig.domain;
	a->res.ams_selector = a->ams.sig.selector;
	return &a->res;
}
