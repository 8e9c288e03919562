/*
 * test_canon.c - header and body canonicalization (RFC 6376 §3.4)
 *
 * Body cases come from t/data/canon/body.txt; each is checked whole and
 * fed in every split. Random inputs are checked against a whole-buffer
 * reference canonicalizer written here from the RFC's rules.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dk.h"
#include "tap.h"

#define MAXOUT	(1 << 20)

struct collect {
	unsigned char *p;
	size_t	n;
	size_t	calls;
};

/* collect_sink - a sink that keeps what it gets */
static void
collect_sink(void *arg, const unsigned char *p, size_t n)
{
	struct collect *c = arg;

	if (c->n + n <= MAXOUT)
		memcpy(c->p + c->n, p, n);
	c->n += n;
	c->calls++;
}

/* run_split - canonicalize in[0..n) cut at the given chunk sizes */
static void
run_split(enum dkim_canon canon, const unsigned char *in, size_t n,
    const size_t *cuts, size_t ncuts, struct collect *c)
{
	struct dk_body b;
	size_t	 off = 0, i;

	c->n = c->calls = 0;
	dk_body_init(&b, canon, collect_sink, c);
	for (i = 0; i < ncuts && off < n; i++) {
		size_t k = cuts[i] < n - off ? cuts[i] : n - off;

		dk_body_update(&b, in + off, k);
		off += k;
	}
	if (off < n)
		dk_body_update(&b, in + off, n - off);
	dk_body_final(&b);
}

/* run_whole - canonicalize in[0..n) in one chunk */
static void
run_whole(enum dkim_canon canon, const unsigned char *in, size_t n,
    struct collect *c)
{
	run_split(canon, in, n, NULL, 0, c);
}

/*
 * reference - canonicalize a whole body by the RFC's rules, line by line,
 * without any streaming: the oracle for the streaming code.
 */
static size_t
reference(enum dkim_canon canon, const unsigned char *in, size_t n,
    unsigned char *out)
{
	size_t	 i = 0, o = 0, keep = 0;

	while (i < n) {
		size_t	 s = i, e, next;
		size_t	 lstart = o;

		while (i < n && in[i] != '\n' &&
		    !(in[i] == '\r' && i + 1 < n && in[i + 1] == '\n'))
			i++;
		e = i;
		next = i < n ? (in[i] == '\n' ? i + 1 : i + 2) : n;
		for (; s < e; s++) {
			int wsp = in[s] == ' ' || in[s] == '\t';

			if (canon == DKIM_CANON_RELAXED && wsp) {
				if (o == lstart || out[o - 1] != ' ')
					out[o++] = ' ';
			} else
				out[o++] = in[s];
		}
		if (canon == DKIM_CANON_RELAXED && o > lstart &&
		    out[o - 1] == ' ')
			o--;
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - lstart > 2)
			keep = o;	/* output up to the last non-empty line */
		i = next;
	}
	o = keep;
	if (o == 0 && canon == DKIM_CANON_SIMPLE) {
		memcpy(out, "\r\n", 2);
		o = 2;
	}
	return o;
}

/* unescape - decode \r \n \t \\ \xHH in place; the new length */
static size_t
unescape(char *s)
{
	char	*r = s, *w = s;

	while (*r != '\0') {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'r': *w++ = '\r'; r++; break;
		case 'n': *w++ = '\n'; r++; break;
		case 't': *w++ = '\t'; r++; break;
		case 'x': {
			char hex[3] = { r[1], r[2], '\0' };

			*w++ = (char)strtoul(hex, NULL, 16);
			r += 3;
			break;
		}
		default: *w++ = *r++; break;
		}
	}
	return (size_t)(w - s);
}

