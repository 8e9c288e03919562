/*
 * dns.c - DKIM key lookups over libresolv, with a TTL cache
 *
 * SYNOPSIS
 *	dkim_resolver *dkim_resolver_new(nameservers, timeout_ms, err, errlen)
 *	void dkim_resolver_free(resolver)
 *	enum dkim_dns_status dkim_resolver_keysource(resolver, qname, &txt,
 *	    reason, reasonlen)
 *
 * CONTRACT
 *	A lookup asks for the TXT records at a name such as
 *	"sel._domainkey.example.com" and returns the one DKIM key record
 *	there, its character-strings joined without separators (RFC 6376
 *	§3.6.2.2). A TXT record is a candidate key record when it begins
 *	(after optional FWS) with the tag v=DKIM1, or when it has no v= tag
 *	at all but has a p= tag; other TXT records (SPF, site verification)
 *	are ignored. The outcomes:
 *	    one candidate			DKIM_DNS_OK
 *	    no candidate, or NOERROR/NODATA	DKIM_DNS_NOKEY "no key record"
 *	    NXDOMAIN				DKIM_DNS_NOKEY "no such domain"
 *	    several candidates			DKIM_DNS_BAD "N key records at
 *						NAME"
 *	    (RFC 6376 §6.1.2 lets a verifier pick one or try each; dkimd
 *	    refuses to guess: a key set that is not one key is an error)
 *	    a record over DNS_TXT_MAX bytes	DKIM_DNS_BAD
 *	    a key record with a NUL byte	DKIM_DNS_BAD
 *	    an invalid query name		DKIM_DNS_BAD "invalid name"
 *	    timeout, SERVFAIL, REFUSED, network	DKIM_DNS_TEMPFAIL
 *	    a malformed answer			DKIM_DNS_TEMPFAIL "malformed DNS
 *	    answer": a broken answer says nothing about the signer's key; it
 *	    counts as a query that "fails to respond" (RFC 6376 §6.1.2,
 *	    TEMPFAIL), not as a missing key (PERMFAIL).
 *	CNAMEs in the answer section are followed (at most DNS_CNAME_MAX).
 *	Records of other types, classes or names are ignored.
 *
 * QUERIES
 *	res_nmkquery() and res_nsend() rather than res_nquery(): the same
 *	query, but the answer comes back with its length even for NXDOMAIN,
 *	so that the SOA of a negative answer can give the negative TTL
 *	(RFC 2308 §5). Answers go to a 64 KiB buffer.
 *	A truncated UDP answer (TC) is asked again over TCP, by this file
 *	rather than by libresolv (RES_IGNTC is set): libresolv's TCP reads
 *	have no timeout, so a server that accepts a connection and never
 *	answers would hold the lookup for ever. Here the TCP exchange has
 *	what is left of the query's budget (at least 1 s), and its answer is
 *	checked against the query (ID, QR, question) as libresolv checks UDP.
 *	With "options use-vc" (resolv.conf or RES_OPTIONS), every query goes
 *	over TCP that way, UDP never.
 *
 * TIMEOUTS
 *	libresolv counts in whole seconds per server and try. timeout_ms is
 *	the budget of one query over all servers and tries: two tries when
 *	it allows at least 1 s per server and try, else one; each server
 *	gets budget / (tries * servers) seconds, at least 1. So a budget
 *	under 1 s per server is rounded up to 1 s per server.
 *
 * NAMESERVERS
 *	"HOST", "HOST:PORT", "[V6]", "[V6]:PORT" or a bare IPv6 address,
 *	separated by commas or white space, at most MAXNS (3); literals
 *	only, a host name is an error. IPv6 servers go to libresolv's
 *	_u._ext.nsaddrs as glibc's res_init.c itself puts them.
 *
 * THREADS
 *	libresolv state must not be shared between threads. A resolver keeps
 *	a pool of res_state objects behind a mutex: a query takes one (making
 *	a new one when none is free, up to DNS_POOL_MAX, else waiting) and
 *	puts it back. A pool rather than one state per thread, because
 *	libmilter's threads come and go with connections and thread-specific
 *	states would have to be torn down in key destructors.
 *	The cache has its own mutex. Concurrent lookups of one name coalesce:
 *	a caller that finds a lookup of its name under way waits for it
 *	(bounded by twice the timeout) and shares its answer.
 *
 * CACHE
 *	Keyed by the lower-cased name without a final dot. Positive answers
 *	live for the smallest TTL of the records used (CNAMEs included), at
 *	most one day; negative answers (NOKEY, BAD) for the SOA's negative
 *	TTL when the answer has one, else 300 s, at most one hour; TEMPFAIL
 *	for DNS_TEMP_TTL seconds only, so that a burst of messages during an
 *	outage does not wait out one timeout each. A TTL of 0 is not cached.
 *	At most DNS_CACHE_MAX entries: when full, expired entries go first,
 *	then the least recently used.
 *
 * OWNERSHIP
 *	The resolver owns its states and cache. A record returned through
 *	*txt is a malloc()ed copy that the caller frees.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dk.h"

#define DNS_ANSWER_MAX	65536		/* answer buffer, bytes */
#define DNS_TXT_MAX	65535		/* one joined record, bytes */
#define DNS_CNAME_MAX	8		/* CNAME hops followed */
#define DNS_POOL_MAX	64		/* res_state objects per resolver */
#define DNS_CACHE_MAX	100000		/* cache entries */
#define DNS_HASH_SIZE	16384		/* buckets, a power of two */
#define DNS_POS_TTL_MAX	86400		/* seconds */
#define DNS_NEG_TTL_MAX	3600
#define DNS_NEG_TTL_DEF	300
#define DNS_TEMP_TTL	2
#define DNS_REASON_MAX	128
#define DNS_TIMEOUT_DEF	5000		/* ms */

