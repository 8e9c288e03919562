/*
 * dkim.h - the public interface of dkimcore, dkimd's DKIM engine
 *
 * SYNOPSIS
 *	dkim_ctx	shared, thread-safe settings: limits, key source, clock
 *	dkim_key	a private key, parsed once, shared by reference count
 *	dkim_resolver	DNS key lookups over libresolv with a TTL cache
 *	dkim_msg	one message being signed or verified, streamed:
 *			dkim_header()* dkim_eoh() dkim_body()* dkim_eom()
 *
 * CONTRACT
 *	The engine never exits, never logs and never asserts on input. Each
 *	call returns DKIM_OK or DKIM_ERR; on DKIM_ERR, dkim_msg_error() says
 *	why. Per-signature outcomes of verification are results (pass, fail,
 *	permerror, ...), not errors: a message full of broken signatures
 *	verifies "successfully" with DKIM_OK and bad results.
 *
 *	Memory per message is bounded by its header block (with a ceiling,
 *	dkim_ctx_set_limits()), never by its body.
 *
 *	A dkim_ctx and the dkim_key and dkim_resolver objects it refers to
 *	may be shared by any number of threads; a dkim_msg belongs to one
 *	thread at a time.
 *
 * OWNERSHIP
 *	Every _new() has a matching _free(); _free(NULL) does nothing.
 *	Strings returned by dkim_msg_*() are borrowed from the message and
 *	live until dkim_msg_free().
 */
#ifndef DKIM_H
#define DKIM_H

#include <stddef.h>
#include <time.h>

#define DKIM_OK		0
#define DKIM_ERR	(-1)

#define DKIM_MAX_SIGNERS	8	/* signatures a message can be given */

/* Algorithms (a= of a signature). */
enum dkim_alg {
	DKIM_ALG_UNKNOWN = 0,
	DKIM_ALG_RSA_SHA256,
	DKIM_ALG_ED25519_SHA256,
	DKIM_ALG_RSA_SHA1		/* verified only to report it (RFC 8301) */
};

/* Canonicalizations (c= of a signature). */
enum dkim_canon {
	DKIM_CANON_SIMPLE = 0,
	DKIM_CANON_RELAXED
};

/* Results of one signature, as RFC 8601 names them. */
enum dkim_result {
	DKIM_RES_NONE = 0,
	DKIM_RES_PASS,
	DKIM_RES_FAIL,
	DKIM_RES_NEUTRAL,
	DKIM_RES_POLICY,
	DKIM_RES_TEMPERROR,
	DKIM_RES_PERMERROR
};

/*
 * Causes: why a signature got its result, one per result and fixed by
 * the engine, for programs to act on (the milter's On-* actions) and to
 * count; the reason text is for people only and may change. The names
 * (dkim_cause_name) are stable short tokens that never carry text from
 * the mail. Each cause implies its result (dkim_cause_result).
 */