/* all_splits - 1 when every composition of n into chunks gives want */
static int
all_splits(enum dkim_canon canon, const unsigned char *in, size_t n,
    const unsigned char *want, size_t wn, struct collect *c)
{
	size_t	 cuts[64], ncuts, i;
	unsigned long mask, last;

	if (n < 2)
		return 1;
	last = n <= 13 ? 1UL << (n - 1) : 0;
	for (mask = 0; mask < last; mask++) {
		size_t prev = 0;

		ncuts = 0;
		for (i = 1; i < n; i++)
			if (mask & (1UL << (i - 1))) {
				cuts[ncuts++] = i - prev;
				prev = i;
			}
		run_split(canon, in, n, cuts, ncuts, c);
		if (c->n != wn || memcmp(c->p, want, wn) != 0)
			return 0;
	}
	for (i = 1; i <= n && last == 0; i++) {
		size_t	 k, fixed[1024];

		for (k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
			fixed[k] = i;
		run_split(canon, in, n, fixed, 1024, c);
		if (c->n != wn || memcmp(c->p, want, wn) != 0)
			return 0;
	}
	return 1;
}

/* test_body_file - the cases of t/data/canon/body.txt */
static void
test_body_file(const char *dir, struct collect *c)
{
	char	 path[1024], line[4096], name[600];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/t/data/canon/body.txt", dir);
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "body cases file t/data/canon/body.txt opens");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char	*canon, *in, *want, *what;
		size_t	 n, wn;
		enum dkim_canon cv;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		canon = line;
		if ((in = strchr(canon, '\t')) == NULL ||
		    (want = strchr(in + 1, '\t')) == NULL ||
		    (what = strchr(want + 1, '\t')) == NULL) {
			ok(0, "body cases file: well-formed line");
			continue;
		}
		*in++ = *want++ = *what++ = '\0';
		cv = strcmp(canon, "relaxed") == 0 ? DKIM_CANON_RELAXED :
		    DKIM_CANON_SIMPLE;
		n = unescape(in);
		wn = unescape(want);
		run_whole(cv, (unsigned char *)in, n, c);
		ok(c->n == wn && memcmp(c->p, want, wn) == 0, what);
		snprintf(name, sizeof(name), "%s (every split)", what);
		ok(all_splits(cv, (unsigned char *)in, n,
		    (unsigned char *)want, wn, c), name);
	}
	fclose(f);
}

/* test_cr_split - a CRLF cut between two chunks */
static void
test_cr_split(struct collect *c)
{
	static const struct {
		enum dkim_canon canon;
		const char *chunks[7];	/* NULL-terminated */
		const char *want;
		const char *what;
	} t[] = {
		{ DKIM_CANON_SIMPLE, { "abc\r", "\ndef\r\n" }, "abc\r\ndef\r\n",
		    "simple body: CR and LF in two chunks make one line end" },
		{ DKIM_CANON_RELAXED, { "abc\r", "\ndef\r\n" },
		    "abc\r\ndef\r\n",
		    "relaxed body: CR and LF in two chunks make one line end" },
		{ DKIM_CANON_SIMPLE, { "abc\r", "\n\r", "\n", "\r", "\n", "x" },
		    "abc\r\n\r\n\r\nx\r\n", "simple body: empty lines split "
		    "at every CR are held and emitted" },
		{ DKIM_CANON_RELAXED, { "ab \r", "\n" }, "ab\r\n",
		    "relaxed body: WSP before a split CRLF is removed" },
		{ DKIM_CANON_RELAXED, { "ab \r", "x\r\n" }, "ab \rx\r\n",
		    "relaxed body: a split CR that is no line end keeps the SP "
		    "before it" },
	};
	struct dk_body b;
	const char *const *ch;
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		c->n = c->calls = 0;
		dk_body_init(&b, t[i].canon, collect_sink, c);
		for (ch = t[i].chunks; *ch != NULL; ch++)
			dk_body_update(&b, (const unsigned char *)*ch,
			    strlen(*ch));
		dk_body_final(&b);
		ok(c->n == strlen(t[i].want) &&
		    memcmp(c->p, t[i].want, c->n) == 0, t[i].what);
	}
}

