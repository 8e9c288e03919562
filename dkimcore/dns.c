/*
 * dns.c - DKIM key lookups: the resolver, its name servers and its cache
 *
 * SYNOPSIS
 *	dkim_resolver *dkim_resolver_new(nameservers, timeout_ms, err, errlen)
 *	void dkim_resolver_set_limits(r, cache_bytes, max_inflight, per_group)
 *	void dkim_resolver_shutdown(r)
 *	void dkim_resolver_free(r)
 *	enum dkim_dns_status dkim_resolver_keysource(r, qname, &txt,
 *	    reason, reasonlen)
 *	dk_dns_submit(), dk_dns_cancel(), dk_dns_cached(), dk_dns_stats()
 *
 * CONTRACT
 *	A lookup asks for the TXT records at a name such as
 *	"sel._domainkey.example.com" and returns the one DKIM key record
 *	there, its character-strings joined without separators (RFC 6376
 *	§3.6.2.2). A TXT record is a candidate key record when it begins
 *	(after optional FWS) with the tag v=DKIM1, or when it has no v= tag
 *	at all but has a p= tag; other TXT records (SPF, site verification)
 *	are ignored. The outcomes (dnsparse.c reads the answers):
 *	    one candidate			DKIM_DNS_OK
 *	    no candidate, or NOERROR/NODATA	DKIM_DNS_NOKEY "no key record"
 *	    NXDOMAIN				DKIM_DNS_NOKEY "no such domain"
 *	    several candidates			DKIM_DNS_BAD "N key records at
 *						NAME"
 *	    (RFC 6376 §6.1.2 lets a verifier pick one or try each; dkimd
 *	    refuses to guess: a key set that is not one key is an error)
 *	    a TXT record over DK_KEYREC_MAX	DKIM_DNS_BAD "key record too
 *						large (over 8192 bytes)"
 *	    a key record with a NUL byte	DKIM_DNS_BAD
 *	    an invalid query name		DKIM_DNS_BAD "invalid name"
 *	    timeout, SERVFAIL, REFUSED, network	DKIM_DNS_TEMPFAIL
 *	    over a limit of lookups in flight	DKIM_DNS_TEMPFAIL "too many
 *						lookups in flight for GROUP"
 *	    a malformed answer			DKIM_DNS_TEMPFAIL "malformed DNS
 *	    answer": a broken answer says nothing about the signer's key; it
 *	    counts as a query that "fails to respond" (RFC 6376 §6.1.2,
 *	    TEMPFAIL), not as a missing key (PERMFAIL).
 *	CNAMEs in the answer section are followed (at most 8 hops).
 *	Records of other types, classes or names are ignored.
 *
 * QUERIES
 *	dnsloop.c sends them, one thread per resolver for all queries in
 *	flight, with non-blocking sockets; its manual has the timeouts, the
 *	TCP fall-back and the limits. A caller never waits on a socket:
 *	dk_dns_submit() hangs a waiter on the query for its name (one query
 *	per name, however many callers), dk_dns_cancel() takes it off, and
 *	dkim_resolver_keysource() is the same with a wait on the answer.
 *
 * NAMESERVERS
 *	"HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 address,
 *	separated by commas or white space, at most MAXNS (3); literals
 *	only, a host name is an error. Without a list, /etc/resolv.conf's
 *	servers (and its "options use-vc": TCP only) through res_ninit().
 *
 * CACHE
 *	Keyed by the lower-cased name without a final dot; an entry holds
 *	the outcome and the one key record, never the whole answer.
 *	Positive answers live for the smallest TTL of the records used
 *	(CNAMEs included), at most one day; negative answers (NOKEY, BAD)
 *	for the SOA's negative TTL when the answer has one, else 300 s, at
 *	most one hour; TEMPFAIL for DNS_TEMP_TTL seconds only, so that a
 *	burst of messages during an outage does not wait out one timeout
 *	each. A TTL of 0 is not cached. At most max_bytes in all (entries
 *	counted with their name and record) and DNS_CACHE_MAX entries: the
 *	least recently used go first.
 *
 * OWNERSHIP
 *	The resolver owns its cache, its queries and its loop thread. A
 *	record returned through *txt is a malloc()ed copy that the caller
 *	frees. dkim_resolver_free() wants no waiter left.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsint.h"

#define DNS_CACHE_MAX	100000		/* cache entries */
#define DNS_HASH_SIZE	16384		/* buckets, a power of two */
#define DNS_TIMEOUT_DEF	5000		/* ms */
#define DNS_CACHE_BYTES	(4 * 1024 * 1024)
#define DNS_INFLIGHT	500		/* queries (sockets) at once */
#define DNS_GROUP_MAX	8		/* queries at once per group */