enum dkim_cause {
	DKIM_CAUSE_NONE = 0,		/* not judged: none */
	DKIM_CAUSE_PASS,		/* pass */
	/* the signature itself: permerror */
	DKIM_CAUSE_SIG_SYNTAX,		/* DKIM-Signature does not parse */
	DKIM_CAUSE_ALG_UNKNOWN,		/* a= names no algorithm we know */
	DKIM_CAUSE_X_BEFORE_T,		/* x= not after t= (RFC 6376 §3.5) */
	DKIM_CAUSE_EXPIRED,		/* x= has passed */
	DKIM_CAUSE_FUTURE,		/* t= in the future */
	DKIM_CAUSE_HNAMES_LIMIT,	/* h= names more fields than we take */
	DKIM_CAUSE_L_BEYOND_BODY,	/* l= larger than the body (§3.5) */
	DKIM_CAUSE_HEADER_TOO_LARGE,	/* header block over max_header */
	/* policy (RFC 8301, bounds of ours, l=) */
	DKIM_CAUSE_WEAK_ALG,		/* rsa-sha1 */
	DKIM_CAUSE_SHORT_KEY,		/* RSA key under min_key_bits */
	DKIM_CAUSE_TOO_MANY_SIGS,	/* signatures beyond max_sigs */
	DKIM_CAUSE_TOO_MANY_BODYHASHES,	/* distinct body hashes beyond ours */
	DKIM_CAUSE_UNSIGNED_BODY,	/* l= leaves body bytes unsigned */
	/* the author (addr.c): permerror for FROM_COUNT, else policy */
	DKIM_CAUSE_FROM_COUNT,		/* not exactly one From field */
	DKIM_CAUSE_HEADER_LEADING_WSP,	/* the header's first line begins WSP */
	DKIM_CAUSE_FROM_SYNTAX,		/* From does not parse, or is empty */
	DKIM_CAUSE_SENDER_COUNT,	/* From mailboxes, and not one Sender */
	DKIM_CAUSE_SENDER_SYNTAX,	/* the Sender does not parse */
	DKIM_CAUSE_SENDER_MAILBOXES,	/* the Sender has several mailboxes */
	/* the key: DNS_TEMP temperror, the others permerror */
	DKIM_CAUSE_DNS_TEMP,		/* timeout, SERVFAIL, DNS budget, ... */
	DKIM_CAUSE_NO_KEY,		/* NXDOMAIN, or no DKIM TXT record */
	DKIM_CAUSE_DNS_PERM,		/* malformed or ambiguous answer */
	DKIM_CAUSE_KEY_SYNTAX,		/* key record does not parse */
	DKIM_CAUSE_KEY_REVOKED,		/* empty p= */
	DKIM_CAUSE_KEY_TYPE,		/* k= does not match a= */
	DKIM_CAUSE_KEY_HASH,		/* key h= does not allow sha256 */
	DKIM_CAUSE_KEY_STRICT,		/* t=s and i= in a subdomain of d= */
	DKIM_CAUSE_KEY_INVALID,		/* p= is not a usable public key */
	/* verification: fail */
	DKIM_CAUSE_BODY_HASH,		/* bh= does not match the body */
	DKIM_CAUSE_BAD_SIGNATURE,	/* b= does not verify (header hash) */
	/* ours: temperror */
	DKIM_CAUSE_INTERNAL,		/* out of memory */
	DKIM_CAUSE_MAX
};

/* Outcomes of a key lookup. */
enum dkim_dns_status {
	DKIM_DNS_OK = 0,	/* txt holds one record */
	DKIM_DNS_NOKEY,		/* NXDOMAIN, or no DKIM TXT record: permerror */
	DKIM_DNS_TEMPFAIL,	/* timeout, SERVFAIL, REFUSED, network: temperror */
	DKIM_DNS_BAD		/* malformed or ambiguous answer: permerror */
};

typedef struct dkim_ctx dkim_ctx;
typedef struct dkim_key dkim_key;
typedef struct dkim_resolver dkim_resolver;
typedef struct dkim_msg dkim_msg;

/*
 * Key sources: how a verifier gets the TXT record at a name such as
 * "sel._domainkey.example.com". The default source is a dkim_resolver;
 * tests inject their own. On DKIM_DNS_OK, *txt is a malloc()ed,
 * NUL-terminated record (its strings joined) that the caller frees.
 * reason (of size reasonlen) gets a short text on failure.
 */
typedef enum dkim_dns_status (*dkim_keysource_fn)(void *arg,
    const char *qname, char **txt, char *reason, size_t reasonlen);

/* ---- library context ---------------------------------------------- */

dkim_ctx *dkim_ctx_new(void);
void	dkim_ctx_free(dkim_ctx *);

/* dkim_ctx_set_keysource - fetch keys through fn(arg, ...) */
void	dkim_ctx_set_keysource(dkim_ctx *, dkim_keysource_fn fn, void *arg);

/* dkim_ctx_set_resolver - fetch keys through res (borrowed, must outlive ctx) */
void	dkim_ctx_set_resolver(dkim_ctx *, dkim_resolver *res);

/* dkim_ctx_set_clock - "now" for t= and x= checks; NULL means time() */
void	dkim_ctx_set_clock(dkim_ctx *, time_t (*now)(void *), void *arg);

/*
 * dkim_ctx_set_limits - bounds on what one message may cost.
 *	max_sigs	signatures verified per message (default 8); more are
 *			reported as policy "too many signatures"
 *	max_header	bytes of header block kept (default 1 MiB)
 *	min_key_bits	RSA keys shorter than this never pass (default 1024;
 *			RFC 8301 forbids lower)
 *	dns_budget_ms	DNS time one message may spend in all (default 10000)
 * A zero argument keeps the current value.
 */
void	dkim_ctx_set_limits(dkim_ctx *, unsigned max_sigs, size_t max_header,
	    unsigned min_key_bits, unsigned dns_budget_ms);

