/*
 * live.c - reference-counted configuration in force (see live.h)
 *
 * One mutex guards the pointer to the current configuration and every
 * reference count; it is held only to read or swap a pointer and to
 * count, never across work, so messages do not wait on each other.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "live.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct live *current;

/* live_free - free a configuration nobody uses any more */
static void
live_free(struct live *l)
{
	if (l == NULL)
		return;
	dkim_ctx_free(l->ctx);
	dkim_resolver_free(l->res);
	conf_free(l->conf);
	free(l);
}

/* live_new - a configuration with its engine context and resolver */
struct live *
live_new(struct conf *c, char *why, size_t whylen)
{
	struct live *l;
	char	err[256];

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, whylen, "out of memory");
		conf_free(c);
		return NULL;
	}
	l->conf = c;
	l->refs = 1;
	if ((l->ctx = dkim_ctx_new()) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	l->res = dkim_resolver_new(c->nameservers,
	    (unsigned)c->dnstimeout * 1000, err, sizeof(err));
	if (l->res == NULL) {
		snprintf(why, whylen, "%s: Nameservers: %s", c->path, err);
		goto fail;
	}
	dkim_resolver_set_limits(l->res, (size_t)c->keycachebytes,
	    (unsigned)c->dnsinflight, (unsigned)c->dnsperdomain);
	dkim_ctx_set_resolver(l->ctx, l->res);
	dkim_ctx_set_limits(l->ctx, (unsigned)c->maxsigs,
	    (size_t)c->maxheaderbytes, (unsigned)c->minkeybits,
	    (unsigned)c->dnstimeout * 2000);
	dkim_ctx_set_unsigned_body(l->ctx, c->unsigned_ok);
	dkim_ctx_set_clock_drift(l->ctx, c->clockdrift);
	return l;
fail:
	live_free(l);
	return NULL;
}

/* live_install - make l current; the old one goes when unused */
void
live_install(struct live *l)
{
	struct live *old;

	pthread_mutex_lock(&lock);
	old = current;
	current = l;
	pthread_mutex_unlock(&lock);
	live_put(old);
}

/* live_get - a reference to the current configuration, or NULL */
struct live *
live_get(void)
{
	struct live *l;

	pthread_mutex_lock(&lock);
	if ((l = current) != NULL)
		l->refs++;
	pthread_mutex_unlock(&lock);
	return l;
}

/* live_put - drop one reference; NULL is a no-op */
void
live_put(struct live *l)
{
	unsigned left;

	if (l == NULL)
		return;
	pthread_mutex_lock(&lock);
	left = --l->refs;
	pthread_mutex_unlock(&lock);
	if (left == 0)
		live_free(l);
}

/* live_shutdown - drop the current configuration */
void
live_shutdown(void)
{
	live_install(NULL);
}