/* One cached outcome. */
struct dns_entry {
	struct dns_entry *hnext;	/* hash chain */
	struct dns_entry *older, *newer;/* least recently used first */
	uint32_t hash;
	enum dkim_dns_status status;
	uint64_t expires;		/* CLOCK_MONOTONIC ms */
	size_t	size;			/* what it counts in r->bytes */
	char	*txt;			/* on DKIM_DNS_OK: in name's block */
	char	*reason;		/* in name's block */
	char	name[];			/* lower-cased, no final dot */
};

static pthread_mutex_t all_lock = PTHREAD_MUTEX_INITIALIZER;
static dkim_resolver *all;		/* every resolver, for shutdown */

/* dns_reason - format a reason into a buffer that may be NULL or empty */
void
dns_reason(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- nameserver lists --------------------------------------------------- */

/* dns_parse_port - a decimal port 1..65535; -1 when not one */
static int
dns_parse_port(const char *s)
{
	long	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	return v == 0 ? -1 : (int)v;
}

/* dns_parse_server - one "HOST[:PORT]" or "[V6][:PORT]" into *ss; 0 or -1 */
static int
dns_parse_server(char *tok, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	char	*host = tok, *port = NULL, *cp;
	int	 p = NAMESERVER_PORT;

	memset(ss, 0, sizeof(*ss));
	if (*tok == '[') {
		host = tok + 1;
		if ((cp = strchr(host, ']')) == NULL)
			return -1;
		*cp++ = '\0';
		if (*cp == ':')
			port = cp + 1;
		else if (*cp != '\0')
			return -1;
	} else if ((cp = strchr(tok, ':')) != NULL && strchr(cp + 1, ':') ==
	    NULL) {
		*cp = '\0';
		port = cp + 1;
	}
	if (port != NULL && (p = dns_parse_port(port)) < 0)
		return -1;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1 && *tok != '[') {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		return 0;
	}
	return -1;
}

/* dns_parse_servers - a list separated by commas or white space; 0 or -1 */
static int
dns_parse_servers(dkim_resolver *r, const char *list, char *err,
    size_t errlen)
{
	char	*copy, *tok, *save = NULL;
	int	 rc = -1;

	if ((copy = strdup(list)) == NULL) {
		dns_reason(err, errlen, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, ", \t\r\n", &save); tok != NULL;
	    tok = strtok_r(NULL, ", \t\r\n", &save)) {
		if (r->nns == MAXNS) {
			dns_reason(err, errlen, "more than %d nameservers",
			    MAXNS);
			goto fail;
		}
		if (strlen(tok) > 64) {
			dns_reason(err, errlen, "nameserver too long");
			goto fail;
		}
		if (dns_parse_server(tok, &r->ns[r->nns]) < 0) {
			dns_reason(err, errlen, "nameserver \"%s\": not an IP "
			    "address with an optional port", tok);
			goto fail;
		}
		r->nns++;
	}
	rc = 0;
fail:
	free(copy);
	return rc;
}

/* ---- the servers -------------------------------------------------------- */

/* dns_addr_len - the length of a server address, 0 when none */
static socklen_t
dns_addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in) :
	    ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : 0;
}

