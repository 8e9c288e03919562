/*
 * keypct.h - KeyTable keys whose path names the From domain (keypct.c)
 *
 * SYNOPSIS
 *	keypct_new(tmpl, safe_uid)	for a KeyTable entry with '%' in
 *					its key path
 *	keypct_get(k, domain, why, n)	that domain's entry, key read once
 *	keypct_set_minbits(k, bits)	MinimumKeyBits for the keys read
 *	keypct_set_report(fn, arg)	where failures found later are told
 *	keypct_free(k)
 *
 * CONTRACT
 *	keypct_get() returns an entry like tmpl with '%' in the key path
 *	replaced by domain and the key loaded (RequireSafeKeys as for
 *	every key), valid until keypct_free(); or NULL with the reason.
 *	A failure is reported once, then remembered for 60 s. Thread-safe.
 */
#ifndef KEYPCT_H
#define KEYPCT_H

#include <stddef.h>
#include <sys/types.h>

#include "table.h"

struct keypct *keypct_new(const struct keytab_entry *tmpl, uid_t safe_uid);
const struct keytab_entry *keypct_get(struct keypct *, const char *domain,
	    char *why, size_t whylen);
void	keypct_set_minbits(struct keypct *, unsigned bits);
void	keypct_set_report(conf_report_fn fn, void *arg);
void	keypct_count(struct keypct *, size_t *n, size_t *bad);
void	keypct_free(struct keypct *);

/* keypct_domain_ok - 1 when a domain name may go into a file path */
int	keypct_domain_ok(const char *domain);

/* keypct_path - tmpl with '%' replaced by domain; -1 when too long */
int	keypct_path(const char *tmpl, const char *domain, char *buf,
	    size_t size);

#endif /* KEYPCT_H */