/* One libresolv state, in the pool or in use by one query. */
struct dns_state {
	struct __res_state rs;
	struct dns_state *next;
};

/* One cached answer, or one lookup under way (pending). */
struct dns_entry {
	struct dns_entry *hnext;	/* hash chain */
	struct dns_entry *older, *newer;/* least recently used first */
	char	*name;			/* lower-cased, no final dot */
	uint32_t hash;
	int	pending;		/* a lookup is filling it in */
	int	linked;			/* in the table */
	unsigned refs;			/* threads holding a pointer */
	enum dkim_dns_status status;
	char	*txt;			/* on DKIM_DNS_OK */
	char	reason[DNS_REASON_MAX];
	uint64_t expires;		/* CLOCK_MONOTONIC ms */
};

/* The result of one query, before it is cached. */
struct dns_answer {
	enum dkim_dns_status status;
	char	*txt;
	char	reason[DNS_REASON_MAX];
	unsigned ttl;			/* seconds to cache it */
};

struct dkim_resolver {
	pthread_mutex_t plock;		/* pool */
	pthread_cond_t pcond;
	struct dns_state *free;
	unsigned nstates;		/* made, free or in use */
	struct sockaddr_storage ns[MAXNS];
	int	nns;			/* 0: resolv.conf's list */
	unsigned timeout_ms;

	pthread_mutex_t clock;		/* cache */
	pthread_cond_t ccond;
	struct dns_entry **tab;
	size_t	count;
	struct dns_entry *oldest, *newest;
};

/* dns_now_ms - CLOCK_MONOTONIC in milliseconds */
static uint64_t
dns_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* dns_reason - format a reason into a buffer that may be NULL or empty */
static void
dns_reason(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
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

/* ---- the pool of libresolv states --------------------------------------- */

/* dns_state_servers - put the resolver's nameservers into a fresh state */
static int
dns_state_servers(const dkim_resolver *r, struct __res_state *rs)
{
	int	 i;

	for (i = 0; i < r->nns; i++) {
		if (r->ns[i].ss_family == AF_INET) {
			memcpy(&rs->nsaddr_list[i], &r->ns[i],
			    sizeof(struct sockaddr_in));
			continue;
		}
		/* glibc: an IPv6 server lives in _ext, its v4 slot unused. */
		if (rs->_u._ext.nsaddrs[i] == NULL &&
		    (rs->_u._ext.nsaddrs[i] =
		    malloc(sizeof(struct sockaddr_in6))) == NULL)
			return -1;
		memcpy(rs->_u._ext.nsaddrs[i], &r->ns[i],
		    sizeof(struct sockaddr_in6));
		memset(&rs->nsaddr_list[i], 0, sizeof(rs->nsaddr_list[i]));
		rs->nsaddr_list[i].sin_family = AF_UNSPEC;
	}
	rs->nscount = r->nns;
	return 0;
}

/* dns_state_timeouts - spread the query budget over servers and tries */
static void
dns_state_timeouts(const dkim_resolver *r, struct __res_state *rs)
{
	int	 secs, n;

	secs = (int)(r->timeout_ms / 1000);
	n = rs->nscount > 0 ? rs->nscount : 1;
	rs->retry = secs >= 2 * n ? 2 : 1;
	rs->retrans = secs / (rs->retry * n);
	if (rs->retrans < 1)
		rs->retrans = 1;
}

/* dns_state_new - a res_ninit()ed state with the resolver's settings */
static struct dns_state *
dns_state_new(const dkim_resolver *r, char *err, size_t errlen)
{
	struct dns_state *st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		dns_reason(err, errlen, "out of memory");
		return NULL;
	}
	if (res_ninit(&st->rs) != 0) {
		dns_reason(err, errlen, "res_ninit failed");
		free(st);
		return NULL;
	}
	if (r->nns > 0 && dns_state_servers(r, &st->rs) < 0) {
		dns_reason(err, errlen, "out of memory");
		res_nclose(&st->rs);
		free(st);
		return NULL;
	}
	dns_state_timeouts(r, &st->rs);
	st->rs.options |= RES_IGNTC;
	return st;
}

/* dns_state_free - close and release a state; NULL does nothing */
static void
dns_state_free(struct dns_state *st)
{
	if (st == NULL)
		return;
	res_nclose(&st->rs);
	free(st);
}

