/*
 * arcseal.c - adding an ARC set to a verified message (RFC 8617 §5.1)
 *
 * SYNOPSIS
 *	dkim_arc_want_seal(m)			before end of header
 *	... dkim_eom(m) ...			the chain is validated
 *	dkim_arc_seal(m, &spec, out)		the three new fields
 *
 * CONTRACT
 *	The new set's instance is the chain's highest + 1 and its cv= the
 *	chain's result (none, pass, fail). A chain whose newest seal
 *	already says cv=fail is not continued, nor one of DKIM_ARC_MAX sets
 *	(§5.1.2). The ARC-Message-Signature is made like a DKIM-Signature
 *	(relaxed/relaxed, the engine's header selection and body hash) with
 *	i= for v=; the seal signs the sets 1..i in order, or, when the chain
 *	failed, its own set alone (§5.1.2), relaxed, with its own b= empty
 *	(§5.1.1). The out[] strings belong to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "arc.h"

/*
 * What the AMS signs by default: the fields a reader sees and the DKIM
 * signatures, never an ARC field (§4.1.2 forbids ARC-Seal; the chain
 * itself is the seal's to sign).
 */
static const char *const default_ams[] = {
	"from", "to", "cc", "subject", "date", "message-id", "reply-to",
	"in-reply-to", "references", "mime-version", "content-type",
	"content-transfer-encoding", "list-id", "list-post",
	"list-unsubscribe", "dkim-signature", NULL
};

#define SEAL_FOLD	76
#define SEAL_HNAMES	64	/* names of a caller's h= list we take */

static const char *const field_names[3] = {
	"ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"
};

/* dkim_arc_field_name - the name of out[n] of dkim_arc_seal() */
const char *
dkim_arc_field_name(int n)
{
	return n >= 0 && n < 3 ? field_names[n] : "";
}

/* dkim_arc_want_seal - keep what sealing needs, from end of header on */
int
dkim_arc_want_seal(dkim_msg *m)
{
	if (m->mode != DKIM_MODE_VERIFY)
		return dk_msg_fail(m, "only a verified message is sealed");
	if (m->state != DK_ST_HEADER)
		return dk_msg_fail(m, "sealing must be asked before end of "
		    "header");
	m->arc_seal = 1;
	m->arc_bh = -1;
	return DKIM_OK;
}

/*
 * authres_ok - 1 when the AAR payload can go into a header field: no
 * NUL, and a line end only as folding (followed by SP or TAB)
 */
static int
authres_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 8192)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && s[i + 1] != '\n')
			return 0;
		if (s[i] == '\n' && s[i + 1] != ' ' && s[i + 1] != '\t')
			return 0;
	}
	return 1;
}

/* field_count - how many fields are named name */
static size_t
field_count(const dkim_msg *m, const char *name)
{
	size_t i, k = 0, nl = strlen(name);

	for (i = 0; i < m->nfields; i++)
		if (dk_field_is(m, &m->fields[i], name, nl))
			k++;
	return k;
}

/*
 * choose_h - every field of the listed names present (bottom-up
 * selection then takes each once, §5.4.2 of RFC 6376), and From;
 * *h malloc()ed with borrowed names
 */
static int
choose_h(const dkim_msg *m, const char *const *list, const char ***h,
    size_t *nh)
{
	size_t i, k, total = 0;

	for (i = 0; list[i] && i < SEAL_HNAMES; i++)
		total += field_count(m, list[i]);
	if ((*h = calloc(total + 2, sizeof(**h))) == NULL)
		return -1;
	*nh = 0;
	for (i = 0; list[i] && i < SEAL_HNAMES; i++)
		for (k = field_count(m, list[i]); k > 0; k--)
			(*h)[(*nh)++] = list[i];
	/* h= names From even when there is none (RFC 6376 §5.4) */
	if (field_count(m, "from") == 0)
		(*h)[(*nh)++] = "from";
	return 0;
}

/* add_h - "h=a:b:c;" folded between names */
static int
add_h(struct dk_buf *b, size_t *col, const char *const *h, size_t nh)
{
	size_t i, n;

	if (dk_fold_add(b, col, "h=") < 0)
		return -1;
	for (i = 0; i < nh; i++) {
		n = strlen(h[i]) + 1;
		if (*col + n > SEAL_FOLD) {
			if (dk_buf_addstr(b, "\r\n\t") < 0)
				return -1;
			*col = 8;
		}
		if (dk_buf_addstr(b, h[i]) < 0 ||
		    dk_buf_addstr(b, i + 1 < nh ? ":" : ";") < 0)
			return -1;
		*col += n;
	}
	return nh == 0 ? dk_buf_addstr(b, ";") : 0;
}

