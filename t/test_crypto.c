/*
 * test_crypto.c - base64, public keys, signatures and signing keys
 *
 * Known answers come from RFC 4648 §10 (base64) and RFC 8463 Appendix A
 * (keys and their DNS records), copied to t/data/crypto/. Other keys are
 * generated here, at run time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dk.h"
#include "tap.h"

static const char *srcdir = ".";

/* data_path - a file under t/data/crypto/ */
static const char *
data_path(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/t/data/crypto/%s", srcdir, name);
	return path;
}

/* b64_is - 1 when s decodes to exactly want[0..wn) */
static int
b64_is(const char *s, const char *want, size_t wn)
{
	unsigned char *out;
	size_t	 n;
	int	 ok;

	if (dk_b64_decode(s, strlen(s), &out, &n) != 0)
		return 0;
	ok = n == wn && memcmp(out, want, wn) == 0;
	free(out);
	return ok;
}

/* b64_bad - 1 when s is refused */
static int
b64_bad(const char *s)
{
	unsigned char *out = (unsigned char *)"x";
	size_t	 n = 99;

	return dk_b64_decode(s, strlen(s), &out, &n) == -1 && out == NULL &&
	    n == 0;
}

/* test_b64 - RFC 4648 §10 vectors, FWS, malformed input, round trips */
static void
test_b64(void)
{
	static const char *plain[] = { "", "f", "fo", "foo", "foob", "fooba",
	    "foobar" };
	static const char *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	unsigned char data[300], *out;
	char	 name[100], *e;
	size_t	 i, n;
	int	 bad = 0;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		e = dk_b64_encode((const unsigned char *)plain[i],
		    strlen(plain[i]));
		snprintf(name, sizeof(name), "base64: RFC 4648 \"%s\" encodes "
		    "and decodes", plain[i]);
		ok(e != NULL && strcmp(e, enc[i]) == 0 &&
		    b64_is(enc[i], plain[i], strlen(plain[i])), name);
		free(e);
	}
	ok(b64_is(" Zm9v\r\n\tYmFy ", "foobar", 6),
	    "base64: FWS (SP, HTAB, CRLF) inside and around is skipped");
	ok(b64_is("Zm8 =", "fo", 2), "base64: FWS before the padding");
	ok(b64_bad("Zm9*"), "base64: a character outside the alphabet is "
	    "refused");
	ok(b64_bad("Zm9vYmF"), "base64: a length not a multiple of 4 is "
	    "refused");
	ok(b64_bad("Zg==Zm9v"), "base64: '=' before the end is refused");
	ok(b64_bad("Zg=v"), "base64: data after '=' is refused");
	ok(b64_bad("Z==="), "base64: three pad characters are refused");
	ok(dk_b64_decode("Zm9v\0Ym", 7, &out, &n) == -1,
	    "base64: a NUL byte inside is refused");
	ok(b64_bad("Zm9v-_"), "base64: the URL-safe alphabet is refused");
	for (i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i <= sizeof(data); i++) {
		e = dk_b64_encode(data, i);
		if (e == NULL || dk_b64_decode(e, strlen(e), &out, &n) != 0) {
			bad++;
			free(e);
			continue;
		}
		if (n != i || memcmp(out, data, i) != 0 || n > strlen(e))
			bad++;
		free(out);
		free(e);
	}
	is_int(bad, 0, "base64: every length 0..300 round-trips, output "
	    "never longer than input");
}

/*
 * record_p - the p= of a name in a records file (NAME TXT-VALUE per
 * line), decoded; NULL when absent
 */
static unsigned char *
record_p(const char *file, const char *name, size_t *len, char *b64,
    size_t b64len)
{
	char	 line[2048], *p, *e;
	unsigned char *out = NULL;
	FILE	*f;

	if ((f = fopen(data_path(file), "r")) == NULL)
		return NULL;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, name, strlen(name)) != 0 ||
		    line[strlen(name)] != ' ' ||
		    (p = strstr(line, "p=")) == NULL)
			continue;
		p += 2;
		e = p + strcspn(p, "; \r\n");
		*e = '\0';
		if (b64 != NULL)
			dk_strlcpy(b64, p, b64len);
		if (dk_b64_decode(p, strlen(p), &out, len) != 0)
			out = NULL;
		break;
	}
	fclose(f);
	return out;
}

