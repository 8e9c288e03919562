/*
 * keywatch.c - KeyCheckInterval: the published record of each active
 *	signing key, looked up and compared with the key, again and again
 *
 * The state of the last run is an array of at most KEYWATCH_MAX keys
 * under a mutex: a run builds a new array without the lock (its DNS
 * lookups take time), compares it with the old one to log the changes,
 * and swaps it in. The lock is held only for the swap and for
 * keywatch_each(), so a scrape never waits for DNS.
 */
#include <sys/stat.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "keywatch.h"
#include "live.h"
#include "log.h"
#include "util.h"

/* One run's keys. */
struct run {
	struct keywatch_key k[KEYWATCH_MAX];
	size_t	n;
	unsigned long omitted;
	dkim_resolver *res;
	const struct run *prev;		/* the last run, read only */
	time_t	now;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct run *cur;			/* the last run, under lock */
static time_t last_run;

/* find - the key of run r named name for domain; NULL */
static const struct keywatch_key *
find(const struct run *r, const char *name, const char *domain)
{
	size_t	i;

	for (i = 0; r != NULL && i < r->n; i++)
		if (strcmp(r->k[i].name, name) == 0 &&
		    strcmp(r->k[i].domain, domain) == 0)
			return &r->k[i];
	return NULL;
}

/* born - when the key came to be: its file's mtime, a database row's
 * not_before; 0 when unknown */
static time_t
born(const struct keytab_entry *e)
{
	struct stat st;

	if (e->not_before > 0)
		return (time_t)e->not_before;
	if (e->keypath != NULL && e->keypath[0] == '/' &&
	    stat(e->keypath, &st) == 0)
		return st.st_mtime;
	return 0;
}

/* note - log the key's state when it differs from the last run's */
static void
note(const struct keywatch_key *k, const struct keywatch_key *was,
    const char *qname, const char *reason)
{
	if (was != NULL && was->state == k->state)
		return;
	if (k->state == KEYCHECK_MATCH) {
		if (was != NULL)
			log_info("key check: %s (key %s): published record "
			    "matches again", qname, k->name);
		return;
	}
	log_warn("key check: %s (key %s): %s%s%s", qname, k->name,
	    keycheck_why(k->state), *reason ? ": " : "", reason);
}

/* check_one - a keycheck_fn: look e's record up, judge, keep, log */
static int
check_one(void *arg, const char *domain, const struct keytab_entry *e)
{
	struct run *r = arg;
	struct keywatch_key k;
	const struct keywatch_key *was;
	enum dkim_dns_status st;
	char	qname[600], reason[256], *txt = NULL;

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", e->name);
	snprintf(k.domain, sizeof(k.domain), "%s", domain);
	snprintf(k.selector, sizeof(k.selector), "%s", e->selector);
	snprintf(qname, sizeof(qname), "%s._domainkey.%s", e->selector,
	    domain);
	reason[0] = '\0';
	st = dkim_resolver_keysource(r->res, qname, &txt, reason,
	    sizeof(reason));
	k.state = keycheck_judge(e->key, st, txt);
	free(txt);
	if (st == DKIM_DNS_OK)
		reason[0] = '\0';
	was = find(r->prev, k.name, k.domain);
	k.since = was != NULL && was->state == k.state ? was->since : r->now;
	if (k.state == KEYCHECK_DNS_ERROR)
		k.match = was != NULL ? was->match : -1;
	else
		k.match = k.state == KEYCHECK_MATCH;
	k.born = born(e);
	k.not_after = e->not_after;
	note(&k, was, qname, reason);
	if (r->n < KEYWATCH_MAX)
		r->k[r->n++] = k;
	else
		r->omitted++;
	return 0;
}

/* run - one check of every active signing key of l */
static void
run(struct live *l)
{
	struct run *r, *old;
	char	err[256];
	unsigned ms = (unsigned)l->conf->dnstimeout * 1000;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_err("key check: out of memory");
		return;
	}
	if ((r->res = dkim_resolver_new(l->conf->nameservers, ms, err,
	    sizeof(err))) == NULL) {
		log_err("key check: resolver: %s", err);
		free(r);
		return;
	}
	r->now = time(NULL);
	/* the last run is read here without the lock: only this thread
	 * ever replaces it */
	r->prev = cur;
	(void)keycheck_walk(l->conf, 1, check_one, r, log_report, NULL);
	dkim_resolver_free(r->res);
	r->res = NULL;
	r->prev = NULL;
	pthread_mutex_lock(&lock);
	old = cur;
	cur = r;
	last_run = r->now;
	pthread_mutex_unlock(&lock);
	free(old);
}

/* watcher - the thread: a run whenever the interval in force has passed */
static void *
watcher(void *arg)
{
	struct live *l;
	time_t	next = 0, now;
	long	iv;

	(void)arg;
	for (;;) {
		now = time(NULL);
		if ((l = live_get()) != NULL) {
			if (conf_seconds(l->conf->keycheckinterval, &iv) < 0)
				iv = 0;
			if (iv == 0)
				next = 0;
			else if (next == 0 || now >= next ||
			    next - now > iv) {	/* the interval shrank */
				run(l);
				next = time(NULL) + iv;
			}
			live_put(l);
		}
		sleep(1);
	}
	return NULL;
}

/* keywatch_start - the watching thread; 0 or -1 */
int
keywatch_start(void)
{
	return util_thread(watcher, NULL);
}

/* keywatch_each - fn for each key of the last run, under the lock */
void
keywatch_each(keywatch_fn fn, void *arg)
{
	size_t	i;

	pthread_mutex_lock(&lock);
	for (i = 0; cur != NULL && i < cur->n; i++)
		fn(arg, &cur->k[i]);
	pthread_mutex_unlock(&lock);
}

/* keywatch_last - when the last run ended (0: none yet), keys left out */
void
keywatch_last(time_t *when, unsigned long *omitted)
{
	pthread_mutex_lock(&lock);
	*when = last_run;
	*omitted = cur != NULL ? cur->omitted : 0;
	pthread_mutex_unlock(&lock);
}
