/*
 * keycheck.h - the signing keys of a configuration, and whether DNS
 *	publishes each one's public key (dkimtool testkeys, KeyCheckInterval)
 *
 * SYNOPSIS
 *	keycheck_walk(conf, active_only, fn, arg, report, rarg)
 *	keycheck_judge(key, status, txt)	a published record, judged
 *	keycheck_name(state)			"match", "differs", ...
 *	keycheck_why(state)			"record differs from ..."
 *
 * CONTRACT
 *	keycheck_walk() calls fn(arg, domain, entry) for every (domain, key)
 *	the configuration signs with, and returns the sum of what fn
 *	returned plus the problems it reported. A KeyTable domain of "%"
 *	(the From domain) stands for each domain the SigningTable sends to
 *	that key: "user@host" and "host" patterns give "host" (at most
 *	KEYCHECK_MAX_DOMAINS); wildcard and ".parent" patterns name no one
 *	domain, which is reported as a note (warn 1). Errors (a key that
 *	cannot be read, a database that does not answer) are reported with
 *	warn 0. With tables in a database, the keys are its rows in state
 *	active, and with active_only 0 also published and retired (still
 *	in DNS). An entry lives until fn returns.
 *
 *	keycheck_judge() compares the outcome of a DNS lookup of the key's
 *	record (status and, on DKIM_DNS_OK, the record txt) with key: the
 *	same k= and p= is KEYCHECK_MATCH; p= empty is revoked (RFC 6376
 *	3.6.1), t=y is testing. The states are a closed set, fit for a
 *	metric's label.
 */
#ifndef KEYCHECK_H
#define KEYCHECK_H

#include "conf.h"
#include "dkim.h"
#include "table.h"

#define KEYCHECK_MAX_DOMAINS	1024	/* domains walked for one "%" key */

enum keycheck_state {
	KEYCHECK_MATCH = 0,		/* the record carries our key */
	KEYCHECK_DIFFERS,		/* another key, or another k= */
	KEYCHECK_REVOKED,		/* p= empty */
	KEYCHECK_TESTING,		/* ours, with t=y */
	KEYCHECK_MISSING,		/* no record (or not one key record) */
	KEYCHECK_DNS_ERROR,		/* a temporary DNS failure */
	KEYCHECK_MAX
};

typedef int (*keycheck_fn)(void *arg, const char *domain,
    const struct keytab_entry *e);

int	keycheck_walk(const struct conf *, int active_only, keycheck_fn,
	    void *arg, conf_report_fn report, void *rarg);
enum keycheck_state keycheck_judge(const dkim_key *,
	    enum dkim_dns_status, const char *txt);
const char *keycheck_name(enum keycheck_state);
const char *keycheck_why(enum keycheck_state);

#endif /* KEYCHECK_H */
