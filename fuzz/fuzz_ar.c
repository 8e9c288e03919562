/*
 * fuzz_ar.c - libFuzzer target: recognizing our Authentication-Results
 *
 * Any bytes as an Authentication-Results value; the recognizer must
 * answer without reading past the value.
 */
#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	(void)dkim_ar_is_ours((const char *)data, size, "mx.example.org");
	return 0;
}