/* count_sink - a sink that counts, and checks its first 200,002 bytes are CRLFs */
struct counter {
	uint64_t n;
	uint64_t bad;
	uint64_t first_at;
};

static void
count_sink(void *arg, const unsigned char *p, size_t n)
{
	struct counter *k = arg;
	size_t	 i;

	for (i = 0; i < n && k->n + i < 200002; i++)
		if (p[i] != ((k->n + i) % 2 == 0 ? '\r' : '\n'))
			k->bad++;
	k->n += n;
}

/* test_many_empty - 100,000 empty lines cost a count, not memory */
static void
test_many_empty(void)
{
	struct dk_body b;
	struct counter k;
	enum dkim_canon cv;
	int	 i;

	for (cv = DKIM_CANON_SIMPLE; cv <= DKIM_CANON_RELAXED; cv++) {
		memset(&k, 0, sizeof(k));
		dk_body_init(&b, cv, count_sink, &k);
		for (i = 0; i < 100000; i++)
			dk_body_update(&b, (const unsigned char *)"\r\n", 2);
		k.first_at = k.n;
		dk_body_update(&b, (const unsigned char *)"\r\n", 1);
		dk_body_update(&b, (const unsigned char *)"\n", 1);
		is_int(k.first_at, 0, cv == DKIM_CANON_SIMPLE ?
		    "simple body: 100,000 empty lines are held, nothing "
		    "emitted" : "relaxed body: 100,000 empty lines are held, "
		    "nothing emitted");
		is_int(b.blanklines, 100001, "the held lines are a count");
		k.bad = 0;
		dk_body_update(&b, (const unsigned char *)"x\r\n", 3);
		dk_body_final(&b);
		ok(k.n == 200002 + 3, cv == DKIM_CANON_SIMPLE ?
		    "simple body: 100,001 empty lines then text: all emitted" :
		    "relaxed body: 100,001 empty lines then text: all emitted");
		ok(k.bad == 0, "the held lines come out as CRLF pairs");
	}
	memset(&k, 0, sizeof(k));
	dk_body_init(&b, DKIM_CANON_SIMPLE, count_sink, &k);
	for (i = 0; i < 100000; i++)
		dk_body_update(&b, (const unsigned char *)"\n", 1);
	dk_body_final(&b);
	ok(k.n == 2 && k.bad == 0, "simple body: 100,000 bare-LF empty lines "
	    "alone become one CRLF");
}

/* hash_sink - a sink into an EVP digest */
static void
hash_sink(void *arg, const unsigned char *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* body_hash_b64 - base64 SHA-256 of a canonicalized body */
static void
body_hash_b64(enum dkim_canon canon, const unsigned char *p, size_t n,
    size_t chunk, char *out)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32];
	struct dk_body b;
	size_t	 off;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	dk_body_init(&b, canon, hash_sink, md);
	for (off = 0; off < n; off += chunk)
		dk_body_update(&b, p + off, n - off < chunk ? n - off : chunk);
	dk_body_final(&b);
	EVP_DigestFinal_ex(md, dg, NULL);
	EVP_MD_CTX_free(md);
	EVP_EncodeBlock((unsigned char *)out, dg, 32);
}

/* test_rfc8463 - the known body hashes of RFC 8463 Appendix A */
static void
test_rfc8463(const char *dir)
{
	char	 path[1024], buf[8192], h[64];
	const char *body;
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/t/data/canon/rfc8463-unsigned.eml",
	    dir);
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "RFC 8463 message t/data/canon/rfc8463-unsigned.eml "
		    "opens");
		return;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((body = strstr(buf, "\r\n\r\n")) == NULL) {
		ok(0, "RFC 8463 message has a body");
		return;
	}
	body += 4;
	n -= (size_t)(body - buf);
	body_hash_b64(DKIM_CANON_RELAXED, (const unsigned char *)body, n, n, h);
	is_str(h, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
	    "RFC 8463 body: relaxed SHA-256 body hash");
	body_hash_b64(DKIM_CANON_SIMPLE, (const unsigned char *)body, n, n, h);
	is_str(h, "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=",
	    "RFC 8463 body: simple SHA-256 body hash");
	body_hash_b64(DKIM_CANON_RELAXED, (const unsigned char *)body, n, 3, h);
	is_str(h, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
	    "RFC 8463 body: relaxed hash the same in 3-byte chunks");
	body_hash_b64(DKIM_CANON_SIMPLE, (const unsigned char *)body, n, 1, h);
	is_str(h, "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=",
	    "RFC 8463 body: simple hash the same byte by byte");
}

