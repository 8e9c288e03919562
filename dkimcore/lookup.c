/*
 * lookup.c - key lookups that overlap the body
 *
 * A verifier starts one lookup per distinct key name when the header
 * ends (dk_lookup_start) and collects the answer at end of message
 * (dk_lookup_wait). Its deadline is counted from the start: the DNS
 * budget of the message pays for all the time its lookups take.
 *
 * With a resolver (dkimd, dkimtool) a lookup is a waiter on the
 * resolver's query for the name (dns.c, dnsloop.c): no thread waits on
 * the network, and a lookup whose caller gives up (deadline, message
 * freed, connection closed) is withdrawn with dk_dns_cancel(), so that a
 * query nobody wants any more is abandoned at once.
 *
 * With an injected key source (tests) the lookups run on a small pool
 * of worker threads, created on first use; the queue has a ceiling, and
 * a lookup that cannot be queued is done on the caller's thread. A
 * queued lookup whose caller has let go is dropped, never run.
 *
 * A lookup has two owners, the caller and the resolver or worker;
 * whichever lets go last frees it. Each pool lookup counts in its
 * dkim_ctx's inflight, so the context (and the key source behind it)
 * outlives every running lookup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dk.h"

#define POOL_THREADS	4
#define QUEUE_MAX	4096
#define REASON_MAX	128

struct dk_lookup {
	struct dk_lookup *next;		/* queue link */
	struct dk_dns_waiter w;		/* with a resolver */
	dkim_ctx *ctx;
	int	refs;			/* 2 while queued or running */
	int	viadns;			/* a waiter on ctx->resolver */
	int	done;
	enum dkim_dns_status status;
	char	*txt;
	char	reason[REASON_MAX];
	pthread_cond_t cv;
	char	qname[];
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static struct dk_lookup *queue_head, *queue_tail;
static unsigned queue_len;
static int pool_started = -1;		/* -1 not tried, 0 failed, 1 up */

/* dk_now_ms - CLOCK_MONOTONIC in milliseconds */
uint64_t
dk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* dk_lookup_now - a lookup on the caller's thread */
enum dkim_dns_status
dk_lookup_now(dkim_ctx *ctx, const char *qname, char **txt, char *reason,
    size_t reasonlen)
{
	*txt = NULL;
	if (reasonlen)
		reason[0] = '\0';
	if (ctx->keysource == NULL) {
		dk_strlcpy(reason, "no key source configured", reasonlen);
		return DKIM_DNS_TEMPFAIL;
	}
	return ctx->keysource(ctx->keyarg, qname, txt, reason, reasonlen);
}

/* release - drop one owner's hold on l (pool_lock held); free at zero */
static void
release(struct dk_lookup *l)
{
	if (--l->refs > 0)
		return;
	free(l->txt);
	pthread_cond_destroy(&l->cv);
	free(l);
}

/* ctx_done - one lookup of ctx has finished */
static void
ctx_done(dkim_ctx *ctx)
{
	pthread_mutex_lock(&ctx->lock);
	if (--ctx->inflight == 0)
		pthread_cond_broadcast(&ctx->idle);
	pthread_mutex_unlock(&ctx->lock);
}

/* worker - take lookups off the queue and run them, forever */
static void *
worker(void *arg)
{
	struct dk_lookup *l;
	enum dkim_dns_status st;
	char *txt, reason[REASON_MAX];
	dkim_ctx *ctx;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&pool_lock);
		while (queue_head == NULL)
			pthread_cond_wait(&pool_cv, &pool_lock);
		l = queue_head;
		queue_head = l->next;
		if (queue_head == NULL)
			queue_tail = NULL;
		queue_len--;
		ctx = l->ctx;
		if (l->refs == 1) {
			/* the caller has let go: nobody wants it */
			release(l);
			pthread_mutex_unlock(&pool_lock);
			ctx_done(ctx);
			continue;
		}
		pthread_mutex_unlock(&pool_lock);

		st = dk_lookup_now(ctx, l->qname, &txt, reason,
		    sizeof(reason));

		pthread_mutex_lock(&pool_lock);
		l->status = st;
		l->txt = txt;
		memcpy(l->reason, reason, sizeof(reason));
		l->done = 1;
		pthread_cond_signal(&l->cv);
		release(l);
		pthread_mutex_unlock(&pool_lock);
		ctx_done(ctx);
	}
	return NULL;
}

