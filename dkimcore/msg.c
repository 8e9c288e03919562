/*
 * msg.c - one message through the engine: header fields, body, end
 *
 * SYNOPSIS
 *	dkim_msg_new() dkim_msg_add_signer()* dkim_header()* dkim_eoh()
 *	dkim_body()* dkim_eom() ... results ... dkim_msg_free()
 *
 * The header block is kept (up to the context's ceiling) because header
 * selection (RFC 6376 §5.4.2) needs all of it. At end of header every
 * signature's header hash is started, body hashers are set up (one per
 * distinct canonicalization and l=, shared by the signatures that agree)
 * and, when verifying, key lookups go out. Body bytes go through at most
 * two canonicalizers (simple and relaxed) into the hashers and are never
 * stored. At end of message the hashes are finished and each signature
 * is made or checked.
 *
 * Signing work lives in sign.c, verification in verify.c; this file holds
 * what both share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

/* dk_msg_fail - record why a call fails; returns DKIM_ERR */
int
dk_msg_fail(dkim_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	return DKIM_ERR;
}

/* dkim_msg_new - an empty message in the given mode */
dkim_msg *
dkim_msg_new(dkim_ctx *ctx, enum dkim_mode mode)
{
	dkim_msg *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->ctx = ctx;
	m->mode = mode;
	m->arena.max = ctx->max_header;
	m->state = DK_ST_HEADER;
	dkim_author_init(&m->author);
	return m;
}

/* dkim_msg_free - release a message and all it holds */
void
dkim_msg_free(dkim_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	dk_buf_free(&m->arena);
	free(m->fields);
	free(m->index);
	free(m->above);
	for (i = 0; i < m->nbh; i++)
		EVP_MD_CTX_free(m->bh[i].md);
	dk_sign_free(m);
	dk_verify_free(m);
	dk_arc_free(m);
	free(m);
}

/* dkim_msg_error - why the last call failed */
const char *
dkim_msg_error(const dkim_msg *m)
{
	return m->error;
}

/* trim_name - the length of a field name without trailing WSP */
static size_t
trim_name(const char *name, size_t len)
{
	while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t'))
		len--;
	return len;
}

/* dkim_header - keep one header field for end of header */
int
dkim_header(dkim_msg *m, const char *name, size_t namelen, const char *value,
    size_t valuelen)
{
	struct dk_field *f;
	size_t off;

	if (m->state != DK_ST_HEADER)
		return dk_msg_fail(m, "header field after end of header");
	if (m->overflow)
		return DKIM_OK;
	if (namelen == 0 || trim_name(name, namelen) == 0)
		return DKIM_OK;		/* not a field: nothing to sign */
	dkim_author_field(&m->author, name, namelen, value, valuelen);
	if (m->nfields == m->afields) {
		/* the table counts against the ceiling too, up to its end */
		size_t n = m->afields ? m->afields * 2 : 32,
		    most = m->ctx->max_header / sizeof(*m->fields);
		void *p;

		if (n > most)
			n = most;
		if (n <= m->nfields ||
		    (p = realloc(m->fields, n * sizeof(*m->fields))) == NULL) {
			m->overflow = 1;
			return DKIM_OK;
		}
		m->fields = p;
		m->afields = n;
	}
	off = m->arena.len;
	if (dk_buf_append(&m->arena, name, namelen) < 0 ||
	    dk_buf_append(&m->arena, value, valuelen) < 0) {
		m->overflow = 1;
		return DKIM_OK;
	}
	f = &m->fields[m->nfields++];
	f->name = off;
	f->nlen = namelen;
	f->klen = trim_name(name, namelen);
	f->hash = dk_name_hash(name, f->klen);
	f->value = off + namelen;
	f->vlen = valuelen;
	return DKIM_OK;
}