/* test_random - streaming in random splits equals the reference */
static void
test_random(struct collect *c)
{
	static const char dense[] = "ab  \t\r\n\n\r\n";
	static const char sparse[] = "abcdefghijklmnopqrstuvwxyz    \r\n\t";
	unsigned char in[1200], *want;
	size_t	 n, wn, cuts[64], i, round;
	int	 bad[2] = { 0, 0 }, cv;

	srand(6376);
	want = malloc(3 * sizeof(in));
	for (round = 0; round < 3000; round++) {
		n = (size_t)rand() % (round < 2000 ? 40 : sizeof(in));
		for (i = 0; i < n; i++)
			in[i] = round % 2 ?
			    (unsigned char)dense[rand() % (sizeof(dense) - 1)] :
			    (unsigned char)sparse[rand() % (sizeof(sparse) - 1)];
		for (i = 0; i < 64; i++)
			cuts[i] = 1 + (size_t)rand() % (1 + (size_t)rand() % 40);
		for (cv = DKIM_CANON_SIMPLE; cv <= DKIM_CANON_RELAXED; cv++) {
			wn = reference(cv, in, n, want);
			run_split(cv, in, n, cuts, 64, c);
			if (c->n != wn || memcmp(c->p, want, wn) != 0)
				bad[cv]++;
		}
	}
	free(want);
	is_int(bad[DKIM_CANON_SIMPLE], 0, "simple body: 3000 random inputs "
	    "in random splits equal the whole-buffer reference");
	is_int(bad[DKIM_CANON_RELAXED], 0, "relaxed body: 3000 random inputs "
	    "in random splits equal the whole-buffer reference");
}

/*
 * test_alignments - special bytes at every offset from the start and
 * from the end of a chunk, so that each falls at every place of the
 * scanner's vector steps and of its byte-by-byte tail (bugs once lost the
 * CR of an empty line there, and missed an empty line across the two)
 */
static void
test_alignments(struct collect *c)
{
	static const char *tails[] = { "\r\n\r\n\r\nx \r\n",
	    "\r\n\r\n\r\nx \r\n", "\n\nx\r\n", "\n\nx\r\n",
	    "\t  x \r\n", "\t  x \r\n", "\r\n \r\nx\r\n", "\r\n \r\nx\r\n",
	    "\r\n\r\n\r\n", "\r\n\r\n\r\n", "x \t", "x \t" };
	unsigned char in[250], want[750];
	size_t	 pad, t, n, wn;
	int	 bad = 0, cv;

	for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
		for (pad = 0; pad < 150; pad++) {
			memset(in, 'a', pad);
			n = pad + strlen(tails[t]);
			memcpy(in + pad, tails[t], n - pad);
			if (t % 2 == 0) {	/* room for a vector step */
				memset(in + n, 'b', 40);
				memcpy(in + n + 40, "\r\n", 2);
				n += 42;
			}
			for (cv = DKIM_CANON_SIMPLE; cv <= DKIM_CANON_RELAXED;
			    cv++) {
				wn = reference(cv, in, n, want);
				run_whole(cv, in, n, c);
				if (c->n != wn || memcmp(c->p, want, wn) != 0)
					bad++;
			}
		}
	is_int(bad, 0, "empty lines, bare LFs and WSP at every offset of the "
	    "vector scan equal the reference");
}