/* dns_conf_servers - resolv.conf's servers, as res_ninit() read them */
static void
dns_conf_servers(dkim_resolver *r)
{
	const struct sockaddr_in6 *v6;
	int	 i;

	for (i = 0; i < r->rs.nscount && i < MAXNS; i++) {
		v6 = r->rs._u._ext.nsaddrs[i];
		memset(&r->ns[r->nns], 0, sizeof(r->ns[0]));
		if (r->rs.nsaddr_list[i].sin_family == AF_INET)
			memcpy(&r->ns[r->nns], &r->rs.nsaddr_list[i],
			    sizeof(struct sockaddr_in));
		else if (v6 != NULL && v6->sin6_family == AF_INET6)
			memcpy(&r->ns[r->nns], v6, sizeof(*v6));
		else
			continue;
		r->nns++;
	}
}

/* dns_servers_init - libresolv state, server addresses; 0 or -1 */
static int
dns_servers_init(dkim_resolver *r, char *err, size_t errlen)
{
	int	 i;

	if (res_ninit(&r->rs) != 0) {
		dns_reason(err, errlen, "res_ninit failed");
		return -1;
	}
	r->usevc = (r->rs.options & RES_USEVC) != 0;
	if (r->nns == 0)
		dns_conf_servers(r);
	if (r->nns == 0) {
		/* resolv.conf without servers: the local one, as libc does */
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->ns[0];

		memset(&r->ns[0], 0, sizeof(r->ns[0]));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(NAMESERVER_PORT);
		r->nns = 1;
	}
	for (i = 0; i < r->nns; i++)
		r->nslen[i] = dns_addr_len(&r->ns[i]);
	return 0;
}

/* ---- names -------------------------------------------------------------- */

/*
 * dns_key - validate qname and write its cache key (lower case, no final
 * dot) to key; 0, or -1 when the name is not one dk_selector_valid()
 * accepts (defence in depth: the signature parser checks d= and s=).
 */
static int
dns_key(const char *qname, char *key, size_t keylen)
{
	size_t	 len, i;

	len = strlen(qname);
	if (len > 0 && qname[len - 1] == '.')
		len--;
	if (len >= keylen || !dk_selector_valid(qname, len))
		return -1;
	for (i = 0; i < len; i++)
		key[i] = (char)tolower((unsigned char)qname[i]);
	key[len] = '\0';
	return 0;
}

/* ---- the cache ---------------------------------------------------------- */