/* dns_state_take - a state for one query; NULL with a reason on failure */
static struct dns_state *
dns_state_take(dkim_resolver *r, char *err, size_t errlen)
{
	struct dns_state *st;

	pthread_mutex_lock(&r->plock);
	while (r->free == NULL && r->nstates >= DNS_POOL_MAX)
		pthread_cond_wait(&r->pcond, &r->plock);
	if ((st = r->free) != NULL) {
		r->free = st->next;
		pthread_mutex_unlock(&r->plock);
		return st;
	}
	r->nstates++;
	pthread_mutex_unlock(&r->plock);
	if ((st = dns_state_new(r, err, errlen)) == NULL) {
		pthread_mutex_lock(&r->plock);
		r->nstates--;
		pthread_cond_signal(&r->pcond);
		pthread_mutex_unlock(&r->plock);
	}
	return st;
}

/* dns_state_put - give a state back to the pool */
static void
dns_state_put(dkim_resolver *r, struct dns_state *st)
{
	pthread_mutex_lock(&r->plock);
	st->next = r->free;
	r->free = st;
	pthread_cond_signal(&r->pcond);
	pthread_mutex_unlock(&r->plock);
}

/* ---- answers ------------------------------------------------------------ */

/* dns_fws - 1 for a FWS byte (RFC 6376 §2.8, line ends included) */
static int
dns_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* dns_skip_fws - the first byte at or after cp that is not FWS */
static const char *
dns_skip_fws(const char *cp, const char *end)
{
	while (cp < end && dns_fws((unsigned char)*cp))
		cp++;
	return cp;
}

/*
 * dns_tag_at - when a tag-spec named name (optional FWS, name, optional
 * FWS, '=') starts at cp, return where its value starts, else NULL.
 */
static const char *
dns_tag_at(const char *cp, const char *end, const char *name)
{
	size_t	 n = strlen(name);

	cp = dns_skip_fws(cp, end);
	if ((size_t)(end - cp) < n || memcmp(cp, name, n) != 0)
		return NULL;
	cp = dns_skip_fws(cp + n, end);
	if (cp == end || *cp != '=')
		return NULL;
	return cp + 1;
}

/*
 * dns_is_keyrec - 1 when a joined TXT record is a candidate key record:
 * it begins with v=DKIM1 followed by FWS, ';' or the end, or it has no
 * v= tag and has a p= tag.
 */
static int
dns_is_keyrec(const char *s, size_t len)
{
	const char *cp = s, *end = s + len, *v, *semi;
	int	 first = 1, has_p = 0;

	if ((v = dns_tag_at(cp, end, "v")) != NULL) {
		v = dns_skip_fws(v, end);
		if ((size_t)(end - v) < 5 || memcmp(v, "DKIM1", 5) != 0)
			return 0;
		v += 5;
		return v == end || *v == ';' || dns_fws((unsigned char)*v);
	}
	while (cp < end) {
		if ((semi = memchr(cp, ';', (size_t)(end - cp))) == NULL)
			semi = end;
		if (!first && dns_tag_at(cp, semi, "v") != NULL)
			return 0;
		if (dns_tag_at(cp, semi, "p") != NULL)
			has_p = 1;
		first = 0;
		cp = semi == end ? end : semi + 1;
	}
	return has_p;
}

/* dns_txt_join - append the character-strings of one TXT rdata; 0, -1, -2 */
static int
dns_txt_join(const unsigned char *rd, size_t rdlen, struct dk_buf *out)
{
	size_t	 pos = 0, n;

	while (pos < rdlen) {
		n = rd[pos++];
		if (n > rdlen - pos)
			return -1;		/* string past the rdata */
		if (dk_buf_append(out, rd + pos, n) < 0)
			return -2;		/* over the ceiling */
		pos += n;
	}
	return 0;
}

