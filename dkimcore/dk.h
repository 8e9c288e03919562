/*
 * dk.h - interfaces shared between the modules of dkimcore (not public)
 *
 * Names here are dk_<module>_*; the public API is dkim_* in dkim.h.
 * Every function that reads outside input takes explicit lengths and
 * never reads past them; "why" buffers receive a short reason for logs
 * and for the comment of an Authentication-Results field.
 */
#ifndef DK_H
#define DK_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <openssl/evp.h>

#include "dkim.h"

/* ---- buf.c: growable byte buffer with a ceiling ---------------------- */

struct dk_buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	len;
	size_t	cap;
	size_t	max;		/* ceiling; 0 = SIZE_MAX/2 */
};

/* dk_buf_append - add n bytes; -1 when over the ceiling or out of memory */
int	dk_buf_append(struct dk_buf *, const void *p, size_t n);
int	dk_buf_addstr(struct dk_buf *, const char *s);
int	dk_buf_printf(struct dk_buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	dk_buf_free(struct dk_buf *);

/* dk_strlcpy - bounded copy, always terminated; returns strlen(src) */
size_t	dk_strlcpy(char *dst, const char *src, size_t size);

/*
 * dk_why - format a reason into why (of size whylen) for the caller;
 * does nothing when why is NULL or whylen 0. (Added by canon+crypto.)
 */
void	dk_why(char *why, size_t whylen, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* ---- taglist.c: RFC 6376 §3.2 tag-lists ------------------------------ */

struct dk_tag {
	const char *name;	/* points into the input */
	size_t	nlen;
	const char *val;	/* value with leading/trailing FWS removed */
	size_t	vlen;
};

/*
 * dk_tag_next - parse the next tag-spec at *cp (before end), advancing *cp
 * past it and its ';'. Returns 1 with *tag set, 0 at the end of the list,
 * -1 on a syntax error with *why set to a static reason.
 */
int	dk_tag_next(const char **cp, const char *end, struct dk_tag *tag,
	    const char **why);

/* dk_tag_is - 1 when tag's name is exactly name (case-sensitive, §3.2) */
int	dk_tag_is(const struct dk_tag *, const char *name);

/* dk_domain_valid - 1 when s[0..len) is a valid domain name for DNS use */
int	dk_domain_valid(const char *s, size_t len);

/* dk_selector_valid - the same for a selector (dot-separated labels) */
int	dk_selector_valid(const char *s, size_t len);

/*
 * Shared by sig.c and keyrec.c:
 * dk_tag_split - all tags of s[0..len) into tags[0..max), *n set to the
 * number parsed (also on error, for reports); 0, or -1 with why on a
 * syntax error, a duplicate name ("duplicate tag X") or more than max.
 */
#define DK_TAGS_MAX	64
int	dk_tag_split(const char *s, size_t len, struct dk_tag *tags,
	    size_t max, size_t *n, char *why, size_t whylen);

/*
 * dk_list_next - the next item of a colon-separated list (h=, q=, s=, t=)
 * at *cp (before end), FWS around it removed; 1 with the item (maybe
 * empty), 0 when used up. Start with *cp at the value; it ends as NULL.
 */
int	dk_list_next(const char **cp, const char *end, const char **item,
	    size_t *ilen);

/* ---- sig.c: DKIM-Signature fields (§3.5) ------------------------------ */

#define DK_NAME_MAX	254	/* a domain name, with its NUL */

struct dk_sig {
	enum dkim_alg alg;
	char	alg_name[32];		/* a= as written (truncated, sanitized) */
	enum dkim_canon hcanon;
	enum dkim_canon bcanon;
	char	domain[DK_NAME_MAX];	/* d=, validated */
	char	selector[DK_NAME_MAX];	/* s=, validated */
	char	*identity;		/* i= (malloc) or NULL */
	char	**hnames;		/* h= names (malloc), as written */
	size_t	nh;
	unsigned char *b;		/* b= decoded (malloc) */
	size_t	blen;
	unsigned char bh[64];		/* bh= decoded */
	size_t	bhlen;
	char	bprefix[16];		/* first characters of b= for AR */
	long long l;			/* l=, -1 when absent */
	long long t;			/* t=, -1 when absent */
	long long x;			/* x=, -1 when absent */
	size_t	b_off;			/* offset of b='s value in the raw value */
	size_t	b_len;			/* its length (FWS inside included) */
	int	unknown_alg;		/* the parse stopped at an unknown a= */
};

/*
 * dk_sig_parse - parse and validate a DKIM-Signature value (raw, after the
 * colon). Returns 0, or -1 with a reason in why: the signature is then a
 * permerror (or policy for rsa-sha1, see dk_sig_check). Fields that parsed
 * before an error (d=, s=, b prefix) are kept for the report.
 */
int	dk_sig_parse(struct dk_sig *, const char *value, size_t len,
	    char *why, size_t whylen);

/*
 * dk_sig_check - the checks that need the clock or policy: t= in the
 * future, x= passed, x < t, rsa-sha1. Returns DKIM_CAUSE_NONE when fine,
 * else the cause to report (dkim_cause_result) with why set.
 */
enum dkim_cause dk_sig_check(const struct dk_sig *, time_t now,
	    char *why, size_t whylen);

/* dk_sig_check_drift - the same, t= allowed drift seconds ahead */
enum dkim_cause dk_sig_check_drift(const struct dk_sig *, time_t now,
	    long drift, char *why, size_t whylen);

/*
 * dk_author_rule - the author rule of dkim_author_check(), giving the
 * cause: DKIM_CAUSE_NONE when the author is one a pass can vouch for,
 * DKIM_CAUSE_FROM_COUNT, DKIM_CAUSE_HEADER_LEADING_WSP, ... (addr.c)
 */
enum dkim_cause dk_author_rule(const struct dkim_author *,
	    const struct dkim_mailbox **mb, char *why, size_t whylen);

void	dk_sig_clear(struct dk_sig *);

/*
 * dk_sig_parse_kind - dk_sig_parse() for the fields of ARC (RFC 8617
 * §4.1) too: an ARC-Message-Signature has the tags of a DKIM-Signature
 * but no v=, and i= is its instance; an ARC-Seal has a=, b=, d=, s=,
 * t= and cv= (cv= and i= are read by arc.c), and never h= or bh=.
 */
enum dk_sig_kind {
	DK_SIG_DKIM = 0,
	DK_SIG_AMS,
	DK_SIG_AS
};
int	dk_sig_parse_kind(struct dk_sig *, enum dk_sig_kind,
	    const char *value, size_t len, char *why, size_t whylen);

/* ---- keyrec.c: DNS key records (§3.6.1) -------------------------------- */

enum dk_ktype {
	DK_KTYPE_RSA = 1,
	DK_KTYPE_ED25519
};

#define DK_HASH_SHA1	0x1
#define DK_HASH_SHA256	0x2

struct dk_keyrec {
	enum dk_ktype ktype;
	unsigned hashes;		/* h= mask; all bits when absent */
	int	testing;		/* t=y */
	int	strict;			/* t=s: i= domain must equal d= */
	int	revoked;		/* p= empty */
	unsigned char *p;		/* p= decoded (malloc), NULL if revoked */
	size_t	plen;
};

/* dk_keyrec_parse - parse a key record; 0, or -1 with why (permerror) */
int	dk_keyrec_parse(struct dk_keyrec *, const char *txt, size_t len,
	    char *why, size_t whylen);
void	dk_keyrec_clear(struct dk_keyrec *);
/* dk_keyrec_compact - the shortest record parsing the same; NULL if bad */
char	*dk_keyrec_compact(const char *txt, size_t len);

/* ---- crypto.c: base64 and signatures through OpenSSL ------------------- */

/*
 * dk_b64_decode - decode base64 that may contain FWS (§2.4); strict about
 * the alphabet and padding. Returns 0 with *out malloc()ed, or -1.
 */
int	dk_b64_decode(const char *in, size_t len, unsigned char **out,
	    size_t *outlen);

/* dk_b64_encode - encode; malloc()ed, NUL-terminated, or NULL */
char	*dk_b64_encode(const unsigned char *in, size_t len);

/*
 * dk_pubkey_parse - a public key from p= bytes: RSA as SubjectPublicKeyInfo
 * or bare RSAPublicKey, Ed25519 as 32 raw bytes (RFC 8463). NULL on error.
 */
EVP_PKEY *dk_pubkey_parse(enum dk_ktype, const unsigned char *p, size_t len,
	    char *why, size_t whylen);

/* dk_pkey_bits - the size of a key in bits */
unsigned dk_pkey_bits(const EVP_PKEY *);

/*
 * dk_digest_verify - check sig over a SHA-256 (or SHA-1) digest.
 * RSA: PKCS#1 v1.5 with the digest's algorithm. Ed25519: pure Ed25519 over
 * the 32 digest bytes (RFC 8463 §3). Returns 1 good, 0 bad, -1 error.
 */
int	dk_digest_verify(EVP_PKEY *, enum dkim_alg, const unsigned char *dg,
	    size_t dglen, const unsigned char *sig, size_t siglen);

/* dk_digest_sign - the same for signing; *sig malloc()ed; 0 or -1 */
int	dk_digest_sign(EVP_PKEY *, enum dkim_alg, const unsigned char *dg,
	    size_t dglen, unsigned char **sig, size_t *siglen);

/* dk_rsa_sign_prepare - an rsa-sha256 signing context made once per key */
EVP_PKEY_CTX *dk_rsa_sign_prepare(EVP_PKEY *);

/* dk_rsa_sign_prepared - sign a SHA-256 digest with a copy of it */
int	dk_rsa_sign_prepared(const EVP_PKEY_CTX *, const unsigned char *dg,
	    size_t dglen, unsigned char **sig, size_t *siglen);

/* key.c: what dkim_key wraps */
EVP_PKEY *dk_key_pkey(const dkim_key *);

/* dk_key_sign - dk_digest_sign() with the key's prepared context */
int	dk_key_sign(const dkim_key *, enum dkim_alg, const unsigned char *dg,
	    size_t dglen, unsigned char **sig, size_t *siglen);

/* ---- canon.c: canonicalization (§3.4), streaming ----------------------- */

/*
 * dk_canon_header - append one canonicalized header field,
 * "name:value\r\n" (relaxed: name lower-cased, unfolded, WSP runs as one
 * SP, trimmed). Bare LF in value counts as CRLF. -1 over the ceiling.
 */
int	dk_canon_header(enum dkim_canon, const char *name, size_t nlen,
	    const char *value, size_t vlen, struct dk_buf *out);

/*
 * dk_canon_header_nocrlf - the same without the final CRLF, for the
 * DKIM-Signature field itself (§3.7).
 */
int	dk_canon_header_nocrlf(enum dkim_canon, const char *name, size_t nlen,
	    const char *value, size_t vlen, struct dk_buf *out);

typedef void (*dk_sink_fn)(void *arg, const unsigned char *p, size_t n);

/*
 * Streaming body canonicalizer. Input of any split; output goes to sink
 * in pieces. Runs of empty lines are held back (as a count) until a
 * non-empty line follows or the body ends (§3.4.3, §3.4.4).
 */
struct dk_body {
	enum dkim_canon canon;
	dk_sink_fn sink;
	void	*arg;
	unsigned pending_cr;	/* input ended in CR: decided by next byte */
	unsigned inwsp;		/* relaxed: inside a run of WSP */
	unsigned linelen;	/* bytes of the current line emitted (0/1) */
	uint64_t blanklines;	/* empty lines held back */
	uint64_t total;		/* bytes emitted */
};

void	dk_body_init(struct dk_body *, enum dkim_canon, dk_sink_fn, void *);
void	dk_body_update(struct dk_body *, const unsigned char *p, size_t n);
void	dk_body_final(struct dk_body *);

/* ---- lookup.c: key lookups off the message's thread --------------------- */

struct dk_lookup;

/*
 * dk_lookup_start - start fetching the key record at qname through ctx's
 * key source, on a worker thread; NULL when it could not start (the
 * caller then calls dk_lookup_now()).
 */
struct dk_lookup *dk_lookup_start(dkim_ctx *, const char *qname);

/*
 * dk_lookup_wait - wait until deadline (CLOCK_MONOTONIC ms) for the answer
 * and release the lookup; returns like a dkim_keysource_fn.
 */
enum dkim_dns_status dk_lookup_wait(struct dk_lookup *, uint64_t deadline_ms,
	    char **txt, char *reason, size_t reasonlen);

/* dk_lookup_now - a lookup on the caller's thread */
enum dkim_dns_status dk_lookup_now(dkim_ctx *, const char *qname,
	    char **txt, char *reason, size_t reasonlen);

uint64_t dk_now_ms(void);	/* CLOCK_MONOTONIC in milliseconds */

/* dk_name_hash - FNV-1a of name[0..len), ASCII case folded (hash.c) */
uint32_t dk_name_hash(const char *name, size_t len);

/* dns.c: a cached answer without waiting; -1 when none (see dns.c) */
int	dk_dns_cached(dkim_resolver *, const char *qname, char **txt,
	    char *reason, size_t reasonlen);

/* ---- dns.c, dnsloop.c: lookups that wait without a thread -------------- */

/*
 * The longest TXT record accepted at a key's name: a 16384-bit RSA key
 * is about 2.8 KB of base64, so 8 KB leaves room for every real key and
 * its tags, and keeps what one cached answer costs small.
 */
#define DK_KEYREC_MAX	8192

struct dns_query;

/*
 * One caller waiting for one name. done() is called once, on the
 * resolver's loop thread (or the thread that shuts it down), with the
 * resolver's lock held: it must copy txt (borrowed, NULL unless
 * DKIM_DNS_OK) and reason, and must not call back into the resolver.
 */
struct dk_dns_waiter {
	struct dk_dns_waiter *next, *prev;	/* dnsloop.c's list */
	struct dns_query *q;			/* NULL once done */
	void	(*done)(struct dk_dns_waiter *, enum dkim_dns_status,
		    const char *txt, const char *reason);
	void	*arg;
};

/*
 * dk_dns_submit - ask for qname on w's behalf. Returns a status (with
 * *txt malloc()ed on DKIM_DNS_OK, and reason) when the answer is known at
 * once: cached, an invalid name, over a limit of lookups in flight, or
 * the resolver shutting down; -1 when w waits (w->done comes later).
 */
int	dk_dns_submit(dkim_resolver *, const char *qname,
	    struct dk_dns_waiter *w, char **txt, char *reason,
	    size_t reasonlen);

/*
 * dk_dns_cancel - w no longer waits: 1 when withdrawn before its done()
 * ran (done() never runs), 0 when done() already ran. A query nobody
 * waits for any more is abandoned: its socket closed, never cached.
 */
int	dk_dns_cancel(dkim_resolver *, struct dk_dns_waiter *w);

/* What a resolver is doing and has done (for tests and reports). */
struct dk_dns_stats {
	unsigned inflight;		/* queries in flight now */
	unsigned long sent;		/* queries started */
	unsigned long coalesced;	/* waits joined to a query in flight */
	unsigned long abandoned;	/* queries nobody waited for any more */
	unsigned long refused_group;	/* over the per-group limit */
	unsigned long refused_total;	/* over the total limit */
	unsigned long evicted;		/* dropped for a smaller group */
	unsigned long refused_big;	/* answers with a record too large */
	unsigned long cache_hits;	/* dk_dns_submit() answered at once */
	unsigned long cache_misses;	/* ... handed to the loop */
	unsigned long answers[DKIM_DNSC_MAX];	/* queries ended, by class */
	unsigned long latency[DKIM_DNS_NLE + 1];	/* by bucket */
	unsigned long latency_ms_sum;
	size_t	cache_entries;
	size_t	cache_bytes;
};

void	dk_dns_stats(dkim_resolver *, struct dk_dns_stats *);

/*
 * dk_dns_group - the "domain group" of a name, into out: its last two
 * labels, or three when the TLD has two letters and the second-level
 * label is one of co, com, net, org, ac, gov, edu ("a.b.example.co.uk"
 * is "example.co.uk"). An approximation of the organisational domain,
 * for the per-group limit of lookups in flight.
 */
void	dk_dns_group(const char *name, char *out, size_t outlen);

/* ---- ctx.c ------------------------------------------------------------- */

struct dkim_ctx {
	pthread_mutex_t lock;		/* guards inflight */
	pthread_cond_t idle;		/* signalled when inflight drops to 0 */
	unsigned inflight;		/* lookups still running on workers */
	dkim_keysource_fn keysource;
	void	*keyarg;
	dkim_resolver *resolver;	/* set when keysource is a resolver */
	time_t	(*now)(void *);
	void	*nowarg;
	unsigned max_sigs;
	size_t	max_header;
	unsigned min_key_bits;
	unsigned dns_budget_ms;
	int	unsigned_body_ok;	/* l= short of the body may pass */
	long	drift;			/* seconds t= may be ahead of now */
};

time_t	dk_ctx_now(const dkim_ctx *);

/* ---- ar.c ------------------------------------------------------------- */

/* dk_ar_sanitize - copy s into a comment-safe form (no parens, CR, LF) */
void	dk_ar_sanitize(char *dst, size_t size, const char *s);

/* ---- dns.c: the answer parser, for fuzz/fuzz_dns.c ---------------------- */

/*
 * dk_dns_parse_answer - what a lookup of the TXT records at qname makes
 * of the DNS message buf[0..len) (at most 64 KiB are read): the status,
 * *txt (malloc()ed, on DKIM_DNS_OK only, else NULL), the TTL it would be
 * cached for, and a reason. (Added by hostile-2 for the fuzzer.)
 */
enum dkim_dns_status dk_dns_parse_answer(const unsigned char *buf,
	    size_t len, const char *qname, char **txt, unsigned *ttl,
	    char *reason, size_t reasonlen);

#endif /* DK_H */