/*
 * sign_value - hash the field name:value (b= empty, at the end) into md
 * after what it holds, sign, and append b= to the value
 */
static int
sign_value(EVP_MD_CTX *md, const char *name, struct dk_buf *val,
    const struct dkim_arcspec *sp)
{
	struct dk_buf canon = { 0 };
	unsigned char dg[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned dglen = 0;
	size_t siglen = 0;
	char *sig64 = NULL;
	int rc = -1;

	if (dk_canon_header_nocrlf(DKIM_CANON_RELAXED, name, strlen(name),
	    val->data, val->len, &canon) < 0 ||
	    EVP_DigestUpdate(md, canon.data, canon.len) != 1 ||
	    EVP_DigestFinal_ex(md, dg, &dglen) != 1 ||
	    dk_key_sign(sp->key, dkim_key_alg(sp->key), dg, dglen, &sig,
	    &siglen) < 0 ||
	    (sig64 = dk_b64_encode(sig, siglen)) == NULL ||
	    dk_fold_b(val, sig64) < 0)
		goto out;
	rc = 0;
out:
	dk_buf_free(&canon);
	free(sig);
	free(sig64);
	return rc;
}

/* common_tags - "a= d= s= t=" of both new signatures, folded */
static int
common_tags(struct dk_buf *b, size_t *col, const dkim_msg *m,
    const struct dkim_arcspec *sp)
{
	char tag[300];

	snprintf(tag, sizeof(tag), "a=%s;",
	    dkim_alg_name(dkim_key_alg(sp->key)));
	if (dk_fold_add(b, col, tag) < 0)
		return -1;
	snprintf(tag, sizeof(tag), "d=%s;", sp->domain);
	if (dk_fold_add(b, col, tag) < 0)
		return -1;
	snprintf(tag, sizeof(tag), "s=%s;", sp->selector);
	if (dk_fold_add(b, col, tag) < 0)
		return -1;
	snprintf(tag, sizeof(tag), "t=%lld;", (long long)dk_ctx_now(m->ctx));
	return dk_fold_add(b, col, tag);
}

/* make_ams - the new ARC-Message-Signature value */
static int
make_ams(dkim_msg *m, const struct dkim_arcspec *sp, unsigned inst,
    struct dk_buf *val)
{
	const struct dk_bodyhash *bh = &m->bh[m->arc_bh];
	struct dk_buf scratch = { .max = m->ctx->max_header };
	EVP_MD_CTX *md = NULL;
	const char **h = NULL;
	size_t nh = 0, col = sizeof("ARC-Message-Signature:") - 1;
	char tag[64], *bh64 = NULL;
	int rc = -1;

	snprintf(tag, sizeof(tag), "i=%u;", inst);
	if (choose_h(m, sp->headers ? sp->headers : default_ams, &h, &nh) < 0 ||
	    (md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1 ||
	    dk_hash_headers(m, md, DKIM_CANON_RELAXED, (char *const *)h, nh,
	    &scratch) < 0 ||
	    (bh64 = dk_b64_encode(bh->digest, bh->dlen)) == NULL)
		goto out;
	if (dk_fold_add(val, &col, tag) < 0 ||
	    common_tags(val, &col, m, sp) < 0 ||
	    dk_fold_add(val, &col, "c=relaxed/relaxed;") < 0 ||
	    add_h(val, &col, h, nh) < 0 ||
	    dk_buf_printf(val, "\r\n\tbh=%s;\r\n\tb=", bh64) < 0 ||
	    sign_value(md, field_names[1], val, sp) < 0)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	dk_buf_free(&scratch);
	free(h);
	free(bh64);
	return rc;
}

/* hash_text - one field made here, relaxed, with its CRLF */
static int
hash_text(EVP_MD_CTX *md, const char *name, const struct dk_buf *val,
    struct dk_buf *scratch)
{
	scratch->len = 0;
	return dk_canon_header(DKIM_CANON_RELAXED, name, strlen(name),
	    val->data, val->len, scratch) < 0 ||
	    EVP_DigestUpdate(md, scratch->data, scratch->len) != 1 ? -1 : 0;
}

/*
 * make_seal - the new ARC-Seal value: over sets 1..n of the message
 * unless the chain failed, then the new AAR and AMS, then itself
 */
static int
make_seal(dkim_msg *m, const struct dkim_arcspec *sp, unsigned inst,
    const char *cv, const struct dk_buf *aar, const struct dk_buf *ams,
    struct dk_buf *val)
{
	const struct dk_arc *a = m->arc;
	struct dk_buf scratch = { .max = m->ctx->max_header };
	EVP_MD_CTX *md;
	size_t col = sizeof("ARC-Seal:") - 1;
	unsigned i;
	char tag[64];
	int k, rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (i = 1; strcmp(cv, "fail") != 0 && i < inst; i++)
		for (k = 0; k < 3; k++)
			if (dk_hash_field(m, md, DKIM_CANON_RELAXED,
			    &m->fields[a->set[i].f[k] - 1], &scratch) < 0)
				goto out;
	snprintf(tag, sizeof(tag), "i=%u;", inst);
	if (hash_text(md, field_names[2], aar, &scratch) < 0 ||
	    hash_text(md, field_names[1], ams, &scratch) < 0 ||
	    dk_fold_add(val, &col, tag) < 0)
		goto out;
	snprintf(tag, sizeof(tag), "cv=%s;", cv);
	if (dk_fold_add(val, &col, tag) < 0 ||
	    common_tags(val, &col, m, sp) < 0 ||
	    dk_buf_addstr(val, "\r\n\tb=") < 0 ||
	    sign_value(md, field_names[0], val, sp) < 0)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	dk_buf_free(&scratch);
	return rc;
}

/* seal_check - whether m may be sealed with sp; DKIM_OK or DKIM_ERR */
static int
seal_check(dkim_msg *m, const struct dkim_arcspec *sp)
{
	const struct dk_arc *a = m->arc;

	if (m->mode != DKIM_MODE_VERIFY || m->state != DK_ST_DONE ||
	    !m->arc_seal || m->arc_bh < 0)
		return dk_msg_fail(m, "sealing needs dkim_arc_want_seal() and "
		    "a verified message");
	if (sp->key == NULL || sp->domain == NULL || sp->selector == NULL ||
	    !dk_domain_valid(sp->domain, strlen(sp->domain)) ||
	    !dk_selector_valid(sp->selector, strlen(sp->selector)))
		return dk_msg_fail(m, "invalid key, domain or selector");
	if (sp->authres == NULL || !authres_ok(sp->authres))
		return dk_msg_fail(m, "invalid authentication results text");
	if (a != NULL && a->res.sealed_fail)
		return dk_msg_fail(m, "the chain was sealed cv=fail at i=%u: "
		    "it is not continued (RFC 8617 §5.1.2)", a->n);
	if (a != NULL && a->n >= DKIM_ARC_MAX)
		return dk_msg_fail(m, "the chain has %d sets already",
		    DKIM_ARC_MAX);
	return DKIM_OK;
}

/* dkim_arc_seal - the new ARC set's three field values into out[] */
int
dkim_arc_seal(dkim_msg *m, const struct dkim_arcspec *sp, char *out[3])
{
	const struct dkim_arcresult *r;
	struct dk_buf aar = { 0 }, ams = { 0 }, as = { 0 };
	unsigned inst;
	const char *cv;

	out[0] = out[1] = out[2] = NULL;
	if (seal_check(m, sp) != DKIM_OK)
		return DKIM_ERR;
	r = dkim_arc_get(m);
	inst = (m->arc ? m->arc->n : 0) + 1;
	cv = r->result == DKIM_ARC_PASS ? "pass" :
	    r->result == DKIM_ARC_FAIL ? "fail" : "none";
	if (dk_buf_printf(&aar, " i=%u; %s", inst, sp->authres) < 0 ||
	    make_ams(m, sp, inst, &ams) < 0 ||
	    make_seal(m, sp, inst, cv, &aar, &ams, &as) < 0) {
		dk_buf_free(&aar);
		dk_buf_free(&ams);
		dk_buf_free(&as);
		return dk_msg_fail(m, "sealing for %s with selector %s failed",
		    sp->domain, sp->selector);
	}
	out[0] = as.data;
	out[1] = ams.data;
	out[2] = aar.data;
	return DKIM_OK;
}
