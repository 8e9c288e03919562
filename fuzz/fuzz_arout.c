/*
 * fuzz_arout.c - libFuzzer target: Authentication-Results that dkimd writes
 *
 * The input is up to five lines: the a=, d=, s= and i= values of one
 * DKIM-Signature, and the key record its lookup returns (a keysource
 * that answers any name). The message is verified and the value of
 * dkim_ar_value() checked: printable ASCII, line breaks only as folding,
 * every quoted-string and comment closed (so nothing the signer chose
 * can end a comment early or add a property, CVE-2022-48521's kind of
 * spoofing), and dkim_ar_is_ours() recognizes the field as ours.
 * Also: no line over 998 characters (RFC 5322 §2.1.1), and no
 * ';' anywhere, even quoted, but those that start our resinfos, so that
 * a reader that splits at ';' first finds only ours.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define AUTHSERV	"mx.example.org"

static dkim_ctx *ctx;
static char record[4096];
static time_t now = 1700000000;

/* source - every name has the record of the current input */
static enum dkim_dns_status
source(void *arg, const char *qname, char **txt, char *reason, size_t len)
{
	(void)arg;
	(void)qname;
	if (record[0] == '\0') {
		snprintf(reason, len, "no key record");
		return DKIM_DNS_NOKEY;
	}
	return (*txt = strdup(record)) == NULL ? DKIM_DNS_TEMPFAIL :
	    DKIM_DNS_OK;
}

/* clock_fixed - a fixed "now" */
static time_t
clock_fixed(void *arg)
{
	return *(time_t *)arg;
}

/*
 * check_lines - lines of at most 998 characters, counting the field name;
 * every ';' followed by our next resinfo ("CRLF TAB dkim=", or " dkim=none")
 */
static void
check_lines(const char *ar)
{
	const char *p;
	size_t	len = strlen("Authentication-Results:");

	for (p = ar; *p; p++) {
		if (*p == '\r' || *p == '\n')
			len = 0;
		else if (++len > 998)
			abort();
		if (*p == ';' && strncmp(p + 1, "\r\n\tdkim=", 8) != 0 &&
		    strcmp(p + 1, " dkim=none") != 0)
			abort();
	}
}

/* check_ar - the value is one well-formed field body; abort() if not */
static void
check_ar(const char *ar)
{
	const char *p;
	int	depth = 0, quoted = 0;

	for (p = ar; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '\r' || c == '\n') {
			if (c == '\r' && p[1] == '\n')
				p++;
			if (p[1] != ' ' && p[1] != '\t')
				abort();	/* a break that ends the field */
			continue;
		}
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			abort();
		if (c == '\\' && (quoted || depth > 0)) {
			if (p[1] == '\0' || p[1] == '\r' || p[1] == '\n')
				abort();
			p++;
		} else if (quoted) {
			if (c == '"')
				quoted = 0;
		} else if (c == '(')
			depth++;
		else if (c == ')') {
			if (--depth < 0)
				abort();
		} else if (c == '"' && depth == 0)
			quoted = 1;
	}
	if (depth != 0 || quoted)
		abort();
	if (!dkim_ar_is_ours(ar, strlen(ar), AUTHSERV))
		abort();
	check_lines(ar);
}

/* line - the next input line into out (bytes as they are), advancing *p */
static void
line(const unsigned char **p, const unsigned char *end, char *out,
    size_t size)
{
	size_t	n = 0;

	while (*p < end && **p != '\n') {
		if (n + 1 < size && **p != '\0')
			out[n++] = (char)**p;
		(*p)++;
	}
	if (*p < end)
		(*p)++;
	out[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const unsigned char *p = data, *end = data + size;
	char	a[256], d[512], s[512], i[512], hdr[4096], *ar;
	dkim_msg *m;

	if (ctx == NULL) {
		ctx = dkim_ctx_new();
		dkim_ctx_set_keysource(ctx, source, NULL);
		dkim_ctx_set_clock(ctx, clock_fixed, &now);
	}
	line(&p, end, a, sizeof(a));
	line(&p, end, d, sizeof(d));
	line(&p, end, s, sizeof(s));
	line(&p, end, i, sizeof(i));
	line(&p, end, record, sizeof(record));
	snprintf(hdr, sizeof(hdr), "DKIM-Signature: v=1; a=%s; d=%s; s=%s;"
	    " i=%s; c=relaxed/relaxed; h=from:subject; bh=47DEQpj8HBSa+/TIm"
	    "W+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGVzdA==\r\n", a, d, s, i);
	m = dkim_msg_new(ctx, DKIM_MODE_VERIFY);
	if (m == NULL)
		return 0;
	if (dkim_header_field(m, hdr, strlen(hdr)) == DKIM_OK &&
	    dkim_header_field(m, "From: x@example.com\r\n", 21) == DKIM_OK &&
	    dkim_eoh(m) == DKIM_OK && dkim_eom(m) == DKIM_OK) {
		if ((ar = dkim_ar_value(m, AUTHSERV)) == NULL)
			abort();
		check_ar(ar);
		free(ar);
	}
	dkim_msg_free(m);
	return 0;
}
