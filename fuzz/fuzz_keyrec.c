/*
 * fuzz_keyrec.c - libFuzzer target: DNS key records and public keys
 *
 * Any bytes as a TXT key record; when it parses, its p= goes through
 * the public key parser as the record's key type says, and its compact
 * form (what the key cache keeps) must parse to the same record.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct dk_keyrec kr = { 0 }, kc = { 0 };
	char why[128], *c;
	EVP_PKEY *pk;

	if (dk_keyrec_parse(&kr, (const char *)data, size, why,
	    sizeof(why)) == 0 && !kr.revoked) {
		pk = dk_pubkey_parse(kr.ktype, kr.p, kr.plen, why, sizeof(why));
		if (pk)
			(void)dk_pkey_bits(pk);
		EVP_PKEY_free(pk);
	}
	dk_keyrec_clear(&kr);
	c = dk_keyrec_compact((const char *)data, size);
	if (dk_keyrec_parse(&kr, (const char *)data, size, why,
	    sizeof(why)) == 0) {
		if (c == NULL || dk_keyrec_parse(&kc, c, strlen(c), why,
		    sizeof(why)) < 0 || kc.ktype != kr.ktype ||
		    kc.hashes != kr.hashes || kc.testing != kr.testing ||
		    kc.strict != kr.strict || kc.revoked != kr.revoked ||
		    kc.plen != kr.plen || (kr.plen > 0 &&
		    memcmp(kc.p, kr.p, kr.plen) != 0) || strlen(c) > (kr.plen + 2) / 3 * 4 + 48)
			abort();	/* the cache would change the verdict */
	} else if (c != NULL)
		abort();
	free(c);
	dk_keyrec_clear(&kc);
	dk_keyrec_clear(&kr);
	return 0;
}
