/*
 * dnsloop.c - one event loop per resolver for all its queries in flight
 *
 * SYNOPSIS
 *	dns_loop_submit(r, key, w, reason, len)	wait for key, or an answer now
 *	dns_loop_cancel(r, w)			stop waiting
 *	dns_loop_stop(r)			end every wait now, refuse new ones
 *	dns_loop_free(r)			stop the thread (resolver going)
 *
 * CONTRACT
 *	A query is one name asked once: the waiters of every message that
 *	wants the name hang on it (coalescing), and it ends with one
 *	answer for them all, which dns.c caches. A thread of its own (made
 *	on first use) owns every query's socket: UDP, one non-blocking
 *	socket per query connected to the server asked (a new ephemeral
 *	port each time, the ID random from res_nmkquery()); TCP after a
 *	truncated answer (RFC 1035 §4.2.2) or with "options use-vc", just as
 *	non-blocking. No thread ever blocks on a name server.
 *	Answers are checked as libresolv checks them (ID, QR, the question)
 *	by dns_matches(); others are ignored.
 *
 * TIMEOUTS
 *	timeout_ms is a query's budget over all servers and tries: two
 *	tries per server when it allows at least 1 s per server and try,
 *	else one; each try gets an equal share (at least 300 ms). SERVFAIL,
 *	NOTIMP, REFUSED or ICMP unreachable end a try at once. TCP gets what
 *	is left of the budget, at least 1 s, over the servers in turn.
 *
 * LIMITS
 *	At most max_inflight queries at once (each holds a socket), and at
 *	most max_per_group for one domain group (dk_dns_group): a sender
 *	whose name servers never answer holds its group's share and no
 *	more. A lookup over a limit fails at once, as a temporary failure
 *	that names the limit, instead of queueing behind the others; except
 *	that when all max_inflight are taken, a group with fewer queries in
 *	flight than the greediest group less one takes the place of that
 *	group's oldest query (whose waiters get a temporary failure): an
 *	attacker with many domains that fills every place still leaves
 *	room for the next sender's first query.
 *	A query whose waiters have all gone (their message ended, their
 *	connection closed, their budget spent) is abandoned at once.
 *
 * LOCKING
 *	Everything here runs under r->lock, except poll(). Sockets are
 *	opened, read, written and closed, and queries freed, only by the
 *	loop thread; other threads add queries and mark them abandoned,
 *	then wake the loop through a pipe.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dnsint.h"

#define DNS_TRY_MIN_MS	300		/* shortest share of one try */
#define DNS_TCP_MIN_MS	1000		/* least time TCP gets */

enum qstate {
	Q_NEW = 0,		/* not sent yet */
	Q_UDP,			/* sent, waiting for the answer */
	Q_TCP_CONN,		/* connecting */
	Q_TCP_WRITE,		/* writing the length and the query */
	Q_TCP_LEN,		/* reading the answer's length */
	Q_TCP_BODY		/* reading the answer */
};

struct dns_query {
	struct dns_query *hnext;	/* name table chain */
	struct dns_query *next, *prev;	/* every query */
	struct dk_dns_waiter *waiters;
	struct dns_group *group;
	uint32_t hash;
	int	abandoned;		/* nobody waits: free it */
	int	finished;		/* answered: never joined again */
	enum qstate state;
	int	fd;
	int	tries, ntries;		/* UDP tries made, allowed */
	int	server;			/* the server asked now */
	int	failures;		/* SERVFAIL, NOTIMP, REFUSED answers */
	int	unreachable;		/* ICMP unreachable */
	int	tcp_tries;		/* servers asked over TCP */
	int	tcp_err;		/* errno of the last TCP failure */
	unsigned try_ms;
	uint64_t t0;			/* started, for the latency */
	uint64_t deadline;		/* the whole query */
	uint64_t until;			/* the current step */
	unsigned char q[2 + NS_PACKETSZ];	/* TCP length, then query */
	int	qlen;
	size_t	off;			/* TCP bytes written or read */
	size_t	want;			/* TCP answer length */
	unsigned char *buf;		/* TCP answer */
	char	name[];
};

