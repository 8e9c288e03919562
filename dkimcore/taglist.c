/*
 * taglist.c - RFC 6376 §3.2 tag-lists, colon lists, domain and selector names
 *
 * SYNOPSIS
 *	dk_tag_next(&cp, end, &tag, &why)	one tag=value, cursor advanced
 *	dk_tag_is(&tag, "bh")			exact, case-sensitive name match
 *	dk_tag_split(s, len, tags, max, &n, why, whylen)
 *						a whole list, duplicates refused
 *	dk_list_next(&cp, end, &item, &ilen)	one item of "a : b : c"
 *	dk_domain_valid(s, len)			d=, i= domains
 *	dk_selector_valid(s, len)		s=
 *	dkim_name_valid(s)			the same, for dkimtool
 *
 * CONTRACT
 *	The grammar is RFC 6376 §3.2:
 *		tag-list  = tag-spec *( ";" tag-spec ) [ ";" ]
 *		tag-spec  = [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *		tag-name  = ALPHA *ALNUMPUNC	(ALNUMPUNC = ALPHA / DIGIT / "_")
 *		tag-value = [ tval *( 1*(WSP / FWS) tval ) ]
 *		tval      = 1*( %x21-3A / %x3C-7E )
 *	FWS is WSP with optional line breaks, each followed by WSP; a bare LF
 *	counts as a line break, as the milter may hand us either. NUL, other
 *	control bytes and 8-bit bytes are syntax errors. Nothing is copied:
 *	names and values point into the caller's input and live as long as it.
 *	Reasons returned in *why are static strings.
 */
#include <stdio.h>
#include <string.h>

#include "dk.h"

#define DK_LABEL_MAX	63	/* RFC 1035 §2.3.4 */
#define DK_DNAME_MAX	253	/* text form, without a final dot */

/* is_wsp - SP or HTAB */
static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* is_alpha - an ASCII letter */
static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_digit - an ASCII digit */
static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* is_tval - a character allowed inside a tag value (§3.2 tval) */
static int
is_tval(int c)
{
	return c >= 0x21 && c <= 0x7e && c != ';';
}

/*
 * skip_fws - advance *cp over [FWS]. A line break (CRLF or bare LF) must be
 * followed by WSP, or end the input (a raw header value may keep its final
 * line end). Returns 0, or -1 on a line break that does not fold.
 */
