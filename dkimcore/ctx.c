/*
 * ctx.c - the engine's shared settings: key source, clock and limits
 *
 * A dkim_ctx is read by every message that uses it and written only
 * before the first message (set_* calls are not synchronized). Key
 * lookups running on worker threads (lookup.c) count themselves in
 * inflight; dkim_ctx_free() waits for them, so the key source they call
 * is never freed under them.
 */
#include <stdlib.h>
#include <time.h>

#include "dk.h"

#define DEF_MAX_SIGS	8
#define DEF_MAX_HEADER	(1024 * 1024)
#define DEF_MIN_BITS	1024
#define DEF_DNS_BUDGET	10000
#define DEF_DRIFT	300		/* seconds t= may be ahead (ClockDrift) */

/* dkim_ctx_new - settings with the defaults of dkim.h */
dkim_ctx *
dkim_ctx_new(void)
{
	dkim_ctx *ctx;

	if ((ctx = calloc(1, sizeof(*ctx))) == NULL)
		return NULL;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_cond_init(&ctx->idle, NULL);
	ctx->max_sigs = DEF_MAX_SIGS;
	ctx->max_header = DEF_MAX_HEADER;
	ctx->min_key_bits = DEF_MIN_BITS;
	ctx->dns_budget_ms = DEF_DNS_BUDGET;
	ctx->drift = DEF_DRIFT;
	return ctx;
}

/* dkim_ctx_free - wait for lookups still running, then free */
void
dkim_ctx_free(dkim_ctx *ctx)
{
	if (ctx == NULL)
		return;
	pthread_mutex_lock(&ctx->lock);
	while (ctx->inflight > 0)
		pthread_cond_wait(&ctx->idle, &ctx->lock);
	pthread_mutex_unlock(&ctx->lock);
	pthread_mutex_destroy(&ctx->lock);
	pthread_cond_destroy(&ctx->idle);
	free(ctx);
}

/* dkim_ctx_set_keysource - fetch key records through fn(arg, ...) */
void
dkim_ctx_set_keysource(dkim_ctx *ctx, dkim_keysource_fn fn, void *arg)
{
	ctx->keysource = fn;
	ctx->keyarg = arg;
	ctx->resolver = NULL;
}

/* dkim_ctx_set_resolver - fetch key records through a dkim_resolver */
void
dkim_ctx_set_resolver(dkim_ctx *ctx, dkim_resolver *res)
{
	dkim_ctx_set_keysource(ctx, dkim_resolver_keysource, res);
	ctx->resolver = res;
}

/* dkim_ctx_set_clock - the clock for t= and x=; NULL means time() */
void
dkim_ctx_set_clock(dkim_ctx *ctx, time_t (*now)(void *), void *arg)
{
	ctx->now = now;
	ctx->nowarg = arg;
}

/* dkim_ctx_set_limits - change the limits whose argument is not zero */
void
dkim_ctx_set_limits(dkim_ctx *ctx, unsigned max_sigs, size_t max_header,
    unsigned min_key_bits, unsigned dns_budget_ms)
{
	if (max_sigs)
		ctx->max_sigs = max_sigs;
	if (max_header)
		ctx->max_header = max_header;
	if (min_key_bits)
		ctx->min_key_bits = min_key_bits;
	if (dns_budget_ms)
		ctx->dns_budget_ms = dns_budget_ms;
}

/* dkim_ctx_set_unsigned_body - whether an l= short of the body may pass */
void
dkim_ctx_set_unsigned_body(dkim_ctx *ctx, int accept)
{
	ctx->unsigned_body_ok = accept != 0;
}

/* dkim_ctx_set_clock_drift - seconds a signature's t= may be ahead */
void
dkim_ctx_set_clock_drift(dkim_ctx *ctx, long secs)
{
	ctx->drift = secs < 0 ? 0 : secs;
}

/* dk_ctx_now - the current time as the context's clock says */
time_t
dk_ctx_now(const dkim_ctx *ctx)
{
	return ctx->now ? ctx->now(ctx->nowarg) : time(NULL);
}
