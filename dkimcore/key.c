/*
 * key.c - signing keys: loaded and parsed once, shared by reference
 *
 * SYNOPSIS
 *	key = dkim_key_load_file(path, err, errlen);
 *	key = dkim_key_load_pem(pem, len, err, errlen);
 *	key = dkim_key_load_base64(text, err, errlen);
 *	dkim_key_ref(key);	dkim_key_free(key);
 *	dkim_key_alg(key)	dkim_key_bits(key)
 *	dkim_key_public_record(key)	dk_key_pkey(key)
 *
 * CONTRACT
 *	A key is a PEM private key (or its DER form in base64): RSA
 *	(PKCS#1 "RSA PRIVATE KEY" or PKCS#8)
 *	of at least 1024 bits (RFC 8301 §3.2), or Ed25519 in PKCS#8
 *	(RFC 8463). Encrypted keys are refused rather than prompted for.
 *	A loaded key is immutable, so any number of threads may sign with
 *	it; the reference count is atomic, and the last dkim_key_free()
 *	releases it. dkim_key_free(NULL) does nothing.
 *	Key file contents are wiped from memory after parsing.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dk.h"

#define KEY_FILE_MAX	(64 * 1024)	/* no PEM private key is larger */
#define KEY_RSA_MIN	1024		/* RFC 8301 §3.2 */

struct dkim_key {
	EVP_PKEY	*pkey;
	EVP_PKEY_CTX	*sctx;		/* RSA: signing set up once */
	enum dkim_alg	 alg;
	unsigned	 bits;
	atomic_uint	 refs;
};

/* key_nopass - a PEM password callback that refuses to prompt */
static int
key_nopass(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return -1;
}

/* key_from_pkey - wrap pkey (taken over, freed on failure) */
static dkim_key *
key_from_pkey(EVP_PKEY *pkey, char *err, size_t errlen)
{
	dkim_key	*key;
	int		 bits;

	if ((key = calloc(1, sizeof(*key))) == NULL) {
		dk_why(err, errlen, "out of memory");
		goto fail;
	}
	bits = EVP_PKEY_get_bits(pkey);
	if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (bits < KEY_RSA_MIN) {
			dk_why(err, errlen, "RSA key of %d bits: at least "
			    "%d required", bits, KEY_RSA_MIN);
			goto fail;
		}
		key->alg = DKIM_ALG_RSA_SHA256;
	} else if (EVP_PKEY_is_a(pkey, "ED25519")) {
		key->alg = DKIM_ALG_ED25519_SHA256;
	} else {
		dk_why(err, errlen, "unsupported key type");
		goto fail;
	}
	key->pkey = pkey;
	if (key->alg == DKIM_ALG_RSA_SHA256)
		key->sctx = dk_rsa_sign_prepare(pkey);
	key->bits = bits > 0 ? (unsigned)bits : 0;
	atomic_init(&key->refs, 1);
	return key;

fail:
	free(key);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return NULL;
}

/* dkim_key_load_pem - a private key from PEM text in memory */
dkim_key *
dkim_key_load_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	EVP_PKEY	*pkey = NULL;
	BIO		*bio = NULL;

	if (len > KEY_FILE_MAX) {
		dk_why(err, errlen, "not a PEM private key: over %d bytes",
		    KEY_FILE_MAX);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		dk_why(err, errlen, "out of memory");
		return NULL;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, key_nopass, NULL);
	BIO_free(bio);
	if (pkey == NULL) {
		dk_why(err, errlen, "not a PEM private key");
		ERR_clear_error();
		return NULL;
	}
	return key_from_pkey(pkey, err, errlen);
}

/*
 * dkim_key_load_base64 - a private key given as base64 of its DER form
 * (PKCS#1 RSA or PKCS#8), as an OpenDKIM KeyTable may hold it inline
 */
dkim_key *
dkim_key_load_base64(const char *text, char *err, size_t errlen)
{
	const unsigned char *p;
	unsigned char	*der = NULL;
	size_t		 n = 0, len = strlen(text);
	EVP_PKEY	*pkey;

	if (len > KEY_FILE_MAX || dk_b64_decode(text, len, &der, &n) < 0 ||
	    n == 0) {
		free(der);
		dk_why(err, errlen, "not a base64 DER private key");
		return NULL;
	}
	p = der;
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)n);
	OPENSSL_cleanse(der, n);
	free(der);
	if (pkey == NULL) {
		dk_why(err, errlen, "not a base64 DER private key");
		ERR_clear_error();
		return NULL;
	}
	return key_from_pkey(pkey, err, errlen);
}

