/*
 * keyrec.c - parse DKIM key records from DNS (RFC 6376 §3.6.1)
 *
 * SYNOPSIS
 *	struct dk_keyrec kr;
 *	dk_keyrec_parse(&kr, txt, len, why, whylen)
 *	dk_keyrec_clear(&kr)
 *	char *c = dk_keyrec_compact(txt, len)
 *
 * CONTRACT
 *	dk_keyrec_parse() overwrites *kr and returns 0, or -1 with a reason
 *	(the key is then a permerror); call dk_keyrec_clear() afterwards in
 *	either case. The tags:
 *		v=  optional; when present, the first tag and exactly "DKIM1"
 *		k=  "rsa" (default) or "ed25519"; anything else is an error
 *		h=  sha1 / sha256 (others ignored); hashes is 0 when only
 *		    unknown ones are listed, all bits when h= is absent
 *		s=  must list "*" or "email"
 *		t=  flags y and s; unknown flags ignored
 *		p=  base64, required; empty means revoked (not an error here:
 *		    the verifier reports "key revoked")
 *	A repeated tag is an error, which also catches a record pasted
 *	twice. n= and unknown tags are ignored. The key bytes are decoded
 *	from base64 only; crypto.c turns them into a key.
 *	kr->p is malloc()ed and owned by the record.
 *
 *	dk_keyrec_compact() returns, for a record that parses, the shortest
 *	record that parses to the same struct dk_keyrec: v=DKIM1; k=, h=
 *	and t= only when they differ from the defaults, and p= re-encoded
 *	without folding; notes, s= and unknown tags go. The key cache keeps
 *	this form, so that a record padded up to the size limit costs the
 *	cache what its key costs. NULL when txt does not parse (the caller
 *	keeps it as it came, so that the verifier can say what is wrong)
 *	or when memory runs out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dk.h"

/* kr_why - format a reason, return -1 */
static int
kr_why(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", msg);
	return -1;
}

/*
 * kr_is - 1 when v[0..n) is s, without regard to case as ABNF literals
 * are (RFC 5234 §2.3); v=DKIM1 alone is given in hex, so exact (kr_exact)
 */
static int
kr_is(const char *v, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(v, s, n) == 0;
}

/* kr_exact - 1 when v[0..n) is exactly s */
static int
kr_exact(const char *v, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(v, s, n) == 0;
}

/* kr_has - 1 when the colon list of t holds s */
static int
kr_has(const struct dk_tag *t, const char *s)
{
	const char *cp = t->val, *item;
	size_t	 ilen;

	while (dk_list_next(&cp, t->val + t->vlen, &item, &ilen))
		if (kr_is(item, ilen, s))
			return 1;
	return 0;
}

/* kr_ktype - k= (§3.6.1, RFC 8463 §4) */
static int
kr_ktype(struct dk_keyrec *kr, const struct dk_tag *t, char *why,
    size_t whylen)
{
	if (kr_is(t->val, t->vlen, "rsa"))
		kr->ktype = DK_KTYPE_RSA;
	else if (kr_is(t->val, t->vlen, "ed25519"))
		kr->ktype = DK_KTYPE_ED25519;
	else
		return kr_why(why, whylen, "unknown key type");
	return 0;
}

/* kr_key - p=: empty means revoked, else base64 */
static int
kr_key(struct dk_keyrec *kr, const struct dk_tag *t, char *why,
    size_t whylen)
{
	if (t->vlen == 0) {
		kr->revoked = 1;
		return 0;
	}
	if (dk_b64_decode(t->val, t->vlen, &kr->p, &kr->plen) < 0)
		return kr_why(why, whylen, "p= is not valid base64");
	if (kr->plen == 0)
		return kr_why(why, whylen, "p= is not valid base64");
	return 0;
}

