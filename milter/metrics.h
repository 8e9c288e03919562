/*
 * metrics.h - counters of what dkimd does, served to Prometheus
 *
 * SYNOPSIS
 *	metrics_message(mode, outcome, ms)	one message ended
 *	metrics_unsigned(why)			... to sign, and it was not
 *	metrics_lookup(result)			one SigningTable lookup
 *	metrics_sigresult(cause)		one signature verified
 *	metrics_signature(alg)			one signature made
 *	metrics_conn(d)				a connection opened (1), closed (-1)
 *	metrics_reload(ok)			a reload succeeded (1) or failed
 *	metrics_render(buf, len, om)		the text exposition format
 *	metrics_open(spec, why, whylen)		bind MetricsSocket (start-up)
 *	metrics_start()				serve it from a thread of its own
 *
 * CONTRACT
 *	The counting calls are lock-free (relaxed atomic additions to fixed
 *	arrays), safe from any thread, and take only enumerated values:
 *	no label ever carries text from mail, so the set of series is fixed
 *	at build time. The server thread answers GET /metrics and GET
 *	/healthz, 404 anything else; it serves one connection at a time,
 *	reads at most METRICS_REQ_MAX bytes of request within
 *	METRICS_TIMEOUT_MS and closes, so a slow or hostile local client
 *	delays only the next scrape, never a message.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "dkim.h"

#define METRICS_REQ_MAX		2048
#define METRICS_TIMEOUT_MS	2000

enum metrics_mode {
	METRICS_MODE_PASS = 0,		/* neither signed nor verified */
	METRICS_MODE_SIGN,
	METRICS_MODE_VERIFY,
	METRICS_MODE_MAX
};

enum metrics_outcome {
	METRICS_OUT_SIGNED = 0,		/* signatures inserted */
	METRICS_OUT_UNSIGNED,		/* sign mode, accepted unsigned */
	METRICS_OUT_VERIFIED,		/* verify mode, results added */
	METRICS_OUT_UNCHANGED,		/* passed on untouched */
	METRICS_OUT_TEMPFAIL,
	METRICS_OUT_REJECT,
	METRICS_OUT_DISCARD,
	METRICS_OUT_ERROR,		/* an internal error, accepted */
	METRICS_OUT_ABORTED,		/* ended before end of message */
	METRICS_OUT_MAX
};

/* Why a message to sign was not signed (whatever action followed). */
enum metrics_unsigned {
	METRICS_UNS_NO_KEY = 0,		/* no SigningTable entry */
	METRICS_UNS_KEY_DB_DOWN,	/* a database table could not say */
	METRICS_UNS_BAD_AUTHOR,		/* no one valid author (author.h) */
	METRICS_UNS_UNAUTHORIZED,	/* the sender may not sign for it */
	METRICS_UNS_AUTHZ_DOWN,		/* authorization could not be asked */
	METRICS_UNS_INTERNAL,		/* an internal error */
	METRICS_UNS_MAX
};

/* How a SigningTable lookup for a message ended. */
enum metrics_lookup {
	METRICS_LOOKUP_FOUND = 0,	/* one signer or more */
	METRICS_LOOKUP_NONE,		/* no entry for the address */
	METRICS_LOOKUP_DOWN,		/* a database could not say */
	METRICS_LOOKUP_MAX
};

void	metrics_message(enum metrics_mode, enum metrics_outcome, long ms);
void	metrics_unsigned(enum metrics_unsigned);
void	metrics_lookup(enum metrics_lookup);
void	metrics_sigresult(enum dkim_cause);
void	metrics_signature(enum dkim_alg);
void	metrics_conn(int d);
void	metrics_reload(int ok);
size_t	metrics_render(char *buf, size_t len, int openmetrics);
int	metrics_open(const char *spec, char *why, size_t whylen);
int	metrics_start(void);

#endif /* METRICS_H */
