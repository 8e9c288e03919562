/*
 * sig.c - parse and check DKIM-Signature field values (RFC 6376 §3.5)
 *
 * SYNOPSIS
 *	struct dk_sig sig;
 *	dk_sig_parse(&sig, value, len, why, whylen)	syntax and semantics
 *	dk_sig_parse_kind(&sig, DK_SIG_AMS, ...)	the same for ARC fields
 *	dk_sig_check(&sig, now, why, whylen)		clock and policy
 *	dk_sig_clear(&sig)
 *
 * CONTRACT
 *	dk_sig_parse() overwrites *sig, so it must not hold allocations;
 *	call dk_sig_clear() afterwards in every case, success or not. On an
 *	error it still fills what it could (a=, d=, s=, the b= prefix and
 *	position) for the Authentication-Results field, but never copies an
 *	invalid d= or s= (they stay ""). Tags are checked in the order they
 *	appear, then the checks between tags; the first problem is reported.
 *	Algorithm and canonicalization names match without regard to case,
 *	as ABNF string literals do (RFC 5234 §2.3); a= is reported lower-cased.
 *
 *	b_off and b_len locate the span the verifier blanks (§3.7): from
 *	just after "b=" to the end of its value, so FWS before and inside
 *	the value is in it and FWS after it is not (see sig_bspan).
 *
 *	The signature owns identity, hnames and b (malloc()ed); other
 *	pointers into the input are not kept.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "dk.h"

#define SIG_MAXH	1000	/* h= names: far above real use */
#define SIG_SKEW	300	/* seconds of clock skew allowed for t= */

/* sig_why - format a reason into why (which may be NULL) */
static int
sig_why(char *why, size_t whylen, const char *fmt, const char *arg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, fmt, arg);
	return -1;
}

/* sig_alg - the algorithm named by a= (exact, lower case) */
static enum dkim_alg
sig_alg(const char *v, size_t n)
{
	if (n == 10 && strncasecmp(v, "rsa-sha256", n) == 0)
		return DKIM_ALG_RSA_SHA256;
	if (n == 14 && strncasecmp(v, "ed25519-sha256", n) == 0)
		return DKIM_ALG_ED25519_SHA256;
	if (n == 8 && strncasecmp(v, "rsa-sha1", n) == 0)
		return DKIM_ALG_RSA_SHA1;
	return DKIM_ALG_UNKNOWN;
}

/* sig_alg_name - keep a= for reports, lower-cased, only [a-z0-9-] */
static void
sig_alg_name(struct dk_sig *sig, const char *v, size_t n)
{
	size_t	 i, o = 0;
	int	 c;

	for (i = 0; i < n && o < sizeof(sig->alg_name) - 1; i++) {
		c = (unsigned char)v[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-')
			sig->alg_name[o++] = (char)c;
	}
	sig->alg_name[o] = '\0';
}

/* sig_bprefix - the first base64 characters of b=, for header.b */
static void
sig_bprefix(struct dk_sig *sig, const char *v, size_t n)
{
	size_t	 i, o = 0;
	int	 c;

	for (i = 0; i < n && o < 8; i++) {
		c = (unsigned char)v[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/')
			sig->bprefix[o++] = (char)c;
	}
	sig->bprefix[o] = '\0';
}

/* sig_name - copy a valid d= or s= into dst (DK_NAME_MAX); 0 or -1 */
static int
sig_name(char *dst, const struct dk_tag *t, int (*valid)(const char *,
    size_t))
{
	if (!valid(t->val, t->vlen))
		return -1;
	memcpy(dst, t->val, t->vlen);
	dst[t->vlen] = '\0';
	return 0;
}

/*
 * sig_bspan - what §3.7 blanks: b='s value "including all surrounding
 * whitespace". The span starts right after '=', so FWS before the value
 * goes too: a signer that folds after "b=" hashed "b=" alone (dkimpy and
 * Mail::DKIM verify such signatures). FWS after the value stays, as it
 * does in those verifiers. Only FWS lies between '=' and t->val.
 */
static void
sig_bspan(struct dk_sig *sig, const char *value, const struct dk_tag *t)
{
	const char *start = t->val;

	while (start > value && start[-1] != '=')
		start--;
	sig->b_off = (size_t)(start - value);
	sig->b_len = (size_t)(t->val + t->vlen - start);
}

/*
 * sig_report - fill what a report names (a=, d=, s=, b= prefix and
 * position) from the tags found, valid or not.
 */
static void
sig_report(struct dk_sig *sig, const char *value, const struct dk_tag *tags,
    size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		const struct dk_tag *t = &tags[i];

		if (dk_tag_is(t, "a")) {
			sig->alg = sig_alg(t->val, t->vlen);
			sig_alg_name(sig, t->val, t->vlen);
		} else if (dk_tag_is(t, "d"))
			(void)sig_name(sig->domain, t, dk_domain_valid);
		else if (dk_tag_is(t, "s"))
			(void)sig_name(sig->selector, t, dk_selector_valid);
		else if (dk_tag_is(t, "b")) {
			sig_bprefix(sig, t->val, t->vlen);
			sig_bspan(sig, value, t);
		}
	}
}

/*
 * sig_number - decimal digits into a non-negative long long; -1 when not
 * digits, -2 when too large.
 */
static int
sig_number(const char *v, size_t n, long long *out)
{
	long long r = 0;
	size_t	 i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (r > (LLONG_MAX - (v[i] - '0')) / 10)
			return -2;
		r = r * 10 + (v[i] - '0');
	}
	*out = r;
	return 0;
}

