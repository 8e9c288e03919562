/*
 * crypto.c - base64 and DKIM signatures through OpenSSL EVP
 *
 * SYNOPSIS
 *	dk_b64_decode(in, len, &out, &outlen)	dk_b64_encode(in, len)
 *	dk_pubkey_parse(ktype, p, len, why, whylen)
 *	dk_pkey_bits(pkey)
 *	dk_digest_verify(pkey, alg, dg, dglen, sig, siglen)
 *	dk_digest_sign(pkey, alg, dg, dglen, &sig, &siglen)
 *
 * CONTRACT
 *	A DKIM signature is made over a digest the caller computed (the hash
 *	of the canonicalized header fields). RSA signs it as PKCS#1 v1.5
 *	with the digest's algorithm (RFC 6376 §3.3.1); Ed25519 signs the 32
 *	digest bytes themselves with pure Ed25519 (RFC 8463 §3).
 *
 *	Nothing here keeps state between calls, so every function may run
 *	on any thread; the OpenSSL error queue (thread-local) is cleared
 *	after a failure so that it never accumulates. Returned buffers are
 *	malloc()ed and belong to the caller.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dk.h"

#define ED25519_KEYLEN	32

/* b64_value - the 6-bit value of a base64 character, or -1 */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * b64_clean - copy the base64 characters of in[0..len) to clean, dropping
 * FWS (§2.4: SP, HTAB, CR, LF). '=' may appear only as one or two final
 * pad characters. Returns the number of characters kept with *npad set,
 * or -1 on a foreign character or misplaced padding.
 */
static long
b64_clean(const char *in, size_t len, char *clean, size_t *npad)
{
	size_t	 i, n = 0, pad = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (++pad > 2)
				return -1;
		} else if (pad > 0 || b64_value(c) < 0)
			return -1;
		clean[n++] = (char)c;
	}
	*npad = pad;
	return (long)n;
}

/*
 * dk_b64_decode - decode base64 that may contain FWS (§2.4); strict about
 * the alphabet and padding. Returns 0 with *out malloc()ed, or -1.
 */
int
dk_b64_decode(const char *in, size_t len, unsigned char **out,
    size_t *outlen)
{
	char		*clean = NULL;
	unsigned char	*res = NULL;
	long		 n;
	size_t		 pad;
	int		 got;

	*out = NULL;
	*outlen = 0;
	if (len > INT_MAX)
		goto fail;
	if ((clean = malloc(len + 1)) == NULL)
		goto fail;
	if ((n = b64_clean(in, len, clean, &pad)) < 0 || n % 4 != 0)
		goto fail;
	if ((res = malloc((size_t)n / 4 * 3 + 1)) == NULL)
		goto fail;
	if (n > 0) {
		got = EVP_DecodeBlock(res, (unsigned char *)clean, (int)n);
		if (got < 0 || (size_t)got != (size_t)n / 4 * 3)
			goto fail;
	} else
		got = 0;
	free(clean);
	*out = res;
	*outlen = (size_t)got - pad;
	return 0;

fail:
	free(clean);
	free(res);
	return -1;
}