/* dns_name_eq - 1 when two presentation names are equal, final dots aside */
static int
dns_name_eq(const char *a, const char *b)
{
	size_t	 la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/*
 * dns_follow_cnames - follow the CNAMEs that the answer section gives for
 * cur (at most DNS_CNAME_MAX), updating cur and *ttl; 0, or -1 when the
 * answer is malformed.
 */
static int
dns_follow_cnames(ns_msg *msg, const unsigned char *eom, char *cur,
    size_t curlen, uint32_t *ttl)
{
	ns_rr	 rr;
	int	 i, n, hop, moved;
	char	 target[NS_MAXDNAME];

	n = ns_msg_count(*msg, ns_s_an);
	for (hop = 0; hop < DNS_CNAME_MAX; hop++) {
		moved = 0;
		for (i = 0; i < n && !moved; i++) {
			if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
				return -1;
			if (ns_rr_type(rr) != ns_t_cname ||
			    ns_rr_class(rr) != ns_c_in ||
			    !dns_name_eq(ns_rr_name(rr), cur))
				continue;
			if (ns_rr_rdata(rr) + ns_rr_rdlen(rr) > eom ||
			    dn_expand(ns_msg_base(*msg), eom, ns_rr_rdata(rr),
			    target, sizeof(target)) < 0)
				return -1;
			if (dk_strlcpy(cur, target, curlen) >= curlen)
				return -1;
			if (ns_rr_ttl(rr) < *ttl)
				*ttl = ns_rr_ttl(rr);
			moved = 1;
		}
		if (!moved)
			break;
	}
	return 0;
}

/* dns_neg_ttl - the negative TTL from an SOA in the authority section */
static unsigned
dns_neg_ttl(ns_msg *msg, const unsigned char *eom)
{
	ns_rr	 rr;
	const unsigned char *cp, *end;
	uint32_t min;
	int	 i, n, k;

	n = ns_msg_count(*msg, ns_s_ns);
	for (i = 0; i < n; i++) {
		if (ns_parserr(msg, ns_s_ns, i, &rr) < 0)
			break;
		if (ns_rr_type(rr) != ns_t_soa)
			continue;
		cp = ns_rr_rdata(rr);
		end = cp + ns_rr_rdlen(rr);
		if (end > eom)
			break;
		for (k = 0; k < 2; k++) {	/* MNAME, RNAME */
			int	 sk = dn_skipname(cp, end);

			if (sk < 0)
				return DNS_NEG_TTL_DEF;
			cp += sk;
		}
		if (end - cp < 20)
			break;
		cp += 16;	/* SERIAL REFRESH RETRY EXPIRE */
		min = ns_get32(cp);
		/* RFC 2308 §5: the smaller of the SOA's TTL and MINIMUM. */
		if (ns_rr_ttl(rr) < min)
			min = ns_rr_ttl(rr);
		return min > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : min;
	}
	return DNS_NEG_TTL_DEF;
}

/* dns_collect - join the TXT records at name and count the candidates */
static int
dns_collect(ns_msg *msg, const unsigned char *eom, const char *name,
    struct dns_answer *ans, uint32_t *ttl)
{
	struct dk_buf rec = { NULL, 0, 0, DNS_TXT_MAX };
	ns_rr	 rr;
	int	 i, n, rc, cands = 0;

	n = ns_msg_count(*msg, ns_s_an);
	for (i = 0; i < n; i++) {
		if (ns_parserr(msg, ns_s_an, i, &rr) < 0)
			goto malformed;
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in ||
		    !dns_name_eq(ns_rr_name(rr), name))
			continue;
		if (ns_rr_rdata(rr) + ns_rr_rdlen(rr) > eom)
			goto malformed;
		rec.len = 0;
		if (rec.data != NULL)
			rec.data[0] = '\0';
		if ((rc = dns_txt_join(ns_rr_rdata(rr), ns_rr_rdlen(rr),
		    &rec)) == -1)
			goto malformed;
		if (rc == -2) {
			ans->status = DKIM_DNS_BAD;
			dns_reason(ans->reason, sizeof(ans->reason),
			    "key record too long");
			goto done;
		}
		if (rec.data == NULL || !dns_is_keyrec(rec.data, rec.len))
			continue;
		if (memchr(rec.data, '\0', rec.len) != NULL) {
			/* A C string would silently lose the rest. */
			ans->status = DKIM_DNS_BAD;
			dns_reason(ans->reason, sizeof(ans->reason),
			    "NUL byte in key record");
			goto done;
		}
		if (++cands == 1) {
			free(ans->txt);
			if ((ans->txt = strdup(rec.data)) == NULL) {
				ans->status = DKIM_DNS_TEMPFAIL;
				dns_reason(ans->reason, sizeof(ans->reason),
				    "out of memory");
				goto done;
			}
		}
		if (ns_rr_ttl(rr) < *ttl)
			*ttl = ns_rr_ttl(rr);
	}
	dk_buf_free(&rec);
	return cands;
malformed:
	ans->status = DKIM_DNS_TEMPFAIL;
	dns_reason(ans->reason, sizeof(ans->reason), "malformed DNS answer");
done:
	dk_buf_free(&rec);
	free(ans->txt);
	ans->txt = NULL;
	return -1;
}

/*
 * dns_parse_answer - turn a DNS answer to "TXT name" into *ans. The
 * message is checked by ns_initparse() and ns_parserr(), which check
 * every length and name against the end of the message.
 */
static void
dns_parse_answer(const unsigned char *buf, int len, const char *name,
    struct dns_answer *ans)
{
	ns_msg	 msg;
	const unsigned char *eom = buf + len;
	char	 cur[NS_MAXDNAME];
	uint32_t ttl = DNS_POS_TTL_MAX;
	int	 rcode, cands;

	if (ns_initparse(buf, len, &msg) < 0)
		goto malformed;
	rcode = ns_msg_getflag(msg, ns_f_rcode);
	if (ns_msg_getflag(msg, ns_f_tc)) {
		ans->status = DKIM_DNS_TEMPFAIL;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "truncated DNS answer");
		ans->ttl = DNS_TEMP_TTL;
		return;
	}
	if (rcode == ns_r_nxdomain) {
		ans->status = DKIM_DNS_NOKEY;
		dns_reason(ans->reason, sizeof(ans->reason), "no such domain");
		ans->ttl = dns_neg_ttl(&msg, eom);
		return;
	}
	if (rcode != ns_r_noerror) {
		ans->status = DKIM_DNS_TEMPFAIL;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS server error (rcode %d)", rcode);
		ans->ttl = DNS_TEMP_TTL;
		return;
	}
	dk_strlcpy(cur, name, sizeof(cur));
	if (dns_follow_cnames(&msg, eom, cur, sizeof(cur), &ttl) < 0)
		goto malformed;
	if ((cands = dns_collect(&msg, eom, cur, ans, &ttl)) < 0) {
		ans->ttl = ans->status == DKIM_DNS_BAD ? dns_neg_ttl(&msg,
		    eom) : DNS_TEMP_TTL;
		return;
	}
	if (cands == 0) {
		ans->status = DKIM_DNS_NOKEY;
		dns_reason(ans->reason, sizeof(ans->reason), "no key record");
		ans->ttl = dns_neg_ttl(&msg, eom);
	} else if (cands == 1) {
		ans->status = DKIM_DNS_OK;
		ans->ttl = ttl;
		return;
	} else {
		ans->status = DKIM_DNS_BAD;
		dns_reason(ans->reason, sizeof(ans->reason),
		    "%d key records at %s", cands, name);
		ans->ttl = ttl > DNS_NEG_TTL_MAX ? DNS_NEG_TTL_MAX : ttl;
	}
	free(ans->txt);
	ans->txt = NULL;
	return;
