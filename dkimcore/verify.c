/*
 * verify.c - checking DKIM-Signature fields (RFC 6376 §6)
 *
 * At end of header each signature (up to the context's max_sigs, top
 * down) is parsed and its header hash computed at once, since every
 * field is known by then; its body hasher is shared with the others
 * that agree on canonicalization, hash and l=, and the lookup of its key
 * goes out on a worker thread. At end of message each signature waits
 * for its key (within the per-message DNS budget) and is judged.
 *
 * Results follow RFC 8601 §2.7.1: permerror for what can never verify
 * (syntax, missing or revoked keys), temperror for DNS trouble, policy
 * for what RFC 8301 forbids (rsa-sha1, RSA keys under the minimum) and
 * for an l= that leaves body bytes unsigned (unless the context accepts
 * them) and for an author that readers may see otherwise (author_judge),
 * fail for a hash or signature mismatch. An l= beyond the end of the
 * body is a permerror (§3.5: it "MUST NOT be larger").
 *
 * Public keys, once parsed, are kept in a small process-wide cache
 * keyed by their exact p= bytes (see pk_get), so a key that signs much
 * mail is decoded once, not per message.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

/*
 * Parsed public keys, kept for the whole process. Decoding a key from
 * p= is most of the cost of a verification with OpenSSL 3: an RSA-2048
 * SubjectPublicKeyInfo goes through the decoder framework (1.4 M
 * instructions, 70% of verifying a 2 KB message) and a fresh key needs
 * its Montgomery set-up again. The same few keys sign most mail, so a
 * key is parsed once and found again by its type and the exact bytes
 * of p=. Entries are replaced in turn; an EVP_PKEY is shared by
 * reference count and may be used by several threads at once. Keys
 * longer than PK_CACHE_MAXLEN bytes are parsed every time.
 */
#define PK_CACHE_SIZE	32
#define PK_CACHE_MAXLEN	1024	/* an RSA-4096 SPKI is 550 bytes */

struct pk_entry {
	enum dk_ktype ktype;
	size_t	len;
	unsigned char *p;	/* copy of p= (malloc) */
	EVP_PKEY *pkey;		/* one reference held by the cache */
};

static pthread_mutex_t pk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pk_entry pk_cache[PK_CACHE_SIZE];
static unsigned pk_next;

/* pk_find - a cached key for (ktype, p), with one more reference, or NULL */
static EVP_PKEY *
pk_find(enum dk_ktype ktype, const unsigned char *p, size_t len)
{
	EVP_PKEY *pk = NULL;
	size_t i;

	pthread_mutex_lock(&pk_lock);
	for (i = 0; i < PK_CACHE_SIZE; i++) {
		struct pk_entry *e = &pk_cache[i];

		if (e->pkey != NULL && e->ktype == ktype && e->len == len &&
		    memcmp(e->p, p, len) == 0) {
			if (EVP_PKEY_up_ref(e->pkey) == 1)
				pk = e->pkey;
			break;
		}
	}
	pthread_mutex_unlock(&pk_lock);
	return pk;
}

/* pk_keep - put a freshly parsed key in the cache (best effort) */
static void
pk_keep(enum dk_ktype ktype, const unsigned char *p, size_t len,
    EVP_PKEY *pk)
{
	struct pk_entry *e, old;
	unsigned char *copy;

	if (len > PK_CACHE_MAXLEN || (copy = malloc(len)) == NULL)
		return;
	if (EVP_PKEY_up_ref(pk) != 1) {
		free(copy);
		return;
	}
	memcpy(copy, p, len);
	pthread_mutex_lock(&pk_lock);
	e = &pk_cache[pk_next++ % PK_CACHE_SIZE];
	old = *e;
	e->ktype = ktype;
	e->len = len;
	e->p = copy;
	e->pkey = pk;
	pthread_mutex_unlock(&pk_lock);
	EVP_PKEY_free(old.pkey);
	free(old.p);
}

/* pk_get - the key for p=, from the cache or parsed; NULL with why */
static EVP_PKEY *
pk_get(enum dk_ktype ktype, const unsigned char *p, size_t len, char *why,
    size_t whylen)
{
	EVP_PKEY *pk;

	if ((pk = pk_find(ktype, p, len)) != NULL)
		return pk;
	if ((pk = dk_pubkey_parse(ktype, p, len, why, whylen)) != NULL)
		pk_keep(ktype, p, len, pk);
	return pk;
}