#define RSA_NAME	"test._domainkey.football.example.com"
#define ED_NAME		"brisbane._domainkey.football.example.com"

/* test_pubkey - p= values as SPKI, bare RSAPublicKey, raw Ed25519 */
static void
test_pubkey(void)
{
	unsigned char *rsa, *ed, *der = NULL, junk[300];
	size_t	 rlen = 0, elen = 0;
	char	 why[128] = "";
	EVP_PKEY *k;
	int	 dlen;

	rsa = record_p("rfc8463-records.txt", RSA_NAME, &rlen, NULL, 0);
	ed = record_p("rfc8463-records.txt", ED_NAME, &elen, NULL, 0);
	ok(rsa != NULL && ed != NULL, "RFC 8463 key records read");
	if (rsa == NULL || ed == NULL)
		return;
	k = dk_pubkey_parse(DK_KTYPE_RSA, rsa, rlen, why, sizeof(why));
	ok(k != NULL && dk_pkey_bits(k) == 1024,
	    "RSA public key as SubjectPublicKeyInfo: 1024 bits");
	dlen = k != NULL ? i2d_PublicKey(k, &der) : -1;
	EVP_PKEY_free(k);
	k = dlen > 0 ? dk_pubkey_parse(DK_KTYPE_RSA, der, (size_t)dlen, why,
	    sizeof(why)) : NULL;
	ok(k != NULL && dk_pkey_bits(k) == 1024,
	    "RSA public key as bare PKCS#1 RSAPublicKey: 1024 bits");
	EVP_PKEY_free(k);
	OPENSSL_free(der);
	k = dk_pubkey_parse(DK_KTYPE_ED25519, ed, elen, why, sizeof(why));
	ok(k != NULL && EVP_PKEY_is_a(k, "ED25519") && dk_pkey_bits(k) > 0,
	    "Ed25519 public key from 32 raw bytes (RFC 8463)");
	EVP_PKEY_free(k);
	why[0] = '\0';
	ok(dk_pubkey_parse(DK_KTYPE_ED25519, ed, elen - 1, why, sizeof(why))
	    == NULL && why[0] != '\0', "Ed25519 key of 31 bytes refused, "
	    "with a reason");
	ok(dk_pubkey_parse(DK_KTYPE_ED25519, rsa, rlen, why, sizeof(why)) ==
	    NULL, "an RSA key under k=ed25519 is refused");
	memset(junk, 0x41, sizeof(junk));
	why[0] = '\0';
	ok(dk_pubkey_parse(DK_KTYPE_RSA, junk, sizeof(junk), why,
	    sizeof(why)) == NULL && why[0] != '\0',
	    "garbage under k=rsa is refused, with a reason");
	ok(dk_pubkey_parse(DK_KTYPE_RSA, rsa, rlen - 5, why, sizeof(why)) ==
	    NULL, "a truncated RSA key is refused");
	memcpy(junk, rsa, rlen);
	junk[rlen] = 0;
	ok(dk_pubkey_parse(DK_KTYPE_RSA, junk, rlen + 1, why, sizeof(why)) ==
	    NULL, "junk after an RSA key is refused");
	ok(dk_pubkey_parse(DK_KTYPE_RSA, ed, elen, NULL, 0) == NULL,
	    "32 raw bytes under k=rsa are refused (NULL why is fine)");
	free(rsa);
	free(ed);
}

/* gen_key - a fresh key of a type as a dkim_key, through PEM */
static dkim_key *
gen_key(const char *type, unsigned bits, int traditional, char *err,
    size_t errlen)
{
	EVP_PKEY *pk;
	BIO	*bio;
	char	*pem;
	long	 n;
	dkim_key *key = NULL;

	if (strcmp(type, "RSA") == 0)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, type);
	if (pk == NULL || (bio = BIO_new(BIO_s_mem())) == NULL) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	if ((traditional ? PEM_write_bio_PrivateKey_traditional(bio, pk, NULL,
	    NULL, 0, NULL, NULL) : PEM_write_bio_PrivateKey(bio, pk, NULL,
	    NULL, 0, NULL, NULL)) == 1 && (n = BIO_get_mem_data(bio, &pem)) > 0)
		key = dkim_key_load_pem(pem, (size_t)n, err, errlen);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return key;
}