/* dk_b64_encode - encode; malloc()ed, NUL-terminated, or NULL */
char *
dk_b64_encode(const unsigned char *in, size_t len)
{
	char	*out;

	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		return NULL;
	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	if (len == 0)
		out[0] = '\0';
	else
		EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

/* pubkey_rsa - an RSA key from SubjectPublicKeyInfo or RSAPublicKey DER */
static EVP_PKEY *
pubkey_rsa(const unsigned char *p, size_t len, char *why, size_t whylen)
{
	const unsigned char *cp;
	EVP_PKEY *pkey;

	if (len > LONG_MAX) {
		dk_why(why, whylen, "public key too long");
		return NULL;
	}
	cp = p;
	pkey = d2i_PUBKEY(NULL, &cp, (long)len);
	if (pkey == NULL) {
		cp = p;
		pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &cp, (long)len);
	}
	if (pkey == NULL) {
		dk_why(why, whylen, "public key is not valid DER");
		return NULL;
	}
	if (cp != p + len) {
		dk_why(why, whylen, "junk after the public key");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	if (!EVP_PKEY_is_a(pkey, "RSA")) {
		dk_why(why, whylen, "public key is not an RSA key");
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/*
 * dk_pubkey_parse - a public key from p= bytes: RSA as SubjectPublicKeyInfo
 * or bare RSAPublicKey, Ed25519 as 32 raw bytes (RFC 8463). NULL on error.
 */
EVP_PKEY *
dk_pubkey_parse(enum dk_ktype ktype, const unsigned char *p, size_t len,
    char *why, size_t whylen)
{
	EVP_PKEY *pkey = NULL;

	switch (ktype) {
	case DK_KTYPE_RSA:
		pkey = pubkey_rsa(p, len, why, whylen);
		break;
	case DK_KTYPE_ED25519:
		/* RFC 8463 §4.2: the raw 32-byte public key, no ASN.1. */
		if (len != ED25519_KEYLEN) {
			dk_why(why, whylen,
			    "ed25519 public key of %zu bytes, 32 required",
			    len);
			break;
		}
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, p,
		    len);
		if (pkey == NULL)
			dk_why(why, whylen, "bad ed25519 public key");
		break;
	default:
		dk_why(why, whylen, "unknown key type");
		break;
	}
	if (pkey == NULL)
		ERR_clear_error();
	return pkey;
}

/* dk_pkey_bits - the size of a key in bits */
unsigned
dk_pkey_bits(const EVP_PKEY *pkey)
{
	int	 bits;

	if (pkey == NULL || (bits = EVP_PKEY_get_bits(pkey)) <= 0)
		return 0;
	return (unsigned)bits;
}

/*
 * rsa_ctx - an EVP_PKEY_CTX set up for PKCS#1 v1.5 over a digest of alg,
 * for signing (sign != 0) or verifying; NULL when key, alg and digest
 * length do not go together.
 */
static EVP_PKEY_CTX *
rsa_ctx(EVP_PKEY *pkey, enum dkim_alg alg, size_t dglen, int sign)
{
	EVP_PKEY_CTX	*pctx;
	const EVP_MD	*md;

	if (alg == DKIM_ALG_RSA_SHA256)
		md = EVP_sha256();
	else if (alg == DKIM_ALG_RSA_SHA1 && !sign)
		md = EVP_sha1();
	else
		return NULL;
	if ((size_t)EVP_MD_get_size(md) != dglen ||
	    !EVP_PKEY_is_a(pkey, "RSA"))
		return NULL;
	if ((pctx = EVP_PKEY_CTX_new(pkey, NULL)) == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(pctx) : EVP_PKEY_verify_init(pctx)) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, md) <= 0) {
		EVP_PKEY_CTX_free(pctx);
		return NULL;
	}
	return pctx;
}

/* ed25519_ok - 1 when key, alg and digest length suit ed25519-sha256 */
static int
ed25519_ok(EVP_PKEY *pkey, enum dkim_alg alg, size_t dglen)
{
	return alg == DKIM_ALG_ED25519_SHA256 && dglen == 32 &&
	    EVP_PKEY_is_a(pkey, "ED25519");
}

/*
 * dk_digest_verify - check sig over a SHA-256 (or SHA-1) digest.
 * RSA: PKCS#1 v1.5 with the digest's algorithm. Ed25519: pure Ed25519 over
 * the 32 digest bytes (RFC 8463 §3). Returns 1 good, 0 bad, -1 error.
 */
