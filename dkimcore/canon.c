/*
 * canon.c - DKIM header and body canonicalization (RFC 6376 §3.4)
 *
 * SYNOPSIS
 *	dk_canon_header(canon, name, nlen, value, vlen, out)
 *	dk_canon_header_nocrlf(canon, name, nlen, value, vlen, out)
 *	dk_body_init(&b, canon, sink, arg)
 *	dk_body_update(&b, p, n)*	dk_body_final(&b)
 *
 * CONTRACT
 *	Header fields are appended to a dk_buf that the caller owns; a field
 *	that would take it past its ceiling fails with -1.
 *
 *	The body canonicalizer takes chunks of any size and split and hands
 *	its output to the sink in pieces; it never allocates. Input lines may
 *	end in CRLF or in a bare LF (counted as CRLF); a CR not followed by
 *	LF is an ordinary byte. A CR that ends one chunk is decided by the
 *	first byte of the next. Runs of empty lines are held back as a count,
 *	so they cost no memory, and are emitted only when a non-empty line
 *	follows: at the end of the body they are dropped (§3.4.3, §3.4.4).
 *
 *	Relaxed: the WSP at the end of a last line that has no CRLF is
 *	removed like any WSP at a line end, as Mail::DKIM does (dkimpy keeps
 *	one SP there); over SMTP a body always ends in CRLF.
 *
 *	Speed: input that is already canonical is passed to the sink as it
 *	stands, in as long runs as possible; only where the output differs
 *	(a bare LF, empty lines at a chunk's end, WSP to squeeze or trim)
 *	is a run cut. Finding those places is a vector test, 16 bytes at a
 *	time (32 with AVX2 for simple). Pieces are gathered in a 4 KB buffer on the stack, filled to
 *	the brim, so the sink (typically EVP_DigestUpdate) gets few calls of
 *	whole 64-byte blocks.
 */
#include <stdint.h>
#include <string.h>

#include "dk.h"

#define OUT_SIZE	4096	/* local output buffer */
#define OUT_SHORT	256	/* runs copied by out_run() itself */

/* Output of one dk_body_update() or dk_body_final() call. */
struct out {
	struct dk_body *b;
	size_t	n;
	unsigned char buf[OUT_SIZE + OUT_SHORT];	/* slack for out_run() */
};

static const unsigned char crlfs[] =
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";

/* ---- header fields (§3.4.1, §3.4.2) ---------------------------------- */

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

/* hdr_simple - name ":" value byte for byte, a bare LF made CRLF */
static int
hdr_simple(const char *name, size_t nlen, const char *v, size_t vlen,
    struct dk_buf *out)
{
	const char *lf;

	if (dk_buf_append(out, name, nlen) < 0 ||
	    dk_buf_append(out, ":", 1) < 0)
		return -1;
	while ((lf = memchr(v, '\n', vlen)) != NULL) {
		size_t n = (size_t)(lf - v);

		if (n > 0 && v[n - 1] == '\r')
			n--;
		if (dk_buf_append(out, v, n) < 0 ||
		    dk_buf_append(out, "\r\n", 2) < 0)
			return -1;
		vlen -= (size_t)(lf - v) + 1;
		v = lf + 1;
	}
	return dk_buf_append(out, v, vlen);
}

/*
 * hdr_relaxed - §3.4.2: the name lower-cased and without trailing WSP,
 * the value unfolded, WSP runs as one SP, no WSP at either end.
 */
static int
hdr_relaxed(const char *name, size_t nlen, const char *v, size_t vlen,
    struct dk_buf *out)
{
	char	 tmp[256];
	size_t	 i, n = 0;
	int	 sp = 0, any = 0;

	while (nlen > 0 && IS_WSP(name[nlen - 1]))
		nlen--;
	for (i = 0; i < nlen; i++) {
		tmp[n++] = (char)((name[i] >= 'A' && name[i] <= 'Z') ?
		    name[i] - 'A' + 'a' : name[i]);
		if (n == sizeof(tmp)) {
			if (dk_buf_append(out, tmp, n) < 0)
				return -1;
			n = 0;
		}
	}
	tmp[n++] = ':';
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\r' && i + 1 < vlen && v[i + 1] == '\n')
			continue;	/* the CR of an unfolded CRLF */
		if (c == '\n')
			continue;	/* unfolding: line ends go */
		if (IS_WSP(c)) {
			sp = 1;
			continue;
		}
		if (n + 2 > sizeof(tmp)) {
			if (dk_buf_append(out, tmp, n) < 0)
				return -1;
			n = 0;
		}
		if (sp && any)
			tmp[n++] = ' ';
		tmp[n++] = (char)c;
		sp = 0;
		any = 1;
	}
	return dk_buf_append(out, tmp, n);
}