/* dk_dns_group - a name's domain group (see dk.h) */
void
dk_dns_group(const char *name, char *out, size_t outlen)
{
	static const char *const sld[] = { "co", "com", "net", "org", "ac",
	    "gov", "edu", NULL };
	const char *dot[3] = { NULL, NULL, NULL }, *cp, *start = name;
	size_t	 len = strlen(name), n, i;

	if (len > 0 && name[len - 1] == '.')
		len--;
	/* dot[0] ends the TLD's label, dot[1] the second-level one, ... */
	for (cp = name + len, n = 0; cp > name && n < 3; cp--)
		if (cp[-1] == '.')
			dot[n++] = cp - 1;
	start = dot[1] != NULL ? dot[1] + 1 : name;
	if (dot[1] != NULL && name + len - dot[0] - 1 == 2)
		for (i = 0; sld[i] != NULL; i++)
			if ((size_t)(dot[0] - dot[1] - 1) == strlen(sld[i]) &&
			    strncasecmp(dot[1] + 1, sld[i], strlen(sld[i])) ==
			    0) {
				start = dot[2] != NULL ? dot[2] + 1 : name;
				break;
			}
	n = (size_t)(name + len - start);
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, start, n);
	out[n] = '\0';
}

/* group_get - the group of name, made when new; NULL when out of memory */
static struct dns_group *
group_get(dkim_resolver *r, const char *name)
{
	struct dns_group *g;
	char	 gname[256];
	uint32_t h;

	dk_dns_group(name, gname, sizeof(gname));
	h = dk_name_hash(gname, strlen(gname)) & (DNS_GHASH - 1);
	for (g = r->gtab[h]; g != NULL; g = g->next)
		if (strcmp(g->name, gname) == 0)
			return g;
	if ((g = calloc(1, sizeof(*g) + strlen(gname) + 1)) == NULL)
		return NULL;
	strcpy(g->name, gname);
	g->next = r->gtab[h];
	r->gtab[h] = g;
	return g;
}

/* group_put - one query of g fewer; the group goes at zero */
static void
group_put(dkim_resolver *r, struct dns_group *g)
{
	struct dns_group **pp;

	if (--g->inflight > 0)
		return;
	for (pp = &r->gtab[dk_name_hash(g->name, strlen(g->name)) & (DNS_GHASH - 1)]; *pp != g;
	    pp = &(*pp)->next)
		;
	*pp = g->next;
	free(g);
}

/* loop_wake - make the loop look at its queries again */
static void
loop_wake(dkim_resolver *r)
{
	ssize_t	 n;

	n = write(r->wake[1], "", 1);	/* full pipe: it wakes anyway */
	(void)n;
}

/* query_find - the query in flight for key, or NULL */
static struct dns_query *
query_find(dkim_resolver *r, const char *key, uint32_t h)
{
	struct dns_query *q;

	for (q = r->qtab[h & (DNS_QHASH - 1)]; q != NULL; q = q->hnext)
		if (q->hash == h && !q->finished && strcmp(q->name, key) == 0)
			return q;
	return NULL;
}

/* query_bury - nobody waits for q any more: the loop frees it */
static void
query_bury(dkim_resolver *r, struct dns_query *q)
{
	if (q->abandoned)
		return;
	q->abandoned = 1;
	r->ndead++;
	loop_wake(r);
}

/* waiter_add - w waits on q */
static void
waiter_add(dkim_resolver *r, struct dns_query *q, struct dk_dns_waiter *w)
{
	w->q = q;
	w->prev = NULL;
	w->next = q->waiters;
	if (q->waiters != NULL)
		q->waiters->prev = w;
	q->waiters = w;
	if (q->abandoned) {
		q->abandoned = 0;
		r->ndead--;
	}
}

/* query_finish - give every waiter the outcome; the loop frees q later */
static void
query_finish(dkim_resolver *r, struct dns_query *q, enum dkim_dns_status st,
    const char *txt, const char *reason)
{
	struct dk_dns_waiter *w;

	while ((w = q->waiters) != NULL) {
		q->waiters = w->next;
		w->q = NULL;
		w->next = w->prev = NULL;
		w->done(w, st, st == DKIM_DNS_OK ? txt : NULL, reason);
	}
	q->finished = 1;
	query_bury(r, q);
}