/* key_read - read at most KEY_FILE_MAX bytes of f; length or -1 */
static long
key_read(FILE *f, char *buf, char *err, size_t errlen, const char *path)
{
	size_t	 n;

	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f)) {
		dk_why(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (n > KEY_FILE_MAX) {
		dk_why(err, errlen, "not a PEM private key: %s is over "
		    "%d bytes", path, KEY_FILE_MAX);
		return -1;
	}
	return (long)n;
}

/*
 * dkim_key_load_file - read a PEM private key (RSA or Ed25519; PKCS#1 or
 * PKCS#8). Returns NULL with a reason in err on failure.
 */
dkim_key *
dkim_key_load_file(const char *path, char *err, size_t errlen)
{
	dkim_key *key = NULL;
	FILE	*f = NULL;
	char	*buf = NULL;
	long	 n;

	if ((f = fopen(path, "r")) == NULL) {
		dk_why(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if ((buf = malloc(KEY_FILE_MAX + 1)) == NULL) {
		dk_why(err, errlen, "out of memory");
		goto done;
	}
	if ((n = key_read(f, buf, err, errlen, path)) < 0)
		goto done;
	key = dkim_key_load_pem(buf, (size_t)n, err, errlen);
done:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX + 1);
		free(buf);
	}
	if (f != NULL)
		fclose(f);
	return key;
}

/* dkim_key_ref - one more reference */
dkim_key *
dkim_key_ref(dkim_key *key)
{
	if (key != NULL)
		atomic_fetch_add(&key->refs, 1);
	return key;
}

/* dkim_key_free - drop one reference; the last one frees the key */
void
dkim_key_free(dkim_key *key)
{
	if (key == NULL)
		return;
	if (atomic_fetch_sub(&key->refs, 1) != 1)
		return;
	EVP_PKEY_CTX_free(key->sctx);
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* dkim_key_alg - DKIM_ALG_RSA_SHA256 or DKIM_ALG_ED25519_SHA256 */
enum dkim_alg
dkim_key_alg(const dkim_key *key)
{
	return key->alg;
}

/* dkim_key_bits - the key's size in bits */
unsigned
dkim_key_bits(const dkim_key *key)
{
	return key->bits;
}

/* dk_key_pkey - the OpenSSL key inside, borrowed for the key's lifetime */
EVP_PKEY *
dk_key_pkey(const dkim_key *key)
{
	return key->pkey;
}

/*
 * key_public_der - the bytes of p= (RFC 6376 §3.6.1, RFC 8463 §4.2):
 * SubjectPublicKeyInfo DER for RSA, the raw 32 bytes for Ed25519.
 * *der is OPENSSL_malloc()ed; its length, or -1.
 */
static int
key_public_der(const dkim_key *key, unsigned char **der)
{
	size_t	 len;

	*der = NULL;
	if (key->alg == DKIM_ALG_RSA_SHA256)
		return i2d_PUBKEY(key->pkey, der);
	if (EVP_PKEY_get_raw_public_key(key->pkey, NULL, &len) != 1 ||
	    (*der = OPENSSL_malloc(len)) == NULL)
		return -1;
	if (EVP_PKEY_get_raw_public_key(key->pkey, *der, &len) != 1) {
		OPENSSL_free(*der);
		*der = NULL;
		return -1;
	}
	return (int)len;
}

/*
 * dkim_key_public_record - the TXT record to publish for this key,
 * "v=DKIM1; k=rsa; p=..." (malloc()ed; NULL on failure).
 */
char *
dkim_key_public_record(const dkim_key *key)
{
	struct dk_buf	 rec = { NULL, 0, 0, 0 };
	unsigned char	*der = NULL;
	char		*b64 = NULL;
	int		 n;

	if ((n = key_public_der(key, &der)) <= 0)
		goto fail;
	if ((b64 = dk_b64_encode(der, (size_t)n)) == NULL)
		goto fail;
	if (dk_buf_printf(&rec, "v=DKIM1; k=%s; p=%s",
	    key->alg == DKIM_ALG_RSA_SHA256 ? "rsa" : "ed25519", b64) < 0)
		goto fail;
	OPENSSL_free(der);
	free(b64);
	return rec.data;

fail:
	OPENSSL_free(der);
	free(b64);
	dk_buf_free(&rec);
	ERR_clear_error();
	return NULL;
}

/* dk_key_sign - dk_digest_sign(), from the context prepared at load for
 * rsa-sha256 when there is one */
int
dk_key_sign(const dkim_key *key, enum dkim_alg alg, const unsigned char *dg,
    size_t dglen, unsigned char **sig, size_t *siglen)
{
	if (key->sctx != NULL && alg == DKIM_ALG_RSA_SHA256)
		return dk_rsa_sign_prepared(key->sctx, dg, dglen, sig, siglen);
	return dk_digest_sign(key->pkey, alg, dg, dglen, sig, siglen);
}