/*
 * dkim_ctx_set_unsigned_body - what a signature whose l= covers only part
 * of the body gets when it otherwise verifies: 0 (the default) policy,
 * with the count of unsigned bytes in the reason; 1 pass. An l= larger
 * than the body is a permerror either way (RFC 6376 §3.5).
 */
void	dkim_ctx_set_unsigned_body(dkim_ctx *, int accept);

/*
 * dkim_ctx_set_clock_drift - how many seconds a signature's t= may be
 * ahead of the clock and still verify (default 300); x= gets none
 */
void	dkim_ctx_set_clock_drift(dkim_ctx *, long secs);

/* ---- signing keys -------------------------------------------------- */

/*
 * dkim_key_load_file - read a PEM private key (RSA or Ed25519; PKCS#1 or
 * PKCS#8). Returns NULL with a reason in err on failure.
 */
dkim_key *dkim_key_load_file(const char *path, char *err, size_t errlen);

/* dkim_key_load_pem - the same from memory */
dkim_key *dkim_key_load_pem(const char *pem, size_t len, char *err,
	    size_t errlen);

/* dkim_key_load_base64 - the key's DER form (PKCS#1 or PKCS#8) in base64 */
dkim_key *dkim_key_load_base64(const char *text, char *err, size_t errlen);

dkim_key *dkim_key_ref(dkim_key *);	/* one more reference */
void	dkim_key_free(dkim_key *);	/* drop one reference */

/* dkim_key_alg - DKIM_ALG_RSA_SHA256 or DKIM_ALG_ED25519_SHA256 */
enum dkim_alg dkim_key_alg(const dkim_key *);
unsigned dkim_key_bits(const dkim_key *);

/*
 * dkim_key_public_record - the TXT record to publish for this key,
 * "v=DKIM1; k=rsa; p=..." (malloc()ed; NULL on failure).
 */
char	*dkim_key_public_record(const dkim_key *);

/*
 * dkim_key_record_compact - the form in which the resolver hands out and
 * caches a key record that parses (malloc()ed; see dkim_resolver_new):
 * two records say the same thing when their compact forms are equal.
 * NULL when txt does not parse or memory runs out.
 */
char	*dkim_key_record_compact(const char *txt);

/* ---- DNS ------------------------------------------------------------ */

/*
 * dkim_resolver_new - a resolver with its own libresolv state.
 *	nameservers	NULL or "" for /etc/resolv.conf, else a list of
 *			"HOST" or "HOST:PORT" ([v6]:PORT) separated by commas
 *			or spaces
 *	timeout_ms	per query (default 5000 when 0)
 * Answers are cached for their TTL (bounded), negative answers too. A
 * key record that parses is cached and handed out in its compact form:
 * the same key, type, hashes and flags, without notes or unknown tags
 * (so a record padded to the size limit costs the cache what its key
 * does); one that does not parse is kept as it came, for the verifier
 * to say why.
 */
dkim_resolver *dkim_resolver_new(const char *nameservers, unsigned timeout_ms,
	    char *err, size_t errlen);
void	dkim_resolver_free(dkim_resolver *);

/*
 * dkim_resolver_set_limits - ceilings; a zero argument keeps the value.
 *	cache_bytes	what the key cache may take in all (default 4 MiB);
 *			the least recently used answers go first
 *	max_inflight	queries in flight at once (default 500; set it
 *			before the first lookup); beyond, a lookup is a
 *			temporary failure at once, unless its group has at
 *			least two fewer in flight than the greediest group,
 *			whose oldest query then gives up its place
 *	max_per_group	queries in flight for one domain group (default 8;
 *			see dk_dns_group), so that one sender's silent name
 *			servers hold at most their share
 */
void	dkim_resolver_set_limits(dkim_resolver *, size_t cache_bytes,
	    unsigned max_inflight, unsigned max_per_group);

/*
 * dkim_resolver_shutdown - every lookup waiting now ends at once as a
 * temporary failure ("DNS resolver shutting down"), and so does every
 * later one; r NULL: every resolver of the process. For a clean stop.
 */
void	dkim_resolver_shutdown(dkim_resolver *r);

/*
 * How a key query ended, for monitoring: a closed set, so that a label
 * built from it never carries a name or text from DNS.
 */