static const unsigned latency_le[DKIM_DNS_NLE] = DKIM_DNS_LATENCY_LE;

/* query_count - q ended as cls: the answer and latency counters (lock
 * held) */
static void
query_count(dkim_resolver *r, const struct dns_query *q,
    enum dkim_dns_class cls)
{
	uint64_t ms = dk_now_ms() - q->t0;
	size_t	 i;

	if ((unsigned)cls < DKIM_DNSC_MAX)
		r->st.answers[cls]++;
	for (i = 0; i < DKIM_DNS_NLE && ms > latency_le[i]; i++)
		;
	r->st.latency[i]++;
	r->st.latency_ms_sum += (unsigned long)ms;
}

/* query_answer - q's answer is buf[0..len): parse, cache, hand out */
static void
query_answer(dkim_resolver *r, struct dns_query *q, const unsigned char *buf,
    int len)
{
	struct dns_answer ans;
	char	*c;

	memset(&ans, 0, sizeof(ans));
	dns_parse_answer(buf, len, q->name, &ans);
	if (ans.status == DKIM_DNS_OK && ans.txt != NULL &&
	    (c = dk_keyrec_compact(ans.txt, strlen(ans.txt))) != NULL) {
		free(ans.txt);		/* cached and handed out compact */
		ans.txt = c;
	}
	if (ans.status == DKIM_DNS_BAD &&
	    strncmp(ans.reason, "key record too large", 20) == 0)
		r->st.refused_big++;
	query_count(r, q, ans.cls);
	dns_cache_put(r, q->name, &ans);
	query_finish(r, q, ans.status, ans.txt, ans.reason);
	free(ans.txt);
}

/* query_fail - q ends as a temporary failure, cached for a moment */
static void
query_fail(dkim_resolver *r, struct dns_query *q, enum dkim_dns_class cls,
    const char *reason)
{
	struct dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.status = DKIM_DNS_TEMPFAIL;
	ans.ttl = DNS_TEMP_TTL;
	dk_strlcpy(ans.reason, reason, sizeof(ans.reason));
	query_count(r, q, cls);
	dns_cache_put(r, q->name, &ans);
	query_finish(r, q, ans.status, NULL, ans.reason);
}

/* query_close - close q's socket, if any */
static void
query_close(struct dns_query *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
}

/* query_free - unlink and free a query nobody waits for (loop thread) */
static void
query_free(dkim_resolver *r, struct dns_query *q)
{
	struct dns_query **pp;

	query_close(q);
	if (q->abandoned)
		r->ndead--;
	for (pp = &r->qtab[q->hash & (DNS_QHASH - 1)]; *pp != q;
	    pp = &(*pp)->hnext)
		;
	*pp = q->hnext;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->queries = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	group_put(r, q->group);
	r->nq--;
	free(q->buf);
	free(q);
}