/* dns_unlink - take e out of the table and free it (lock held) */
static void
dns_unlink(dkim_resolver *r, struct dns_entry *e)
{
	struct dns_entry **pp;

	for (pp = &r->tab[e->hash & (DNS_HASH_SIZE - 1)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		r->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		r->newest = e->older;
	r->count--;
	r->bytes -= e->size;
	free(e);
}

/* dns_find - the entry for key, or NULL (lock held) */
static struct dns_entry *
dns_find(dkim_resolver *r, const char *key, uint32_t h)
{
	struct dns_entry *e;

	for (e = r->tab[h & (DNS_HASH_SIZE - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->name, key) == 0)
			return e;
	return NULL;
}

/* dns_make_room - room for one entry of size bytes (lock held) */
static void
dns_make_room(dkim_resolver *r, size_t size)
{
	while (r->oldest != NULL && (r->count >= DNS_CACHE_MAX ||
	    r->bytes + size > r->max_bytes))
		dns_unlink(r, r->oldest);
}

/* dns_touch - make e the newest entry: the oldest are evicted first */
static void
dns_touch(dkim_resolver *r, struct dns_entry *e)
{
	if (r->newest == e)
		return;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		r->oldest = e->newer;
	e->newer->older = e->older;
	e->older = r->newest;
	e->newer = NULL;
	r->newest->newer = e;
	r->newest = e;
}

/*
 * dns_cache_put - remember an answer for key (lock held). One block per
 * entry: the header, the name, the reason and the record.
 */
void
dns_cache_put(dkim_resolver *r, const char *key, const struct dns_answer *a)
{
	struct dns_entry *e;
	size_t	 nl = strlen(key) + 1, rl = strlen(a->reason) + 1, tl = 0;
	size_t	 size;
	uint32_t h = dk_name_hash(key, strlen(key));

	if ((e = dns_find(r, key, h)) != NULL)
		dns_unlink(r, e);
	if (a->ttl == 0 || r->stopping)
		return;
	if (a->status == DKIM_DNS_OK && a->txt != NULL)
		tl = strlen(a->txt) + 1;
	size = sizeof(*e) + nl + rl + tl;
	if (size > r->max_bytes)
		return;
	dns_make_room(r, size);
	if ((e = malloc(size)) == NULL)
		return;
	memset(e, 0, sizeof(*e));
	memcpy(e->name, key, nl);
	e->reason = e->name + nl;
	memcpy(e->reason, a->reason, rl);
	if (tl > 0) {
		e->txt = e->reason + rl;
		memcpy(e->txt, a->txt, tl);
	}
	e->size = size;
	e->hash = h;
	e->status = a->status;
	e->expires = dk_now_ms() + (uint64_t)a->ttl * 1000;
	e->hnext = r->tab[h & (DNS_HASH_SIZE - 1)];
	r->tab[h & (DNS_HASH_SIZE - 1)] = e;
	e->older = r->newest;
	if (r->newest != NULL)
		r->newest->newer = e;
	else
		r->oldest = e;
	r->newest = e;
	r->count++;
	r->bytes += size;
}

/* dns_copy_out - hand an outcome to the caller */
static enum dkim_dns_status
dns_copy_out(enum dkim_dns_status status, const char *rtxt,
    const char *rreason, char **txt, char *reason, size_t reasonlen)
{
	if (status == DKIM_DNS_OK) {
		if (rtxt == NULL || (*txt = strdup(rtxt)) == NULL) {
			dns_reason(reason, reasonlen, "out of memory");
			return DKIM_DNS_TEMPFAIL;
		}
		dns_reason(reason, reasonlen, "%s", "");
		return DKIM_DNS_OK;
	}
	dns_reason(reason, reasonlen, "%s", rreason);
	return status;
}

/* dns_cache_get - a live cached outcome for key; -1 when none (lock held) */
static int
dns_cache_get(dkim_resolver *r, const char *key, char **txt, char *reason,
    size_t reasonlen)
{
	struct dns_entry *e;

	if ((e = dns_find(r, key, dk_name_hash(key, strlen(key)))) == NULL)
		return -1;
	if (e->expires <= dk_now_ms()) {
		dns_unlink(r, e);
		return -1;
	}
	dns_touch(r, e);
	return (int)dns_copy_out(e->status, e->txt, e->reason, txt, reason,
	    reasonlen);
}

/* ---- the public interface ----------------------------------------------- */

/* dkim_resolver_new - a resolver with its own libresolv state */
dkim_resolver *
dkim_resolver_new(const char *nameservers, unsigned timeout_ms, char *err,
    size_t errlen)
{
	dkim_resolver *r;

	dns_reason(err, errlen, "%s", "");
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		dns_reason(err, errlen, "out of memory");
		return NULL;
	}
	r->timeout_ms = timeout_ms == 0 ? DNS_TIMEOUT_DEF : timeout_ms;
	r->max_bytes = DNS_CACHE_BYTES;
	r->max_inflight = DNS_INFLIGHT;
	r->max_group = DNS_GROUP_MAX;
	r->wake[0] = r->wake[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->synccv, NULL);
	if ((r->tab = calloc(DNS_HASH_SIZE, sizeof(*r->tab))) == NULL ||
	    (r->qtab = calloc(DNS_QHASH, sizeof(*r->qtab))) == NULL ||
	    (r->gtab = calloc(DNS_GHASH, sizeof(*r->gtab))) == NULL) {
		dns_reason(err, errlen, "out of memory");
		goto fail;
	}
	if (nameservers != NULL && dns_parse_servers(r, nameservers, err,
	    errlen) < 0)
		goto fail;
	if (dns_servers_init(r, err, errlen) < 0)
		goto fail;
	r->inited = 1;
	pthread_mutex_lock(&all_lock);
	r->rnext = all;
	all = r;
	pthread_mutex_unlock(&all_lock);
	return r;
fail:
	dkim_resolver_free(r);
	return NULL;
}

/* dkim_resolver_set_limits - ceilings; zero keeps a value (see dkim.h) */
void
dkim_resolver_set_limits(dkim_resolver *r, size_t cache_bytes,
    unsigned max_inflight, unsigned max_per_group)
{
	pthread_mutex_lock(&r->lock);
	if (cache_bytes)
		r->max_bytes = cache_bytes;
	dns_make_room(r, 0);
	/* the loop sizes its poll set once, when it starts */
	if (max_inflight && r->started == 0)
		r->max_inflight = max_inflight;
	if (max_per_group)
		r->max_group = max_per_group;
	pthread_mutex_unlock(&r->lock);
}

/* dkim_resolver_shutdown - end every wait now and refuse new ones */
void
dkim_resolver_shutdown(dkim_resolver *r)
{
	dkim_resolver *p;

	if (r != NULL) {
		pthread_mutex_lock(&r->lock);
		dns_loop_stop(r);
		pthread_mutex_unlock(&r->lock);
		return;
	}
	pthread_mutex_lock(&all_lock);
	for (p = all; p != NULL; p = p->rnext)
		dkim_resolver_shutdown(p);
	pthread_mutex_unlock(&all_lock);
}

/* dkim_resolver_free - release a resolver nobody waits on; NULL is fine */
void
dkim_resolver_free(dkim_resolver *r)
{
	dkim_resolver **pp;
	struct dns_entry *e, *next;

	if (r == NULL)
		return;
	pthread_mutex_lock(&all_lock);
	for (pp = &all; *pp != NULL; pp = &(*pp)->rnext)
		if (*pp == r) {
			*pp = r->rnext;
			break;
		}
	pthread_mutex_unlock(&all_lock);
	if (r->qtab != NULL && r->gtab != NULL)
		dns_loop_free(r);
	for (e = r->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e);
	}
	if (r->inited)
		res_nclose(&r->rs);
	free(r->tab);
	free(r->qtab);
	free(r->gtab);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->synccv);
	free(r);
}

