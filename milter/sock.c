/*
 * sock.c - parse a milter socket specification (see sock.h)
 *
 * Checked at configuration load so that dkimd -t catches a typo before
 * libmilter does at start-up, where it could only say "failed".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sock.h"

/* sock_parse - validate and split a socket specification */
int
sock_parse(const char *text, struct sock_spec *sp, char *why, size_t whylen)
{
	const char *p, *at;
	char	*end;
	long	port;
	size_t	hl;

	memset(sp, 0, sizeof(*sp));
	if (strncmp(text, "unix:", 5) == 0 || strncmp(text, "local:", 6) == 0) {
		p = strchr(text, ':') + 1;
		sp->kind = SOCK_UNIX;
		if (*p != '/' || strlen(p) >= sizeof(sp->path)) {
			snprintf(why, whylen, "a unix socket needs an absolute "
			    "path shorter than %zu bytes", sizeof(sp->path));
			return -1;
		}
		strcpy(sp->path, p);
		return 0;
	}
	if (strncmp(text, "inet:", 5) == 0) {
		sp->kind = SOCK_INET;
		p = text + 5;
	} else if (strncmp(text, "inet6:", 6) == 0) {
		sp->kind = SOCK_INET6;
		p = text + 6;
	} else {
		snprintf(why, whylen, "expected inet:PORT@HOST, inet6:PORT@HOST "
		    "or unix:/path");
		return -1;
	}
	port = strtol(p, &end, 10);
	if (end == p || (*end != '\0' && *end != '@') || port < 1 ||
	    port > 65535) {
		snprintf(why, whylen, "bad port (1-65535)");
		return -1;
	}
	sp->port = (unsigned)port;
	if (*end == '@') {
		at = end + 1;
		hl = strlen(at);
		if (hl == 0 || hl >= sizeof(sp->host) ||
		    strspn(at, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-:[]_") != hl) {
			snprintf(why, whylen, "bad host after '@'");
			return -1;
		}
		strcpy(sp->host, at);
	}
	return 0;
}