/* public_of - the public half of a key, through its DNS record */
static EVP_PKEY *
public_of(const dkim_key *key)
{
	char	*rec = dkim_key_public_record(key), *p;
	unsigned char *raw;
	size_t	 n;
	EVP_PKEY *pub = NULL;

	if (rec == NULL || (p = strstr(rec, "p=")) == NULL ||
	    dk_b64_decode(p + 2, strlen(p + 2), &raw, &n) != 0) {
		free(rec);
		return NULL;
	}
	pub = dk_pubkey_parse(dkim_key_alg(key) == DKIM_ALG_RSA_SHA256 ?
	    DK_KTYPE_RSA : DK_KTYPE_ED25519, raw, n, NULL, 0);
	free(raw);
	free(rec);
	return pub;
}

/* keysign_same - dk_key_sign() gives sig again (RSA PKCS#1 v1.5 is
 * deterministic) or one that verifies (Ed25519) */
static int
keysign_same(dkim_key *key, EVP_PKEY *pub, enum dkim_alg alg,
    const unsigned char *dg, const unsigned char *sig, size_t siglen)
{
	unsigned char *s2 = NULL;
	size_t	 n2 = 0;
	int	 same;

	if (sig == NULL || dk_key_sign(key, alg, dg, 32, &s2, &n2) != 0)
		return 0;
	if (alg == DKIM_ALG_RSA_SHA256)
		same = n2 == siglen && memcmp(s2, sig, n2) == 0;
	else
		same = dk_digest_verify(pub, alg, dg, 32, s2, n2) == 1;
	free(s2);
	return same;
}

/*
 * roundtrip - sign a digest with key, verify it with the public half;
 * then a changed digest and a changed signature must fail
 */
static void
roundtrip(dkim_key *key, const char *what)
{
	unsigned char dg[32], *sig = NULL;
	size_t	 siglen = 0;
	EVP_PKEY *pub = key != NULL ? public_of(key) : NULL;
	enum dkim_alg alg = key != NULL ? dkim_key_alg(key) : DKIM_ALG_UNKNOWN;
	char	 name[160];
	int	 good, baddg, badsig, same = 0;

	memset(dg, 0x5a, sizeof(dg));
	good = baddg = badsig = -2;
	if (pub != NULL && dk_digest_sign(dk_key_pkey(key), alg, dg,
	    sizeof(dg), &sig, &siglen) == 0) {
		good = dk_digest_verify(pub, alg, dg, sizeof(dg), sig, siglen);
		same = keysign_same(key, pub, alg, dg, sig, siglen);
		dg[0] ^= 1;
		baddg = dk_digest_verify(pub, alg, dg, sizeof(dg), sig, siglen);
		dg[0] ^= 1;
		sig[siglen / 2] ^= 0x10;
		badsig = dk_digest_verify(pub, alg, dg, sizeof(dg), sig,
		    siglen);
	}
	snprintf(name, sizeof(name), "%s: signs and verifies", what);
	ok(good == 1, name);
	snprintf(name, sizeof(name), "%s: the key's prepared context gives "
	    "%s", what, alg == DKIM_ALG_RSA_SHA256 ? "the same signature" :
	    "a good signature");
	ok(same == 1, name);
	snprintf(name, sizeof(name), "%s: another digest does not verify",
	    what);
	ok(baddg == 0, name);
	snprintf(name, sizeof(name), "%s: a changed signature does not "
	    "verify", what);
	ok(badsig == 0, name);
	free(sig);
	EVP_PKEY_free(pub);
}