/* sock_open - a non-blocking socket of type connecting to server i */
static int
sock_open(dkim_resolver *r, int i, int type)
{
	int	 fd;

	fd = socket(r->ns[i].ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&r->ns[i], r->nslen[i]) <
	    0 && errno != EINPROGRESS) {
		int	 e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void udp_try(dkim_resolver *, struct dns_query *);
static void tcp_try(dkim_resolver *, struct dns_query *);

/* udp_next - the current try is over; the next one, or the outcome */
static void
udp_next(dkim_resolver *r, struct dns_query *q)
{
	query_close(q);
	if (q->tries < q->ntries && dk_now_ms() < q->deadline) {
		udp_try(r, q);
		return;
	}
	if (q->failures > 0)
		query_fail(r, q, DKIM_DNSC_SERVFAIL,
		    "DNS server failure (SERVFAIL or REFUSED)");
	else if (q->unreachable == q->tries)
		query_fail(r, q, DKIM_DNSC_NETWORK, "DNS server unreachable");
	else
		query_fail(r, q, DKIM_DNSC_TIMEOUT, "DNS timeout");
}

/* udp_try - send the query to the next server over UDP */
static void
udp_try(dkim_resolver *r, struct dns_query *q)
{
	uint64_t now = dk_now_ms();
	char	 why[64];

	q->server = q->tries % r->nns;
	q->tries++;
	q->state = Q_UDP;
	q->until = now + q->try_ms;
	if (q->until > q->deadline || q->tries == q->ntries)
		q->until = q->deadline;
	if ((q->fd = sock_open(r, q->server, SOCK_DGRAM)) < 0 ||
	    send(q->fd, q->q + 2, (size_t)q->qlen, 0) < 0) {
		if (errno == ECONNREFUSED) {
			q->unreachable++;
			udp_next(r, q);
			return;
		}
		snprintf(why, sizeof(why), "DNS error (errno %d)", errno);
		query_close(q);
		query_fail(r, q, DKIM_DNSC_NETWORK, why);
	}
}

/* udp_read - read what came; an answer ends the try or the query */
static void
udp_read(dkim_resolver *r, struct dns_query *q, unsigned char *buf)
{
	ssize_t	 n;
	int	 rcode;

	for (;;) {
		n = recv(q->fd, buf, DNS_ANSWER_MAX, 0);
		if (n < 0) {
			if (errno == ECONNREFUSED) {
				q->unreachable++;
				udp_next(r, q);
			}
			return;		/* EAGAIN: wait on */
		}
		if (!dns_matches(q->q + 2, q->qlen, buf, (int)n))
			continue;	/* not ours: ignored */
		if (buf[2] & 0x02) {	/* TC: ask over TCP */
			query_close(q);
			tcp_try(r, q);
			return;
		}
		rcode = buf[3] & 0x0f;
		if (rcode == ns_r_servfail || rcode == ns_r_notimpl ||
		    rcode == ns_r_refused) {
			q->failures++;
			udp_next(r, q);
			return;
		}
		query_answer(r, q, buf, (int)n);
		return;
	}
}

/* tcp_fail - this TCP server failed with e; the next one, or the end */
static void
tcp_fail(dkim_resolver *r, struct dns_query *q, int e)
{
	query_close(q);
	free(q->buf);
	q->buf = NULL;
	q->tcp_err = e;
	if (q->tcp_tries < r->nns && dk_now_ms() < q->until) {
		q->server = (q->server + 1) % r->nns;
		tcp_try(r, q);
		return;
	}
	query_fail(r, q, DKIM_DNSC_NETWORK, e == ECONNRESET ?
	    "DNS over TCP failed (connection closed)" : e == ECONNREFUSED ?
	    "DNS over TCP failed (connection refused)" : e == EPROTO ?
	    "DNS over TCP failed (answer does not match)" :
	    "DNS over TCP failed (network error)");
}

/* tcp_try - connect to the current server over TCP */
static void
tcp_try(dkim_resolver *r, struct dns_query *q)
{
	uint64_t now = dk_now_ms();

	if (q->tcp_tries++ == 0) {
		/* what is left of the budget, at least DNS_TCP_MIN_MS */
		q->until = q->deadline;
		if (q->until < now + DNS_TCP_MIN_MS)
			q->until = now + DNS_TCP_MIN_MS;
	}
	q->off = 0;
	q->q[0] = (unsigned char)(q->qlen >> 8);	/* RFC 1035 §4.2.2 */
	q->q[1] = (unsigned char)q->qlen;
	q->state = Q_TCP_CONN;
	if ((q->fd = sock_open(r, q->server, SOCK_STREAM)) < 0)
		tcp_fail(r, q, errno);
}

/* tcp_io - move bytes in the current TCP state; errors end this server */
static void
tcp_io(dkim_resolver *r, struct dns_query *q)
{
	socklen_t elen = sizeof(int);
	size_t	 total;
	ssize_t	 n;
	int	 err = 0;

	for (;;) {
		switch (q->state) {
		case Q_TCP_CONN:
			if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &err,
			    &elen) < 0 || err != 0) {
				tcp_fail(r, q, err != 0 ? err : errno);
				return;
			}
			q->state = Q_TCP_WRITE;
			continue;
		case Q_TCP_WRITE:
			total = (size_t)q->qlen + 2;
			n = send(q->fd, q->q + q->off, total - q->off,
			    MSG_NOSIGNAL);
			if (n < 0)
				break;
			if ((q->off += (size_t)n) == total) {
				q->state = Q_TCP_LEN;
				q->off = 0;
				q->want = 0;
			}
			continue;
		case Q_TCP_LEN:
		case Q_TCP_BODY:
			/* the query is sent: its 2 bytes take the
			 * answer's length */
			if (q->state == Q_TCP_LEN)
				n = recv(q->fd, q->q + q->off, 2 - q->off, 0);
			else
				n = recv(q->fd, q->buf + q->off,
				    q->want - q->off, 0);
			if (n == 0) {
				tcp_fail(r, q, ECONNRESET);
				return;
			}
			if (n < 0)
				break;
			q->off += (size_t)n;
			if (q->state == Q_TCP_LEN && q->off == 2) {
				q->want = (size_t)q->q[0] << 8 | q->q[1];
				q->off = 0;
				if (q->want < NS_HFIXEDSZ ||
				    (q->buf = malloc(q->want)) == NULL) {
					tcp_fail(r, q, EPROTO);
					return;
				}
				q->state = Q_TCP_BODY;
			} else if (q->state == Q_TCP_BODY &&
			    q->off == q->want) {
				if (!dns_matches(q->q + 2, q->qlen, q->buf,
				    (int)q->want)) {
					tcp_fail(r, q, EPROTO);
					return;
				}
				query_close(q);
				query_answer(r, q, q->buf, (int)q->want);
				return;
			}
			continue;
		default:
			return;
		}
		/* send or recv failed */
		if (errno != EAGAIN && errno != EINTR)
			tcp_fail(r, q, errno);
		return;
	}
}

