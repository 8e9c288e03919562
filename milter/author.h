/*
 * author.h - the address that names the signer of a message
 *
 * SYNOPSIS
 *	author_init(&a);
 *	author_field(&a, senderheaders, name, value)*;	every header field
 *	author_choose(&a, senderheaders, addr, addrlen, why, whylen);
 *
 * CONTRACT
 *	senderheaders is the SenderHeaders list (NULL-terminated, or NULL
 *	for the default) and must be the same in every call for a message.
 *	A message is signed for an author only when the engine's author rule
 *	holds (dkim_author_check: one From that parses, one mailbox or
 *	several and one Sender, no first line that begins with white space),
 *	so that what is signed is what a verifier can pass. Then the first
 *	SenderHeaders field present decides, as in OpenDKIM; it must come
 *	once and hold one mailbox. Without SenderHeaders, or when that field
 *	is From, the author rule's mailbox decides: the From's only one, or
 *	the Sender's when From has several (RFC 5322 §3.6.2).
 *	author_choose() writes "local@domain" into addr and returns 0, or
 *	returns -1 with the reason in why. Nothing is allocated.
 */
#ifndef AUTHOR_H
#define AUTHOR_H

#include <stddef.h>

#include "dkim.h"

struct author {
	struct dkim_author au;		/* From and Sender */
	size_t	best;			/* SenderHeaders index found, or -1 */
	size_t	nbest;			/* fields of that name */
	int	best_n;			/* its mailboxes, -1: does not parse */
	struct dkim_mailbox mb;		/* its first mailbox */
	char	best_why[96];
};

void	author_init(struct author *);
void	author_field(struct author *, char *const *senderheaders,
	    const char *name, const char *value);
int	author_choose(const struct author *, char *const *senderheaders,
	    char *addr, size_t addrlen, char *why, size_t whylen);

#endif /* AUTHOR_H */