/*
 * dk_dns_cached - the cached outcome for qname, without asking DNS and
 * without waiting: -1 when there is none, else a dkim_dns_status with
 * *txt and reason as dkim_resolver_keysource gives them.
 */
int
dk_dns_cached(dkim_resolver *r, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	char	 key[256];
	int	 st;

	*txt = NULL;
	if (r == NULL || qname == NULL || dns_key(qname, key, sizeof(key)) < 0)
		return -1;
	pthread_mutex_lock(&r->lock);
	st = dns_cache_get(r, key, txt, reason, reasonlen);
	pthread_mutex_unlock(&r->lock);
	return st;
}

/* dk_dns_submit - an answer now, or -1 and w->done() later (see dk.h) */
int
dk_dns_submit(dkim_resolver *r, const char *qname, struct dk_dns_waiter *w,
    char **txt, char *reason, size_t reasonlen)
{
	char	 key[256];
	int	 st;

	*txt = NULL;
	w->q = NULL;
	if (r == NULL) {
		dns_reason(reason, reasonlen, "no resolver");
		return DKIM_DNS_TEMPFAIL;
	}
	if (qname == NULL || dns_key(qname, key, sizeof(key)) < 0) {
		dns_reason(reason, reasonlen, "invalid name");
		return DKIM_DNS_BAD;
	}
	pthread_mutex_lock(&r->lock);
	if ((st = dns_cache_get(r, key, txt, reason, reasonlen)) < 0) {
		r->st.cache_misses++;
		st = dns_loop_submit(r, key, w, reason, reasonlen);
	} else
		r->st.cache_hits++;
	pthread_mutex_unlock(&r->lock);
	return st;
}

/* dk_dns_cancel - w stops waiting; 1 withdrawn, 0 done already */
int
dk_dns_cancel(dkim_resolver *r, struct dk_dns_waiter *w)
{
	int	 rc;

	pthread_mutex_lock(&r->lock);
	rc = dns_loop_cancel(r, w);
	pthread_mutex_unlock(&r->lock);
	return rc;
}

