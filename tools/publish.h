/*
 * publish.h - key records into DNS (publish.c): UPDATE or a hook, and
 *	the wait until every server answers them
 */
#ifndef PUBLISH_H
#define PUBLISH_H

#include <stddef.h>

#include "conf.h"
#include "update.h"

#define PUB_REVOKED	"v=DKIM1; p="	/* RFC 6376 §3.6.1: revoked */

struct pub {
	const char *server;		/* DNSUpdateServer, or NULL */
	const char *command;		/* DNSUpdateCommand, or NULL */
	const char *resolvers;		/* Nameservers ("": resolv.conf) */
	struct dkim_tsig_key key;	/* DNSUpdateKey when haskey */
	int	haskey;
	long	wait;			/* DNSUpdateWait, seconds */
	char	*check[16];		/* DNSUpdateCheck, or the zone's NS */
	size_t	ncheck;
};

int	pub_open(struct pub *, const struct conf *);
int	pub_set(struct pub *, const char *domain, const char *name,
	    const char *txt);
int	pub_wait(struct pub *, const char *name, const char *txt);
void	pub_close(struct pub *);

#endif /* PUBLISH_H */