int
dk_digest_verify(EVP_PKEY *pkey, enum dkim_alg alg, const unsigned char *dg,
    size_t dglen, const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX	*pctx;
	EVP_MD_CTX	*mctx;
	int		 rc = -1;

	if (pkey == NULL)
		return -1;
	if (ed25519_ok(pkey, alg, dglen)) {
		if ((mctx = EVP_MD_CTX_new()) == NULL)
			goto done;
		if (EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pkey) == 1)
			rc = EVP_DigestVerify(mctx, sig, siglen, dg, dglen) ==
			    1;
		EVP_MD_CTX_free(mctx);
	} else if ((pctx = rsa_ctx(pkey, alg, dglen, 0)) != NULL) {
		rc = EVP_PKEY_verify(pctx, sig, siglen, dg, dglen) == 1;
		EVP_PKEY_CTX_free(pctx);
	}
done:
	if (rc != 1)
		ERR_clear_error();
	return rc;
}

/*
 * dk_rsa_sign_prepare - a context for rsa-sha256 signatures with pkey, set
 * up once (EVP_PKEY_CTX_new, sign_init, padding and digest cost about
 * 2.4 us a signature; a copy of this costs 0.1 us); NULL if not RSA
 */
EVP_PKEY_CTX *
dk_rsa_sign_prepare(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *c = rsa_ctx(pkey, DKIM_ALG_RSA_SHA256, 32, 1);

	if (c == NULL)
		ERR_clear_error();
	return c;
}

/* dk_rsa_sign_prepared - sign a SHA-256 digest with a copy of prep (the
 * copy keeps threads apart); *sig malloc()ed; 0 or -1 */
int
dk_rsa_sign_prepared(const EVP_PKEY_CTX *prep, const unsigned char *dg,
    size_t dglen, unsigned char **sig, size_t *siglen)
{
	EVP_PKEY_CTX	*c;
	unsigned char	*s = NULL;
	size_t		 n = 0;

	*sig = NULL;
	*siglen = 0;
	if (dglen != 32 ||
	    (c = EVP_PKEY_CTX_dup((EVP_PKEY_CTX *)prep)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	if (EVP_PKEY_sign(c, NULL, &n, dg, dglen) <= 0 ||
	    (s = malloc(n)) == NULL ||
	    EVP_PKEY_sign(c, s, &n, dg, dglen) <= 0) {
		EVP_PKEY_CTX_free(c);
		free(s);
		ERR_clear_error();
		return -1;
	}
	EVP_PKEY_CTX_free(c);
	*sig = s;
	*siglen = n;
	return 0;
}

/* dk_digest_sign - the same for signing; *sig malloc()ed; 0 or -1 */
int
dk_digest_sign(EVP_PKEY *pkey, enum dkim_alg alg, const unsigned char *dg,
    size_t dglen, unsigned char **sig, size_t *siglen)
{
	EVP_PKEY_CTX	*pctx = NULL;
	EVP_MD_CTX	*mctx = NULL;
	unsigned char	*s = NULL;
	size_t		 n = 0;

	*sig = NULL;
	*siglen = 0;
	if (pkey == NULL)
		goto fail;
	if (ed25519_ok(pkey, alg, dglen)) {
		if ((mctx = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit(mctx, NULL, NULL, NULL, pkey) != 1 ||
		    EVP_DigestSign(mctx, NULL, &n, dg, dglen) != 1 ||
		    (s = malloc(n)) == NULL ||
		    EVP_DigestSign(mctx, s, &n, dg, dglen) != 1)
			goto fail;
	} else {
		if ((pctx = rsa_ctx(pkey, alg, dglen, 1)) == NULL ||
		    EVP_PKEY_sign(pctx, NULL, &n, dg, dglen) <= 0 ||
		    (s = malloc(n)) == NULL ||
		    EVP_PKEY_sign(pctx, s, &n, dg, dglen) <= 0)
			goto fail;
	}
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	*sig = s;
	*siglen = n;
	return 0;

fail:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_CTX_free(pctx);
	free(s);
	ERR_clear_error();
	return -1;
}
