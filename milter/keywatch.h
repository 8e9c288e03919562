/*
 * keywatch.h - KeyCheckInterval: dkimd watches the published record of
 *	each active signing key
 *
 * SYNOPSIS
 *	keywatch_start()			the watching thread (start-up)
 *	keywatch_each(fn, arg)			the last check, key by key
 *	keywatch_last(&when, &omitted)		when it ran, keys left out
 *
 * CONTRACT
 *	Every KeyCheckInterval of the configuration in force (read anew
 *	after each reload; off: nothing), a thread walks the active signing
 *	keys (keycheck_walk()) and looks each one's record up in DNS with a
 *	resolver of its own made for the run (no cached answer hides a
 *	change), judging it with keycheck_judge(). A state that differs
 *	from the key's state at the last check is logged once: a warning
 *	for anything but a match, an info line when it matches again. A
 *	DNS error changes nothing but the state's name: the key's last
 *	known match is kept. At most KEYWATCH_MAX keys are kept and
 *	exported; the others are checked, logged and counted as omitted.
 *	keywatch_each() calls fn under the watcher's lock: fn must not
 *	block. Labels come from the configuration only (KeyTable names,
 *	their domains and selectors), never from mail.
 */
#ifndef KEYWATCH_H
#define KEYWATCH_H

#include <time.h>

#include "keycheck.h"

#define KEYWATCH_MAX	200		/* keys kept for the metrics */

struct keywatch_key {
	char	name[128];		/* the KeyTable's name of the key */
	char	domain[256];
	char	selector[64];
	enum keycheck_state state;
	int	match;			/* 1, 0, or -1 never known */
	time_t	since;			/* the state's first check */
	time_t	born;			/* key file mtime or not_before; 0 */
	long long not_after;		/* database keys; 0 unknown */
};

typedef void (*keywatch_fn)(void *arg, const struct keywatch_key *);

int	keywatch_start(void);
void	keywatch_each(keywatch_fn, void *arg);
void	keywatch_last(time_t *when, unsigned long *omitted);

#endif /* KEYWATCH_H */