/* test_sign_verify - RSA 1024/2048 and Ed25519, file and generated keys */
static void
test_sign_verify(void)
{
	char	 err[160];
	dkim_key *k;

	k = dkim_key_load_file(data_path("rfc8463-test.rsa.pem"), err,
	    sizeof(err));
	roundtrip(k, "RSA 1024 (RFC 8463 key)");
	dkim_key_free(k);
	k = dkim_key_load_file(data_path("rfc8463-brisbane.ed25519.pem"), err,
	    sizeof(err));
	roundtrip(k, "Ed25519 (RFC 8463 key)");
	dkim_key_free(k);
	k = gen_key("RSA", 2048, 0, err, sizeof(err));
	roundtrip(k, "RSA 2048 (generated, PKCS#8)");
	dkim_key_free(k);
	k = gen_key("RSA", 1024, 1, err, sizeof(err));
	roundtrip(k, "RSA 1024 (generated, PKCS#1)");
	dkim_key_free(k);
	k = gen_key("ED25519", 0, 0, err, sizeof(err));
	roundtrip(k, "Ed25519 (generated)");
	dkim_key_free(k);
}

/* test_sign_rules - algorithm, key and digest length must go together */
static void
test_sign_rules(void)
{
	char	 err[160];
	dkim_key *rsa, *ed;
	unsigned char dg[32] = { 1 }, *s1 = NULL, *s2 = NULL, sig[256];
	size_t	 n1 = 0, n2 = 0, slen = sizeof(sig);
	EVP_PKEY *pub;
	EVP_PKEY_CTX *c;

	rsa = dkim_key_load_file(data_path("rfc8463-test.rsa.pem"), err,
	    sizeof(err));
	ed = dkim_key_load_file(data_path("rfc8463-brisbane.ed25519.pem"),
	    err, sizeof(err));
	if (rsa == NULL || ed == NULL) {
		ok(0, "RFC 8463 keys load");
		dkim_key_free(rsa);
		dkim_key_free(ed);
		return;
	}
	ok(dk_digest_sign(dk_key_pkey(ed), DKIM_ALG_ED25519_SHA256, dg, 32,
	    &s1, &n1) == 0 && dk_digest_sign(dk_key_pkey(ed),
	    DKIM_ALG_ED25519_SHA256, dg, 32, &s2, &n2) == 0 && n1 == 64 &&
	    n1 == n2 && memcmp(s1, s2, n1) == 0,
	    "Ed25519 signatures are 64 bytes and deterministic");
	free(s1);
	free(s2);
	ok(dk_digest_sign(dk_key_pkey(rsa), DKIM_ALG_ED25519_SHA256, dg, 32,
	    &s1, &n1) == -1 && s1 == NULL,
	    "an RSA key does not sign ed25519-sha256");
	ok(dk_digest_sign(dk_key_pkey(ed), DKIM_ALG_RSA_SHA256, dg, 32, &s1,
	    &n1) == -1, "an Ed25519 key does not sign rsa-sha256");
	ok(dk_digest_sign(dk_key_pkey(rsa), DKIM_ALG_RSA_SHA256, dg, 20, &s1,
	    &n1) == -1, "rsa-sha256 refuses a 20-byte digest");
	ok(dk_digest_sign(dk_key_pkey(rsa), DKIM_ALG_RSA_SHA1, dg, 20, &s1,
	    &n1) == -1, "rsa-sha1 is never used to sign (RFC 8301)");
	/* An rsa-sha1 signature made by OpenSSL directly still verifies. */
	pub = public_of(rsa);
	c = EVP_PKEY_CTX_new(dk_key_pkey(rsa), NULL);
	ok(c != NULL && EVP_PKEY_sign_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha1()) == 1 &&
	    EVP_PKEY_sign(c, sig, &slen, dg, 20) == 1 &&
	    dk_digest_verify(pub, DKIM_ALG_RSA_SHA1, dg, 20, sig, slen) == 1,
	    "rsa-sha1 signatures verify (to report them)");
	ok(dk_digest_verify(pub, DKIM_ALG_RSA_SHA256, dg, 32, sig, slen) == 0,
	    "an rsa-sha1 signature is no rsa-sha256 signature");
	ok(dk_digest_verify(pub, DKIM_ALG_RSA_SHA256, dg, 32, sig, 10) == 0,
	    "an RSA signature of the wrong length does not verify");
	ok(dk_digest_verify(pub, DKIM_ALG_ED25519_SHA256, dg, 32, sig, 64) ==
	    -1, "an RSA key with ed25519-sha256 is an error, not a failure");
	ok(dk_digest_verify(NULL, DKIM_ALG_RSA_SHA256, dg, 32, sig, slen) ==
	    -1, "no key is an error");
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(pub);
	dkim_key_free(rsa);
	dkim_key_free(ed);
}

