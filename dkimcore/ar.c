/*
 * ar.c - Authentication-Results fields (RFC 8601)
 *
 * dkim_ar_value() writes the field a verifier adds: one dkim= result per
 * signature, with header.d, header.i, header.s, header.a and header.b
 * (§2.7.1), and the reason in a comment; then, for a message with ARC
 * fields, its arc= result (RFC 8617 §8.1). Nothing from the message goes
 * into it unchecked: property values that are not plain tokens are
 * quoted or, when even quotes would not keep them harmless, left out,
 * and comments are stripped of what could end them.
 *
 * header.i, the value most in the sender's hands, is written only when
 * safe; a line is folded before it would pass 78 characters.
 *
 * dkim_ar_is_ours() recognizes a field that claims to come from our
 * authserv-id, however it is dressed: leading comments, folding and
 * Unicode or control white space, upper case, a quoted id, a trailing
 * dot, and anything after the id's token (a version, '/', ',', NBSP).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dk.h"

#define ID_MAX		256	/* authserv-id bytes we read or write */
#define AR_FOLD		78	/* fold before an item that would pass this */
#define AR_PROP_MAX	256	/* longer property values are left out */

/* dkim_result_name - RFC 8601's name of a result */
const char *
dkim_result_name(enum dkim_result r)
{
	switch (r) {
	case DKIM_RES_PASS:
		return "pass";
	case DKIM_RES_FAIL:
		return "fail";
	case DKIM_RES_NEUTRAL:
		return "neutral";
	case DKIM_RES_POLICY:
		return "policy";
	case DKIM_RES_TEMPERROR:
		return "temperror";
	case DKIM_RES_PERMERROR:
		return "permerror";
	case DKIM_RES_NONE:
		break;
	}
	return "none";
}

/* dkim_alg_name - the a= name of an algorithm */
const char *
dkim_alg_name(enum dkim_alg a)
{
	switch (a) {
	case DKIM_ALG_RSA_SHA256:
		return "rsa-sha256";
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	case DKIM_ALG_RSA_SHA1:
		return "rsa-sha1";
	case DKIM_ALG_UNKNOWN:
		break;
	}
	return "unknown";
}

/*
 * dk_ar_sanitize - a copy of s safe inside a comment: printable ASCII,
 * parentheses turned to brackets, no backslash, and ';' turned to ','
 * so that a reader that splits the field at ';' before it looks for
 * comments still finds our resinfos where we put them
 */
void
dk_ar_sanitize(char *dst, size_t size, const char *s)
{
	size_t n = 0;

	if (size == 0)
		return;
	for (; *s && n + 1 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '(')
			c = '[';
		else if (c == ')')
			c = ']';
		else if (c == ';')
			c = ',';
		else if (c < 0x20 || c > 0x7e || c == '\\')
			c = c == '\t' ? ' ' : '?';
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
}

/* token_char - 1 for a character of an RFC 2045 §5.1 token */
static int
token_char(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) ==
	    NULL;
}

/* dkim_authserv_id_valid - 1 when id is a token (RFC 8601 §2.2, §2.5) */
int
dkim_authserv_id_valid(const char *id)
{
	size_t n = 0;

	for (; id[n]; n++)
		if (!token_char((unsigned char)id[n]))
			return 0;
	return n > 0 && n < ID_MAX;
}

/* plain - 1 when s can stand unquoted as a property value */
static int
plain(const char *s)
{
	int ats = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s == '@')
			ats++;
		else if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' &&
		    *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    strchr("-._+", *s)))
			return 0;
	}
	return ats <= 1;
}

/*
 * quotable - 1 when s may go into a quoted-string as it is: printable
 * ASCII without SP, '"', '\', ';', '(' or ')'. A value with those (an
 * i= local-part can hold any of them once decoded) is left out rather
 * than escaped: a reader that splits at ';' or SP, or strips comments,
 * before it honours quotes, would find in it a resinfo of the sender's
 * making ("; dkim=pass header.d=bank.example").
 */
static int
quotable(const char *s)
{
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f || strchr("\"\\;()", *s))
			return 0;
	return 1;
}

/* line_len - the length of the last line of b so far */
static size_t
line_len(const struct dk_buf *b)
{
	size_t i = b->len;

	while (i > 0 && b->data[i - 1] != '\n')
		i--;
	return b->len - i;
}

/*
 * add_sep - the separator before an item of len bytes: a space, or CRLF
 * TAB when the line would pass AR_FOLD (RFC 5322 §2.1.1: 78 is the
 * recommended line length, 998 the limit)
 */