malformed:
	ans->status = DKIM_DNS_TEMPFAIL;
	dns_reason(ans->reason, sizeof(ans->reason), "malformed DNS answer");
	ans->ttl = DNS_TEMP_TTL;
}

/* dk_dns_parse_answer - dns_parse_answer() for the fuzzer (see dk.h) */
enum dkim_dns_status
dk_dns_parse_answer(const unsigned char *buf, size_t len, const char *qname,
    char **txt, unsigned *ttl, char *reason, size_t reasonlen)
{
	struct dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	dns_parse_answer(buf, len > DNS_ANSWER_MAX ? DNS_ANSWER_MAX : (int)len,
	    qname, &ans);
	*txt = ans.txt;
	*ttl = ans.ttl;
	dk_strlcpy(reason, ans.reason, reasonlen);
	return ans.status;
}

/* ---- TCP after a truncated answer (RFC 1035 §4.2.2) --------------------- */

/* dns_server_addr - server i of a state; the address length, or 0 */
static socklen_t
dns_server_addr(const struct __res_state *rs, int i,
    struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *v6 = rs->_u._ext.nsaddrs[i];

	memset(ss, 0, sizeof(*ss));
	if (rs->nsaddr_list[i].sin_family == AF_INET) {
		memcpy(ss, &rs->nsaddr_list[i], sizeof(struct sockaddr_in));
		return sizeof(struct sockaddr_in);
	}
	if (v6 != NULL && v6->sin6_family == AF_INET6) {
		memcpy(ss, v6, sizeof(*v6));
		return sizeof(*v6);
	}
	return 0;
}

/* dns_poll - wait until fd is ready for ev or deadline passes; 0 or -1 */
static int
dns_poll(int fd, short ev, uint64_t deadline)
{
	struct pollfd pfd = { fd, ev, 0 };
	uint64_t now;
	int	 n;

	for (;;) {
		if ((now = dns_now_ms()) >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* dns_io - write (wr) or read exactly n bytes before deadline; 0 or -1 */
static int
dns_io(int fd, int wr, unsigned char *p, size_t n, uint64_t deadline)
{
	ssize_t	 k;

	while (n > 0) {
		if (dns_poll(fd, wr ? POLLOUT : POLLIN, deadline) < 0)
			return -1;
		k = wr ? write(fd, p, n) : read(fd, p, n);
		if (k == 0) {
			errno = ECONNRESET;	/* closed before the end */
			return -1;
		}
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* dns_tcp_one - one query over TCP to one server; answer length or -1 */
static int
dns_tcp_one(const struct sockaddr_storage *ss, socklen_t sslen,
    const unsigned char *q, int qlen, unsigned char *buf, uint64_t deadline)
{
	unsigned char out[2 + NS_PACKETSZ], lenbuf[2];
	socklen_t elen = sizeof(int);
	int	 fd, err = 0, n = -1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)ss, sslen) < 0) {
		if (errno != EINPROGRESS ||
		    dns_poll(fd, POLLOUT, deadline) < 0)
			goto done;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 ||
		    err != 0) {
			errno = err != 0 ? err : errno;
			goto done;
		}
	}
	out[0] = (unsigned char)(qlen >> 8);
	out[1] = (unsigned char)qlen;
	memcpy(out + 2, q, (size_t)qlen);
	if (dns_io(fd, 1, out, (size_t)qlen + 2, deadline) < 0 ||
	    dns_io(fd, 0, lenbuf, 2, deadline) < 0)
		goto done;
	n = lenbuf[0] << 8 | lenbuf[1];
	if (dns_io(fd, 0, buf, (size_t)n, deadline) < 0)
		n = -1;
done:
	err = errno;
	close(fd);
	errno = err;
	return n;
}

/*
 * dns_matches - 1 when ans (len bytes) answers the query q: same ID, QR
 * set, and the same one question (names compared case-insensitively;
 * a question is never compressed, it follows the header).
 */
static int
dns_matches(const unsigned char *q, int qlen, const unsigned char *ans,
    int len)
{
	int	 i;

	if (len < qlen || ans[0] != q[0] || ans[1] != q[1] ||
	    (ans[2] & 0x80) == 0 || ans[4] != 0 || ans[5] != 1)
		return 0;
	for (i = NS_HFIXEDSZ; i < qlen; i++)
		if (tolower(ans[i]) != tolower(q[i]))
			return 0;
	return 1;
}

/*
 * dns_tcp - ask the servers in turn over TCP until one answers, before
 * deadline; the answer's length in buf, or -1 with a reason in ans.
 */
static int
dns_tcp(const struct sockaddr_storage *ns, const socklen_t *nslen, int nns,
    const unsigned char *q, int qlen, unsigned char *buf, uint64_t deadline,
    struct dns_answer *ans)
{
	int	 i, n, e = ECONNREFUSED;

	for (i = 0; i < nns; i++) {
		if (nslen[i] == 0)
			continue;
		n = dns_tcp_one(&ns[i], nslen[i], q, qlen, buf, deadline);
		if (n > 0 && dns_matches(q, qlen, buf, n))
			return n;
		e = n < 0 ? errno : EPROTO;
		if (e == ETIMEDOUT)
			break;
	}
	if (e == ETIMEDOUT)
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS timeout over TCP");
	else
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS over TCP failed (%s)", e == ECONNRESET ?
		    "connection closed" : e == ECONNREFUSED ?
		    "connection refused" : e == EPROTO ? "answer does not match"
		    : "network error");
	return -1;
}

