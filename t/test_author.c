/*
 * test_author.c - the address that names the signer (milter/author.c):
 * the author rule first, then OpenDKIM's SenderHeaders
 */
#include <stdio.h>
#include <string.h>

#include "author.h"
#include "tap.h"

struct scase {
	const char *name;		/* what the case proves */
	const char *senderheaders;	/* comma-separated, or NULL */
	const char *want;		/* the address, or "!" part of why */
	const char *fields[9];		/* "Name", "value", ... */
};

static const struct scase cases[] = {
	{ "default: the From mailbox", NULL, "joe@example.com",
	    { "From", " Joe <joe@example.com>", "Sender",
	    " ann@example.org" } },
	{ "default: several From mailboxes, the Sender decides", NULL,
	    "ann@example.org",
	    { "From", " joe@example.com, ann@example.org",
	    "Sender", " ann@example.org" } },
	{ "attack: a quoted-pair in a comment hides no address", NULL,
	    "b@example.com",
	    { "From", " (\\) <a@victim.example>) b@example.com" } },
	{ "attack: a@example.com@victim.example is not signed", NULL,
	    "!From does not parse",
	    { "From", " a@example.com@victim.example" } },
	{ "attack: exam ple.com is not signed as example.com", NULL,
	    "!From does not parse", { "From", " user@exam ple.com" } },
	{ "attack: two From fields", NULL, "!2 From fields",
	    { "From", " a@victim.example", "From", " b@example.com" } },
	{ "attack: a first line that begins with white space", NULL,
	    "!header begins with white space",
	    { " X", " a@victim.example", "From", " b@example.com" } },
	{ "several From mailboxes, no Sender: not signed", NULL,
	    "!From has 2 mailboxes and 0 Sender fields",
	    { "From", " a@example.com, b@example.org" } },
	{ "SenderHeaders Sender,From: the Sender decides when present",
	    "Sender,From", "ann@example.org",
	    { "From", " joe@example.com", "Sender", " Ann <ann@example.org>" } },
	{ "SenderHeaders Sender,From: From when there is no Sender",
	    "Sender,From", "joe@example.com", { "From", " joe@example.com" } },
	{ "SenderHeaders: the list order decides, not the field order",
	    "X-Signer,Sender", "x@example.net",
	    { "From", " joe@example.com", "Sender", " ann@example.org",
	    "x-signer", " x@example.net" } },
	{ "SenderHeaders: still no signature when From breaks the rule",
	    "Sender", "!From does not parse",
	    { "From", " joe@example.com@victim.example",
	    "Sender", " ann@example.org" } },
	{ "SenderHeaders: the deciding field twice", "Sender,From",
	    "!2 Sender fields",
	    { "From", " joe@example.com", "Sender", " a@example.org",
	    "Sender", " b@victim.example" } },
	{ "SenderHeaders: the deciding field with two mailboxes",
	    "X-Signer", "!X-Signer has 2 mailboxes",
	    { "From", " joe@example.com",
	    "X-Signer", " a@example.org, b@victim.example" } },
	{ "SenderHeaders: the deciding field does not parse", "X-Signer",
	    "!X-Signer does not parse",
	    { "From", " joe@example.com",
	    "X-Signer", " (\\) a@victim.example" } },
	{ "SenderHeaders: 'Sender :' is Sender (obs-optional)", "Sender,From",
	    "ann@example.org",
	    { "From", " joe@example.com", "Sender ", " ann@example.org" } },
	{ "SenderHeaders: none present", "X-Signer",
	    "!no SenderHeaders field", { "From", " joe@example.com" } },
	{ "SenderHeaders From: several mailboxes, the Sender decides",
	    "From", "ann@example.org",
	    { "From", " joe@example.com, ann@example.org",
	    "Sender", " ann@example.org" } },
};

/* split - "a,b" into list (pointers into buf), NULL-terminated */
static char **
split(const char *s, char *buf, size_t buflen, char **list, size_t max)
{
	size_t	n = 0;
	char	*p;

	if (s == NULL)
		return NULL;
	snprintf(buf, buflen, "%s", s);
	for (p = strtok(buf, ","); p != NULL && n + 1 < max;
	    p = strtok(NULL, ","))
		list[n++] = p;
	list[n] = NULL;
	return list;
}

int
main(void)
{
	const struct scase *c;
	struct author a;
	char	addr[512], why[200], buf[128], *lbuf[8], **sh;
	size_t	i, k;
	int	r;

	plan_lazy();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		sh = split(c->senderheaders, buf, sizeof(buf), lbuf, 8);
		author_init(&a);
		for (k = 0; c->fields[k]; k += 2)
			author_field(&a, sh, c->fields[k], c->fields[k + 1]);
		addr[0] = why[0] = '\0';
		r = author_choose(&a, sh, addr, sizeof(addr), why,
		    sizeof(why));
		if (c->want[0] == '!') {
			if (!ok(r == -1 && strstr(why, c->want + 1) != NULL,
			    c->name))
				printf("#   got %d '%s' '%s'\n", r, addr, why);
		} else if (!ok(r == 0 && strcmp(addr, c->want) == 0, c->name))
			printf("#   got %d '%s' '%s'\n", r, addr, why);
	}
	author_init(&a);
	author_field(&a, NULL, "From", " joe@example.com");
	ok(author_choose(&a, NULL, addr, 8, why, sizeof(why)) == -1 &&
	    strstr(why, "longer than 7") != NULL,
	    "an address longer than the buffer is refused, not cut");
	return done_testing();
}
