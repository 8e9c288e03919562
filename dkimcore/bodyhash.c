/*
 * bodyhash.c - a message's body hashers (RFC 6376 §3.7)
 *
 * SYNOPSIS
 *	dk_bodyhash_get(m, canon, alg, limit)	the hasher for that triple
 *	dk_body_finish(m)			flush canonicalizers, finish
 *
 * CONTRACT
 *	A hasher is shared by every signature that agrees on body
 *	canonicalization, hash and l= (at most DK_MAX_BODYHASH per message).
 *	At most one canonicalizer per canonicalization feeds them, through
 *	body_sink(), which stops each hasher at its l=. The hashers belong to
 *	the message and are freed by dkim_msg_free().
 */
#include "msg.h"

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