enum dkim_dns_class {
	DKIM_DNSC_OK = 0,		/* one key record */
	DKIM_DNSC_NODATA,		/* NOERROR, no key record */
	DKIM_DNSC_NXDOMAIN,		/* no such domain */
	DKIM_DNSC_MULTIPLE,		/* several key records */
	DKIM_DNSC_BADRECORD,		/* too large, or a NUL byte */
	DKIM_DNSC_SERVFAIL,		/* SERVFAIL, NOTIMP, REFUSED, rcodes */
	DKIM_DNSC_TIMEOUT,		/* no answer in time (UDP or TCP) */
	DKIM_DNSC_MALFORMED,		/* an answer that does not parse */
	DKIM_DNSC_NETWORK,		/* unreachable, TCP failed, errors */
	DKIM_DNSC_MAX
};

/* dkim_dns_class_name - "ok", "nxdomain", ...; "unknown" out of range */
const char *dkim_dns_class_name(enum dkim_dns_class);

/* The upper bounds (ms) of the query latency histogram's buckets; one
 * more bucket counts the queries above the last. */
#define DKIM_DNS_LATENCY_LE	{ 1, 5, 10, 25, 50, 100, 250, 500, 1000, \
	2500, 5000, 10000 }
#define DKIM_DNS_NLE		12

/* What a resolver has done, for monitoring (dkim_resolver_counts). */
struct dkim_resolver_counts {
	unsigned inflight;		/* queries in flight now */
	unsigned long sent;		/* queries started (cache misses) */
	unsigned long coalesced;	/* waits joined to a query in flight */
	unsigned long abandoned;	/* queries nobody waited for any more */
	unsigned long refused;		/* over a limit: group, total, size */
	unsigned long cache_hits;	/* lookups answered from the cache */
	unsigned long cache_misses;	/* lookups that went to a query */
	unsigned long answers[DKIM_DNSC_MAX];	/* queries ended, by class */
	unsigned long latency[DKIM_DNS_NLE + 1];	/* per bucket, not
						 * cumulative */
	unsigned long latency_ms_sum;
	size_t	cache_entries;
	size_t	cache_bytes;
};

/* dkim_resolver_counts - a snapshot of r's counters into out */
void	dkim_resolver_counts(dkim_resolver *r, struct dkim_resolver_counts *out);

/* dkim_resolver_keysource - a dkim_keysource_fn for use with a resolver */
enum dkim_dns_status dkim_resolver_keysource(void *resolver, const char *qname,
	    char **txt, char *reason, size_t reasonlen);

/* ---- messages ------------------------------------------------------- */

enum dkim_mode {
	DKIM_MODE_VERIFY = 0,
	DKIM_MODE_SIGN
};

/* What to sign with; strings are copied by dkim_msg_add_signer(). */
struct dkim_signspec {
	const char *domain;		/* d= */
	const char *selector;		/* s= */
	dkim_key *key;			/* referenced by the message */
	const char *identity;		/* i=, or NULL for none */
	enum dkim_canon hcanon;		/* default relaxed (see below) */
	enum dkim_canon bcanon;
	int	canon_set;		/* 0: use relaxed/relaxed */
	const char *const *headers;	/* NULL: the default list */
	const char *const *oversign;	/* NULL: the default list */
	long	expire_secs;		/* >0: x= t+expire_secs */
	long long max_body;		/* >0: hash at most this many body
					 * bytes (canonical) and write l= */
};

dkim_msg *dkim_msg_new(dkim_ctx *, enum dkim_mode);
void	dkim_msg_free(dkim_msg *);

/*
 * dkim_msg_add_signer - one more signature to make (sign mode, before eoh);
 * at most DKIM_MAX_SIGNERS per message
 */
int	dkim_msg_add_signer(dkim_msg *, const struct dkim_signspec *);

/*
 * dkim_header - one header field, name and raw value (everything after
 * the colon, leading space and folding included; line ends LF or CRLF).
 */
int	dkim_header(dkim_msg *, const char *name, size_t namelen,
	    const char *value, size_t valuelen);

/* dkim_header_field - one whole field "Name: value" (with or without CRLF) */
int	dkim_header_field(dkim_msg *, const char *field, size_t len);

/* dkim_eoh - end of header; a verifier starts its key lookups here */
int	dkim_eoh(dkim_msg *);

/* dkim_body - a chunk of body, any size and split; bare LF counts as CRLF */
int	dkim_body(dkim_msg *, const void *buf, size_t len);

/* dkim_body_done - 1 when no more body bytes can change any result */
int	dkim_body_done(const dkim_msg *);

/* dkim_eom - end of message: sign, or verify every signature */
int	dkim_eom(dkim_msg *);

/* dkim_msg_error - why the last call returned DKIM_ERR */
const char *dkim_msg_error(const dkim_msg *);

/* Signing output, after dkim_eom(): */
size_t	dkim_sig_count(const dkim_msg *);