/*
 * set_result - judge one signature: its cause, which gives the result
 * (cause.c), and a reason for people
 */
/* the name this file has always used for dk_vsig_result() */
#define set_result dk_vsig_result

void
dk_vsig_result(struct dk_vsig *v, enum dkim_cause c, const char *fmt, ...)
{
	va_list ap;

	v->res.cause = c;
	v->res.result = dkim_cause_result(c);
	v->pending = 0;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

/* dk_verify_free - release the signatures' state */
void
dk_verify_free(dkim_msg *m)
{
	size_t i;
	char *txt, reason[8];

	for (i = 0; i < m->nvsig; i++) {
		struct dk_vsig *v = &m->vsig[i];

		if (v->lookup) {
			/* let go of a lookup nobody collected */
			dk_lookup_wait(v->lookup, 0, &txt, reason,
			    sizeof(reason));
			free(txt);
		}
		free(v->keytxt);
		dk_sig_clear(&v->sig);
	}
	free(m->vsig);
	m->vsig = NULL;
	m->nvsig = 0;
}

#define IS_FWS(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')

/*
 * dk_hash_blanked - a signature field itself, b= emptied, without its
 * CRLF: its value "including all surrounding whitespace" goes (§3.7),
 * so "b= xyz ;" is hashed as "b=;", as Mail::DKIM and OpenDKIM do.
 */
int
dk_hash_blanked(dkim_msg *m, EVP_MD_CTX *md, enum dkim_canon canon,
    const struct dk_field *f, const struct dk_sig *sig,
    struct dk_buf *scratch)
{
	const char *val = m->arena.data + f->value;
	struct dk_buf blank = { 0 };
	size_t from = sig->b_off, to = sig->b_off + sig->b_len;
	int rc = -1;

	if (to > f->vlen)
		return -1;
	while (from > 0 && IS_FWS(val[from - 1]))
		from--;
	while (to < f->vlen && IS_FWS(val[to]))
		to++;
	if (dk_buf_append(&blank, val, from) < 0 ||
	    dk_buf_append(&blank, val + to, f->vlen - to) < 0)
		goto out;
	scratch->len = 0;
	if (dk_canon_header_nocrlf(canon, m->arena.data + f->name,
	    f->nlen, blank.data, blank.len, scratch) < 0)
		goto out;
	rc = EVP_DigestUpdate(md, scratch->data, scratch->len) == 1 ? 0 : -1;
out:
	dk_buf_free(&blank);
	return rc;
}

/* header_hash - hash the fields h= selects and the signature field */
static int
header_hash(dkim_msg *m, struct dk_vsig *v, struct dk_buf *scratch)
{
	EVP_MD_CTX *md;
	int rc = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    dk_hash_headers(m, md, v->sig.hcanon, v->sig.hnames, v->sig.nh,
	    scratch) == 0 &&
	    dk_hash_blanked(m, md, v->sig.hcanon, &m->fields[v->field],
	    &v->sig, scratch) == 0 &&
	    EVP_DigestFinal_ex(md, v->hdigest, &v->hdlen) == 1)
		rc = 0;
	EVP_MD_CTX_free(md);
	return rc;
}

/* start_lookup - send for v's key, or share a lookup already sent */
static void
start_lookup(dkim_msg *m, size_t k)
{
	struct dk_vsig *v = &m->vsig[k];
	size_t j;

	snprintf(v->qname, sizeof(v->qname), "%s._domainkey.%s",
	    v->sig.selector, v->sig.domain);
	for (j = 0; j < k; j++)
		if (m->vsig[j].pending && m->vsig[j].same_key < 0 &&
		    strcasecmp(m->vsig[j].qname, v->qname) == 0) {
			v->same_key = (int)j;
			return;
		}
	v->lookup = dk_lookup_start(m->ctx, v->qname);
}

/*
 * author_judge - the cause every signature of m gets when its author is
 * not one that a pass can vouch for (addr.c), DKIM_CAUSE_NONE when it is.
 *
 * RFC 5322 §3.6 allows one From; with none or several, which one a
 * reader sees is up to its software (RFC 6376 §8.15): permerror, as a
 * required field absent is (RFC 8601 §2.7.1). A From that does not
 * parse, is empty, holds several mailboxes without one Sender, or a
 * header block whose first line begins with white space, is a message
 * that readers may show with another author than the verifier would
 * see ("Composition Kills", USENIX Security 2020): the signature may be
 * sound, but the ADMD does not accept it, which is RFC 8601's policy.
 * The reason goes into the result's comment.
 */