/* hdr_canon - one field, with or without the final CRLF */
static int
hdr_canon(enum dkim_canon canon, const char *name, size_t nlen,
    const char *value, size_t vlen, struct dk_buf *out, int crlf)
{
	size_t	 keep = out->len;
	int	 rc;

	/* A line end at the very end is the field's own terminator. */
	if (vlen > 0 && value[vlen - 1] == '\n') {
		vlen--;
		if (vlen > 0 && value[vlen - 1] == '\r')
			vlen--;
	}
	if (canon == DKIM_CANON_RELAXED)
		rc = hdr_relaxed(name, nlen, value, vlen, out);
	else
		rc = hdr_simple(name, nlen, value, vlen, out);
	if (rc == 0 && crlf)
		rc = dk_buf_append(out, "\r\n", 2);
	if (rc < 0 && out->data != NULL) {
		out->len = keep;	/* all of the field or nothing */
		out->data[keep] = '\0';
	}
	return rc;
}

/*
 * dk_canon_header - append one canonicalized header field,
 * "name:value\r\n" (relaxed: name lower-cased, unfolded, WSP runs as one
 * SP, trimmed). Bare LF in value counts as CRLF. -1 over the ceiling.
 */
int
dk_canon_header(enum dkim_canon canon, const char *name, size_t nlen,
    const char *value, size_t vlen, struct dk_buf *out)
{
	return hdr_canon(canon, name, nlen, value, vlen, out, 1);
}

/*
 * dk_canon_header_nocrlf - the same without the final CRLF, for the
 * DKIM-Signature field itself (§3.7).
 */
int
dk_canon_header_nocrlf(enum dkim_canon canon, const char *name, size_t nlen,
    const char *value, size_t vlen, struct dk_buf *out)
{
	return hdr_canon(canon, name, nlen, value, vlen, out, 0);
}

/* ---- body output ------------------------------------------------------ */

/* out_flush - hand the buffered output to the sink */
static void
out_flush(struct out *o)
{
	if (o->n > 0) {
		o->b->sink(o->b->arg, o->buf, o->n);
		o->n = 0;
	}
}

/*
 * out_put - emit n bytes. The buffer is filled to the brim before it is
 * flushed, and what goes to the sink directly is a multiple of 64 bytes,
 * so that a digest sink always gets whole blocks.
 */
static void
out_put(struct out *o, const unsigned char *p, size_t n)
{
	size_t	 k;

	o->b->total += n;
	if (o->n > 0 || n < OUT_SIZE) {
		k = OUT_SIZE - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, p, k);
		o->n += k;
		p += k;
		n -= k;
		if (o->n < OUT_SIZE)
			return;
		out_flush(o);
	}
	if (n >= OUT_SIZE) {
		k = n & ~(size_t)63;
		o->b->sink(o->b->arg, p, k);
		p += k;
		n -= k;
	}
	memcpy(o->buf, p, n);
	o->n = n;
}

/*
 * out_run - out_put for a run of input that lies in [p, end): a short
 * run is copied 16 bytes at a time, reading past it (but not past end)
 * and writing into the slack of the buffer, which is cheaper than the
 * size-dependent branches of memcpy.
 */
static inline void
out_run(struct out *o, const unsigned char *p, size_t n,
    const unsigned char *end)
{
	size_t	 i;

	if (n > OUT_SHORT || (size_t)(end - p) < n + 16 ||
	    o->n + n > OUT_SIZE) {
		out_put(o, p, n);
		return;
	}
	for (i = 0; i < n; i += 16)
		memcpy(o->buf + o->n + i, p + i, 16);
	o->n += n;
	o->b->total += n;
}

/* out_sp - emit one SP */
static inline void
out_sp(struct out *o)
{
	if (o->n == OUT_SIZE)
		out_flush(o);
	o->buf[o->n++] = ' ';
	o->b->total++;
}

/* out_blanks - emit the empty lines held back, as CRLFs */
static void
out_blanks(struct out *o)
{
	struct dk_body *b = o->b;
	size_t	 n;

	while (b->blanklines > 0) {
		n = b->blanklines < sizeof(crlfs) / 2 ? b->blanklines :
		    sizeof(crlfs) / 2;
		out_put(o, crlfs, 2 * n);
		b->blanklines -= n;
	}
}

/* line_end - the current line ended: hold it back when empty */
static void
line_end(struct out *o)
{
	if (o->b->linelen == 0)
		o->b->blanklines++;
	else
		out_put(o, crlfs, 2);
	o->b->linelen = 0;
	o->b->inwsp = 0;
}