/* query_start - the first try of a new query */
static void
query_start(dkim_resolver *r, struct dns_query *q)
{
	uint64_t now = dk_now_ms();
	int	 tries;

	q->t0 = now;
	q->deadline = now + r->timeout_ms;
	tries = r->timeout_ms >= 2000u * (unsigned)r->nns ? 2 : 1;
	q->ntries = tries * r->nns;
	q->try_ms = r->timeout_ms / (unsigned)q->ntries;
	if (q->try_ms < DNS_TRY_MIN_MS)
		q->try_ms = DNS_TRY_MIN_MS;
	if (r->usevc) {
		q->server = 0;
		tcp_try(r, q);
	} else
		udp_try(r, q);
}

/* query_timer - the current step of q is out of time */
static void
query_timer(dkim_resolver *r, struct dns_query *q)
{
	if (q->state == Q_UDP) {
		udp_next(r, q);
		return;
	}
	query_close(q);
	query_fail(r, q, DKIM_DNSC_TIMEOUT, "DNS timeout over TCP");
}

/* loop_events - the poll events q waits for */
static short
loop_events(const struct dns_query *q)
{
	return q->state == Q_TCP_CONN || q->state == Q_TCP_WRITE ? POLLOUT :
	    POLLIN;
}

/*
 * loop_prepare - start new queries, end those out of time, free those
 * nobody waits for; fill pfd/qs; the poll timeout in ms (lock held)
 */
static int
loop_prepare(dkim_resolver *r, struct pollfd *pfd, struct dns_query **qs,
    nfds_t cap, nfds_t *nfds)
{
	struct dns_query *q, *next;
	uint64_t now, first = UINT64_MAX;
	nfds_t	 n = 1;

	for (q = r->queries; q != NULL; q = next) {
		next = q->next;
		if (q->abandoned || r->quit) {
			if (q->waiters != NULL)
				query_finish(r, q, DKIM_DNS_TEMPFAIL, NULL,
				    "DNS resolver shutting down");
			query_free(r, q);
			continue;
		}
		if (q->state == Q_NEW)
			query_start(r, q);
		else if (dk_now_ms() >= q->until)
			query_timer(r, q);
		if (q->abandoned) {
			query_free(r, q);
			continue;
		}
		if (q->fd < 0 || n == cap)
			continue;
		pfd[n].fd = q->fd;
		pfd[n].events = loop_events(q);
		pfd[n].revents = 0;
		qs[n++] = q;
		if (q->until < first)
			first = q->until;
	}
	*nfds = n;
	if (first == UINT64_MAX)
		return -1;
	now = dk_now_ms();
	return first <= now ? 0 : first - now > 60000 ? 60000 :
	    (int)(first - now);
}