static void
author_judge(dkim_msg *m)
{
	m->author_cause = dk_author_rule(&m->author, NULL, m->author_why,
	    sizeof(m->author_why));
}

/*
 * dk_vsig_prepare - parse one signature (a DKIM-Signature or an
 * ARC-Message-Signature) and start its hashes; v->pending is then 1
 * when its key is to be fetched. The author rule is DKIM's alone.
 */
void
dk_vsig_prepare(dkim_msg *m, struct dk_vsig *v, enum dk_sig_kind kind,
    time_t now, struct dk_buf *scratch)
{
	const struct dk_field *f = &m->fields[v->field];
	enum dkim_cause c;
	char why[160];

	if (dk_sig_parse_kind(&v->sig, kind, m->arena.data + f->value,
	    f->vlen, why, sizeof(why)) < 0) {
		/* RFC 6376 §6.1.1: an unknown a= is a signature to ignore */
		set_result(v, v->sig.unknown_alg ? DKIM_CAUSE_ALG_UNKNOWN :
		    DKIM_CAUSE_SIG_SYNTAX, "%s", why);
		return;
	}
	v->res.alg = v->sig.alg;
	if (kind == DK_SIG_DKIM && m->author_cause != DKIM_CAUSE_NONE) {
		set_result(v, m->author_cause, "%s", m->author_why);
		return;
	}
	if ((c = dk_sig_check_drift(&v->sig, now, m->ctx->drift, why,
	    sizeof(why))) !=
	    DKIM_CAUSE_NONE) {
		set_result(v, c, "%s", why);
		return;
	}
	if (v->sig.nh > DK_MAX_HNAMES) {
		set_result(v, DKIM_CAUSE_HNAMES_LIMIT, "h= names %zu fields, "
		    "more than %d", v->sig.nh, DK_MAX_HNAMES);
		return;
	}
	if (header_hash(m, v, scratch) < 0) {
		set_result(v, DKIM_CAUSE_INTERNAL, "out of memory");
		return;
	}
	if ((v->bh = dk_bodyhash_get(m, v->sig.bcanon, v->sig.alg,
	    v->sig.l)) < 0) {
		/* a bound of ours, like max_sigs: a retry cannot help */
		if (m->nbh == DK_MAX_BODYHASH)
			set_result(v, DKIM_CAUSE_TOO_MANY_BODYHASHES, "more "
			    "than %d distinct body hashes", DK_MAX_BODYHASH);
		else
			set_result(v, DKIM_CAUSE_INTERNAL, "out of memory");
		return;
	}
	v->pending = 1;
}

/* prepare - parse one signature and start its hashes and lookup */
static void
prepare(dkim_msg *m, size_t k, time_t now, struct dk_buf *scratch)
{
	dk_vsig_prepare(m, &m->vsig[k], DK_SIG_DKIM, now, scratch);
	if (m->vsig[k].pending)
		start_lookup(m, k);
}

/* dk_verify_eoh - parse the signatures, hash headers, send for keys */
int
dk_verify_eoh(dkim_msg *m)
{
	struct dk_buf scratch = { .max = m->ctx->max_header };
	size_t i, n = 0, k;
	time_t now = dk_ctx_now(m->ctx);

	if (dk_arc_eoh(m) != DKIM_OK)
		return DKIM_ERR;
	if (m->overflow)
		return DKIM_OK;		/* reported at end of message */
	for (i = 0; i < m->nfields; i++)
		if (dk_field_is(m, &m->fields[i], "dkim-signature", 14))
			n++;
	author_judge(m);
	if (n > m->ctx->max_sigs) {
		m->ignored_sigs = n - m->ctx->max_sigs;
		n = m->ctx->max_sigs;
	}
	if (n == 0)
		return DKIM_OK;
	if ((m->vsig = calloc(n, sizeof(*m->vsig))) == NULL)
		return dk_msg_fail(m, "out of memory");
	for (i = 0, k = 0; i < m->nfields && k < n; i++) {
		struct dk_vsig *v;

		if (!dk_field_is(m, &m->fields[i], "dkim-signature", 14))
			continue;
		v = &m->vsig[k];
		v->field = i;
		v->bh = -1;
		v->same_key = -1;
		v->sig.l = v->sig.t = v->sig.x = -1;
		m->nvsig = ++k;
		prepare(m, k - 1, now, &scratch);
	}
	dk_buf_free(&scratch);
	return DKIM_OK;
}

