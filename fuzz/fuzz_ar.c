/*
 * fuzz_ar.c - libFuzzer target: recognizing our Authentication-Results
 *
 * Any bytes as an Authentication-Results value; the recognizer must
 * answer without reading past the value. And whatever the bytes, when
 * they start with a character that cannot continue a token (SP, a
 * control, an 8-bit byte, a tspecial), the same bytes put right after
 * our id must be recognized as ours: what follows the id's token never
 * hides it (VT, NBSP, '/', ',' after the id).
 */
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define AUTHSERV	"mx.example.org"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* ends_token - 1 when c cannot be part of an RFC 2045 token */
static int
ends_token(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c) !=
	    NULL;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	size_t	 n = sizeof(AUTHSERV) - 1;
	char	*buf;

	(void)dkim_ar_is_ours((const char *)data, size, AUTHSERV);
	if (size == 0 || !ends_token(data[0]) || (buf = malloc(n + size)) ==
	    NULL)
		return 0;
	memcpy(buf, AUTHSERV, n);
	memcpy(buf + n, data, size);
	if (!dkim_ar_is_ours(buf, n + size, AUTHSERV))
		abort();
	free(buf);
	return 0;
}