/* test_long_runs - canonical input reaches the sink in few calls */
static void
test_long_runs(struct collect *c)
{
	unsigned char in[65536];
	size_t	 i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = i % 70 == 68 ? '\r' : i % 70 == 69 ? '\n' :
		    i % 7 == 3 ? ' ' : 'a' + i % 26;
	in[sizeof(in) - 2] = '\r';
	in[sizeof(in) - 1] = '\n';
	run_whole(DKIM_CANON_SIMPLE, in, sizeof(in), c);
	ok(c->n == sizeof(in) && c->calls <= 3, "simple body: canonical "
	    "input reaches the sink in at most 3 calls");
	run_whole(DKIM_CANON_RELAXED, in, sizeof(in), c);
	ok(c->n == sizeof(in) && c->calls <= 3, "relaxed body: canonical "
	    "input reaches the sink in at most 3 calls");
	for (i = 0; i < sizeof(in); i += 70)
		in[i] = '\t';
	run_whole(DKIM_CANON_RELAXED, in, sizeof(in), c);
	ok(c->calls < sizeof(in) / 512, "relaxed body: short pieces are "
	    "gathered, not one sink call each");
}

/* hdr - canonicalize one field into a fresh buffer; "" on failure */
static const char *
hdr(enum dkim_canon canon, const char *name, const char *value, int crlf,
    struct dk_buf *out)
{
	int	 rc;

	dk_buf_free(out);
	if (crlf)
		rc = dk_canon_header(canon, name, strlen(name), value,
		    strlen(value), out);
	else
		rc = dk_canon_header_nocrlf(canon, name, strlen(name), value,
		    strlen(value), out);
	return rc == 0 && out->data != NULL ? out->data : "(failed)";
}

/* test_long_header - relaxed name and value longer than the staging area */
static void
test_long_header(struct dk_buf *out)
{
	char	 name[301], value[1201], want[1600];
	size_t	 i, w = 0;

	for (i = 0; i < 300; i++)
		name[i] = i % 2 ? 'X' : 'y';
	name[300] = '\0';
	for (i = 0; i < 1200; i++)
		value[i] = i % 3 ? 'V' : '\t';
	value[1200] = '\0';
	for (i = 0; i < 300; i++)
		want[w++] = i % 2 ? 'x' : 'y';
	want[w++] = ':';
	for (i = 1; i < 1200; i++)
		want[w++] = i % 3 ? 'V' : ' ';
	memcpy(want + w, "\r\n", 3);
	is_str(hdr(DKIM_CANON_RELAXED, name, value, 1, out), want,
	    "relaxed header: 300-byte name and 1200-byte value");
}