static int
add_sep(struct dk_buf *b, size_t len)
{
	return dk_buf_addstr(b, line_len(b) + 1 + len > AR_FOLD ? "\r\n\t" :
	    " ");
}

/*
 * add_prop - append "ptype.prop=value", quoted if needed; a value that
 * is empty, longer than AR_PROP_MAX or not quotable is left out (RFC
 * 8601 §2.7.1 makes every property optional)
 */
static int
add_prop(struct dk_buf *b, const char *prop, const char *val)
{
	size_t n;

	if (val == NULL || (n = strlen(val)) == 0 || n > AR_PROP_MAX)
		return 0;
	if (plain(val))
		return add_sep(b, strlen(prop) + 1 + n) < 0 ? -1 :
		    dk_buf_printf(b, "%s=%s", prop, val);
	if (!quotable(val))
		return 0;
	return add_sep(b, strlen(prop) + 3 + n) < 0 ? -1 :
	    dk_buf_printf(b, "%s=\"%s\"", prop, val);
}

/* add_result - one "dkim=..." resinfo */
static int
add_result(struct dk_buf *b, const struct dkim_sigresult *r)
{
	char comment[200];

	if (dk_buf_printf(b, ";\r\n\tdkim=%s", dkim_result_name(r->result)) < 0)
		return -1;
	if (r->result == DKIM_RES_PASS && r->key_bits)
		snprintf(comment, sizeof(comment), "%u-bit key%s",
		    r->key_bits, r->testing ? ", test mode" : "");
	else
		dk_ar_sanitize(comment, sizeof(comment), r->reason);
	/* the comment stays on the dkim= line: under 220 characters */
	if (*comment && dk_buf_printf(b, " (%s)", comment) < 0)
		return -1;
	if (add_prop(b, "header.d", r->domain) < 0 ||
	    add_prop(b, "header.i", r->identity) < 0 ||
	    add_prop(b, "header.s", r->selector) < 0 ||
	    add_prop(b, "header.a", r->alg_name) < 0 ||
	    add_prop(b, "header.b", r->b) < 0)
		return -1;
	return 0;
}

/* id_copy - authserv_id with any character not of a token made '_' */
static void
id_copy(char *dst, size_t size, const char *s)
{
	size_t n;

	for (n = 0; s[n] && n + 1 < size; n++)
		dst[n] = token_char((unsigned char)s[n]) ? s[n] : '_';
	dst[n] = '\0';
}

/*
 * add_arc - the "arc=" resinfo of a message with ARC fields (RFC 8617
 * §8.1), nothing for one without: the newest seal's d= and s= in the
 * comment on pass (validated names, safe as they are), the reason on
 * fail; smtp.remote-ip (§8.1, RFC 8601 registry) when known
 */
static int
add_arc(struct dk_buf *b, const dkim_msg *m, const char *remote_ip)
{
	const struct dkim_arcresult *a = dkim_arc_get(m);
	char comment[240];

	if (a->result == DKIM_ARC_NONE)
		return 0;
	if (a->result == DKIM_ARC_PASS)
		snprintf(comment, sizeof(comment), "as[%u].d=%s as[%u].s=%s",
		    a->instances, a->as_domain, a->instances, a->as_selector);
	else
		dk_ar_sanitize(comment, sizeof(comment), a->reason);
	if (dk_buf_printf(b, ";\r\n\tarc=%s (%s)",
	    dkim_arc_result_name(a->result), comment) < 0)
		return -1;
	return remote_ip != NULL && dkim_ip_plain(remote_ip) ?
	    add_prop(b, "smtp.remote-ip", remote_ip) : 0;
}

/*
 * dkim_ip_plain - 1 when s looks like an IPv4 or IPv6 address (hex
 * digits, '.', ':'), so that it can go into a field as it is
 */
int
dkim_ip_plain(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!strchr("0123456789abcdefABCDEF.:", s[n]))
			return 0;
	return n > 0 && n <= 45;
}

/* dkim_ar_value - the Authentication-Results value for this message */
char *
dkim_ar_value(const dkim_msg *m, const char *authserv_id)
{
	return dkim_ar_value_client(m, authserv_id, NULL);
}

