/*
 * dnsint.h - what dns.c (cache and public API), dnsloop.c (the query
 * event loop) and dnsparse.c (answers) share; nothing outside them
 * includes it.
 *
 * One mutex per resolver (lock) guards the cache, the table of queries
 * in flight, their waiters and the counters. Only the loop thread opens,
 * reads, writes and closes query sockets and frees queries; other
 * threads add queries or mark them abandoned and wake the loop.
 */
#ifndef DNSINT_H
#define DNSINT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <pthread.h>
#include <stdint.h>

#include "dk.h"

#define DNS_ANSWER_MAX	65536		/* answer buffer, bytes */
#define DNS_REASON_MAX	128
#define DNS_POS_TTL_MAX	86400		/* seconds */
#define DNS_NEG_TTL_MAX	3600
#define DNS_NEG_TTL_DEF	300
#define DNS_TEMP_TTL	2
#define DNS_QHASH	1024		/* buckets of the query table */
#define DNS_GHASH	1024		/* buckets of the group table */

/* The result of one query, before it is cached. */
struct dns_answer {
	enum dkim_dns_status status;
	enum dkim_dns_class cls;	/* for the counters */
	char	*txt;
	char	reason[DNS_REASON_MAX];
	unsigned ttl;			/* seconds to cache it */
};

/* A "domain group" (dnsloop.c) and how many of its queries fly. */
struct dns_group {
	struct dns_group *next;
	unsigned inflight;
	char	name[];
};

struct dns_entry;
struct dns_query;

struct dkim_resolver {
	pthread_mutex_t lock;
	pthread_cond_t synccv;		/* dkim_resolver_keysource() waits */
	struct __res_state rs;		/* res_nmkquery() and the servers */
	struct sockaddr_storage ns[MAXNS];
	socklen_t nslen[MAXNS];
	int	nns;			/* servers in use */
	int	usevc;			/* "options use-vc": TCP only */
	int	inited;			/* rs needs res_nclose() */
	unsigned timeout_ms;		/* per query, all tries */

	/* cache (dns.c) */
	struct dns_entry **tab;
	size_t	count;
	size_t	bytes;			/* what the entries take */
	size_t	max_bytes;		/* KeyCacheBytes */
	struct dns_entry *oldest, *newest;

	/* queries in flight (dnsloop.c) */
	struct dns_query **qtab;	/* by name */
	struct dns_query *queries;	/* all of them */
	struct dns_group **gtab;
	unsigned nq;			/* queries in the table */
	unsigned ndead;			/* ... abandoned, not yet freed */
	unsigned max_inflight;
	unsigned max_group;
	int	stopping;		/* dkim_resolver_shutdown() called */
	int	started;		/* 1 loop runs, -1 could not start */
	int	quit;			/* the loop should return */
	pthread_t thread;
	int	wake[2];		/* pipe: wakes the loop */
	struct dk_dns_stats st;

	struct dkim_resolver *rnext;	/* every resolver of the process */
};

/* dns.c */
void	dns_reason(char *buf, size_t len, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	dns_cache_put(dkim_resolver *, const char *key,
	    const struct dns_answer *);

/* dnsparse.c */
void	dns_parse_answer(const unsigned char *buf, int len, const char *name,
	    struct dns_answer *);
int	dns_matches(const unsigned char *q, int qlen, const unsigned char *ans,
	    int len);

/* dnsloop.c */
int	dns_loop_submit(dkim_resolver *, const char *key,
	    struct dk_dns_waiter *, char *reason, size_t reasonlen);
int	dns_loop_cancel(dkim_resolver *, struct dk_dns_waiter *);
void	dns_loop_stop(dkim_resolver *);
void	dns_loop_free(dkim_resolver *);

#endif /* DNSINT_H */