/* content - emit bytes that make the current line non-empty */
static void
content(struct out *o, const unsigned char *p, size_t n)
{
	out_blanks(o);
	if (o->b->inwsp)
		out_put(o, (const unsigned char *)" ", 1);
	o->b->inwsp = 0;
	out_put(o, p, n);
	o->b->linelen = 1;
}

/* ---- finding where output differs from input ----------------------------- */

/*
 * A byte is "special" when the output around it may differ from the
 * input: an LF not preceded by CR (a bare LF), a CR LF that starts an
 * empty line (the byte before is an LF), and for relaxed also an HTAB
 * or an SP followed by a byte <= SP (WSP run, or WSP before a line end).
 * Everything between two special bytes passes through unchanged, as
 * long as no WSP or empty line is pending. The test looks one byte back
 * and one ahead, so it runs on [p, end) with p[-1] and *end readable.
 */

typedef unsigned char vec __attribute__((vector_size(16)));

/* special - the scalar test */
static inline int
special(const unsigned char *q, int relaxed)
{
	if (q[0] == '\n')
		return q[-1] != '\r';
	if (q[0] == '\r')
		return q[1] == '\n' && q[-1] == '\n';
	return relaxed && (q[0] == '\t' || (q[0] == ' ' && q[1] <= ' '));
}

/* vany - 1 when any byte of *m is not zero (vectors go by pointer) */
static inline int
vany(const vec *m)
{
	uint64_t w[2];

	memcpy(w, m, sizeof(w));
	return (w[0] | w[1]) != 0;
}

/* vfirst - the index of the first non-zero byte of *m, or -1; no branches */
static inline int
vfirst(const vec *m)
{
	uint64_t w[2], x;
	int	 i;

	memcpy(w, m, sizeof(w));
	if ((w[0] | w[1]) == 0)
		return -1;
	x = w[0] ? w[0] : w[1];
	i = w[0] ? 0 : 8;
	/* Byte 0 is the low byte of a word on little-endian hosts. */
	if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		return i + __builtin_ctzll(x) / 8;
	return i + __builtin_clzll(x) / 8;
}

/*
 * lf_special - for simple, the LFs of p[0..16) that are bare or end an
 * empty CRLF line (the CR before them has an LF before it): anchored on
 * the LF, the test needs no byte after it.
 */
static inline void
lf_special(const unsigned char *p, vec *m)
{
	vec	 a, b, c;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, p - 1, sizeof(b));
	memcpy(&c, p - 2, sizeof(c));
	*m = (vec)(a == '\n') & ~((vec)(b == '\r') & ~(vec)(c == '\n'));
}

/*
 * skip_simple_wide - past the 128-byte blocks of [p, end) without a
 * special LF, with 32-byte vectors where the CPU has them (x86-64 with
 * AVX2); elsewhere it returns p and the 16-byte loop does the work.
 * Building with -DDK_CANON_NO_AVX2 tests that loop on any machine.
 */
#if defined(__x86_64__) && !defined(DK_CANON_NO_AVX2)
typedef unsigned char vec32 __attribute__((vector_size(32)));

/* lf_special32 - lf_special() for p[0..32), or-ed into *m */
__attribute__((target("avx2"))) static inline void
lf_special32(const unsigned char *p, vec32 *m)
{
	vec32	 a, b, c;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, p - 1, sizeof(b));
	memcpy(&c, p - 2, sizeof(c));
	*m |= (vec32)(a == '\n') & ~((vec32)(b == '\r') & ~(vec32)(c == '\n'));
}

/* skip_simple_avx2 - skip_simple_wide() with AVX2 */
__attribute__((target("avx2"))) static const unsigned char *
skip_simple_avx2(const unsigned char *p, const unsigned char *end)
{
	uint64_t w[4];
	vec32	 m;

	for (; end - p >= 128; p += 128) {
		m = (vec32){ 0 };
		lf_special32(p, &m);
		lf_special32(p + 32, &m);
		lf_special32(p + 64, &m);
		lf_special32(p + 96, &m);
		memcpy(w, &m, sizeof(w));
		if ((w[0] | w[1] | w[2] | w[3]) != 0)
			break;
	}
	return p;
}

static const unsigned char *
skip_simple_wide(const unsigned char *p, const unsigned char *end)
{
	if (__builtin_cpu_supports("avx2"))
		return skip_simple_avx2(p, end);
	return p;
}
#else
static const unsigned char *
skip_simple_wide(const unsigned char *p, const unsigned char *end)
{
	(void)end;
	return p;
}
#endif