/* test_records - the TXT records of the RFC 8463 keys, as published */
static void
test_records(void)
{
	static const struct {
		const char *file, *name, *k;
	} t[] = {
		{ "rfc8463-test.rsa.pem", RSA_NAME, "rsa" },
		{ "rfc8463-test.rsa.pkcs1.pem", RSA_NAME, "rsa" },
		{ "rfc8463-brisbane.ed25519.pem", ED_NAME, "ed25519" },
	};
	char	 err[160], b64[1024], want[1200], name[160], *rec;
	unsigned char *p;
	size_t	 i, n;
	dkim_key *k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		b64[0] = '\0';
		p = record_p("rfc8463-records.txt", t[i].name, &n, b64,
		    sizeof(b64));
		free(p);
		snprintf(want, sizeof(want), "v=DKIM1; k=%s; p=%s", t[i].k,
		    b64);
		k = dkim_key_load_file(data_path(t[i].file), err, sizeof(err));
		rec = k != NULL ? dkim_key_public_record(k) : NULL;
		snprintf(name, sizeof(name), "public record of %s equals the "
		    "RFC 8463 record", t[i].file);
		is_str(rec, want, name);
		free(rec);
		dkim_key_free(k);
	}
}

/* load_err - load a file; the reason when it fails, "" when it loads */
static const char *
load_err(const char *path, char *err, size_t errlen)
{
	dkim_key *k;

	err[0] = '\0';
	if ((k = dkim_key_load_file(path, err, errlen)) != NULL) {
		dkim_key_free(k);
		return "";
	}
	return err;
}