static int
skip_fws(const char **cp, const char *end)
{
	const char *p = *cp;

	while (p < end) {
		if (is_wsp((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (*p != '\n')
			break;
		p++;
		if (p < end && !is_wsp((unsigned char)*p))
			return -1;
	}
	*cp = p;
	return 0;
}

/* dk_tag_next - parse the next tag-spec at *cp, advancing past its ';' */
int
dk_tag_next(const char **cp, const char *end, struct dk_tag *tag,
    const char **why)
{
	const char *p = *cp, *vend;

	if (skip_fws(&p, end) < 0)
		goto badfold;
	if (p >= end) {
		*cp = p;
		return 0;
	}
	if (!is_alpha((unsigned char)*p)) {
		*why = "tag name expected";
		return -1;
	}
	tag->name = p;
	while (p < end && (is_alpha((unsigned char)*p) ||
	    is_digit((unsigned char)*p) || *p == '_'))
		p++;
	tag->nlen = (size_t)(p - tag->name);
	if (skip_fws(&p, end) < 0)
		goto badfold;
	if (p >= end || *p != '=') {
		*why = "'=' expected after tag name";
		return -1;
	}
	p++;
	if (skip_fws(&p, end) < 0)
		goto badfold;
	tag->val = vend = p;
	while (p < end && *p != ';') {
		if (is_tval((unsigned char)*p)) {
			vend = ++p;
			continue;
		}
		if (skip_fws(&p, end) < 0)
			goto badfold;
		if (p < end && *p != ';' && !is_tval((unsigned char)*p)) {
			*why = "invalid character in tag value";
			return -1;
		}
	}
	tag->vlen = (size_t)(vend - tag->val);
	if (p < end)
		p++;		/* the ';' */
	*cp = p;
	return 1;

badfold:
	*why = "line break not followed by whitespace";
	return -1;
}

/* dk_tag_is - 1 when tag's name is exactly name (case-sensitive, §3.2) */
int
dk_tag_is(const struct dk_tag *tag, const char *name)
{
	size_t	 n = strlen(name);

	return tag->nlen == n && memcmp(tag->name, name, n) == 0;
}

/*
 * dk_tag_split - all tags of a tag-list into tags[0..max). On error, *n
 * counts the tags that parsed before it, so that a caller can still
 * report what it found. A repeated name is an error (§3.2).
 */
int
dk_tag_split(const char *s, size_t len, struct dk_tag *tags, size_t max,
    size_t *n, char *why, size_t whylen)
{
	const char *cp, *end, *reason;
	struct dk_tag tag;
	size_t	 i;
	int	 r;

	*n = 0;
	if (s == NULL) {	/* no value at all: an empty list */
		s = "";
		len = 0;
	}
	cp = s;
	end = s + len;
	while ((r = dk_tag_next(&cp, end, &tag, &reason)) == 1) {
		for (i = 0; i < *n; i++) {
			if (tags[i].nlen == tag.nlen &&
			    memcmp(tags[i].name, tag.name, tag.nlen) == 0) {
				snprintf(why, whylen, "duplicate tag %.*s",
				    (int)tag.nlen, tag.name);
				return -1;
			}
		}
		if (*n == max) {
			snprintf(why, whylen, "too many tags");
			return -1;
		}
		tags[(*n)++] = tag;
	}
	if (r < 0) {
		snprintf(why, whylen, "tag-list syntax: %s", reason);
		return -1;
	}
	return 0;
}

/*
 * dk_list_next - the next item of a colon-separated list (h=, q=, s=, t=),
 * FWS around it removed; 1 with *item and *ilen set (an item may be
 * empty), 0 when the list is used up (*cp is then NULL).
 */
int
dk_list_next(const char **cp, const char *end, const char **item,
    size_t *ilen)
{
	const char *p = *cp, *last;

	if (p == NULL)
		return 0;
	while (p < end && (is_wsp((unsigned char)*p) || *p == '\r' ||
	    *p == '\n'))
		p++;
	*item = last = p;
	while (p < end && *p != ':') {
		if (!is_wsp((unsigned char)*p) && *p != '\r' && *p != '\n')
			last = p + 1;
		p++;
	}
	*ilen = (size_t)(last - *item);
	*cp = p < end ? p + 1 : NULL;	/* past the ':', or done */
	return 1;
}

/*
 * name_valid - dot-separated labels of letters, digits, '-' and '_', each
 * 1..63 long and neither starting nor ending with '-'; 1..253 in all, no
 * final dot. The underscore is tolerated because real selectors and some
 * signing domains use it, though RFC 1035 host names do not.
 */
static int
name_valid(const char *s, size_t len)
{
	size_t	 i, lablen = 0;
	int	 c;

	if (len == 0 || len > DK_DNAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.') {
			if (lablen == 0 || s[i - 1] == '-')
				return 0;
			lablen = 0;
			continue;
		}
		if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '_')
			return 0;
		if (c == '-' && lablen == 0)
			return 0;
		if (++lablen > DK_LABEL_MAX)
			return 0;
	}
	return lablen > 0 && s[len - 1] != '-';
}

/*
 * dk_domain_valid - 1 when s[0..len) is a valid domain name for DNS use;
 * RFC 6376's domain-name has at least two labels
 */
int
dk_domain_valid(const char *s, size_t len)
{
	return name_valid(s, len) && memchr(s, '.', len) != NULL;
}

/*
 * dk_selector_valid - the same for a selector (dot-separated labels, one
 * or more). '_' is accepted in labels although the ABNF has none: every
 * peer accepts it, selectors with it are published, and it is safe in a
 * DNS name.
 */
int
dk_selector_valid(const char *s, size_t len)
{
	return name_valid(s, len);
}

/* dkim_name_valid - dk_selector_valid() of a string, for the engine's users */
int
dkim_name_valid(const char *s)
{
	return name_valid(s, strlen(s));
}
