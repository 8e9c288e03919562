/*
 * fuzz_keyrec.c - libFuzzer target: DNS key records and public keys
 *
 * Any bytes as a TXT key record; when it parses, its p= goes through
 * the public key parser as the record's key type says.
 */
#include <openssl/evp.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct dk_keyrec kr = { 0 };
	char why[128];
	EVP_PKEY *pk;

	if (dk_keyrec_parse(&kr, (const char *)data, size, why,
	    sizeof(why)) == 0 && !kr.revoked) {
		pk = dk_pubkey_parse(kr.ktype, kr.p, kr.plen, why, sizeof(why));
		if (pk)
			(void)dk_pkey_bits(pk);
		EVP_PKEY_free(pk);
	}
	dk_keyrec_clear(&kr);
	return 0;
}
