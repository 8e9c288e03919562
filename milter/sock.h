/*
 * sock.h - milter socket specifications: inet:, inet6:, unix:/local:
 *
 * SYNOPSIS
 *	sock_parse(text, spec, why, whylen)
 *
 * CONTRACT
 *	Accepts "inet:PORT[@HOST]", "inet6:PORT[@HOST]", "unix:/path" and
 *	"local:/path" (libmilter's forms; HOST may be "[addr]"). PORT is
 *	1-65535, a unix path is absolute and shorter than sun_path.
 *	Returns 0, or -1 with a reason. Nothing is opened here: libmilter
 *	opens the socket (main.c).
 */
#ifndef SOCK_H
#define SOCK_H

#include <stddef.h>

enum sock_kind {
	SOCK_INET,
	SOCK_INET6,
	SOCK_UNIX
};

struct sock_spec {
	enum sock_kind kind;
	unsigned port;		/* inet, inet6 */
	char	host[256];	/* inet, inet6; "" for any */
	char	path[108];	/* unix */
};

int	sock_parse(const char *text, struct sock_spec *, char *why,
	    size_t whylen);

#endif /* SOCK_H */