/* kr_tag - check one tag (the i-th) and store what it says */
static int
kr_tag(struct dk_keyrec *kr, const struct dk_tag *t, size_t i, char *why,
    size_t whylen)
{
	if (dk_tag_is(t, "v")) {
		if (i != 0)
			return kr_why(why, whylen, "v= is not the first tag");
		if (!kr_exact(t->val, t->vlen, "DKIM1"))
			return kr_why(why, whylen, "v= is not DKIM1");
	} else if (dk_tag_is(t, "k"))
		return kr_ktype(kr, t, why, whylen);
	else if (dk_tag_is(t, "h")) {
		kr->hashes = (kr_has(t, "sha1") ? DK_HASH_SHA1 : 0) |
		    (kr_has(t, "sha256") ? DK_HASH_SHA256 : 0);
	} else if (dk_tag_is(t, "s")) {
		if (!kr_has(t, "*") && !kr_has(t, "email"))
			return kr_why(why, whylen, "key not for email");
	} else if (dk_tag_is(t, "t")) {
		kr->testing = kr_has(t, "y");
		kr->strict = kr_has(t, "s");
	} else if (dk_tag_is(t, "p"))
		return kr_key(kr, t, why, whylen);
	return 0;	/* n= and unknown tags */
}

/* dk_keyrec_parse - parse a key record; 0, or -1 with why (permerror) */
int
dk_keyrec_parse(struct dk_keyrec *kr, const char *txt, size_t len,
    char *why, size_t whylen)
{
	struct dk_tag tags[DK_TAGS_MAX];
	size_t	 i, n;
	int	 havep = 0;

	memset(kr, 0, sizeof(*kr));
	kr->ktype = DK_KTYPE_RSA;
	kr->hashes = DK_HASH_SHA1 | DK_HASH_SHA256;

	if (dk_tag_split(txt, len, tags, DK_TAGS_MAX, &n, why, whylen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (kr_tag(kr, &tags[i], i, why, whylen) < 0)
			return -1;
		havep |= dk_tag_is(&tags[i], "p");
	}
	if (!havep)
		return kr_why(why, whylen, "missing tag p=");
	return 0;
}

/* dk_keyrec_clear - release the key bytes; NULL is fine */
void
dk_keyrec_clear(struct dk_keyrec *kr)
{
	if (kr == NULL)
		return;
	free(kr->p);
	kr->p = NULL;
	kr->plen = 0;
}

/* dk_keyrec_compact - the canonical form of a record that parses */
char *
dk_keyrec_compact(const char *txt, size_t len)
{
	struct dk_keyrec kr;
	char	*p = NULL, *out = NULL, why[128];
	const char *h = "", *t = "";
	size_t	 n;

	if (dk_keyrec_parse(&kr, txt, len, why, sizeof(why)) < 0)
		goto out;
	if (!kr.revoked && (p = dk_b64_encode(kr.p, kr.plen)) == NULL)
		goto out;
	if (kr.hashes == DK_HASH_SHA1)
		h = "; h=sha1";
	else if (kr.hashes == DK_HASH_SHA256)
		h = "; h=sha256";
	else if (kr.hashes == 0)
		h = "; h=none";		/* only unknown algorithms listed */
	if (kr.testing && kr.strict)
		t = "; t=y:s";
	else if (kr.testing)
		t = "; t=y";
	else if (kr.strict)
		t = "; t=s";
	n = strlen(h) + strlen(t) + (p != NULL ? strlen(p) : 0) + 40;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "v=DKIM1%s%s%s; p=%s",
		    kr.ktype == DK_KTYPE_ED25519 ? "; k=ed25519" : "", h, t,
		    p != NULL ? p : "");
out:
	free(p);
	dk_keyrec_clear(&kr);
	return out;
}

/* dkim_key_record_compact - dk_keyrec_compact() for a string (dkim.h) */
char *
dkim_key_record_compact(const char *txt)
{
	return dk_keyrec_compact(txt, strlen(txt));
}