/* sig_num_tag - l=, t= or x= into *out; 0, or -1 with why */
static int
sig_num_tag(const struct dk_tag *t, long long *out, char *why, size_t whylen)
{
	char	 name[2] = { t->name[0], '\0' };

	switch (sig_number(t->val, t->vlen, out)) {
	case 0:
		return 0;
	case -2:
		return sig_why(why, whylen, "%s= out of range", name);
	default:
		return sig_why(why, whylen, "%s= is not a number", name);
	}
}

/* sig_canon_one - "simple" or "relaxed"; 0 or -1 */
static int
sig_canon_one(const char *v, size_t n, enum dkim_canon *c)
{
	if (n == 6 && strncasecmp(v, "simple", 6) == 0)
		*c = DKIM_CANON_SIMPLE;
	else if (n == 7 && strncasecmp(v, "relaxed", 7) == 0)
		*c = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* sig_canon - c= header[/body]; the body defaults to simple (§3.5) */
static int
sig_canon(struct dk_sig *sig, const struct dk_tag *t, char *why,
    size_t whylen)
{
	const char *slash = memchr(t->val, '/', t->vlen);
	size_t	 hn = slash ? (size_t)(slash - t->val) : t->vlen;

	if (sig_canon_one(t->val, hn, &sig->hcanon) < 0 ||
	    (slash != NULL && sig_canon_one(slash + 1,
	    t->vlen - hn - 1, &sig->bcanon) < 0))
		return sig_why(why, whylen, "%s", "unknown canonicalization");
	return 0;
}

/* sig_field_name - a header field name: printable US-ASCII but ':' */
static int
sig_field_name(const char *v, size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (v[i] < 0x21 || v[i] > 0x7e || v[i] == ':')
			return 0;
	return 1;
}

/* sig_hlist - h= into sig->hnames; From must be there (§3.5) */
static int
sig_hlist(struct dk_sig *sig, const struct dk_tag *t, char *why,
    size_t whylen)
{
	const char *cp = t->val, *item;
	size_t	 ilen, cap = 0;
	char	**nh;
	int	 from = 0;

	while (dk_list_next(&cp, t->val + t->vlen, &item, &ilen)) {
		if (!sig_field_name(item, ilen))
			return sig_why(why, whylen, "%s",
			    "h= has an invalid field name");
		if (sig->nh == SIG_MAXH)
			return sig_why(why, whylen, "%s", "h= is too long");
		if (sig->nh == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nh = reallocarray(sig->hnames, cap,
			    sizeof(*nh))) == NULL)
				return sig_why(why, whylen, "%s",
				    "out of memory");
			sig->hnames = nh;
		}
		if ((sig->hnames[sig->nh] = strndup(item, ilen)) == NULL)
			return sig_why(why, whylen, "%s", "out of memory");
		sig->nh++;
		if (ilen == 4 && strncasecmp(item, "from", 4) == 0)
			from = 1;
	}
	if (!from)
		return sig_why(why, whylen, "%s", "h= does not include From");
	return 0;
}

