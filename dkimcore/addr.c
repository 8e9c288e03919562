/*
 * addr.c - the author of a message: From and Sender mailboxes (RFC 5322)
 *
 * SYNOPSIS
 *	n = dkim_mailbox_list(value, len, mb, max, why, whylen);
 *	dkim_author_init(&a); dkim_author_field(&a, name, nlen, v, vlen)*;
 *	st = dkim_author_check(&a, &mb, why, whylen);
 *
 * CONTRACT
 *	One strict parser for the author, shared by the signer (which
 *	domain's key signs) and the verifier (whether a pass can vouch for
 *	what a reader is shown). It reads a field value as RFC 5322 §3.4
 *	mailbox-list, with RFC 6532's UTF-8:
 *
 *	mailbox-list = mailbox *("," mailbox)
 *	mailbox      = name-addr / addr-spec
 *	name-addr    = [display-name] [CFWS] "<" addr-spec ">" [CFWS]
 *	display-name = word *(word / "." / CFWS)	(obs-phrase's dot)
 *	addr-spec    = local-part "@" domain
 *	local-part   = [CFWS] (dot-atom-text / quoted-string) [CFWS]
 *	domain       = [CFWS] dot-atom-text [CFWS]
 *
 *	Comments nest (up to DKIM_COMMENT_DEPTH) and hold quoted-pairs, so
 *	"(\) <a@victim.example>) b@example.com" is b@example.com: the '\)'
 *	does not close the comment (§3.2.2). Refused, each with a reason:
 *	group syntax (§3.4: From is a mailbox-list, not an address-list),
 *	domain literals (no DNS name to sign for), obs-route, obs-local-part
 *	("a . b"@), obs-domain, empty list elements (obs-mbox-list), NUL and
 *	other control bytes, malformed UTF-8, a line break not followed by
 *	white space, and anything left after an address ("a@b.example@c",
 *	"a@exam ple.com"). A domain must be a DNS name in A-labels
 *	(dk_domain_valid: two labels or more): a U-label domain could never
 *	match a SigningTable line, nor a d= (RFC 6376 §3.5 wants A-labels).
 *	Values over DKIM_ADDR_VALUE_MAX bytes are refused before parsing.
 *
 *	A mailbox comes out as local "@" domain: the local-part as a
 *	dot-atom when it can be one ("joe"@x is joe@x, RFC 5321 §4.1.2),
 *	else quoted with only '"' and '\' escaped; the domain in lower case.
 *
 *	The author rule (dkim_author_check): exactly one From field, whose
 *	value parses and holds one mailbox, or several and then exactly one
 *	Sender field holding one mailbox, which names the author (§3.6.2);
 *	and no field name that begins with white space (a first line that
 *	continues nothing, which readers take differently: "Composition
 *	Kills", USENIX Security 2020).
 *
 *	Never allocates; reads value[0..len) only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dk.h"

/* a parse in progress */
struct ap {
	const unsigned char *p, *end, *start;
	char	*why;
	size_t	whylen;
	int	toolong;	/* a ceiling was hit: no second reading */
};

/* bad - record why the parse failed, with where; returns -1 */
static int
bad(struct ap *a, const char *what)
{
	int	c = a->p < a->end ? *a->p : -1;

	if (c < 0)
		dk_why(a->why, a->whylen, "%s at the end", what);
	else if (c > 0x20 && c < 0x7f)
		dk_why(a->why, a->whylen, "%s at byte %zu ('%c')", what,
		    (size_t)(a->p - a->start), c);
	else
		dk_why(a->why, a->whylen, "%s at byte %zu (0x%02x)", what,
		    (size_t)(a->p - a->start), c);
	return -1;
}

/* too_long - a ceiling was hit; returns -1 */
static int
too_long(struct ap *a, const char *what)
{
	a->toolong = 1;
	return bad(a, what);
}

/* is_atext - RFC 5322 §3.2.3 atext, ASCII part */
static int
is_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/*
 * utf8_len - the length of the well-formed UTF-8 sequence (RFC 3629 §4)
 * of a non-ASCII character at p, or 0 (overlong forms, surrogates and
 * code points over U+10FFFF are not well formed)
 */