/* ---- queries ------------------------------------------------------------ */

/* dns_udp_error - the reason for a res_nsend() that failed with e */
static void
dns_udp_error(int e, uint64_t spent_ms, struct dns_answer *ans)
{
	/*
	 * libresolv tries the next server on SERVFAIL or REFUSED and says
	 * ETIMEDOUT when none answered usefully: the time spent tells a
	 * silent server (at least 1 s) from a refusing one.
	 */
	if (e == ECONNREFUSED)
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS server unreachable");
	else if (e == ETIMEDOUT && spent_ms >= 900)
		dns_reason(ans->reason, sizeof(ans->reason), "DNS timeout");
	else if (e == ETIMEDOUT)
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS server failure (SERVFAIL or REFUSED)");
	else
		dns_reason(ans->reason, sizeof(ans->reason),
		    "DNS error (errno %d)", e);
}

/* dns_query - ask the servers for TXT name; the outcome in *ans */
static void
dns_query(dkim_resolver *r, const char *name, struct dns_answer *ans)
{
	struct dns_state *st;
	struct sockaddr_storage ns[MAXNS];
	socklen_t nslen[MAXNS];
	unsigned char q[NS_PACKETSZ], *buf = NULL;
	uint64_t t0, deadline;
	int	 qlen, len, e, i, nns, usevc;

	ans->ttl = DNS_TEMP_TTL;
	ans->status = DKIM_DNS_TEMPFAIL;
	if ((buf = malloc(DNS_ANSWER_MAX)) == NULL) {
		dns_reason(ans->reason, sizeof(ans->reason), "out of memory");
		return;
	}
	if ((st = dns_state_take(r, ans->reason, sizeof(ans->reason))) ==
	    NULL)
		goto done;
	qlen = res_nmkquery(&st->rs, ns_o_query, name, ns_c_in, ns_t_txt,
	    NULL, 0, NULL, q, sizeof(q));
	if (qlen < NS_HFIXEDSZ) {
		dns_state_put(r, st);
		ans->status = DKIM_DNS_BAD;
		dns_reason(ans->reason, sizeof(ans->reason), "invalid name");
		goto done;
	}
	nns = st->rs.nscount < MAXNS ? st->rs.nscount : MAXNS;
	for (i = 0; i < nns; i++)
		nslen[i] = dns_server_addr(&st->rs, i, &ns[i]);
	usevc = (st->rs.options & RES_USEVC) != 0;
	t0 = dns_now_ms();
	len = 0;
	e = 0;
	if (!usevc) {
		errno = 0;
		len = res_nsend(&st->rs, q, qlen, buf, DNS_ANSWER_MAX);
		e = errno;
	}
	dns_state_put(r, st);
	if (len < 0) {
		dns_udp_error(e, dns_now_ms() - t0, ans);
		goto done;
	}
	if (len > DNS_ANSWER_MAX)
		len = DNS_ANSWER_MAX;
	/* TC, or "options use-vc": TCP, with what is left of the budget. */
	if (usevc || (len >= NS_HFIXEDSZ && (buf[2] & 0x02) != 0)) {
		deadline = t0 + r->timeout_ms;
		if (deadline < dns_now_ms() + 1000)
			deadline = dns_now_ms() + 1000;
		if ((len = dns_tcp(ns, nslen, nns, q, qlen, buf, deadline,
		    ans)) < 0)
			goto done;
	}
	dns_parse_answer(buf, len, name, ans);
done:
	free(buf);
}

/* ---- names -------------------------------------------------------------- */

/*
 * dns_key - validate qname and write its cache key (lower case, no final
 * dot) to key; 0, or -1 when the name is not a sane DNS name made of
 * [A-Za-z0-9._-] (defence in depth: the signature parser checks d= and s=).
 */
static int
dns_key(const char *qname, char *key, size_t keylen)
{
	size_t	 len, i, label = 0;

	len = strlen(qname);
	if (len > 0 && qname[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= keylen)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)qname[i];

		if (c == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -1;
		} else
			return -1;
		key[i] = (char)tolower(c);
	}
	if (label == 0)
		return -1;
	key[len] = '\0';
	return 0;
}