/* sig_qlist - q= must offer dns/txt (§3.5; "/args" ignored) */
static int
sig_qlist(const struct dk_tag *t, char *why, size_t whylen)
{
	const char *cp = t->val, *item;
	size_t	 ilen;

	while (dk_list_next(&cp, t->val + t->vlen, &item, &ilen))
		if (ilen == 7 && strncasecmp(item, "dns/txt", 7) == 0)
			return 0;
	return sig_why(why, whylen, "%s", "q= does not include dns/txt");
}

/* sig_b64 - decode b= or bh=; an empty value is an error */
static int
sig_b64(const struct dk_tag *t, unsigned char **out, size_t *outlen,
    char *why, size_t whylen)
{
	const char *name = t->nlen == 1 ? "b" : "bh";

	if (t->vlen == 0)
		return sig_why(why, whylen, "%s= is empty", name);
	if (dk_b64_decode(t->val, t->vlen, out, outlen) < 0)
		return sig_why(why, whylen, "%s= is not valid base64", name);
	if (*outlen == 0)
		return sig_why(why, whylen, "%s= is empty", name);
	return 0;
}

/* sig_bh - decode bh= into the fixed field of the signature */
static int
sig_bh(struct dk_sig *sig, const struct dk_tag *t, char *why, size_t whylen)
{
	unsigned char *d = NULL;
	size_t	 n;

	if (sig_b64(t, &d, &n, why, whylen) < 0)
		return -1;
	if (n > sizeof(sig->bh)) {
		free(d);
		return sig_why(why, whylen, "%s", "bh= has the wrong length");
	}
	memcpy(sig->bh, d, n);
	sig->bhlen = n;
	free(d);
	return 0;
}

/*
 * sig_qp_decode - i= is dkim-quoted-printable (§2.11, §3.5): FWS is
 * dropped and "=XX" is the octet XX, so "user=40example.com" is
 * "user@example.com". A decoded control character or NUL is refused:
 * no address holds one (RFC 5321 §4.1.2), and it could only mislead
 * whoever reads the identity later. dst has room for n + 1 bytes.
 */