/* dkim_header_field - one whole field, split at its first colon */
int
dkim_header_field(dkim_msg *m, const char *field, size_t len)
{
	const char *colon = memchr(field, ':', len);

	if (len >= 2 && field[len - 2] == '\r' && field[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && field[len - 1] == '\n')
		len -= 1;
	if (colon == NULL || (size_t)(colon - field) >= len) {
		/* RFC 5322 §2.2: a field has a colon; this line is no field */
		m->malformed++;
		return m->state == DK_ST_HEADER ? DKIM_OK :
		    dk_msg_fail(m, "header field after end of header");
	}
	return dkim_header(m, field, (size_t)(colon - field), colon + 1,
	    len - (size_t)(colon - field) - 1);
}

/* dk_field_is - 1 when field f is named name (case-insensitive) */
int
dk_field_is(const dkim_msg *m, const struct dk_field *f, const char *name,
    size_t nlen)
{
	return f->klen == nlen &&
	    strncasecmp(m->arena.data + f->name, name, nlen) == 0;
}

/* dk_hash_field - feed one field, canonicalized, to md */
int
dk_hash_field(dkim_msg *m, EVP_MD_CTX *md, enum dkim_canon c,
    const struct dk_field *f, struct dk_buf *scratch)
{
	scratch->len = 0;
	if (dk_canon_header(c, m->arena.data + f->name, f->nlen,
	    m->arena.data + f->value, f->vlen, scratch) < 0)
		return -1;
	return EVP_DigestUpdate(md, scratch->data, scratch->len) == 1 ? 0 : -1;
}

/* dk_name_hash - a case-insensitive hash of a field name */
uint32_t
dk_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h;
}

/* index_slot - the slot of the name hash h in the field index */
static size_t
index_slot(const dkim_msg *m, uint32_t h)
{
	size_t slot = h & (m->isize - 1);

	while (m->index[slot] && m->fields[m->index[slot] - 1].hash != h)
		slot = (slot + 1) & (m->isize - 1);
	return slot;
}

/*
 * build_index - index the fields by name hash, once per message: for
 * each hash the lowest field, and from each field the next one up with
 * the same hash (1-based indices; 0 ends a chain). Selection then costs
 * the length of h= plus the fields of the names it lists, not their
 * product.
 */
static int
build_index(dkim_msg *m)
{
	size_t i, size = 16, slot;

	if (m->index)
		return 0;
	while (size < m->nfields * 2)
		size <<= 1;
	if ((m->index = calloc(size, sizeof(*m->index))) == NULL ||
	    (m->above = calloc(m->nfields + 1, sizeof(*m->above))) == NULL)
		return -1;
	m->isize = size;
	for (i = 0; i < m->nfields; i++) {
		slot = index_slot(m, m->fields[i].hash);
		m->above[i] = m->index[slot];
		m->index[slot] = i + 1;
	}
	return 0;
}

/*
 * dk_hash_headers - feed md the fields that names[] select, each name
 * taking the lowest field of that name not yet taken (§5.4.2); a name
 * with no field left contributes nothing (that is how oversigning
 * works). next[i] is where the search for names[i] goes on when the
 * same name comes again.
 */
int
dk_hash_headers(dkim_msg *m, EVP_MD_CTX *md, enum dkim_canon c,
    char *const *names, size_t nnames, struct dk_buf *scratch)
{
	size_t *next, i, j, k, nl;
	uint32_t h;
	int rc = -1, seen;

	if (nnames == 0)
		return 0;
	if (build_index(m) < 0 ||
	    (next = malloc(nnames * sizeof(*next))) == NULL)
		return -1;
	for (i = 0; i < nnames; i++) {
		nl = strlen(names[i]);
		h = dk_name_hash(names[i], nl);
		for (j = i, seen = 0; j-- > 0;)
			if (strcasecmp(names[j], names[i]) == 0) {
				seen = 1;
				break;
			}
		k = seen ? next[j] : m->index[index_slot(m, h)];
		while (k && !dk_field_is(m, &m->fields[k - 1], names[i], nl))
			k = m->above[k - 1];
		next[i] = k ? m->above[k - 1] : 0;
		if (k && dk_hash_field(m, md, c, &m->fields[k - 1],
		    scratch) < 0)
			goto fail;
	}
	rc = 0;
fail:
	free(next);
	return rc;
}

/* body_sink - canonicalized body bytes to every hasher of one canon */
static void
body_sink(void *arg, const unsigned char *p, size_t n)
{
	struct dk_sink *s = arg;
	dkim_msg *m = s->msg;
	size_t i, take;

	for (i = 0; i < m->nbh; i++) {
		struct dk_bodyhash *h = &m->bh[i];

		if (h->canon != s->canon)
			continue;
		take = n;
		if (h->limit >= 0) {
			if (h->done >= (unsigned long long)h->limit)
				continue;
			if ((unsigned long long)h->limit - h->done < take)
				take = (size_t)((unsigned long long)h->limit -
				    h->done);
		}
		if (take)
			EVP_DigestUpdate(h->md, p, take);
		h->done += take;
	}
}

