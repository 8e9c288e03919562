/*
 * authz.h - sender authorization: may this sender sign as this From domain
 *
 * SYNOPSIS
 *	authz_load(spec, report, arg)	a SenderAuthorization data set
 *	authz_check(conf, in, out)	allowed, refused or unknown, and why
 *	authz_count(a, &n, name, namelen, err, errlen)	for dkimd -t
 *	authz_free(a)
 *
 * CONTRACT
 *	The sender is the SMTP login ({auth_authen}); for unauthenticated
 *	mail, with SenderAuthorizationEnvelope yes, the envelope sender
 *	(the empty one, a bounce, is "<>"); otherwise nobody is checked
 *	(sendmail(1), InternalHosts and MTA-marked mail sign as before).
 *	A sender may sign for the From domain D when:
 *	  - its domain (the part after its last '@') is D, compared without
 *	    case; or, with SubDomains yes, a parent of D (the sender's
 *	    domain must then have a dot: "x@com" is nobody's parent);
 *	  - or a line of the SenderAuthorization data set whose login
 *	    pattern matches the sender lists a domain pattern matching D.
 *	A sender without '@' (a bare login) or "<>" is authorized only by a
 *	data set line. "SenderAuthorization none" allows everything
 *	(OpenDKIM's behaviour).
 *
 *	Data set lines: "LOGIN-PATTERN DOMAIN-PATTERN[,DOMAIN-PATTERN...]"
 *	(commas or white space between domain patterns). Domain patterns are
 *	shell-style wildcards, '*' any run of characters ("*" any domain,
 *	"*.a.example" the subdomains of a.example), matched without case.
 *	Login patterns in a file: (or bare path) table and in a database
 *	are looked up exactly, lower case: the sender itself, then
 *	"*@" and its domain, then "*". In a refile: table every login
 *	pattern is a wildcard. Logins are compared without case, like
 *	domains: a site whose logins differ only in case must not rely on
 *	the data set to tell them apart. All matching lines count (the
 *	union of what they allow).
 *
 *	A database data set ("sqlite:", "mysql://", "postgresql://", db.h)
 *	holds rows (login, domain) in table dkim_authorization (see
 *	etc/schema/), one domain pattern a row. It is asked only when the
 *	domain rule refuses; each answer (sender, From domain: allowed or
 *	not) is cached for the name's ttl= (db.h), at most AUTHZ_CACHE_MAX
 *	of them. When the database cannot answer, an expired answer is
 *	used again; without one the verdict is AUTHZ_UNKNOWN: never sign
 *	then.
 *
 * OWNERSHIP
 *	struct authz owns its lines and database handle; it is read-only
 *	once loaded and may be shared by any number of threads. This module
 *	includes no libmilter header (unit-tested by t/test_authz.c).
 */
#ifndef AUTHZ_H
#define AUTHZ_H

#include <stddef.h>

#include "conf.h"

#define AUTHZ_MAX_DOMAINS	256	/* domain patterns on one line */
#define AUTHZ_CACHE_MAX		20000	/* database answers cached; when
					 * full, all are dropped */

struct authz;

enum authz_verdict {
	AUTHZ_ALLOW = 0,
	AUTHZ_REFUSE,
	AUTHZ_UNKNOWN			/* the database did not answer */
};

struct authz_in {
	const char *login;		/* {auth_authen}; NULL when none */
	const char *envfrom;		/* envelope sender without <>; "" */
	const char *from;		/* author address; "" when none */
};

struct authz_out {
	enum authz_verdict verdict;
	char	sender[300];		/* "login alice@a.example", ... */
	char	fromdom[256];		/* the From domain, lower case */
	char	rule[300];		/* the rule that decided */
};

struct authz *authz_load(const char *spec, conf_report_fn report, void *arg);
enum authz_verdict authz_check(const struct conf *, const struct authz_in *,
	    struct authz_out *);
/* authz_count - its lines (a database: rows, asked now) and a name
 * without secrets; 0, or -1 with err */
int	authz_count(struct authz *, long *n, char *name, size_t namelen,
	    char *err, size_t errlen);
void	authz_free(struct authz *);

#endif /* AUTHZ_H */