/*
 * dkim_sig_header - the value of the nth DKIM-Signature made, starting
 * with a space, folded with CRLF TAB, without a final CRLF; insert it as
 * "DKIM-Signature:" VALUE at the top, in order n = 0, 1, ...
 */
const char *dkim_sig_header(const dkim_msg *, size_t n);

/* Verification output, after dkim_eom(): one entry per signature */
struct dkim_sigresult {
	enum dkim_result result;
	const char *domain;		/* d=, "" when unusable */
	const char *selector;		/* s=, "" when unusable */
	const char *identity;		/* i= or "" */
	const char *b;			/* first 8+ characters of b=, or "" */
	enum dkim_alg alg;
	const char *alg_name;		/* a= as written, or "" */
	unsigned key_bits;		/* 0 when not known */
	int	testing;		/* key record has t=y */
	const char *reason;		/* why, for logs and comments; "" on pass */
	enum dkim_cause cause;		/* why, for programs */
};

size_t	dkim_result_count(const dkim_msg *);
const struct dkim_sigresult *dkim_result_get(const dkim_msg *, size_t n);

/*
 * dkim_ar_value - an Authentication-Results value for this message:
 * " authserv-id; dkim=pass header.d=... header.s=... header.b=... ..."
 * or " authserv-id; dkim=none". malloc()ed, NULL when out of memory.
 */
char	*dkim_ar_value(const dkim_msg *, const char *authserv_id);

/*
 * dkim_ar_value_client - the same, and when the message has ARC fields,
 * "arc=pass|fail (...)" with smtp.remote-ip=remote_ip (NULL: left out;
 * only an address of hex digits, '.' and ':' is written)
 */
char	*dkim_ar_value_client(const dkim_msg *, const char *authserv_id,
	    const char *remote_ip);
int	dkim_ip_plain(const char *);

/*
 * dkim_ar_is_ours - 1 when an Authentication-Results value (raw, after
 * the colon) names authserv_id, compared case-insensitively, ignoring
 * comments, white space of any kind before it, quotes, a trailing dot
 * and whatever follows its token; 0 otherwise.
 */
int	dkim_ar_is_ours(const char *value, size_t len, const char *authserv_id);

/*
 * dkim_authserv_id_valid - 1 when id can be an authserv-id: an RFC 2045
 * token (no SP, controls, 8-bit bytes or "()<>@,;:\"/[]?="), 1 to 255
 * characters
 */
int	dkim_authserv_id_valid(const char *id);

/*
 * dkim_name_valid - 1 when s is a DNS name the engine accepts as a
 * selector or (with one label or more) a domain: dot-separated labels
 * of letters, digits, '-' and '_', 1..63 bytes each, not starting or
 * ending with '-', 253 bytes in all, no final dot (taglist.c)
 */
int	dkim_name_valid(const char *s);
/* ---- ARC (RFC 8617): arc.c, arcseal.c ------------------------------- */

#define DKIM_ARC_MAX	50	/* instances of a chain (RFC 8617 §4.2.1) */

enum dkim_arc_result {
	DKIM_ARC_NONE = 0,	/* no ARC field */
	DKIM_ARC_PASS,
	DKIM_ARC_FAIL		/* malformed, or a signature that fails */
};

/*
 * The chain of a verified message. Strings are borrowed from the
 * message (until dkim_msg_free()); d= and s= are "" when unusable.
 */
struct dkim_arcresult {
	enum dkim_arc_result result;
	unsigned instances;		/* the highest i= found, 0 for none */
	const char *reason;		/* why it failed, "" otherwise */
	const char *as_domain;		/* d= and s= of the newest ARC-Seal */
	const char *as_selector;
	const char *ams_domain;		/* and of the newest AMS */
	const char *ams_selector;
	int	sealed_fail;		/* the newest seal says cv=fail: the
					   chain must not be continued */
};

/*
 * dkim_arc_get - the ARC result of a message verified (dkim_eom() done);
 * never NULL. Every verification checks the chain (RFC 8617 §5.2);
 * a message without ARC fields costs a scan of its field names.
 */
const struct dkim_arcresult *dkim_arc_get(const dkim_msg *);
const char *dkim_arc_result_name(enum dkim_arc_result);

/* What a seal is made with (dkim_arc_seal); strings are read, not kept. */
struct dkim_arcspec {
	const char *domain;		/* d= of the AMS and the seal */
	const char *selector;		/* s= */
	dkim_key *key;			/* RSA or Ed25519 */
	const char *authres;		/* this hop's results, the AAR's
					   payload: "authserv-id; dkim=..." */
	const char *const *headers;	/* AMS h=; NULL: a default list */
};