/*
 * dk_bodyhash_get - the hasher for (canon, alg, limit), made on first
 * use; its index, or -1.
 */
int
dk_bodyhash_get(dkim_msg *m, enum dkim_canon canon, enum dkim_alg alg,
    long long limit)
{
	const EVP_MD *type = alg == DKIM_ALG_RSA_SHA1 ? EVP_sha1() :
	    EVP_sha256();
	struct dk_bodyhash *h;
	size_t i;

	for (i = 0; i < m->nbh; i++) {
		h = &m->bh[i];
		if (h->canon == canon && h->type == type && h->limit == limit)
			return (int)i;
	}
	if (m->nbh == DK_MAX_BODYHASH)
		return -1;
	h = &m->bh[m->nbh];
	if ((h->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(h->md, type, NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		h->md = NULL;
		return -1;
	}
	h->canon = canon;
	h->type = type;
	h->limit = limit;
	h->done = 0;
	if (!m->canon_on[canon]) {
		m->canon_on[canon] = 1;
		m->sink[canon].msg = m;
		m->sink[canon].canon = canon;
		dk_body_init(&m->body[canon], canon, body_sink,
		    &m->sink[canon]);
	}
	return (int)m->nbh++;
}

/* dkim_eoh - end of header: start hashes and (verifying) key lookups */
int
dkim_eoh(dkim_msg *m)
{
	int rc;

	if (m->state != DK_ST_HEADER)
		return dk_msg_fail(m, "end of header twice");
	m->state = DK_ST_BODY;
	m->t_eoh = dk_now_ms();
	rc = m->mode == DKIM_MODE_SIGN ? dk_sign_eoh(m) : dk_verify_eoh(m);
	if (rc != DKIM_OK)
		m->state = DK_ST_FAILED;
	return rc;
}

/* dkim_body - a body chunk into the canonicalizers */
int
dkim_body(dkim_msg *m, const void *buf, size_t len)
{
	int c;

	if (m->state == DK_ST_HEADER && dkim_eoh(m) != DKIM_OK)
		return DKIM_ERR;
	if (m->state == DK_ST_FAILED)
		return DKIM_ERR;
	if (m->state != DK_ST_BODY)
		return dk_msg_fail(m, "body after end of message");
	for (c = 0; c < 2; c++)
		if (m->canon_on[c])
			dk_body_update(&m->body[c], buf, len);
	return DKIM_OK;
}

/*
 * dkim_body_done - 1 when more body cannot change any result. Bytes past
 * an l= still count: they turn a pass into policy and are counted in its
 * reason (verify.c, unsigned_body), so only a message with no body hasher
 * is done early.
 */
int
dkim_body_done(const dkim_msg *m)
{
	if (m->state != DK_ST_BODY)
		return m->state != DK_ST_HEADER;
	return m->nbh == 0;
}

/* dk_body_finish - flush the canonicalizers and finish the body hashes */
int
dk_body_finish(dkim_msg *m)
{
	unsigned int len;
	size_t i;
	int c;

	for (c = 0; c < 2; c++)
		if (m->canon_on[c])
			dk_body_final(&m->body[c]);
	for (i = 0; i < m->nbh; i++) {
		len = 0;
		if (EVP_DigestFinal_ex(m->bh[i].md, m->bh[i].digest, &len) != 1)
			return -1;
		m->bh[i].dlen = len;
	}
	return 0;
}

/* dkim_eom - end of message: make or check every signature */
int
dkim_eom(dkim_msg *m)
{
	int rc;

	if (m->state == DK_ST_HEADER && dkim_eoh(m) != DKIM_OK)
		return DKIM_ERR;
	if (m->state == DK_ST_FAILED)
		return DKIM_ERR;
	if (m->state != DK_ST_BODY)
		return dk_msg_fail(m, "end of message twice");
	m->state = DK_ST_DONE;
	if (dk_body_finish(m) < 0)
		return dk_msg_fail(m, "cannot finish body hash");
	rc = m->mode == DKIM_MODE_SIGN ? dk_sign_eom(m) : dk_verify_eom(m);
	return rc;
}
