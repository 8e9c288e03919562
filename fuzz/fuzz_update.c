/*
 * fuzz_update.c - libFuzzer target: answers to UPDATE and SOA queries,
 *	and TSIG key files
 *
 * The first byte chooses: 0 mod 3, the rest is a TSIG key file
 * (dkim_tsig_key_parse: a key parsed has a known algorithm, a secret of
 * 1..DKIM_TSIG_SECRET_MAX bytes and a terminated lower-case name);
 * 1, the rest is an answer to an UPDATE of id 0x1234 checked with a
 * fixed hmac-sha256 key and request MAC, and without a key
 * (dkim_update_answer: one of the four statuses); 2, an answer to "SOA s1._domainkey.
 * example.test" (dkim_soa_zone: a zone found is that name or a parent).
 * Seeds in fuzz/corpus/update are BIND's answers of t/data/update.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "update.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char key_text[] = "key \"rotate-key\" { algorithm hmac-sha256; "
    "secret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0\"; };";

/* fuzz_key - a key file */
static void
fuzz_key(const unsigned char *data, size_t size)
{
	struct dkim_tsig_key k;
	char	 err[128];

	if (dkim_tsig_key_parse((const char *)data, size, &k, err,
	    sizeof(err)) == 0) {
		if (k.secretlen == 0 || k.secretlen > DKIM_TSIG_SECRET_MAX ||
		    memchr(k.name, '\0', sizeof(k.name)) == NULL ||
		    (strcmp(k.alg, "hmac-sha256") != 0 &&
		    strcmp(k.alg, "hmac-sha512") != 0))
			abort();
	}
	dkim_tsig_key_clear(&k);
}

/* fuzz_answer - an answer to an UPDATE */
static void
fuzz_answer(const unsigned char *data, size_t size)
{
	struct dkim_tsig_key k;
	unsigned char mac[32];
	char	 err[128];
	enum dkim_update_status st;

	memset(mac, 0x5a, sizeof(mac));
	if (dkim_tsig_key_parse(key_text, sizeof(key_text) - 1, &k, err,
	    sizeof(err)) < 0)
		abort();
	st = dkim_update_answer(data, size, 0x1234, &k, mac, sizeof(mac),
	    1796600000, err, sizeof(err));
	if (st != DKIM_UPDATE_OK && st != DKIM_UPDATE_REFUSED &&
	    st != DKIM_UPDATE_TSIG && st != DKIM_UPDATE_BAD)
		abort();
	(void)dkim_update_answer(data, size, 0x1234, NULL, NULL, 0,
	    1796600000, err, sizeof(err));
	dkim_tsig_key_clear(&k);
}

/* fuzz_soa - an answer to the SOA query */
static void
fuzz_soa(const unsigned char *data, size_t size)
{
	static const char name[] = "s1._domainkey.example.test";
	char	 zone[256], err[128];
	size_t	 zl;

	if (dkim_soa_zone(data, size, 0x2b2b, name, zone, sizeof(zone), err,
	    sizeof(err)) == 0) {
		zl = strlen(zone);
		if (zl > strlen(name) || (zl > 0 && strcasecmp(name +
		    strlen(name) - zl, zone) != 0))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_key(data + 1, size - 1);
		break;
	case 1:
		fuzz_answer(data + 1, size - 1);
		break;
	default:
		fuzz_soa(data + 1, size - 1);
		break;
	}
	return 0;
}