/*
 * dkim_arc_want_seal - before end of header, on a verifying message:
 * the message is to be sealed after it is verified (this keeps the
 * relaxed body hash that the seal's AMS needs)
 */
int	dkim_arc_want_seal(dkim_msg *);

/*
 * dkim_arc_seal - after dkim_eom(), the three fields of a new ARC set
 * (RFC 8617 §5.1): i= the chain's highest + 1, cv= its result. out[0..2]
 * get malloc()ed values (each starting with a space, folded with CRLF
 * TAB, no final CRLF) of ARC-Seal, ARC-Message-Signature and
 * ARC-Authentication-Results, to be inserted at the top in that order
 * (dkim_arc_field_name()). DKIM_ERR with dkim_msg_error() when the chain
 * may not be continued (sealed cv=fail before, §5.1.2; 50 sets) or on
 * a bad spec.
 */
int	dkim_arc_seal(dkim_msg *, const struct dkim_arcspec *, char *out[3]);

/* dkim_arc_field_name - "ARC-Seal", "ARC-Message-Signature", "ARC-..." */
const char *dkim_arc_field_name(int n);

/* ---- the author: From and Sender (addr.c) --------------------------- */

#define DKIM_LOCAL_MAX		256	/* bytes of a local-part, quotes included */
#define DKIM_DOMAIN_MAX		253	/* a DNS name, without the final dot */
#define DKIM_ADDR_VALUE_MAX	16384	/* bytes of a From or Sender value */
#define DKIM_COMMENT_DEPTH	32	/* nested comments */

/* One mailbox: the address is local "@" domain. */
struct dkim_mailbox {
	char	local[DKIM_LOCAL_MAX + 1];	/* dot-atom, or "quoted" */
	char	domain[DKIM_DOMAIN_MAX + 1];	/* A-labels, lower case */
};

/*
 * dkim_mailbox_list - parse a raw From or Sender value (folding
 * included) as an RFC 5322 §3.4 mailbox-list, strictly (see addr.c).
 * Returns the number of mailboxes (at least 1), the first max of them
 * stored in mb[]; or -1 with a reason in why.
 */
int	dkim_mailbox_list(const char *value, size_t len,
	    struct dkim_mailbox *mb, size_t max, char *why, size_t whylen);

/*
 * The author of a message, gathered field by field: init, then every
 * header field (name as received, raw value), then check. The engine
 * keeps one per message; the milter keeps its own to choose the key.
 */
struct dkim_author {
	size_t	nfrom;			/* From fields ('From :' included) */
	size_t	nsender;		/* Sender fields */
	int	leadwsp;		/* a field name begins with WSP */
	int	from_n;			/* mailboxes of the first From, -1 */
	int	sender_n;		/* mailboxes of the first Sender, -1 */
	struct dkim_mailbox from;	/* the first From's first mailbox */
	struct dkim_mailbox sender;
	char	from_why[96];		/* why the first From does not parse */
	char	sender_why[96];
};

enum dkim_author_status {
	DKIM_AUTHOR_OK = 0,
	DKIM_AUTHOR_FIELDS,	/* not exactly one From field */
	DKIM_AUTHOR_BAD		/* a From (or Sender) readers may see otherwise */
};

void	dkim_author_init(struct dkim_author *);
void	dkim_author_field(struct dkim_author *, const char *name, size_t nlen,
	    const char *value, size_t vlen);

/*
 * dkim_author_check - DKIM_AUTHOR_OK with *mb (may be NULL) pointing at
 * the mailbox that names the author: the From's only one, or with
 * several the Sender's (RFC 5322 §3.6.2). Otherwise why says what is
 * wrong, e.g. "From has 2 mailboxes and 0 Sender fields".
 */
enum dkim_author_status dkim_author_check(const struct dkim_author *,
	    const struct dkim_mailbox **mb, char *why, size_t whylen);

/* Names, for logs. */
const char *dkim_result_name(enum dkim_result);

/* dkim_cause_name - a cause's stable token ("no_key"), "unknown" if none */
const char *dkim_cause_name(enum dkim_cause);

/* dkim_cause_result - the result a cause gives a signature */
enum dkim_result dkim_cause_result(enum dkim_cause);

const char *dkim_alg_name(enum dkim_alg);

#endif /* DKIM_H */