/* ---- the cache ---------------------------------------------------------- */

/* dns_hash - FNV-1a of a key */
static uint32_t
dns_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* dns_entry_free - release an entry that no table or thread holds */
static void
dns_entry_free(struct dns_entry *e)
{
	if (e == NULL)
		return;
	free(e->name);
	free(e->txt);
	free(e);
}

/* dns_unlink - take e out of the table; free it when nobody holds it */
static void
dns_unlink(dkim_resolver *r, struct dns_entry *e)
{
	struct dns_entry **pp;

	if (!e->linked)
		return;
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
	e->linked = 0;
	r->count--;
	if (e->refs == 0)
		dns_entry_free(e);
}

/* dns_find - the entry for key, or NULL (cache lock held) */
static struct dns_entry *
dns_find(dkim_resolver *r, const char *key, uint32_t h)
{
	struct dns_entry *e;

	for (e = r->tab[h & (DNS_HASH_SIZE - 1)]; e != NULL; e = e->hnext)
		if (e->hash == h && strcmp(e->name, key) == 0)
			return e;
	return NULL;
}

/* dns_make_room - keep the table under DNS_CACHE_MAX (cache lock held) */
static void
dns_make_room(dkim_resolver *r)
{
	struct dns_entry *e, *next;
	uint64_t now;

	if (r->count < DNS_CACHE_MAX)
		return;
	now = dns_now_ms();
	for (e = r->oldest; e != NULL; e = next) {
		next = e->newer;
		if (!e->pending && e->expires <= now)
			dns_unlink(r, e);
	}
	/* Still full: the least recently used go, down to 7/8 of the
	 * ceiling so that this sweep stays rare. */
	for (e = r->oldest; e != NULL && r->count >= DNS_CACHE_MAX / 8 * 7;
	    e = next) {
		next = e->newer;
		if (!e->pending)
			dns_unlink(r, e);
	}
}

/* dns_insert - a new pending entry for key, held by the caller */
static struct dns_entry *
dns_insert(dkim_resolver *r, const char *key, uint32_t h)
{
	struct dns_entry *e;

	dns_make_room(r);
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if ((e->name = strdup(key)) == NULL) {
		free(e);
		return NULL;
	}
	e->hash = h;
	e->pending = 1;
	e->linked = 1;
	e->refs = 1;
	e->hnext = r->tab[h & (DNS_HASH_SIZE - 1)];
	r->tab[h & (DNS_HASH_SIZE - 1)] = e;
	e->older = r->newest;
	if (r->newest != NULL)
		r->newest->newer = e;
	else
		r->oldest = e;
	r->newest = e;
	r->count++;
	return e;
}

/* dns_touch - make e the newest entry: the oldest are evicted first */
static void
dns_touch(dkim_resolver *r, struct dns_entry *e)
{
	if (!e->linked || r->newest == e)
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

/* dns_release - drop the caller's hold on e (cache lock held) */
static void
dns_release(struct dns_entry *e)
{
	if (--e->refs == 0 && !e->linked)
		dns_entry_free(e);
}

/* dns_copy_out - hand an entry's outcome to the caller */
static enum dkim_dns_status
dns_copy_out(enum dkim_dns_status status, const char *rtxt,
    const char *rreason, char **txt, char *reason, size_t reasonlen)
{
	if (status == DKIM_DNS_OK) {
		if ((*txt = strdup(rtxt)) == NULL) {
			dns_reason(reason, reasonlen, "out of memory");
			return DKIM_DNS_TEMPFAIL;
		}
		dns_reason(reason, reasonlen, "%s", "");
		return DKIM_DNS_OK;
	}
	dns_reason(reason, reasonlen, "%s", rreason);
	return status;
}

/*
 * dns_wait - wait for a pending entry (cache lock held, e held by the
 * caller); 0 when it was filled in, -1 when the wait timed out.
 */
static int
dns_wait(dkim_resolver *r, struct dns_entry *e)
{
	struct timespec until;
	uint64_t ms = 2 * (uint64_t)r->timeout_ms + 1000;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)(ms / 1000);
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (e->pending)
		if (pthread_cond_timedwait(&r->ccond, &r->clock, &until) ==
		    ETIMEDOUT)
			return e->pending ? -1 : 0;
	return 0;
}

/* ---- the public interface ----------------------------------------------- */

/* dkim_resolver_new - a resolver with its own libresolv state */
dkim_resolver *
dkim_resolver_new(const char *nameservers, unsigned timeout_ms, char *err,
    size_t errlen)
{
	dkim_resolver *r;
	struct dns_state *st;

	dns_reason(err, errlen, "%s", "");
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		dns_reason(err, errlen, "out of memory");
		return NULL;
	}
	r->timeout_ms = timeout_ms == 0 ? DNS_TIMEOUT_DEF : timeout_ms;
	pthread_mutex_init(&r->plock, NULL);
	pthread_cond_init(&r->pcond, NULL);
	pthread_mutex_init(&r->clock, NULL);
	pthread_cond_init(&r->ccond, NULL);
	if ((r->tab = calloc(DNS_HASH_SIZE, sizeof(*r->tab))) == NULL) {
		dns_reason(err, errlen, "out of memory");
		goto fail;
	}
	if (nameservers != NULL && dns_parse_servers(r, nameservers, err,
	    errlen) < 0)
		goto fail;
	/* One state now, so that a broken resolv.conf shows at start-up. */
	if ((st = dns_state_take(r, err, errlen)) == NULL)
		goto fail;
	dns_state_put(r, st);
	return r;