static size_t
utf8_len(const unsigned char *p, const unsigned char *end)
{
	size_t	n, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		if (*p == 0xe0)
			lo = 0xa0;
		else if (*p == 0xed)
			hi = 0x9f;
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		if (*p == 0xf0)
			lo = 0x90;
		else if (*p == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * text_len - the length of one "text" character at a->p for a context
 * whose ASCII characters are those accepted by ok(): 1, a UTF-8 length
 * (RFC 6532 §3.2), or 0 when there is none
 */
static size_t
text_len(const struct ap *a, int (*ok)(int))
{
	if (a->p >= a->end)
		return 0;
	if (*a->p >= 0x80)
		return utf8_len(a->p, a->end);
	return ok(*a->p) ? 1 : 0;
}

/*
 * fws - skip folding white space (§3.2.2): WSP, and a line break (CRLF,
 * or a bare LF as milters hand it) only when WSP follows it or the value
 * ends there. Returns -1 on any other CR or LF.
 */
static int
fws(struct ap *a)
{
	const unsigned char *q;

	while (a->p < a->end) {
		if (*a->p == ' ' || *a->p == '\t') {
			a->p++;
			continue;
		}
		if (*a->p != '\r' && *a->p != '\n')
			return 0;
		q = a->p;
		if (*q == '\r' && q + 1 < a->end && q[1] == '\n')
			q++;
		if (*q != '\n')
			return bad(a, "bare CR");
		q++;
		if (q < a->end && *q != ' ' && *q != '\t')
			return bad(a, "line break not followed by white "
			    "space");
		a->p = q;
	}
	return 0;
}

/* is_ctext - §3.2.2 ctext (ASCII part, no obs-ctext controls) */
static int
is_ctext(int c)
{
	return c >= 33 && c <= 126 && c != '(' && c != ')' && c != '\\';
}

/* quoted_pair - "\" (VCHAR / WSP / UTF-8), §3.2.1; the length taken */
static int
quoted_pair(struct ap *a)
{
	size_t	n;

	a->p++;
	if (a->p >= a->end)
		return bad(a, "'\\' ends the value");
	if (*a->p >= 0x80)
		n = utf8_len(a->p, a->end);
	else
		n = (*a->p >= 33 && *a->p <= 126) || *a->p == ' ' ||
		    *a->p == '\t';
	if (n == 0)
		return bad(a, "bad quoted-pair");
	a->p += n;
	return 0;
}

/* comment - a comment at '(', nested up to DKIM_COMMENT_DEPTH (§3.2.2) */
static int
comment(struct ap *a)
{
	int	depth = 0;
	size_t	n;

	while (a->p < a->end) {
		if (*a->p == '(') {
			if (++depth > DKIM_COMMENT_DEPTH)
				return too_long(a, "comments nested too deep");
			a->p++;
		} else if (*a->p == ')') {
			a->p++;
			if (--depth == 0)
				return 0;
		} else if (*a->p == '\\') {
			if (quoted_pair(a) < 0)
				return -1;
		} else if (*a->p == ' ' || *a->p == '\t' || *a->p == '\r' ||
		    *a->p == '\n') {
			if (fws(a) < 0)
				return -1;
		} else if ((n = text_len(a, is_ctext)) > 0)
			a->p += n;
		else
			return bad(a, "bad character in a comment");
	}
	return bad(a, "comment not closed");
}

/* cfws - skip [CFWS] (§3.2.2) */
static int
cfws(struct ap *a)
{
	for (;;) {
		if (fws(a) < 0)
			return -1;
		if (a->p >= a->end || *a->p != '(')
			return 0;
		if (comment(a) < 0)
			return -1;
	}
}

/* is_qtext - §3.2.4 qtext (ASCII part, no obs-qtext controls) */
static int
is_qtext(int c)
{
	return c == 33 || (c >= 35 && c <= 91) || (c >= 93 && c <= 126);
}

/* put - append n bytes to out (of size outlen, at *o); -1 when full */
static int
put(char *out, size_t outlen, size_t *o, const void *s, size_t n)
{
	if (out == NULL)
		return 0;
	if (*o + n >= outlen)
		return -1;
	memcpy(out + *o, s, n);
	*o += n;
	out[*o] = '\0';
	return 0;
}

/*
 * quoted - a quoted-string at '"' (§3.2.4); its content, quoted-pairs
 * undone and folding line breaks dropped, into out (may be NULL)
 */
static int
quoted(struct ap *a, char *out, size_t outlen, size_t *o)
{
	size_t	n;

	a->p++;
	while (a->p < a->end && *a->p != '"') {
		if (*a->p == '\\') {
			const unsigned char *c = a->p + 1;

			if (quoted_pair(a) < 0)
				return -1;
			n = (size_t)(a->p - c);
			if (put(out, outlen, o, c, n) < 0)
				return too_long(a, "local-part too long");
			continue;
		}
		if (*a->p == ' ' || *a->p == '\t' || *a->p == '\r' ||
		    *a->p == '\n') {
			const unsigned char *c = a->p;

			if (fws(a) < 0)
				return -1;
			for (; c < a->p; c++)
				if ((*c == ' ' || *c == '\t') &&
				    put(out, outlen, o, c, 1) < 0)
					return too_long(a,
					    "local-part too long");
			continue;
		}
		if ((n = text_len(a, is_qtext)) == 0)
			return bad(a, "bad character in a quoted string");
		if (put(out, outlen, o, a->p, n) < 0)
			return too_long(a, "local-part too long");
		a->p += n;
	}
	if (a->p >= a->end)
		return bad(a, "quoted string not closed");
	a->p++;
	return 0;
}

/* atom - 1*atext at a->p (§3.2.3, UTF-8 allowed); its length, or 0 */
static size_t
atom(struct ap *a)
{
	const unsigned char *s = a->p;
	size_t	n;

	while ((n = text_len(a, is_atext)) > 0)
		a->p += n;
	return (size_t)(a->p - s);
}

/* dot_atom - dot-atom-text (§3.2.3) at a->p; its length, or -1 */
static int
dot_atom(struct ap *a, const char *what)
{
	const unsigned char *s = a->p;

	for (;;) {
		if (atom(a) == 0)
			return bad(a, what);
		if (a->p >= a->end || *a->p != '.')
			return (int)(a->p - s);
		a->p++;
	}
}

/* is_dot_atom - 1 when s[0..n) is a dot-atom-text (needs no quotes) */
static int
is_dot_atom(const char *s, size_t n)
{
	struct ap a = { (const unsigned char *)s,
	    (const unsigned char *)s + n, (const unsigned char *)s, NULL, 0,
	    0 };

	return n > 0 && dot_atom(&a, "") >= 0 && a.p == a.end;
}

/* local_part - §3.4.1 local-part, without obs-local-part, into mb */
static int
local_part(struct ap *a, struct dkim_mailbox *mb)
{
	char	raw[DKIM_LOCAL_MAX + 1];
	size_t	o = 0, i;
	const unsigned char *s;
	int	n;

	if (cfws(a) < 0)
		return -1;
	if (a->p < a->end && *a->p == '"') {
		raw[0] = '\0';
		if (quoted(a, raw, sizeof(raw), &o) < 0)
			return -1;
		if (is_dot_atom(raw, o)) {
			memcpy(mb->local, raw, o + 1);
			return cfws(a);
		}
		/* quoted again, escaping only what must be (§3.2.4) */
		n = 0;
		mb->local[n++] = '"';
		for (i = 0; i < o; i++) {
			if ((size_t)n + 4 > sizeof(mb->local))
				return too_long(a, "local-part too long");
			if (raw[i] == '"' || raw[i] == '\\')
				mb->local[n++] = '\\';
			mb->local[n++] = raw[i];
		}
		mb->local[n++] = '"';
		mb->local[n] = '\0';
		return cfws(a);
	}
	s = a->p;
	if ((n = dot_atom(a, "no local-part")) < 0)
		return -1;
	if ((size_t)n >= sizeof(mb->local))
		return too_long(a, "local-part too long");
	memcpy(mb->local, s, (size_t)n);
	mb->local[n] = '\0';
	return cfws(a);
}

/* domain - §3.4.1 domain as a DNS name in A-labels, into mb */
static int
domain(struct ap *a, struct dkim_mailbox *mb)
{
	const unsigned char *s;
	size_t	i;
	int	n;

	if (cfws(a) < 0)
		return -1;
	if (a->p < a->end && *a->p == '[')
		return bad(a, "domain literal: no domain name");
	s = a->p;
	if ((n = dot_atom(a, "no domain")) < 0)
		return -1;
	for (i = 0; i < (size_t)n; i++)
		if (s[i] >= 0x80) {
			a->p = s + i;
			return bad(a, "domain not in A-labels");
		}
	if (!dk_domain_valid((const char *)s, (size_t)n)) {
		a->p = s;
		return bad(a, "not a DNS domain name");
	}
	for (i = 0; i < (size_t)n; i++)
		mb->domain[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ?
		    s[i] + ('a' - 'A') : s[i]);
	mb->domain[n] = '\0';
	return cfws(a);
}

/* addr_spec - local-part "@" domain (§3.4.1) */
static int
addr_spec(struct ap *a, struct dkim_mailbox *mb)
{
	if (local_part(a, mb) < 0)
		return -1;
	if (a->p >= a->end || *a->p != '@')
		return bad(a, "expected '@'");
	a->p++;
	return domain(a, mb);
}

/*
 * display_name - [phrase] before '<': words, with the dots of obs-phrase
 * ("John Q. Public") and CFWS between them (§3.2.5, §4.1)
 */
static int
display_name(struct ap *a)
{
	int	words = 0;

	for (;;) {
		if (cfws(a) < 0)
			return -1;
		if (a->p >= a->end)
			return 0;
		if (*a->p == '"') {
			if (quoted(a, NULL, 0, NULL) < 0)
				return -1;
		} else if (*a->p == '.' && words > 0)
			a->p++;
		else if (atom(a) == 0)
			return 0;
		words++;
	}
}

/* mailbox - name-addr / addr-spec (§3.4) */
static int
mailbox(struct ap *a, struct dkim_mailbox *mb)
{
	const unsigned char *s = a->p;

	if (local_part(a, mb) == 0 && a->p < a->end && *a->p == '@') {
		a->p++;
		return domain(a, mb);
	}
	if (a->toolong)
		return -1;
	/* not an addr-spec: a name-addr, perhaps with a display name */
	a->p = s;
	if (display_name(a) < 0)
		return -1;
	if (a->p < a->end && *a->p == ':')
		return bad(a, "group syntax, not a mailbox-list");
	if (a->p >= a->end || *a->p != '<')
		return bad(a, a->p > s ? "expected '<' after the display name"
		    : "no mailbox");
	a->p++;
	if (a->p < a->end && *a->p == '@')
		return bad(a, "source route (obs-route)");
	if (addr_spec(a, mb) < 0)
		return -1;
	if (a->p >= a->end || *a->p != '>')
		return bad(a, "expected '>'");
	a->p++;
	return cfws(a);
}

/* dkim_mailbox_list - parse a mailbox-list (see dkim.h and above) */
int
dkim_mailbox_list(const char *value, size_t len, struct dkim_mailbox *mb,
    size_t max, char *why, size_t whylen)
{
	struct dkim_mailbox tmp;
	struct ap a;
	int	n = 0;

	a.p = a.start = (const unsigned char *)value;
	a.end = a.p + len;
	a.why = why;
	a.whylen = whylen;
	a.toolong = 0;
	if (len > DKIM_ADDR_VALUE_MAX) {
		dk_why(why, whylen, "longer than %d bytes",
		    DKIM_ADDR_VALUE_MAX);
		return -1;
	}
	if (cfws(&a) < 0)
		return -1;
	if (a.p >= a.end) {
		dk_why(why, whylen, "empty");
		return -1;
	}
	for (;;) {
		if (a.p < a.end && *a.p == ',')
			return bad(&a, "empty list element");
		if (mailbox(&a, (size_t)n < max ? &mb[n] : &tmp) < 0)
			return -1;
		n++;
		if (a.p >= a.end)
			return n;
		if (*a.p == ':' || *a.p == ';')
			return bad(&a, "group syntax, not a mailbox-list");
		if (*a.p != ',')
			return bad(&a, "unexpected text after an address");
		a.p++;
		if (cfws(&a) < 0)
			return -1;
		if (a.p >= a.end)
			return bad(&a, "empty list element");
	}
}

/* dkim_author_init - no fields seen yet */
void
dkim_author_init(struct dkim_author *au)
{
	memset(au, 0, sizeof(*au));
}

/* dkim_author_field - one header field, name and raw value */
void
dkim_author_field(struct dkim_author *au, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
	if (nlen > 0 && (name[0] == ' ' || name[0] == '\t')) {
		au->leadwsp = 1;
		return;
	}
	/* 'From :' is From (obs-optional, §4.5.3) */
	while (nlen > 0 && (name[nlen - 1] == ' ' || name[nlen - 1] == '\t'))
		nlen--;
	if (nlen == 4 && strncasecmp(name, "from", 4) == 0) {
		if (au->nfrom++ == 0)
			au->from_n = dkim_mailbox_list(value, vlen, &au->from,
			    1, au->from_why, sizeof(au->from_why));
	} else if (nlen == 6 && strncasecmp(name, "sender", 6) == 0) {
		if (au->nsender++ == 0)
			au->sender_n = dkim_mailbox_list(value, vlen,
			    &au->sender, 1, au->sender_why,
			    sizeof(au->sender_why));
	}
}

/*
 * dk_author_rule - apply the author rule (see dkim.h and above):
 * DKIM_CAUSE_NONE with *mb (may be NULL) at the author's mailbox, or the
 * cause of the refusal with why set
 */
enum dkim_cause
dk_author_rule(const struct dkim_author *au,
    const struct dkim_mailbox **mb, char *why, size_t whylen)
{
	if (mb != NULL)
		*mb = NULL;
	if (au->nfrom != 1) {
		dk_why(why, whylen, "message has %zu From fields", au->nfrom);
		return DKIM_CAUSE_FROM_COUNT;
	}
	if (au->leadwsp) {
		dk_why(why, whylen, "header begins with white space");
		return DKIM_CAUSE_HEADER_LEADING_WSP;
	}
	if (au->from_n < 0) {
		dk_why(why, whylen, "From does not parse: %s", au->from_why);
		return DKIM_CAUSE_FROM_SYNTAX;
	}
	if (au->from_n == 1) {
		if (mb != NULL)
			*mb = &au->from;
		return DKIM_CAUSE_NONE;
	}
	/* several authors: the Sender names the one who sent it (§3.6.2) */
	if (au->nsender != 1) {
		dk_why(why, whylen, "From has %d mailboxes and %zu Sender "
		    "fields", au->from_n, au->nsender);
		return DKIM_CAUSE_SENDER_COUNT;
	}
	if (au->sender_n < 0) {
		dk_why(why, whylen, "Sender does not parse: %s",
		    au->sender_why);
		return DKIM_CAUSE_SENDER_SYNTAX;
	}
	if (au->sender_n != 1) {
		dk_why(why, whylen, "Sender has %d mailboxes", au->sender_n);
		return DKIM_CAUSE_SENDER_MAILBOXES;
	}
	if (mb != NULL)
		*mb = &au->sender;
	return DKIM_CAUSE_NONE;
}

/* dkim_author_check - the author rule, as a status (see dkim.h) */
enum dkim_author_status
dkim_author_check(const struct dkim_author *au,
    const struct dkim_mailbox **mb, char *why, size_t whylen)
{
	switch (dk_author_rule(au, mb, why, whylen)) {
	case DKIM_CAUSE_NONE:
		return DKIM_AUTHOR_OK;
	case DKIM_CAUSE_FROM_COUNT:
		return DKIM_AUTHOR_FIELDS;
	default:
		return DKIM_AUTHOR_BAD;
	}
}
