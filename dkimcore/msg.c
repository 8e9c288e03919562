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
 * Signing work lives in sign.c, verification in verify.c; the header
 * index in hdrindex.c, the body hashers in bodyhash.c and the error text
 * in msgerr.c. This file holds the handle and the order of calls.
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"

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