fail:
	dkim_resolver_free(r);
	return NULL;
}

/* dkim_resolver_free - release a resolver no thread uses; NULL is fine */
void
dkim_resolver_free(dkim_resolver *r)
{
	struct dns_state *st;
	struct dns_entry *e, *next;

	if (r == NULL)
		return;
	while ((st = r->free) != NULL) {
		r->free = st->next;
		dns_state_free(st);
	}
	for (e = r->oldest; e != NULL; e = next) {
		next = e->newer;
		dns_entry_free(e);
	}
	free(r->tab);
	pthread_mutex_destroy(&r->plock);
	pthread_cond_destroy(&r->pcond);
	pthread_mutex_destroy(&r->clock);
	pthread_cond_destroy(&r->ccond);
	free(r);
}

/* dns_lookup_uncached - one query, its outcome not shared with anyone */
static enum dkim_dns_status
dns_lookup_uncached(dkim_resolver *r, const char *key, char **txt,
    char *reason, size_t reasonlen)
{
	struct dns_answer ans;
	enum dkim_dns_status st;

	memset(&ans, 0, sizeof(ans));
	dns_query(r, key, &ans);
	st = dns_copy_out(ans.status, ans.txt, ans.reason, txt, reason,
	    reasonlen);
	free(ans.txt);
	return st;
}

/*
 * dk_dns_cached - the cached outcome for qname, without asking DNS and
 * without waiting: -1 when there is none (or it is still being asked),
 * else a dkim_dns_status with *txt and reason as dkim_resolver_keysource
 * gives them. Lets a verifier skip the hand-off to a worker thread when
 * the key is known.
 */
int
dk_dns_cached(dkim_resolver *r, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	struct dns_entry *e;
	char	 key[256];
	int	 st = -1;

	*txt = NULL;
	if (r == NULL || qname == NULL || dns_key(qname, key, sizeof(key)) < 0)
		return -1;
	pthread_mutex_lock(&r->clock);
	if ((e = dns_find(r, key, dns_hash(key))) != NULL && !e->pending &&
	    e->expires > dns_now_ms()) {
		dns_touch(r, e);
		st = (int)dns_copy_out(e->status, e->txt, e->reason, txt,
		    reason, reasonlen);
	}
	pthread_mutex_unlock(&r->clock);
	return st;
}

/* dkim_resolver_keysource - a dkim_keysource_fn for use with a resolver */
enum dkim_dns_status
dkim_resolver_keysource(void *arg, const char *qname, char **txt,
    char *reason, size_t reasonlen)
{
	dkim_resolver *r = arg;
	struct dns_entry *e;
	struct dns_answer ans;
	enum dkim_dns_status st;
	char	 key[256];
	uint32_t h;

	*txt = NULL;
	if (r == NULL) {
		dns_reason(reason, reasonlen, "no resolver");
		return DKIM_DNS_TEMPFAIL;
	}
	if (qname == NULL || dns_key(qname, key, sizeof(key)) < 0) {
		dns_reason(reason, reasonlen, "invalid name");
		return DKIM_DNS_BAD;
	}
	h = dns_hash(key);
	pthread_mutex_lock(&r->clock);
	if ((e = dns_find(r, key, h)) != NULL && e->pending) {
		e->refs++;
		if (dns_wait(r, e) < 0) {
			dns_release(e);
			pthread_mutex_unlock(&r->clock);
			return dns_lookup_uncached(r, key, txt, reason,
			    reasonlen);
		}
		st = dns_copy_out(e->status, e->txt, e->reason, txt, reason,
		    reasonlen);
		dns_release(e);
		pthread_mutex_unlock(&r->clock);
		return st;
	}
	if (e != NULL && e->expires > dns_now_ms()) {
		dns_touch(r, e);
		st = dns_copy_out(e->status, e->txt, e->reason, txt, reason,
		    reasonlen);
		pthread_mutex_unlock(&r->clock);
		return st;
	}
	if (e != NULL)
		dns_unlink(r, e);
	e = dns_insert(r, key, h);
	pthread_mutex_unlock(&r->clock);
	if (e == NULL)
		return dns_lookup_uncached(r, key, txt, reason, reasonlen);

	memset(&ans, 0, sizeof(ans));
	dns_query(r, key, &ans);

	pthread_mutex_lock(&r->clock);
	e->status = ans.status;
	e->txt = ans.txt;
	dk_strlcpy(e->reason, ans.reason, sizeof(e->reason));
	e->expires = dns_now_ms() + (uint64_t)ans.ttl * 1000;
	e->pending = 0;
	pthread_cond_broadcast(&r->ccond);
	st = dns_copy_out(e->status, e->txt, e->reason, txt, reason,
	    reasonlen);
	if (ans.ttl == 0)
		dns_unlink(r, e);
	dns_release(e);
	pthread_mutex_unlock(&r->clock);
	return st;
}
