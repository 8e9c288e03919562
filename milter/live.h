/*
 * live.h - the configuration in force, swapped atomically on reload
 *
 * SYNOPSIS
 *	live_new(conf, why, whylen)	conf plus the engine context it needs
 *	live_install(l)			make l the one in force
 *	live_get()			take a reference to the one in force
 *	live_put(l)			drop a reference
 *	live_shutdown()			drop the one in force
 *
 * CONTRACT
 *	A message takes a reference at MAIL FROM and drops it when it ends,
 *	so a reload never changes the configuration under a message in
 *	flight: the old one is freed when its last message ends. All
 *	functions are thread-safe.
 *
 * OWNERSHIP
 *	struct live owns its conf, its dkim_ctx and its dkim_resolver.
 *	live_new() takes ownership of conf, also on failure.
 */
#ifndef LIVE_H
#define LIVE_H

#include <stddef.h>

#include "conf.h"
#include "dkim.h"

struct live {
	struct conf *conf;
	dkim_ctx *ctx;
	dkim_resolver *res;
	unsigned refs;		/* under the lock in live.c */
};

struct live *live_new(struct conf *conf, char *why, size_t whylen);
void	live_install(struct live *);
struct live *live_get(void);
void	live_put(struct live *);
void	live_shutdown(void);

#endif /* LIVE_H */
