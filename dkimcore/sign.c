/*
 * sign.c - making DKIM-Signature fields (RFC 6376 §5)
 *
 * At end of header each signer picks its h= list from the fields present
 * (every instance of a name it signs, one more of each name it
 * oversigns, §8.15), and hashes those fields. At end of message the
 * signature field is built with bh=, hashed with an empty b= (§3.7) and
 * signed; the b= value is then folded in. Keys are parsed once, when
 * loaded (key.c); nothing here parses a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

/* The fields signed by default: RFC 6376 §5.4.1's list, less the trace. */
static const char *const default_sign[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "resent-date",
	"resent-from", "resent-to", "resent-cc", "in-reply-to", "references",
	"list-id", "list-help", "list-unsubscribe", "list-subscribe",
	"list-post", "list-owner", "list-archive", "message-id",
	"mime-version", "content-type", "content-transfer-encoding",
	"content-id", "content-description", NULL
};

/* Oversigned: one more than present, so none can be added later. */
static const char *const default_over[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id",
	"mime-version", "content-type", "content-transfer-encoding", NULL
};

#define FOLD_AT	76

/*
 * strv_dup - a lower-cased copy of a NULL-terminated vector in one block,
 * the pointers first and the strings after them, so that one free()
 * releases it (a signer's lists cost two allocations, not ~35)
 */
static char **
strv_dup(const char *const *v)
{
	size_t n, i, j, len, size = 0;
	char **out, *p;

	for (n = 0; v[n]; n++)
		size += strlen(v[n]) + 1;
	if ((out = malloc((n + 1) * sizeof(*out) + size)) == NULL)
		return NULL;
	p = (char *)(out + n + 1);
	for (i = 0; i < n; i++) {
		len = strlen(v[i]);
		for (j = 0; j <= len; j++)
			p[j] = (char)(v[i][j] >= 'A' && v[i][j] <= 'Z' ?
			    v[i][j] - 'A' + 'a' : v[i][j]);
		out[i] = p;
		p += len + 1;
	}
	out[n] = NULL;
	return out;
}

/* dk_sign_free - release the signers */
void
dk_sign_free(dkim_msg *m)
{
	size_t i;

	for (i = 0; i < m->nsigners; i++) {
		struct dk_signer *s = &m->signer[i];

		free(s->domain);
		free(s->selector);
		free(s->identity);
		dkim_key_free(s->key);
		free(s->sign);		/* one block each (strv_dup) */
		free(s->over);
		free(s->h);	/* entries borrowed from sign/over */
		EVP_MD_CTX_free(s->hmd);
		free(s->out);
	}
	m->nsigners = 0;
}

/* identity_ok - 1 when i= lies within d= (§3.5) */
static int
identity_ok(const char *identity, const char *domain)
{
	const char *at = strrchr(identity, '@');
	size_t dl = strlen(domain), il;

	if (at == NULL)
		return 0;
	at++;
	il = strlen(at);
	if (il == dl)
		return strcasecmp(at, domain) == 0;
	return il > dl && at[il - dl - 1] == '.' &&
	    strcasecmp(at + il - dl, domain) == 0;
}

/* dkim_msg_add_signer - one more signature to make at end of message */
int
dkim_msg_add_signer(dkim_msg *m, const struct dkim_signspec *sp)
{
	struct dk_signer *s;

	if (m->mode != DKIM_MODE_SIGN)
		return dk_msg_fail(m, "not a signing message");
	if (m->state != DK_ST_HEADER)
		return dk_msg_fail(m, "signers must be added before end of header");
	if (m->nsigners == DKIM_MAX_SIGNERS)
		return dk_msg_fail(m, "more than %d signatures",
		    DKIM_MAX_SIGNERS);
	if (sp->key == NULL)
		return dk_msg_fail(m, "no key");
	if (sp->domain == NULL ||
	    !dk_domain_valid(sp->domain, strlen(sp->domain)))
		return dk_msg_fail(m, "invalid signing domain");
	if (sp->selector == NULL ||
	    !dk_selector_valid(sp->selector, strlen(sp->selector)))
		return dk_msg_fail(m, "invalid selector");
	if (sp->identity && !identity_ok(sp->identity, sp->domain))
		return dk_msg_fail(m, "identity %s is not within %s",
		    sp->identity, sp->domain);

	s = &m->signer[m->nsigners];
	memset(s, 0, sizeof(*s));
	s->key = dkim_key_ref(sp->key);
	s->alg = dkim_key_alg(sp->key);
	s->hcanon = sp->canon_set ? sp->hcanon : DKIM_CANON_RELAXED;
	s->bcanon = sp->canon_set ? sp->bcanon : DKIM_CANON_RELAXED;
	s->expire = sp->expire_secs;
	s->limit = sp->max_body > 0 ? sp->max_body : -1;
	s->bh = -1;
	s->domain = strdup(sp->domain);
	s->selector = strdup(sp->selector);
	s->identity = sp->identity ? strdup(sp->identity) : NULL;
	s->sign = strv_dup(sp->headers ? sp->headers : default_sign);
	s->over = strv_dup(sp->oversign ? sp->oversign : default_over);
	m->nsigners++;
	if (s->domain == NULL || s->selector == NULL || s->sign == NULL ||
	    s->over == NULL || (sp->identity && s->identity == NULL))
		return dk_msg_fail(m, "out of memory");
	return DKIM_OK;
}