/* pool_start - start the workers once; 1 when they run (pool_lock held) */
static int
pool_start(void)
{
	pthread_attr_t attr;
	pthread_t tid;
	int i, n = 0;

	if (pool_started >= 0)
		return pool_started;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < POOL_THREADS; i++)
		if (pthread_create(&tid, &attr, worker, NULL) == 0)
			n++;
	pthread_attr_destroy(&attr);
	pool_started = n > 0;
	return pool_started;
}

/* dns_done - the resolver's answer for l (resolver lock held) */
static void
dns_done(struct dk_dns_waiter *w, enum dkim_dns_status st, const char *txt,
    const char *reason)
{
	struct dk_lookup *l = w->arg;

	pthread_mutex_lock(&pool_lock);
	l->status = st;
	if (txt != NULL && (l->txt = strdup(txt)) == NULL) {
		l->status = DKIM_DNS_TEMPFAIL;
		reason = "out of memory";
	}
	dk_strlcpy(l->reason, reason, sizeof(l->reason));
	l->done = 1;
	pthread_cond_signal(&l->cv);
	release(l);
	pthread_mutex_unlock(&pool_lock);
}

/* dk_lookup_start - start a lookup of qname; NULL: do it yourself */
struct dk_lookup *
dk_lookup_start(dkim_ctx *ctx, const char *qname)
{
	struct dk_lookup *l;
	size_t n = strlen(qname);
	int st;

	if (ctx->keysource == NULL)
		return NULL;
	if ((l = calloc(1, sizeof(*l) + n + 1)) == NULL)
		return NULL;
	memcpy(l->qname, qname, n + 1);
	l->ctx = ctx;
	l->refs = 2;
	pthread_cond_init(&l->cv, NULL);

	if (ctx->resolver) {
		/* the answer now (cache, limits) or a wait on the query */
		l->viadns = 1;
		l->w.done = dns_done;
		l->w.arg = l;
		if ((st = dk_dns_submit(ctx->resolver, qname, &l->w, &l->txt,
		    l->reason, sizeof(l->reason))) >= 0) {
			l->status = (enum dkim_dns_status)st;
			l->done = 1;
			l->refs = 1;
		}
		return l;
	}

	pthread_mutex_lock(&pool_lock);
	if (!pool_start() || queue_len >= QUEUE_MAX) {
		pthread_mutex_unlock(&pool_lock);
		pthread_cond_destroy(&l->cv);
		free(l);
		return NULL;
	}
	pthread_mutex_lock(&ctx->lock);
	ctx->inflight++;
	pthread_mutex_unlock(&ctx->lock);
	if (queue_tail)
		queue_tail->next = l;
	else
		queue_head = l;
	queue_tail = l;
	queue_len++;
	pthread_cond_signal(&pool_cv);
	pthread_mutex_unlock(&pool_lock);
	return l;
}

/* dk_lookup_wait - the answer, or TEMPFAIL at the deadline; releases l */
enum dkim_dns_status
dk_lookup_wait(struct dk_lookup *l, uint64_t deadline_ms, char **txt,
    char *reason, size_t reasonlen)
{
	enum dkim_dns_status st;
	struct timespec ts;

	*txt = NULL;
	pthread_mutex_lock(&pool_lock);
	while (!l->done) {
		uint64_t now = dk_now_ms();
		struct timespec rt;

		if (now >= deadline_ms)
			break;
		/* pthread_cond_timedwait wants CLOCK_REALTIME */
		clock_gettime(CLOCK_REALTIME, &rt);
		ts.tv_sec = rt.tv_sec + (time_t)((deadline_ms - now) / 1000);
		ts.tv_nsec = rt.tv_nsec +
		    (long)((deadline_ms - now) % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&l->cv, &pool_lock, &ts) ==
		    ETIMEDOUT && !l->done && dk_now_ms() >= deadline_ms)
			break;
	}
	if (!l->done && l->viadns) {
		/* withdraw; dns_done() runs under the resolver's lock, so
		 * after dk_dns_cancel() it has run or never will */
		pthread_mutex_unlock(&pool_lock);
		if (dk_dns_cancel(l->ctx->resolver, &l->w) == 1) {
			pthread_mutex_lock(&pool_lock);
			release(l);	/* the resolver's hold */
		} else
			pthread_mutex_lock(&pool_lock);
	}
	if (l->done) {
		st = l->status;
		*txt = l->txt;
		l->txt = NULL;
		dk_strlcpy(reason, l->reason, reasonlen);
	} else {
		st = DKIM_DNS_TEMPFAIL;
		dk_strlcpy(reason, "DNS time budget exhausted", reasonlen);
	}
	release(l);
	pthread_mutex_unlock(&pool_lock);
	return st;
}