/* test_headers - §3.4.1, §3.4.2 and the example of §3.4.5 */
static void
test_headers(void)
{
	struct dk_buf out = { NULL, 0, 0, 0 };
	enum dkim_canon R = DKIM_CANON_RELAXED, S = DKIM_CANON_SIMPLE;

	is_str(hdr(R, "A", " X", 1, &out), "a:X\r\n",
	    "relaxed header: RFC 6376 §3.4.5 \"A: X\"");
	is_str(hdr(R, "B ", " Y\t\r\n\tZ  ", 1, &out), "b:Y Z\r\n",
	    "relaxed header: RFC 6376 §3.4.5 \"B : Y<TAB><CRLF><TAB>Z\"");
	is_str(hdr(S, "A", " X", 1, &out), "A: X\r\n",
	    "simple header: RFC 6376 §3.4.5 \"A: X\" unchanged");
	is_str(hdr(S, "B ", " Y\t\r\n\tZ  ", 1, &out),
	    "B : Y\t\r\n\tZ  \r\n",
	    "simple header: RFC 6376 §3.4.5 folded field byte for byte");
	is_str(hdr(S, "Subject", " a\n b", 1, &out), "Subject: a\r\n b\r\n",
	    "simple header: bare LF in a fold becomes CRLF");
	is_str(hdr(S, "Subject", " a\r\n b", 1, &out), "Subject: a\r\n b\r\n",
	    "simple header: CRLF in a fold kept, not doubled");
	is_str(hdr(R, "SUBJECT", " a\n  b", 1, &out), "subject:a b\r\n",
	    "relaxed header: bare LF fold unfolded");
	is_str(hdr(R, "Subject", "\t a \t\t b \t", 1, &out), "subject:a b\r\n",
	    "relaxed header: WSP runs one SP, trimmed at both ends");
	is_str(hdr(R, "To", "", 1, &out), "to:\r\n",
	    "relaxed header: empty value");
	is_str(hdr(R, "X", " a\r\n", 1, &out), "x:a\r\n",
	    "relaxed header: the field's own CRLF is not doubled");
	is_str(hdr(S, "X", " a\r\n", 1, &out), "X: a\r\n",
	    "simple header: the field's own CRLF is not doubled");
	is_str(hdr(R, "DKIM-Signature", " v=1; b=\r\n\tabc", 0, &out),
	    "dkim-signature:v=1; b= abc",
	    "relaxed header without CRLF for the signature field");
	is_str(hdr(S, "DKIM-Signature", " v=1; b=", 0, &out),
	    "DKIM-Signature: v=1; b=",
	    "simple header without CRLF for the signature field");
	test_long_header(&out);
	dk_buf_free(&out);
	out.max = 8;
	dk_buf_append(&out, "ab", 2);
	ok(dk_canon_header(S, "Subject", 7, " hello", 6, &out) == -1 &&
	    out.len == 2 && strcmp(out.data, "ab") == 0,
	    "header over the buffer's ceiling fails and appends nothing");
	dk_buf_free(&out);
}

/* test_buf - the growable buffer */
static void
test_buf(void)
{
	struct dk_buf b = { NULL, 0, 0, 0 };
	char	 small[4];
	int	 i, rc = 0;

	for (i = 0; i < 1000; i++)
		rc |= dk_buf_printf(&b, "%04d", i);
	ok(rc == 0 && b.len == 4000 && strncmp(b.data + 3996, "0999", 4) == 0
	    && b.data[4000] == '\0', "buffer: grows and stays NUL-terminated");
	dk_buf_free(&b);
	dk_buf_free(&b);
	dk_buf_free(NULL);
	ok(b.data == NULL && b.len == 0, "buffer: free twice and free(NULL) "
	    "are harmless");
	b.max = 10;
	ok(dk_buf_addstr(&b, "0123456789") == 0 &&
	    dk_buf_append(&b, "x", 1) == -1 && b.len == 10,
	    "buffer: the ceiling is exact");
	ok(dk_buf_printf(&b, "%s", "y") == -1 && b.len == 10 &&
	    strcmp(b.data, "0123456789") == 0,
	    "buffer: printf over the ceiling changes nothing");
	dk_buf_free(&b);
	b.max = 0;
	ok(dk_buf_printf(&b, "%300s", "z") == 0 && b.len == 300,
	    "buffer: printf longer than its staging area");
	dk_buf_free(&b);
	ok(dk_strlcpy(small, "abcdef", sizeof(small)) == 6 &&
	    strcmp(small, "abc") == 0, "strlcpy: truncates, terminates, "
	    "returns the source length");
}

int
main(void)
{
	const char *dir = getenv("top_srcdir");
	struct collect c;

	plan_lazy();
	if (dir == NULL)
		dir = ".";
	c.p = malloc(MAXOUT);
	test_body_file(dir, &c);
	test_cr_split(&c);
	test_many_empty();
	test_rfc8463(dir);
	test_random(&c);
	test_alignments(&c);
	test_long_runs(&c);
	test_headers();
	test_buf();
	free(c.p);
	return done_testing();
}