/* fetch_key - collect v's key record, or copy o's (the same key) */
static void
fetch_key(dkim_msg *m, struct dk_vsig *v, const struct dk_vsig *o)
{
	uint64_t deadline = m->t_eoh + m->ctx->dns_budget_ms;

	if (o != NULL) {
		v->kst = o->kst;
		dk_strlcpy(v->kreason, o->kreason, sizeof(v->kreason));
		if (o->keytxt && (v->keytxt = strdup(o->keytxt)) == NULL) {
			v->kst = DKIM_DNS_TEMPFAIL;
			dk_strlcpy(v->kreason, "out of memory",
			    sizeof(v->kreason));
		}
	} else if (v->lookup) {
		v->kst = dk_lookup_wait(v->lookup, deadline, &v->keytxt,
		    v->kreason, sizeof(v->kreason));
		v->lookup = NULL;
	} else if (dk_now_ms() >= deadline) {
		v->kst = DKIM_DNS_TEMPFAIL;
		dk_strlcpy(v->kreason, "DNS time budget exhausted",
		    sizeof(v->kreason));
	} else {
		v->kst = dk_lookup_now(m->ctx, v->qname, &v->keytxt,
		    v->kreason, sizeof(v->kreason));
	}
}

/* key_usable - check a parsed key record against the signature */
static int
key_usable(struct dk_vsig *v, const struct dk_keyrec *kr)
{
	const char *at;

	if (kr->revoked) {
		set_result(v, DKIM_CAUSE_KEY_REVOKED, "key revoked");
		return 0;
	}
	if ((v->sig.alg == DKIM_ALG_ED25519_SHA256) !=
	    (kr->ktype == DK_KTYPE_ED25519)) {
		set_result(v, DKIM_CAUSE_KEY_TYPE,
		    "key type does not match a=%s", v->sig.alg_name);
		return 0;
	}
	if (!(kr->hashes & DK_HASH_SHA256)) {
		set_result(v, DKIM_CAUSE_KEY_HASH,
		    "key record h= does not allow sha256");
		return 0;
	}
	/* t=s: the i= domain must be d= itself, not a subdomain (§3.6.1) */
	if (kr->strict && v->sig.identity &&
	    (at = strrchr(v->sig.identity, '@')) != NULL &&
	    strcasecmp(at + 1, v->sig.domain) != 0) {
		set_result(v, DKIM_CAUSE_KEY_STRICT,
		    "key has t=s but i= is in a subdomain of d=");
		return 0;
	}
	return 1;
}

/*
 * unsigned_body - 1 (and v judged policy) when l= left body bytes out of
 * the hash and the context does not accept that. What follows l= can
 * say anything (RFC 6376 §8.2): a reader sees it as part of a message
 * that "passed", so by default such a signature is not a pass. The
 * count is of canonicalized bytes, the unit of l= (§3.5).
 */
static int
unsigned_body(const dkim_msg *m, struct dk_vsig *v,
    const struct dk_bodyhash *h)
{
	unsigned long long total = m->body[h->canon].total;

	if (v->sig.l < 0 || total <= (unsigned long long)v->sig.l ||
	    m->ctx->unsigned_body_ok)
		return 0;
	set_result(v, DKIM_CAUSE_UNSIGNED_BODY, "l=%lld leaves %llu body bytes "
	    "unsigned", v->sig.l, total - (unsigned long long)v->sig.l);
	return 1;
}