/* loop - the thread: poll every query's socket and act on what comes */
static void *
loop(void *arg)
{
	dkim_resolver *r = arg;
	struct pollfd *pfd;
	struct dns_query **qs;
	unsigned char *buf, drain[64];
	sigset_t all;
	nfds_t	 i, n, cap;
	int	 ms;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&r->lock);
	cap = (nfds_t)r->max_inflight + 1;	/* fixed once the loop runs */
	pthread_mutex_unlock(&r->lock);
	pfd = calloc(cap, sizeof(*pfd));
	qs = calloc(cap, sizeof(*qs));
	buf = malloc(DNS_ANSWER_MAX);
	pthread_mutex_lock(&r->lock);
	if (pfd == NULL || qs == NULL || buf == NULL)
		r->quit = 1;	/* every waiter fails; new ones refused */
	for (;;) {
		ms = loop_prepare(r, pfd, qs, cap, &n);
		if (r->quit)
			break;
		pfd[0].fd = r->wake[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		pthread_mutex_unlock(&r->lock);
		(void)poll(pfd, n, ms);
		pthread_mutex_lock(&r->lock);
		if (pfd[0].revents & POLLIN)
			while (read(r->wake[0], drain, sizeof(drain)) > 0)
				;
		for (i = 1; i < n; i++) {
			struct dns_query *q = qs[i];

			if (pfd[i].revents == 0 || q->abandoned ||
			    q->fd != pfd[i].fd)
				continue;
			if (q->state == Q_UDP)
				udp_read(r, q, buf);
			else
				tcp_io(r, q);
		}
	}
	pthread_mutex_unlock(&r->lock);
	free(pfd);
	free(qs);
	free(buf);
	return NULL;
}