/* dkim_ar_value_client - the same, with the SMTP client's address */
char *
dkim_ar_value_client(const dkim_msg *m, const char *authserv_id,
    const char *remote_ip)
{
	struct dk_buf b = { 0 };
	size_t i, n = dkim_result_count(m);
	char id[ID_MAX];

	id_copy(id, sizeof(id), authserv_id);
	if (dk_buf_printf(&b, " %s", id) < 0)
		goto fail;
	if (n == 0 && dk_buf_addstr(&b, "; dkim=none") < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (add_result(&b, dkim_result_get(m, i)) < 0)
			goto fail;
	if (add_arc(&b, m, remote_ip) < 0)
		goto fail;
	return b.data;
fail:
	dk_buf_free(&b);
	return NULL;
}

/*
 * space_like - the length of a run of bytes at p that some reader may
 * take for white space, 0 if none: ASCII controls other than those of
 * FWS (VT, FF, FS..US, DEL and the rest), and in UTF-8 NEL, NO-BREAK
 * SPACE, the Unicode space separators, the zero-width and direction
 * marks, the line and paragraph separators and the byte order mark.
 * Python's str.split(), for one, splits at most of them.
 */
static size_t
space_like(const unsigned char *p, const unsigned char *end)
{
	size_t n = (size_t)(end - p);

	if (n >= 1 && ((*p < 0x20 && *p != ' ' && *p != '\t' && *p != '\r' &&
	    *p != '\n') || *p == 0x7f))
		return 1;
	if (n >= 2 && p[0] == 0xc2 && (p[1] == 0x85 || p[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((p[0] == 0xe1 && p[1] == 0x9a && p[2] == 0x80) ||	/* U+1680 */
	    (p[0] == 0xe1 && p[1] == 0xa0 && p[2] == 0x8e) ||	/* U+180E */
	    (p[0] == 0xe2 && p[1] == 0x80 && (p[2] <= 0x8f ||	/* U+2000.. */
	    (p[2] >= 0xa8 && p[2] <= 0xaf))) ||			/* U+2028.. */
	    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0x9f &&
	    p[2] <= 0xa0) ||					/* U+205F.. */
	    (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80) ||	/* U+3000 */
	    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf))	/* U+FEFF */
		return 3;
	return 0;
}

/* skip_space - advance past FWS and space_like() runs */
static const char *
skip_space(const char *p, const char *end)
{
	size_t n;

	for (;;) {
		if (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		else if ((n = space_like((const unsigned char *)p,
		    (const unsigned char *)end)) > 0)
			p += n;
		else
			return p;
	}
}

/*
 * skip_cfws - advance past white space (skip_space) and (nested)
 * comments, which may precede the authserv-id (RFC 8601 §2.2)
 */
static const char *
skip_cfws(const char *p, const char *end)
{
	int depth;

	for (;;) {
		p = skip_space(p, end);
		if (p >= end || *p != '(')
			return p;
		for (depth = 0; p < end; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
		}
	}
}

/*
 * unquote - the content of the quoted-string at p (just after '"'),
 * backslash escapes undone, into buf; its length, or 0 when too long
 * or not closed
 */
static size_t
unquote(const char *p, const char *end, char *buf, size_t size)
{
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		if (n + 1 >= size)
			return 0;
		buf[n++] = *p;
	}
	if (p >= end)
		return 0;
	buf[n] = '\0';
	return n;
}

/*
 * read_id - the authserv-id at p into id: the RFC 2045 token that starts
 * the value (or the quoted-string's content), up to whatever follows
 * it. Trailing dots go (a fully qualified spelling of the same name).
 */
static size_t
read_id(const char *p, const char *end, char *id, size_t size)
{
	char	 q[ID_MAX];
	size_t	 n = 0, ql;

	if (p < end && *p == '"') {
		if ((ql = unquote(p + 1, end, q, sizeof(q))) == 0)
			return 0;
		p = skip_space(q, q + ql);
		end = q + ql;
	}
	for (; p < end && token_char((unsigned char)*p); p++) {
		if (n + 1 >= size)
			return 0;
		id[n++] = *p;
	}
	while (n > 0 && id[n - 1] == '.')
		n--;
	id[n] = '\0';
	return n;
}

/*
 * dkim_ar_is_ours - 1 when the field's authserv-id is authserv_id. RFC
 * 8601 §5 has a receiver remove fields that carry its own authserv-id;
 * what counts here is what any reader could take for it: the token
 * that begins the value after comments and any kind of white space,
 * whatever follows it (a version, a tspecial such as '/' or ',', a
 * control or 8-bit byte), compared without regard to case as domain
 * names are.
 */
int
dkim_ar_is_ours(const char *value, size_t len, const char *authserv_id)
{
	const char *end = value + len;
	char id[ID_MAX];
	size_t n, ol = strlen(authserv_id);

	while (ol > 0 && authserv_id[ol - 1] == '.')
		ol--;
	value = skip_cfws(value, end);
	if ((n = read_id(value, end, id, sizeof(id))) == 0)
		return 0;
	return n == ol && strncasecmp(id, authserv_id, ol) == 0;
}
