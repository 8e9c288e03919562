/*
 * fuzz_sig.c - libFuzzer target: DKIM-Signature values and tag-lists
 *
 * Any bytes as a DKIM-Signature value: dk_sig_parse() must return a
 * result, fill only validated names, and leave nothing behind after
 * dk_sig_clear(). An i= kept is decoded (RFC 6376 §2.11): it has an '@'
 * and no control character, whatever the escapes said. The tag-list
 * walker runs over the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *why;
	struct dk_sig sig;
	struct dk_tag tag;
	char reason[128];

	memset(&sig, 0, sizeof(sig));
	if (dk_sig_parse(&sig, p, size, reason, sizeof(reason)) == 0) {
		if (sig.b_off + sig.b_len > size)
			abort();	/* b= must lie inside the value */
		(void)dk_sig_check(&sig, 1700000000, reason, sizeof(reason));
	}
	if (sig.identity != NULL) {
		const unsigned char *c = (const unsigned char *)sig.identity;

		if (strchr(sig.identity, '@') == NULL)
			abort();	/* kept without its '@' */
		for (; *c; c++)
			if (*c < 0x20 || *c == 0x7f)
				abort();	/* a decoded control kept */
	}
	if (memchr(sig.domain, '\0', sizeof(sig.domain)) == NULL ||
	    (sig.domain[0] && !dk_domain_valid(sig.domain,
	    strlen(sig.domain))))
		abort();	/* an invalid d= is never kept */
	dk_sig_clear(&sig);
	while (p < end && dk_tag_next(&p, end, &tag, &why) == 1)
		if (tag.name < (const char *)data || tag.val + tag.vlen > end)
			abort();
	return 0;
}