/* check_sig - judge one signature whose key record has arrived */
static void
check_sig(dkim_msg *m, struct dk_vsig *v)
{
	const struct dk_bodyhash *h = v->bh >= 0 ? &m->bh[v->bh] : NULL;
	struct dk_keyrec kr = { 0 };
	EVP_PKEY *pk = NULL;
	char why[128];
	int ok;

	if (v->kst == DKIM_DNS_TEMPFAIL) {
		set_result(v, DKIM_CAUSE_DNS_TEMP, "key lookup: %s",
		    v->kreason);
		return;
	}
	if (v->kst != DKIM_DNS_OK || v->keytxt == NULL) {
		set_result(v, v->kst == DKIM_DNS_NOKEY ? DKIM_CAUSE_NO_KEY :
		    DKIM_CAUSE_DNS_PERM, "no key: %s", v->kreason);
		return;
	}
	if (dk_keyrec_parse(&kr, v->keytxt, strlen(v->keytxt), why,
	    sizeof(why)) < 0) {
		set_result(v, DKIM_CAUSE_KEY_SYNTAX, "bad key record: %s", why);
		goto out;
	}
	v->res.testing = kr.testing;
	if (!key_usable(v, &kr))
		goto out;
	if ((pk = pk_get(kr.ktype, kr.p, kr.plen, why, sizeof(why))) ==
	    NULL) {
		set_result(v, DKIM_CAUSE_KEY_INVALID, "bad key: %s", why);
		goto out;
	}
	v->res.key_bits = dk_pkey_bits(pk);
	if (kr.ktype == DK_KTYPE_RSA && v->res.key_bits < m->ctx->min_key_bits) {
		set_result(v, DKIM_CAUSE_SHORT_KEY, "%u-bit RSA key is too "
		    "short (RFC 8301)", v->res.key_bits);
		goto out;
	}
	/* h is NULL for an ARC-Seal, which signs no body */
	if (h != NULL && v->sig.l >= 0 &&
	    h->done < (unsigned long long)v->sig.l) {
		set_result(v, DKIM_CAUSE_L_BEYOND_BODY, "l=%lld is beyond the "
		    "end of the body", v->sig.l);
		goto out;
	}
	if (h != NULL && (h->dlen != v->sig.bhlen ||
	    memcmp(h->digest, v->sig.bh, h->dlen) != 0)) {
		set_result(v, DKIM_CAUSE_BODY_HASH, "body hash mismatch");
		goto out;
	}
	ok = dk_digest_verify(pk, v->sig.alg, v->hdigest, v->hdlen, v->sig.b,
	    v->sig.blen);
	if (ok != 1)
		set_result(v, DKIM_CAUSE_BAD_SIGNATURE,
		    "signature did not verify");
	else if (h == NULL || !unsigned_body(m, v, h))
		set_result(v, DKIM_CAUSE_PASS, "%s", "");
out:
	EVP_PKEY_free(pk);
	dk_keyrec_clear(&kr);
}

/*
 * dk_vsig_judge - wait for v's key (or take that of o, an earlier
 * signature with the same key name, when not NULL) and judge v
 */
void
dk_vsig_judge(dkim_msg *m, struct dk_vsig *v, const struct dk_vsig *o)
{
	fetch_key(m, v, o);
	check_sig(m, v);
}

/* fill - point the public result at the signature's fields */
static void
fill(struct dk_vsig *v)
{
	v->res.domain = v->sig.domain;
	v->res.selector = v->sig.selector;
	v->res.identity = v->sig.identity ? v->sig.identity : "";
	v->res.b = v->sig.bprefix;
	v->res.alg_name = v->sig.alg_name;
	v->res.reason = v->reason;
}

/*
 * dk_verify_eom - judge every signature, and complete its public result
 * here, once, so that dkim_result_get() only reads
 */
int
dk_verify_eom(dkim_msg *m)
{
	size_t i;

	for (i = 0; i < m->nvsig; i++) {
		struct dk_vsig *v = &m->vsig[i];

		if (v->pending)
			dk_vsig_judge(m, v, v->same_key >= 0 ?
			    &m->vsig[v->same_key] : NULL);
		fill(v);
	}
	dk_arc_eom(m);
	return DKIM_OK;
}

/* dkim_result_count - signatures judged, after end of message */
size_t
dkim_result_count(const dkim_msg *m)
{
	if (m->state != DK_ST_DONE || m->mode != DKIM_MODE_VERIFY)
		return 0;
	/* signatures past max_sigs: one policy result for them all */
	return m->overflow ? 1 : m->nvsig + (m->ignored_sigs > 0);
}

/* dkim_result_get - the nth signature's result */
const struct dkim_sigresult *
dkim_result_get(const dkim_msg *m, size_t n)
{
	static const struct dkim_sigresult overflow = {
		.result = DKIM_RES_PERMERROR, .domain = "", .selector = "",
		.identity = "", .b = "", .alg_name = "",
		.reason = "header block too large to verify",
		.cause = DKIM_CAUSE_HEADER_TOO_LARGE
	}, toomany = {
		.result = DKIM_RES_POLICY, .domain = "", .selector = "",
		.identity = "", .b = "", .alg_name = "",
		.reason = "too many signatures: the rest not checked",
		.cause = DKIM_CAUSE_TOO_MANY_SIGS
	};

	if (n >= dkim_result_count(m))
		return NULL;
	if (m->overflow)
		return &overflow;
	if (n == m->nvsig)
		return &toomany;
	return &m->vsig[n].res;
}