static int
sig_qp_decode(const char *v, size_t n, char *dst)
{
	size_t	 i, o = 0;
	int	 hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (i + 2 >= n)
				return -1;
			/* HEXDIG in either case (RFC 5234 §2.3) */
			if ((hi = OPENSSL_hexchar2int((unsigned char)v[i +
			    1])) < 0 || (lo = OPENSSL_hexchar2int(
			    (unsigned char)v[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

/*
 * sig_identity - decode i= and check its syntax (the domain comes later,
 * in sig_auid_ok, against the decoded text)
 */
static int
sig_identity(struct dk_sig *sig, const struct dk_tag *t, char *why,
    size_t whylen)
{
	const char *bad = NULL;
	char	*id;

	if ((id = malloc(t->vlen + 1)) == NULL)
		return sig_why(why, whylen, "%s", "out of memory");
	if (sig_qp_decode(t->val, t->vlen, id) < 0)
		bad = "i= is not valid dkim-quoted-printable";
	else if (strchr(id, '@') == NULL)
		bad = "i= has no @";
	if (bad != NULL) {
		/* half-decoded text is not kept, nor reported */
		free(id);
		return sig_why(why, whylen, "%s", bad);
	}
	sig->identity = id;
	return 0;
}

/* sig_tag - check one tag and store its value; 0 or -1 with why */
static int
sig_tag(struct dk_sig *sig, const struct dk_tag *t, char *why, size_t whylen)
{
	if (dk_tag_is(t, "v")) {
		if (t->vlen != 1 || t->val[0] != '1')
			return sig_why(why, whylen, "%s",
			    "unsupported version (v= is not 1)");
	} else if (dk_tag_is(t, "a")) {
		if (sig->alg == DKIM_ALG_UNKNOWN) {
			sig->unknown_alg = 1;	/* its own cause (verify.c) */
			return sig_why(why, whylen, "unknown algorithm %s",
			    sig->alg_name);
		}
	} else if (dk_tag_is(t, "c"))
		return sig_canon(sig, t, why, whylen);
	else if (dk_tag_is(t, "d")) {
		if (sig->domain[0] == '\0')
			return sig_why(why, whylen, "%s", "invalid d= domain");
	} else if (dk_tag_is(t, "s")) {
		if (sig->selector[0] == '\0')
			return sig_why(why, whylen, "%s", "invalid s= selector");
	} else if (dk_tag_is(t, "h"))
		return sig_hlist(sig, t, why, whylen);
	else if (dk_tag_is(t, "i"))
		return sig_identity(sig, t, why, whylen);
	else if (dk_tag_is(t, "l") || dk_tag_is(t, "t") || dk_tag_is(t, "x"))
		return sig_num_tag(t, t->name[0] == 'l' ? &sig->l :
		    t->name[0] == 't' ? &sig->t : &sig->x, why, whylen);
	else if (dk_tag_is(t, "q"))
		return sig_qlist(t, why, whylen);
	else if (dk_tag_is(t, "b"))
		return sig_b64(t, &sig->b, &sig->blen, why, whylen);
	else if (dk_tag_is(t, "bh"))
		return sig_bh(sig, t, why, whylen);
	return 0;	/* z= and unknown tags: syntax only (§3.2, §3.5) */
}

/*
 * sig_required - the tags every signature of the kind has: DKIM's
 * (§3.5); an ARC-Message-Signature's, which has no v= (RFC 8617 §4.1.2);
 * an ARC-Seal's, with neither bh= nor h= (RFC 8617 §4.1.3). i= of the
 * ARC fields is the instance, checked by arc.c.
 */
static int
sig_required(enum dk_sig_kind kind, const struct dk_tag *tags, size_t n,
    char *why, size_t whylen)
{
	static const char *const dkim[] = { "v", "a", "b", "bh", "d", "h",
	    "s", NULL }, *const ams[] = { "a", "b", "bh", "d", "h", "s",
	    NULL }, *const as[] = { "a", "b", "d", "s", NULL };
	const char *const *req = kind == DK_SIG_DKIM ? dkim :
	    kind == DK_SIG_AMS ? ams : as;
	size_t	 i, j;

	for (i = 0; req[i] != NULL; i++) {
		for (j = 0; j < n && !dk_tag_is(&tags[j], req[i]); j++)
			;
		if (j == n)
			return sig_why(why, whylen, "missing tag %s=", req[i]);
	}
	return 0;
}

/* sig_auid_ok - the domain of i= is d= or below it (§3.5, i=) */
static int
sig_auid_ok(const struct dk_sig *sig, char *why, size_t whylen)
{
	const char *at, *dom;
	size_t	 dlen, n = strlen(sig->domain);

	if (sig->identity == NULL)
		return 0;
	at = strrchr(sig->identity, '@');
	dom = at + 1;
	dlen = strlen(dom);
	if (!dk_domain_valid(dom, dlen))
		return sig_why(why, whylen, "%s", "i= has an invalid domain");
	if (!(dlen == n || (dlen > n && dom[dlen - n - 1] == '.')) ||
	    strcasecmp(dom + dlen - n, sig->domain) != 0)
		return sig_why(why, whylen, "%s",
		    "i= domain is not d= or a subdomain of it");
	return 0;
}

/* sig_hashlen - the body hash length that the algorithm makes */
static size_t
sig_hashlen(enum dkim_alg alg)
{
	return alg == DKIM_ALG_RSA_SHA1 ? 20 : 32;
}

/* dk_sig_parse - parse and validate a DKIM-Signature value */
int
dk_sig_parse(struct dk_sig *sig, const char *value, size_t len,
    char *why, size_t whylen)
{
	return dk_sig_parse_kind(sig, DK_SIG_DKIM, value, len, why, whylen);
}

/*
 * arc_skip - 1 for the tags an ARC field reads otherwise: i= is the
 * instance (arc.c), and v= is no tag of theirs (RFC 8617 §4.1.2), so
 * it is ignored like any unknown tag
 */
static int
arc_skip(enum dk_sig_kind kind, const struct dk_tag *t)
{
	return kind != DK_SIG_DKIM && (dk_tag_is(t, "i") || dk_tag_is(t, "v"));
}

/*
 * dk_sig_parse_kind - parse a DKIM-Signature, ARC-Message-Signature or
 * ARC-Seal value with the same tag rules
 */
int
dk_sig_parse_kind(struct dk_sig *sig, enum dk_sig_kind kind,
    const char *value, size_t len, char *why, size_t whylen)
{
	struct dk_tag tags[DK_TAGS_MAX];
	size_t	 i, n;
	int	 bad;

	memset(sig, 0, sizeof(*sig));
	sig->alg = DKIM_ALG_UNKNOWN;
	sig->hcanon = sig->bcanon = DKIM_CANON_SIMPLE;
	sig->l = sig->t = sig->x = -1;

	bad = dk_tag_split(value, len, tags, DK_TAGS_MAX, &n, why, whylen);
	sig_report(sig, value, tags, n);
	if (bad < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (arc_skip(kind, &tags[i]))
			continue;
		/* RFC 8617 §4.1.3: an ARC-Seal signs no header list */
		if (kind == DK_SIG_AS && (dk_tag_is(&tags[i], "h") ||
		    dk_tag_is(&tags[i], "bh")))
			return sig_why(why, whylen, "%s", "ARC-Seal with h= "
			    "or bh=");
		if (sig_tag(sig, &tags[i], why, whylen) < 0)
			return -1;
	}
	if (sig_required(kind, tags, n, why, whylen) < 0 ||
	    sig_auid_ok(sig, why, whylen) < 0)
		return -1;
	if (kind != DK_SIG_AS && sig->bhlen != sig_hashlen(sig->alg))
		return sig_why(why, whylen, "%s", "bh= has the wrong length");
	return 0;
}

/* dk_sig_check - dk_sig_check_drift() with SIG_SKEW seconds of drift */
enum dkim_cause
dk_sig_check(const struct dk_sig *sig, time_t now, char *why, size_t whylen)
{
	return dk_sig_check_drift(sig, now, SIG_SKEW, why, whylen);
}

/*
 * dk_sig_check_drift - the checks that need the clock or policy. t= may
 * be up to drift seconds ahead of our clock: senders' clocks drift, and
 * §3.5 lets a verifier ignore a future t= rather than requiring it.
 * x= must be later than t= (§3.5) and not yet passed: the signer chose
 * that limit, and no drift extends it.
 */
enum dkim_cause
dk_sig_check_drift(const struct dk_sig *sig, time_t now, long drift,
    char *why, size_t whylen)
{
	if (sig->alg == DKIM_ALG_UNKNOWN) {
		sig_why(why, whylen, "%s", "unknown algorithm");
		return DKIM_CAUSE_ALG_UNKNOWN;
	}
	if (sig->x >= 0 && sig->t >= 0 && sig->x <= sig->t) {
		sig_why(why, whylen, "%s", "x= before t=");
		return DKIM_CAUSE_X_BEFORE_T;
	}
	if (sig->x >= 0 && sig->x < (long long)now) {
		sig_why(why, whylen, "%s", "signature expired");
		return DKIM_CAUSE_EXPIRED;
	}
	if (sig->t >= 0 && sig->t > (long long)now + drift) {
		sig_why(why, whylen, "%s", "signature in the future");
		return DKIM_CAUSE_FUTURE;
	}
	if (sig->alg == DKIM_ALG_RSA_SHA1) {
		sig_why(why, whylen, "%s",
		    "rsa-sha1 is not accepted (RFC 8301)");
		return DKIM_CAUSE_WEAK_ALG;
	}
	return DKIM_CAUSE_NONE;
}

/* dk_sig_clear - release what a signature owns; NULL is fine */
void
dk_sig_clear(struct dk_sig *sig)
{
	size_t	 i;

	if (sig == NULL)
		return;
	for (i = 0; i < sig->nh; i++)
		free(sig->hnames[i]);
	free(sig->hnames);
	free(sig->identity);
	free(sig->b);
	sig->hnames = NULL;
	sig->nh = 0;
	sig->identity = NULL;
	sig->b = NULL;
	sig->blen = 0;
}