/*
 * count_fields - how many fields are named name; the name hash kept with
 * each field rules out almost every other name without a string compare
 */
static size_t
count_fields(const dkim_msg *m, const char *name)
{
	size_t i, n = 0, nl = strlen(name);
	uint32_t h = dk_name_hash(name, nl);

	for (i = 0; i < m->nfields; i++)
		if (m->fields[i].hash == h &&
		    dk_field_is(m, &m->fields[i], name, nl))
			n++;
	return n;
}

/* in_list - 1 when name is in the list; both lower case (strv_dup) */
static int
in_list(char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* choose_h - the h= list of one signer; 0 or -1 */
static int
choose_h(dkim_msg *m, struct dk_signer *s)
{
	size_t max = 0, i, n, k;

	for (i = 0; s->sign[i]; i++)
		max += count_fields(m, s->sign[i]) + 1;
	for (i = 0; s->over[i]; i++)
		max++;
	if ((s->h = calloc(max + 1, sizeof(*s->h))) == NULL)
		return -1;
	for (i = 0; s->sign[i]; i++) {
		n = count_fields(m, s->sign[i]);
		if (in_list(s->over, s->sign[i]))
			n++;
		for (k = 0; k < n; k++)
			s->h[s->nh++] = s->sign[i];
	}
	for (i = 0; s->over[i]; i++)
		if (!in_list(s->sign, s->over[i]))
			s->h[s->nh++] = s->over[i];
	return 0;
}

/* dk_sign_eoh - check the From field, choose h=, hash the header */
int
dk_sign_eoh(dkim_msg *m)
{
	struct dk_buf scratch = { .max = m->ctx->max_header };
	size_t i, nfrom;
	char why[160];
	int rc = DKIM_ERR;

	if (m->overflow)
		return dk_msg_fail(m, "header block over %zu bytes",
		    m->ctx->max_header);
	if (m->nsigners == 0)
		return dk_msg_fail(m, "no signer");
	nfrom = count_fields(m, "from");
	if (nfrom == 0)
		return dk_msg_fail(m, "no From field: not signing");
	if (nfrom > 1)
		return dk_msg_fail(m, "%zu From fields: not signing", nfrom);
	/* what a verifier would refuse to pass is not signed (addr.c) */
	if (dkim_author_check(&m->author, NULL, why, sizeof(why)) !=
	    DKIM_AUTHOR_OK)
		return dk_msg_fail(m, "%s: not signing", why);
	for (i = 0; i < m->nsigners; i++) {
		struct dk_signer *s = &m->signer[i];

		if (choose_h(m, s) < 0)
			goto oom;
		if ((s->bh = dk_bodyhash_get(m, s->bcanon, s->alg,
		    s->limit)) < 0)
			goto oom;
		if ((s->hmd = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(s->hmd, EVP_sha256(), NULL) != 1 ||
		    dk_hash_headers(m, s->hmd, s->hcanon, s->h, s->nh,
		    &scratch) < 0)
			goto oom;
	}
	rc = DKIM_OK;
	goto done;
oom:
	dk_msg_fail(m, "out of memory hashing the header");
done:
	dk_buf_free(&scratch);
	return rc;
}

/* the names this file has always used for the folding helpers */
#define fold_add dk_fold_add
#define add_b dk_fold_b

/* dk_fold_add - append one tag to a folded field, breaking lines at FOLD_AT */
int
fold_add(struct dk_buf *b, size_t *col, const char *tag)
{
	size_t n = strlen(tag);

	if (*col + 1 + n > FOLD_AT && *col > 1) {
		if (dk_buf_addstr(b, "\r\n\t") < 0)
			return -1;
		*col = 8;
	} else {
		if (dk_buf_addstr(b, " ") < 0)
			return -1;
		(*col)++;
	}
	*col += n;
	return dk_buf_addstr(b, tag);
}

/* add_hlist - append "h=a:b:c;" folding between names as needed */
static int
add_hlist(struct dk_buf *b, size_t *col, const struct dk_signer *s)
{
	size_t i, n;

	if (fold_add(b, col, "h=") < 0)
		return -1;
	for (i = 0; i < s->nh; i++) {
		n = strlen(s->h[i]) + 1;
		if (*col + n > FOLD_AT) {
			if (dk_buf_addstr(b, "\r\n\t") < 0)
				return -1;
			*col = 8;
		}
		if (dk_buf_addstr(b, s->h[i]) < 0 ||
		    dk_buf_addstr(b, i + 1 < s->nh ? ":" : ";") < 0)
			return -1;
		*col += n;
	}
	return 0;
}

/* build_value - the signature field's value with an empty b= */
static int
build_value(dkim_msg *m, struct dk_signer *s, struct dk_buf *b)
{
	const struct dk_bodyhash *h = &m->bh[s->bh];
	char tag[512], *bh;
	size_t col = sizeof("DKIM-Signature:") - 1;
	time_t now = dk_ctx_now(m->ctx);
	int rc = -1;

	if ((bh = dk_b64_encode(h->digest, h->dlen)) == NULL)
		return -1;
	snprintf(tag, sizeof(tag), "v=1; a=%s;", dkim_alg_name(s->alg));
	if (fold_add(b, &col, tag) < 0)
		goto out;
	snprintf(tag, sizeof(tag), "c=%s/%s;",
	    s->hcanon == DKIM_CANON_RELAXED ? "relaxed" : "simple",
	    s->bcanon == DKIM_CANON_RELAXED ? "relaxed" : "simple");
	if (fold_add(b, &col, tag) < 0)
		goto out;
	snprintf(tag, sizeof(tag), "d=%s;", s->domain);
	if (fold_add(b, &col, tag) < 0)
		goto out;
	snprintf(tag, sizeof(tag), "s=%s;", s->selector);
	if (fold_add(b, &col, tag) < 0)
		goto out;
	if (s->identity) {
		snprintf(tag, sizeof(tag), "i=%s;", s->identity);
		if (fold_add(b, &col, tag) < 0)
			goto out;
	}
	snprintf(tag, sizeof(tag), "t=%lld;", (long long)now);
	if (fold_add(b, &col, tag) < 0)
		goto out;
	if (s->expire > 0) {
		snprintf(tag, sizeof(tag), "x=%lld;",
		    (long long)now + s->expire);
		if (fold_add(b, &col, tag) < 0)
			goto out;
	}
	if (add_hlist(b, &col, s) < 0)
		goto out;
	/* l= says how many canonical body bytes bh= covers (§3.5): all of
	 * a shorter body, else the limit */
	if (s->limit >= 0) {
		snprintf(tag, sizeof(tag), "l=%llu;", h->done);
		if (fold_add(b, &col, tag) < 0)
			goto out;
	}
	snprintf(tag, sizeof(tag), "bh=%s;", bh);
	if (fold_add(b, &col, tag) < 0)
		goto out;
	/* b= on its own line, so its value can be folded freely */
	if (dk_buf_addstr(b, "\r\n\tb=") < 0)
		goto out;
	rc = 0;
out:
	free(bh);
	return rc;
}

/* dk_fold_b - append the base64 signature, folded, to the field value */
int
add_b(struct dk_buf *b, const char *sig64)
{
	size_t n = strlen(sig64), first = FOLD_AT - 10, off = 0, take;

	while (off < n) {
		take = n - off < first ? n - off : first;
		if (off > 0 && dk_buf_addstr(b, "\r\n\t") < 0)
			return -1;
		if (dk_buf_append(b, sig64 + off, take) < 0)
			return -1;
		off += take;
		first = FOLD_AT - 10;
	}
	return 0;
}

/* sign_one - finish one signer's hash and make its field value */
static int
sign_one(dkim_msg *m, struct dk_signer *s)
{
	struct dk_buf val = { 0 }, canon = { 0 };
	unsigned char dg[EVP_MAX_MD_SIZE], *sig = NULL;
	unsigned dglen = 0;
	size_t siglen = 0;
	char *sig64 = NULL;
	int rc = -1;

	if (build_value(m, s, &val) < 0 ||
	    dk_canon_header_nocrlf(s->hcanon, "DKIM-Signature", 14,
	    val.data, val.len, &canon) < 0 ||
	    EVP_DigestUpdate(s->hmd, canon.data, canon.len) != 1 ||
	    EVP_DigestFinal_ex(s->hmd, dg, &dglen) != 1)
		goto out;
	if (dk_key_sign(s->key, s->alg, dg, dglen, &sig, &siglen) < 0)
		goto out;
	if ((sig64 = dk_b64_encode(sig, siglen)) == NULL ||
	    add_b(&val, sig64) < 0)
		goto out;
	s->out = val.data;
	val.data = NULL;
	rc = 0;
out:
	dk_buf_free(&val);
	dk_buf_free(&canon);
	free(sig);
	free(sig64);
	return rc;
}

/* dk_sign_eom - make every signature */
int
dk_sign_eom(dkim_msg *m)
{
	size_t i;

	for (i = 0; i < m->nsigners; i++)
		if (sign_one(m, &m->signer[i]) < 0)
			return dk_msg_fail(m, "signing for %s with selector %s "
			    "failed", m->signer[i].domain,
			    m->signer[i].selector);
	return DKIM_OK;
}

/* dkim_sig_count - how many signatures were made */
size_t
dkim_sig_count(const dkim_msg *m)
{
	return m->state == DK_ST_DONE && m->mode == DKIM_MODE_SIGN ?
	    m->nsigners : 0;
}

/* dkim_sig_header - the nth DKIM-Signature value made */
const char *
dkim_sig_header(const dkim_msg *m, size_t n)
{
	if (n >= dkim_sig_count(m))
		return NULL;
	return m->signer[n].out;
}