/*
 * scan_simple - the first special LF in [p, end), or end; p[-2] must be
 * readable. 128 bytes a step, since special bytes are rare in simple.
 */
static const unsigned char *
scan_simple(const unsigned char *p, const unsigned char *end)
{
	vec	 m0, m1, m2, m3, m4, m5, m6, m7, any;
	int	 i;

	for (p = skip_simple_wide(p, end); end - p >= 128; p += 128) {
		lf_special(p, &m0);
		lf_special(p + 16, &m1);
		lf_special(p + 32, &m2);
		lf_special(p + 48, &m3);
		lf_special(p + 64, &m4);
		lf_special(p + 80, &m5);
		lf_special(p + 96, &m6);
		lf_special(p + 112, &m7);
		any = m0 | m1 | m2 | m3 | m4 | m5 | m6 | m7;
		if (vany(&any))
			break;
	}
	for (; end - p >= 16; p += 16) {
		lf_special(p, &m0);
		if ((i = vfirst(&m0)) >= 0)
			return p + i;
	}
	for (; p < end; p++)
		if (*p == '\n' && (p[-1] != '\r' || p[-2] == '\n'))
			return p;	/* the test of lf_special() */
	return end;
}

/* relaxed_special - for relaxed, the special bytes of p[0..16) */
static inline void
relaxed_special(const unsigned char *p, vec *m)
{
	vec	 a, prev, next;

	memcpy(&a, p, sizeof(a));
	memcpy(&prev, p - 1, sizeof(prev));
	memcpy(&next, p + 1, sizeof(next));
	*m = ((vec)(a == '\n') & ~(vec)(prev == '\r')) |
	    ((vec)(a == '\r') & (vec)(next == '\n') & (vec)(prev == '\n')) |
	    (vec)(a == '\t') | ((vec)(a == ' ') & (vec)(next <= ' '));
}

/*
 * scan_relaxed - the first special byte in [p, end), or end. Special
 * bytes are frequent in relaxed (WSP runs), so 32 bytes a step.
 */
static const unsigned char *
scan_relaxed(const unsigned char *p, const unsigned char *end)
{
	vec	 m;
	int	 i;

	vec	 m2;

	for (; end - p >= 32; p += 32) {
		relaxed_special(p, &m);
		relaxed_special(p + 16, &m2);
		if ((i = vfirst(&m)) >= 0)
			return p + i;
		if ((i = vfirst(&m2)) >= 0)
			return p + 16 + i;
	}
	for (; end - p >= 16; p += 16) {
		relaxed_special(p, &m);
		if ((i = vfirst(&m)) >= 0)
			return p + i;
	}
	for (; p < end; p++)
		if (special(p, 1))
			return p;
	return end;
}

/*
 * find_special - the first special byte in [p, end), or end; p[-2] and
 * *end must be readable
 */
static const unsigned char *
find_special(const unsigned char *p, const unsigned char *end, int relaxed)
{
	const unsigned char *q;

	if (relaxed)
		return scan_relaxed(p, end);
	q = scan_simple(p, end);
	/* An empty line is special from its CR on. */
	if (q < end && q > p && q[-1] == '\r')
		q--;
	return q;
}

/* ---- the body state machine ---------------------------------------------- */

/*
 * body_step - one byte (or one CRLF) through the full rules of §3.4.3 or
 * §3.4.4; the next position.
 */
static const unsigned char *
body_step(struct out *o, const unsigned char *p, const unsigned char *end)
{
	struct dk_body *b = o->b;

	if (*p == '\r') {
		if (p + 1 == end) {
			b->pending_cr = 1;	/* decided by the next chunk */
			return end;
		}
		if (p[1] == '\n') {
			line_end(o);
			return p + 2;
		}
	} else if (*p == '\n') {
		line_end(o);
		return p + 1;
	} else if (b->canon == DKIM_CANON_RELAXED && IS_WSP(*p)) {
		b->inwsp = 1;
		return p + 1;
	}
	content(o, p, 1);
	return p + 1;
}

/*
 * wsp_between - at a special WSP q inside a line, where the WSP run ends
 * if content follows it on the same line (so that it becomes one SP);
 * NULL when the run reaches a line end or the end of the chunk.
 */
static const unsigned char *
wsp_between(const unsigned char *q, const unsigned char *end)
{
	while (q < end && IS_WSP(*q))
		q++;
	if (q + 1 >= end || *q == '\n' || *q == '\r')
		return NULL;
	return q;
}

/*
 * empty_lines - at the start of a line: count the empty CRLF lines from
 * p on, and emit them at once when a line with content follows (for
 * relaxed, one that starts with neither WSP nor a line end). Returns
 * the position after them.
 */
