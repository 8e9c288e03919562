/*
 * fuzz_addr.c - libFuzzer target: From and Sender values (addr.c)
 *
 * Any bytes as a From value, through dkim_mailbox_list() and the author
 * rule. Beyond "no crash": a count of -1 or at least 1; a mailbox kept
 * has a domain that dk_domain_valid() accepts, in lower case, and a
 * local-part without NUL, CR or LF; and the address written back as
 * "<local@domain>" parses again to the very same mailbox (what the
 * signer keys on is what a reader of the address would see).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* check_mailbox - the invariants of one parsed mailbox */
static void
check_mailbox(const struct dkim_mailbox *mb)
{
	char	again[DKIM_LOCAL_MAX + DKIM_DOMAIN_MAX + 8], why[128];
	struct dkim_mailbox mb2;
	size_t	i;
	int	n;

	if (!dk_domain_valid(mb->domain, strlen(mb->domain)) ||
	    mb->local[0] == '\0' || strpbrk(mb->local, "\r\n") != NULL)
		abort();
	for (i = 0; mb->domain[i]; i++)
		if (mb->domain[i] >= 'A' && mb->domain[i] <= 'Z')
			abort();
	n = snprintf(again, sizeof(again), " <%s@%s>", mb->local,
	    mb->domain);
	if (dkim_mailbox_list(again, (size_t)n, &mb2, 1, why,
	    sizeof(why)) != 1 || strcmp(mb2.local, mb->local) != 0 ||
	    strcmp(mb2.domain, mb->domain) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct dkim_mailbox mb[2];
	struct dkim_author au;
	const struct dkim_mailbox *who;
	char	why[128];
	int	n;

	n = dkim_mailbox_list((const char *)data, size, mb, 2, why,
	    sizeof(why));
	if (n == 0 || n < -1)
		abort();
	if (n >= 1)
		check_mailbox(&mb[0]);
	if (n >= 2)
		check_mailbox(&mb[1]);
	dkim_author_init(&au);
	dkim_author_field(&au, "From", 4, (const char *)data, size);
	dkim_author_field(&au, "Sender", 6, (const char *)data, size);
	if (dkim_author_check(&au, &who, why, sizeof(why)) ==
	    DKIM_AUTHOR_OK && (n < 1 || who == NULL))
		abort();
	return 0;
}
