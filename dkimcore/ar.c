/*
 * ar.c - Authentication-Results fields (RFC 8601)
 *
 * dkim_ar_value() writes the field a verifier adds: one dkim= result per
 * signature, with header.d, header.i, header.s, header.a and header.b
 * (§2.7.1), and the reason in a comment. Nothing from the message goes
 * into it unchecked: property values that are not plain tokens are
 * quoted, and comments are stripped of what could end them.
 *
 * dkim_ar_is_ours() recognizes a field that claims to come from our
 * authserv-id, however it is dressed: leading comments and folding,
 * upper case, a quoted id, a trailing dot, a version after the id.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dk.h"

#define ID_MAX	256

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
 * parentheses turned to brackets, no backslash
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
		else if (c < 0x20 || c > 0x7e || c == '\\')
			c = c == '\t' ? ' ' : '?';
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
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

/* add_prop - append " ptype.prop=value", quoting the value if needed */
static int
add_prop(struct dk_buf *b, const char *prop, const char *val)
{
	const char *s;

	if (val == NULL || *val == '\0')
		return 0;
	if (plain(val))
		return dk_buf_printf(b, " %s=%s", prop, val);
	if (dk_buf_printf(b, " %s=\"", prop) < 0)
		return -1;
	for (s = val; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			if (dk_buf_printf(b, "\\%c", c) < 0)
				return -1;
		} else if (dk_buf_printf(b, "%c",
		    c < 0x20 || c > 0x7e ? '?' : c) < 0)
			return -1;
	}
	return dk_buf_addstr(b, "\"");
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
		    r->key_bits, r->testing ? "; test mode" : "");
	else
		dk_ar_sanitize(comment, sizeof(comment), r->reason);
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

/* dkim_ar_value - the Authentication-Results value for this message */
char *
dkim_ar_value(const dkim_msg *m, const char *authserv_id)
{
	struct dk_buf b = { 0 };
	size_t i, n = dkim_result_count(m);
	char id[ID_MAX];

	dk_ar_sanitize(id, sizeof(id), authserv_id);
	if (dk_buf_printf(&b, " %s", id) < 0)
		goto fail;
	if (n == 0 && dk_buf_addstr(&b, "; dkim=none") < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (add_result(&b, dkim_result_get(m, i)) < 0)
			goto fail;
	return b.data;
fail:
	dk_buf_free(&b);
	return NULL;
}

/* skip_cfws - advance past folding white space and (nested) comments */
static const char *
skip_cfws(const char *p, const char *end)
{
	int depth;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
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

/* read_id - the authserv-id at p (token or quoted-string) into id */
static size_t
read_id(const char *p, const char *end, char *id, size_t size)
{
	size_t n = 0;

	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (n + 1 >= size)
				return 0;
			id[n++] = *p;
		}
	} else {
		for (; p < end && !strchr(" \t\r\n;(\"", *p); p++) {
			if (n + 1 >= size)
				return 0;
			id[n++] = *p;
		}
	}
	while (n > 0 && id[n - 1] == '.')
		n--;
	id[n] = '\0';
	return n;
}

/* dkim_ar_is_ours - 1 when the field's authserv-id is authserv_id */
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