/* dk_dns_stats - a snapshot of the counters */
void
dk_dns_stats(dkim_resolver *r, struct dk_dns_stats *st)
{
	pthread_mutex_lock(&r->lock);
	*st = r->st;
	st->inflight = r->nq;
	st->cache_entries = r->count;
	st->cache_bytes = r->bytes;
	pthread_mutex_unlock(&r->lock);
}

static const char *const class_name[DKIM_DNSC_MAX] = {
	"ok", "nodata", "nxdomain", "multiple", "bad_record", "servfail",
	"timeout", "malformed", "network"
};

/* dkim_dns_class_name - a class's token; "unknown" out of range */
const char *
dkim_dns_class_name(enum dkim_dns_class c)
{
	return (unsigned)c < DKIM_DNSC_MAX ? class_name[c] : "unknown";
}

/* dkim_resolver_counts - the counters of dk_dns_stats, for programs */
void
dkim_resolver_counts(dkim_resolver *r, struct dkim_resolver_counts *out)
{
	struct dk_dns_stats st;

	dk_dns_stats(r, &st);
	memset(out, 0, sizeof(*out));
	out->inflight = st.inflight;
	out->sent = st.sent;
	out->coalesced = st.coalesced;
	out->abandoned = st.abandoned;
	out->refused = st.refused_group + st.refused_total + st.refused_big;
	out->cache_hits = st.cache_hits;
	out->cache_misses = st.cache_misses;
	memcpy(out->answers, st.answers, sizeof(out->answers));
	memcpy(out->latency, st.latency, sizeof(out->latency));
	out->latency_ms_sum = st.latency_ms_sum;
	out->cache_entries = st.cache_entries;
	out->cache_bytes = st.cache_bytes;
}

/* One dkim_resolver_keysource() call waiting. */
struct dns_sync {
	struct dk_dns_waiter w;
	dkim_resolver *r;
	int	done;
	enum dkim_dns_status st;
	char	*txt;
	char	reason[DNS_REASON_MAX];
};

/* dns_sync_done - the answer for a waiting keysource call (lock held) */
static void
dns_sync_done(struct dk_dns_waiter *w, enum dkim_dns_status st,
    const char *txt, const char *reason)
{
	struct dns_sync *s = w->arg;

	s->st = dns_copy_out(st, txt, reason, &s->txt, s->reason,
	    sizeof(s->reason));
	s->done = 1;
	pthread_cond_broadcast(&s->r->synccv);
}

/*
 * dkim_resolver_keysource - a dkim_keysource_fn for use with a resolver:
 * dk_dns_submit() and a wait, bounded by twice the timeout (the query
 * itself ends sooner).
 */
enum dkim_dns_status
dkim_resolver_keysource(void *arg, const char *qname, char **txt,
    char *reason, size_t reasonlen)
{
	dkim_resolver *r = arg;
	struct dns_sync s;
	struct timespec until;
	uint64_t ms;
	int	 st;

	memset(&s, 0, sizeof(s));
	s.w.done = dns_sync_done;
	s.w.arg = &s;
	s.r = r;
	if ((st = dk_dns_submit(r, qname, &s.w, txt, reason, reasonlen)) >= 0)
		return (enum dkim_dns_status)st;
	ms = 2 * (uint64_t)r->timeout_ms + 2000;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&r->lock);
	while (!s.done)
		if (pthread_cond_timedwait(&r->synccv, &r->lock, &until) ==
		    ETIMEDOUT && !s.done) {
			dns_loop_cancel(r, &s.w);
			s.st = DKIM_DNS_TEMPFAIL;
			dns_reason(s.reason, sizeof(s.reason), "DNS timeout");
			break;
		}
	pthread_mutex_unlock(&r->lock);
	*txt = s.txt;
	dns_reason(reason, reasonlen, "%s", s.reason);
	return s.st;
}