/* loop_start - the loop thread, once; 0 or -1 (lock held) */
static int
loop_start(dkim_resolver *r)
{
	pthread_attr_t attr;
	int	 i, rc;

	if (r->started != 0)
		return r->started > 0 ? 0 : -1;
	r->started = -1;
	if (pipe(r->wake) < 0) {
		r->wake[0] = r->wake[1] = -1;
		return -1;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(r->wake[i], F_SETFL, O_NONBLOCK);
		(void)fcntl(r->wake[i], F_SETFD, FD_CLOEXEC);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	rc = pthread_create(&r->thread, &attr, loop, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		for (i = 0; i < 2; i++)
			close(r->wake[i]);
		r->wake[0] = r->wake[1] = -1;
		return -1;
	}
	r->started = 1;
	return 0;
}

/*
 * evict_greediest - all places are taken: end the oldest query of the
 * group with the most in flight, if that is at least two more than mine
 * has; 1 when a place was freed (lock held). Its socket is closed by
 * the loop, which frees it.
 */
static int
evict_greediest(dkim_resolver *r, const struct dns_group *mine)
{
	struct dns_group *g, *hog = NULL;
	struct dns_query *q, *oldest = NULL;
	char	 why[DNS_REASON_MAX];
	size_t	 i;

	for (i = 0; i < DNS_GHASH; i++)
		for (g = r->gtab[i]; g != NULL; g = g->next)
			if (hog == NULL || g->inflight > hog->inflight)
				hog = g;
	if (hog == NULL || hog->inflight < mine->inflight + 2)
		return 0;
	for (q = r->queries; q != NULL; q = q->next)	/* newest first */
		if (q->group == hog && !q->abandoned)
			oldest = q;
	if (oldest == NULL)
		return 0;
	snprintf(why, sizeof(why), "too many DNS lookups in flight; one "
	    "for %s dropped", hog->name);
	r->st.evicted++;
	query_finish(r, oldest, DKIM_DNS_TEMPFAIL, NULL, why);
	return 1;
}

/* dns_loop_submit - w waits for key: -1, or a status now (lock held) */
int
dns_loop_submit(dkim_resolver *r, const char *key, struct dk_dns_waiter *w,
    char *reason, size_t reasonlen)
{
	struct dns_query *q;
	struct dns_group *g;
	uint32_t h = dk_name_hash(key, strlen(key));
	size_t	 n = strlen(key);

	if (r->stopping || r->quit) {
		dns_reason(reason, reasonlen, "DNS resolver shutting down");
		return DKIM_DNS_TEMPFAIL;
	}
	if ((q = query_find(r, key, h)) != NULL) {
		waiter_add(r, q, w);
		r->st.coalesced++;
		return -1;
	}
	if (loop_start(r) < 0) {
		dns_reason(reason, reasonlen, "cannot start the DNS thread");
		return DKIM_DNS_TEMPFAIL;
	}
	if ((g = group_get(r, key)) == NULL)
		goto nomem;
	if (r->nq - r->ndead >= r->max_inflight && !evict_greediest(r, g)) {
		r->st.refused_total++;
		if (g->inflight == 0) {
			g->inflight = 1;
			group_put(r, g);
		}
		dns_reason(reason, reasonlen, "too many DNS lookups in flight "
		    "(%u)", r->max_inflight);
		return DKIM_DNS_TEMPFAIL;
	}
	if (g->inflight >= r->max_group) {
		r->st.refused_group++;
		dns_reason(reason, reasonlen, "too many lookups in flight for "
		    "%s", g->name);
		return DKIM_DNS_TEMPFAIL;
	}
	if ((q = calloc(1, sizeof(*q) + n + 1)) == NULL) {
		if (g->inflight == 0) {
			g->inflight = 1;
			group_put(r, g);
		}
		goto nomem;
	}
	memcpy(q->name, key, n + 1);
	q->qlen = res_nmkquery(&r->rs, ns_o_query, key, ns_c_in, ns_t_txt,
	    NULL, 0, NULL, q->q + 2, NS_PACKETSZ);
	if (q->qlen < NS_HFIXEDSZ) {
		free(q);
		if (g->inflight == 0) {
			g->inflight = 1;
			group_put(r, g);
		}
		dns_reason(reason, reasonlen, "invalid name");
		return DKIM_DNS_BAD;
	}
	q->q[0] = (unsigned char)(q->qlen >> 8);
	q->q[1] = (unsigned char)q->qlen;
	q->fd = -1;
	q->hash = h;
	q->group = g;
	g->inflight++;
	q->hnext = r->qtab[h & (DNS_QHASH - 1)];
	r->qtab[h & (DNS_QHASH - 1)] = q;
	q->next = r->queries;
	if (r->queries != NULL)
		r->queries->prev = q;
	r->queries = q;
	r->nq++;
	r->st.sent++;
	waiter_add(r, q, w);
	loop_wake(r);
	return -1;
nomem:
	dns_reason(reason, reasonlen, "out of memory");
	return DKIM_DNS_TEMPFAIL;
}

/* dns_loop_cancel - w stops waiting; 1 withdrawn, 0 already done */
int
dns_loop_cancel(dkim_resolver *r, struct dk_dns_waiter *w)
{
	struct dns_query *q = w->q;

	if (q == NULL)
		return 0;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		q->waiters = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->q = NULL;
	w->next = w->prev = NULL;
	if (q->waiters == NULL) {
		query_bury(r, q);
		r->st.abandoned++;
	}
	return 1;
}

/* dns_loop_stop - every wait ends now; later ones are refused */
void
dns_loop_stop(dkim_resolver *r)
{
	struct dns_query *q;

	r->stopping = 1;
	for (q = r->queries; q != NULL; q = q->next)
		if (q->waiters != NULL)
			query_finish(r, q, DKIM_DNS_TEMPFAIL, NULL,
			    "DNS resolver shutting down");
	if (r->started > 0)
		loop_wake(r);
}

/* dns_loop_free - stop the thread and free every query (no lock held) */
void
dns_loop_free(dkim_resolver *r)
{
	int	 started;

	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	started = r->started > 0;
	if (started)
		loop_wake(r);
	pthread_mutex_unlock(&r->lock);
	if (started)
		pthread_join(r->thread, NULL);
	while (r->queries != NULL) {	/* the loop never ran */
		if (r->queries->waiters != NULL)
			query_finish(r, r->queries, DKIM_DNS_TEMPFAIL, NULL,
			    "DNS resolver shutting down");
		query_free(r, r->queries);
	}
	if (r->wake[0] >= 0) {
		close(r->wake[0]);
		close(r->wake[1]);
	}
}