static const unsigned char *
empty_lines(struct out *o, const unsigned char *p, const unsigned char *end)
{
	struct dk_body *b = o->b;

	while (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
		b->blanklines++;
		p += 2;
	}
	if (b->blanklines > 0 && end - p >= 2 && *p != '\r' && *p != '\n' &&
	    !(b->canon == DKIM_CANON_RELAXED && IS_WSP(*p)))
		out_blanks(o);
	return p;
}

/*
 * inner_empty - at an empty line (its CR at q) inside a run: where the
 * run may go on, past the empty lines, when a line with content follows
 * in this chunk (they then come out as they are); NULL when not.
 */
static const unsigned char *
inner_empty(const unsigned char *q, const unsigned char *end, int relaxed)
{
	while (end - q >= 2 && q[0] == '\r' && q[1] == '\n')
		q += 2;
	if (end - q < 2 || *q == '\r' || *q == '\n' || (relaxed && IS_WSP(*q)))
		return NULL;
	return q;
}

/*
 * body_chunk - canonicalize [p, end): runs that pass through unchanged
 * between special bytes, WSP runs between words and empty lines dealt
 * with on the spot, and the state machine for the rest. A run needs a
 * byte before it (the test looks back) and one after it, and never
 * splits a CRLF.
 */
static void
body_chunk(struct out *o, const unsigned char *p, const unsigned char *end)
{
	struct dk_body *b = o->b;
	const unsigned char *start = p, *run, *q, *w;
	int	 relaxed = b->canon == DKIM_CANON_RELAXED;

	while (p < end) {
		if (p - start < 2 || end - p < 2 || b->inwsp ||
		    b->blanklines > 0) {
			p = body_step(o, p, end);
			continue;
		}
		run = p;
		for (;;) {
			q = find_special(p, end - 1, relaxed);
			if (q == end - 1 || *q != '\r' || q[1] != '\n' ||
			    q[-1] != '\n' ||
			    (w = inner_empty(q, end, relaxed)) == NULL)
				break;
			p = w;
		}
		if (q == end - 1 && q[-1] == '\r' && q[0] == '\n')
			q--;
		if (relaxed && IS_WSP(*q) && (w = wsp_between(q, end)) != NULL) {
			/* Between words: the run and one SP. */
			out_run(o, run, (size_t)(q - run), end);
			out_sp(o);
			b->linelen = 1;
			p = w;
			continue;
		}
		if (q > run) {
			out_put(o, run, (size_t)(q - run));
			b->linelen = q[-1] != '\n';
		}
		p = q;
		if (b->linelen == 0 && *p == '\r' &&
		    (q = empty_lines(o, p, end)) > p) {
			p = q;
			continue;
		}
		p = body_step(o, p, end);
	}
}

/* ---- the streaming interface ------------------------------------------ */

/* dk_body_init - start a body; sink(arg, ...) receives the output */
void
dk_body_init(struct dk_body *b, enum dkim_canon canon, dk_sink_fn sink,
    void *arg)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	b->sink = sink;
	b->arg = arg;
}

/* body_pending_cr - decide a CR held back from the last chunk */
static const unsigned char *
body_pending_cr(struct out *o, const unsigned char *p,
    const unsigned char *end)
{
	o->b->pending_cr = 0;
	if (p < end && *p == '\n') {
		line_end(o);
		return p + 1;
	}
	content(o, (const unsigned char *)"\r", 1);
	return p;
}

/* dk_body_update - canonicalize one chunk of body */
void
dk_body_update(struct dk_body *b, const unsigned char *p, size_t n)
{
	struct out o;
	const unsigned char *end = p + n;

	if (n == 0)
		return;
	o.b = b;
	o.n = 0;
	if (b->pending_cr)
		p = body_pending_cr(&o, p, end);
	body_chunk(&o, p, end);
	out_flush(&o);
}

/*
 * dk_body_final - end of body: a last line without its line end gets
 * CRLF, held-back empty lines are dropped, and an empty simple body
 * becomes one CRLF (§3.4.3); an empty relaxed body stays empty (§3.4.4).
 */
void
dk_body_final(struct dk_body *b)
{
	struct out o;

	o.b = b;
	o.n = 0;
	if (b->pending_cr)
		body_pending_cr(&o, NULL, NULL);
	if (b->linelen)
		out_put(&o, crlfs, 2);
	b->linelen = 0;
	b->inwsp = 0;
	b->blanklines = 0;
	if (b->canon == DKIM_CANON_SIMPLE && b->total == 0)
		out_put(&o, crlfs, 2);
	out_flush(&o);
}
