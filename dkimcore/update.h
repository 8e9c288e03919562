/*
 * update.h - DNS UPDATE (RFC 2136) messages signed with TSIG (RFC 8945)
 *
 * SYNOPSIS
 *	dkim_tsig_key_parse()	a BIND "key" clause into a dkim_tsig_key
 *	dkim_tsig_key_load()	the same from a file
 *	dkim_tsig_key_clear()	wipe the secret
 *	dkim_update_build()	an UPDATE that sets or deletes a TXT RRset
 *	dkim_tsig_sign()	append a TSIG record to a message
 *	dkim_update_answer()	what the server said, its TSIG verified
 *	dkim_soa_query()	a query for the SOA of a name
 *	dkim_soa_zone()		the zone an answer to that query names
 *
 * CONTRACT
 *	Pure encoders and parsers over caller buffers: no I/O but
 *	dkim_tsig_key_load()'s read of one file, no logging; every length of
 *	an answer is checked against its end (ns_initparse(), dn_expand(),
 *	dn_skipname()). A secret never reaches an error text. Functions
 *	return 0 (or a status) and put a short reason into err on failure.
 */
#ifndef DKIM_UPDATE_H
#define DKIM_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define DKIM_TSIG_SECRET_MAX	256	/* bytes of a decoded secret */
#define DKIM_TSIG_MAC_MAX	64	/* hmac-sha512 */
#define DKIM_TSIG_FILE_MAX	(64 * 1024)	/* bytes of a key file */
#define DKIM_TSIG_FUDGE		300	/* seconds, RFC 8945 §10 */
#define DKIM_UPDATE_MAX		65535	/* bytes of a message (TCP) */

struct dkim_tsig_key {
	char	name[256];		/* lower case, no final dot */
	char	alg[16];		/* "hmac-sha256", "hmac-sha512" */
	unsigned char secret[DKIM_TSIG_SECRET_MAX];
	size_t	secretlen;
};

int	dkim_tsig_key_parse(const char *text, size_t len,
	    struct dkim_tsig_key *k, char *err, size_t errlen);
int	dkim_tsig_key_load(const char *path, struct dkim_tsig_key *k,
	    char *err, size_t errlen);
void	dkim_tsig_key_clear(struct dkim_tsig_key *k);

/*
 * dkim_update_build - into buf: an UPDATE of zone, with message id, that
 * deletes the TXT RRset at name and, when txt is not NULL, adds one TXT
 * record of value txt (split into strings of at most 255 bytes) with ttl.
 * *len is the message length. -1 when a name is invalid or buf too small.
 */
int	dkim_update_build(unsigned char *buf, size_t size, size_t *len,
	    uint16_t id, const char *zone, const char *name, const char *txt,
	    uint32_t ttl, char *err, size_t errlen);

/*
 * dkim_tsig_sign - append a TSIG record by k, time now, to the message
 * buf[0..*len) (its ARCOUNT is increased); the request's MAC is copied
 * to mac (DKIM_TSIG_MAC_MAX bytes), its length to *maclen, for checking
 * the answer. -1 when the buffer is too small or the algorithm unknown.
 */
int	dkim_tsig_sign(unsigned char *buf, size_t size, size_t *len,
	    const struct dkim_tsig_key *k, time_t now, unsigned char *mac,
	    size_t *maclen, char *err, size_t errlen);

/* The outcome of an UPDATE, from its answer. */
enum dkim_update_status {
	DKIM_UPDATE_OK = 0,		/* NOERROR, TSIG verified */
	DKIM_UPDATE_REFUSED,		/* a DNS error code: see err */
	DKIM_UPDATE_TSIG,		/* BADSIG, BADKEY, BADTIME, or no TSIG */
	DKIM_UPDATE_BAD			/* not an answer to our message */
};

/*
 * dkim_update_answer - what ans says about the request with id: with k,
 * the answer's TSIG must verify against the request MAC and be within
 * its fudge of now (RFC 8945 §5.3); without k (no key configured) an
 * answer is taken as it is. err names the RCODE or TSIG error.
 */
enum dkim_update_status dkim_update_answer(const unsigned char *ans,
	    size_t len, uint16_t id, const struct dkim_tsig_key *k,
	    const unsigned char *reqmac, size_t reqmaclen, time_t now,
	    char *err, size_t errlen);

/* dkim_rcode_name - "NOERROR", "REFUSED", "BADSIG", ..., "unknown RCODE" */
const char *dkim_rcode_name(unsigned rcode);

/* dkim_soa_query - a query (id) for the SOA of name; -1 when invalid */
int	dkim_soa_query(unsigned char *buf, size_t size, size_t *len,
	    uint16_t id, const char *name);

/*
 * dkim_soa_zone - the zone that answers to the SOA query for name name:
 * the owner of the SOA record in the answer or authority section, which
 * must be name or one of its parents. 0, or -1 and err.
 */
int	dkim_soa_zone(const unsigned char *ans, size_t len, uint16_t id,
	    const char *name, char *zone, size_t zonelen, char *err,
	    size_t errlen);

#endif /* DKIM_UPDATE_H */
