/*
 * logjson.c - a message's log line as one JSON object (see logjson.h)
 *
 * Each string value gets an equal share of the room left; a value is
 * copied one whole character (or escape) at a time, and only while the
 * character fits in its share, so the object always closes.
 */
#include <stdio.h>
#include <string.h>

#include "logjson.h"

/* utf8_len - the length of the well-formed UTF-8 sequence at s (RFC
 * 3629 §4), or 0 */
static size_t
utf8_len(const unsigned char *s)
{
	size_t	n, i;
	unsigned char lo = 0x80, hi = 0xBF;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		if (s[0] == 0xE0)
			lo = 0xA0;	/* no overlong forms */
		if (s[0] == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		if (s[0] == 0xF0)
			lo = 0x90;
		if (s[0] == 0xF4)
			hi = 0x8F;	/* nothing above U+10FFFF */
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

/* put_str - "s" JSON-escaped into out (room bytes at most, counting
 * the quotes); the bytes written */
static size_t
put_str(char *out, size_t room, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	char	esc[8];
	const char *c;
	size_t	o = 0, n, cl;

	if (room < 2)
		return 0;
	out[o++] = '"';
	while (*p) {
		cl = utf8_len(p);
		if (*p == '"' || *p == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else if (cl == 0)
			n = (size_t)snprintf(esc, sizeof(esc), "\\ufffd");
		else
			n = 0;
		c = n ? esc : (const char *)p;
		if (n == 0)
			n = cl;
		if (o + n + 1 > room)
			break;
		memcpy(out + o, c, n);
		o += n;
		p += cl ? cl : 1;
	}
	out[o++] = '"';
	return o;
}

/* logjson_message - the object; its length */
size_t
logjson_message(char *out, size_t outlen, const char *qid,
    const char *mode, const char *why, const char *outcome, long ms)
{
	const char *key[4] = { "qid", "mode", "why", "outcome" };
	const char *val[4] = { qid, mode, why, outcome };
	char	tail[48];
	size_t	o = 0, share, i, tl;

	if (outlen < LOGJSON_MIN) {
		if (outlen > 0)
			out[0] = '\0';
		return 0;
	}
	tl = (size_t)snprintf(tail, sizeof(tail), ",\"ms\":%ld}", ms);
	/* room for the keys and punctuation, then equal shares */
	share = (outlen - 1 - tl - 40) / 4;
	out[o++] = '{';
	for (i = 0; i < 4; i++) {
		o += (size_t)snprintf(out + o, outlen - o, "%s\"%s\":",
		    i ? "," : "", key[i]);
		o += put_str(out + o, share, val[i]);
	}
	memcpy(out + o, tail, tl + 1);
	return o + tl;
}
