/*
 * author.c - the address that names the signer (see author.h)
 *
 * The parsing is the engine's (dkimcore/addr.c), so that the signer
 * and the verifier read a From the same way; this file adds only
 * OpenDKIM's SenderHeaders choice on top.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "author.h"

#define NONE	((size_t)-1)

/* author_init - no fields seen yet */
void
author_init(struct author *a)
{
	memset(a, 0, sizeof(*a));
	dkim_author_init(&a->au);
	a->best = NONE;
}

/* listed - the index of name in list, or NONE; 'Sender :' is Sender */
static size_t
listed(char *const *list, const char *name)
{
	size_t	i, n = strlen(name);

	while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
		n--;
	for (i = 0; list != NULL && list[i] != NULL; i++)
		if (strlen(list[i]) == n && strncasecmp(list[i], name, n) == 0)
			return i;
	return NONE;
}

/* author_field - one header field as the MTA handed it */
void
author_field(struct author *a, char *const *senderheaders, const char *name,
    const char *value)
{
	size_t	i, vlen = strlen(value);

	dkim_author_field(&a->au, name, strlen(name), value, vlen);
	if ((i = listed(senderheaders, name)) == NONE || i > a->best)
		return;
	if (i == a->best) {
		a->nbest++;
		return;
	}
	a->best = i;
	a->nbest = 1;
	a->best_n = dkim_mailbox_list(value, vlen, &a->mb, 1, a->best_why,
	    sizeof(a->best_why));
}

/* author_choose - the author's address, or -1 and why (see author.h) */
int
author_choose(const struct author *a, char *const *senderheaders,
    char *addr, size_t addrlen, char *why, size_t whylen)
{
	const struct dkim_mailbox *mb;
	const char *name;

	if (dkim_author_check(&a->au, &mb, why, whylen) != DKIM_AUTHOR_OK)
		return -1;
	if (senderheaders != NULL && senderheaders[0] != NULL) {
		if (a->best == NONE) {
			snprintf(why, whylen, "no SenderHeaders field");
			return -1;
		}
		name = senderheaders[a->best];
		if (strcasecmp(name, "From") == 0)
			;	/* the author rule's choice */
		else if (a->nbest != 1) {
			snprintf(why, whylen, "%zu %.64s fields", a->nbest,
			    name);
			return -1;
		} else if (a->best_n < 0) {
			snprintf(why, whylen, "%.64s does not parse: %s",
			    name, a->best_why);
			return -1;
		} else if (a->best_n != 1) {
			snprintf(why, whylen, "%.64s has %d mailboxes", name,
			    a->best_n);
			return -1;
		} else
			mb = &a->mb;
	}
	if ((size_t)snprintf(addr, addrlen, "%s@%s", mb->local, mb->domain) >=
	    addrlen) {
		snprintf(why, whylen, "address longer than %zu bytes",
		    addrlen - 1);
		return -1;
	}
	return 0;
}