/* write_temp - a temporary file holding s (n bytes); its path */
static const char *
write_temp(const char *s, size_t n)
{
	static char path[64];
	int	 fd;

	snprintf(path, sizeof(path), "/tmp/test_crypto.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return "/nonexistent";
	if (write(fd, s, n) != (ssize_t)n)
		path[0] = '\0';
	close(fd);
	return path;
}

/* pem_of - a generated key of a type as PEM text (malloc) */
static char *
pem_of(const char *type, unsigned bits, int encrypted)
{
	EVP_PKEY *pk;
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*pem, *s = NULL;
	long	 n;

	pk = bits ? EVP_PKEY_Q_keygen(NULL, NULL, type, (size_t)bits) :
	    EVP_PKEY_Q_keygen(NULL, NULL, type, "P-256");
	if (pk != NULL && bio != NULL &&
	    PEM_write_bio_PrivateKey(bio, pk, encrypted ?
	    EVP_aes_128_cbc() : NULL, (unsigned char *)"secret",
	    encrypted ? 6 : 0, NULL, NULL) == 1 &&
	    (n = BIO_get_mem_data(bio, &pem)) > 0 &&
	    (s = malloc((size_t)n + 1)) != NULL) {
		memcpy(s, pem, (size_t)n);
		s[n] = '\0';
	}
	BIO_free(bio);
	EVP_PKEY_free(pk);
	return s;
}

/* test_load - PEM forms, and the reasons for refusing a key */
static void
test_load(void)
{
	char	 err[200], *pem, *big;
	const char *path;
	dkim_key *k;

	k = dkim_key_load_file(data_path("rfc8463-test.rsa.pkcs1.pem"), err,
	    sizeof(err));
	ok(k != NULL && dkim_key_alg(k) == DKIM_ALG_RSA_SHA256 &&
	    dkim_key_bits(k) == 1024, "PKCS#1 \"RSA PRIVATE KEY\" file loads: "
	    "rsa-sha256, 1024 bits");
	dkim_key_free(k);
	k = dkim_key_load_file(data_path("rfc8463-test.rsa.pem"), err,
	    sizeof(err));
	ok(k != NULL && dkim_key_alg(k) == DKIM_ALG_RSA_SHA256,
	    "PKCS#8 RSA file loads");
	ok(k != NULL && dkim_key_ref(k) == k, "a key takes one more "
	    "reference");
	dkim_key_free(k);
	ok(k != NULL && dkim_key_bits(k) == 1024, "the key lives until its "
	    "last reference is dropped");
	dkim_key_free(k);
	dkim_key_free(NULL);
	k = dkim_key_load_file(data_path("rfc8463-brisbane.ed25519.pem"), err,
	    sizeof(err));
	ok(k != NULL && dkim_key_alg(k) == DKIM_ALG_ED25519_SHA256,
	    "PKCS#8 Ed25519 file loads: ed25519-sha256");
	dkim_key_free(k);
	ok(strncmp(load_err("/nonexistent/key.pem", err, sizeof(err)),
	    "cannot open", 11) == 0, "a missing file: \"cannot open\"");
	ok(strncmp(load_err(data_path("garbage.pem"), err, sizeof(err)),
	    "not a PEM private key", 21) == 0,
	    "garbage: \"not a PEM private key\"");
	ok(strncmp(load_err(data_path("rfc8463-records.txt"), err,
	    sizeof(err)), "not a PEM private key", 21) == 0,
	    "a text file: \"not a PEM private key\"");
	pem = pem_of("RSA", 512, 0);
	path = write_temp(pem, pem ? strlen(pem) : 0);
	is_str(load_err(path, err, sizeof(err)),
	    "RSA key of 512 bits: at least 1024 required",
	    "a 512-bit RSA key is refused (RFC 8301)");
	unlink(path);
	free(pem);
	pem = pem_of("EC", 0, 0);
	k = pem ? dkim_key_load_pem(pem, strlen(pem), err, sizeof(err)) : NULL;
	ok(k == NULL && strcmp(err, "unsupported key type") == 0,
	    "an EC P-256 key: \"unsupported key type\"");
	free(pem);
	pem = pem_of("RSA", 1024, 1);
	k = pem ? dkim_key_load_pem(pem, strlen(pem), err, sizeof(err)) : NULL;
	ok(pem != NULL && k == NULL, "an encrypted key is refused, nobody "
	    "is asked for a password");
	free(pem);
	big = malloc(70000);
	memset(big, '#', 70000);
	path = write_temp(big, 70000);
	ok(strstr(load_err(path, err, sizeof(err)), "65536") != NULL,
	    "a file over 64 KiB is refused unread");
	unlink(path);
	free(big);
	ok(dkim_key_load_file("/nonexistent", NULL, 0) == NULL,
	    "a failure without an err buffer is fine");
}

/* signer - sign and verify in a loop with a shared key */
struct signer {
	dkim_key *key;
	EVP_PKEY *pub;
	int	 good;
};

static void *
signer(void *arg)
{
	struct signer *s = arg;
	unsigned char dg[32], *sig;
	size_t	 n;
	int	 i;

	for (i = 0; i < 50; i++) {
		memset(dg, i, sizeof(dg));
		if (dk_key_sign(s->key, dkim_key_alg(s->key), dg, 32, &sig,
		    &n) != 0)
			continue;
		if (dk_digest_verify(s->pub, dkim_key_alg(s->key), dg, 32, sig,
		    n) == 1)
			s->good++;
		free(sig);
	}
	return NULL;
}

/* test_threads - one key, four threads signing at once */
static void
test_threads(void)
{
	struct signer s[4];
	pthread_t th[4];
	char	 err[160];
	dkim_key *key;
	EVP_PKEY *pub;
	int	 i, good = 0;

	key = dkim_key_load_file(data_path("rfc8463-test.rsa.pem"), err,
	    sizeof(err));
	pub = key != NULL ? public_of(key) : NULL;
	for (i = 0; i < 4; i++) {
		s[i].key = dkim_key_ref(key);
		s[i].pub = pub;
		s[i].good = 0;
		pthread_create(&th[i], NULL, signer, &s[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		good += s[i].good;
		dkim_key_free(s[i].key);
	}
	is_int(good, 200, "four threads share one key: 200 signatures "
	    "verify");
	EVP_PKEY_free(pub);
	dkim_key_free(key);
}

int
main(void)
{
	const char *dir = getenv("top_srcdir");

	plan_lazy();
	if (dir != NULL)
		srcdir = dir;
	test_b64();
	test_pubkey();
	test_sign_verify();
	test_sign_rules();
	test_records();
	test_load();
	test_threads();
	return done_testing();
}
