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
 *	Speed: input that is already canonical is passed to the sink as it
 *	stands, in as long runs as possible; only where the output differs
 *	(a bare LF, an empty line, WSP to squeeze or trim) is a run cut.
 *	Small pieces are gathered in a 4 KB buffer on the stack so that the
 *	sink (typically EVP_DigestUpdate) is called rarely.
 */
#include <stdint.h>
#include <string.h>

#include "dk.h"

#define OUT_SIZE	4096	/* local output buffer */
#define OUT_DIRECT	512	/* runs this long skip the buffer */

/* Output of one dk_body_update() or dk_body_final() call. */
struct out {
	struct dk_body *b;
	size_t	n;
	unsigned char buf[OUT_SIZE];
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

/* out_put - emit n bytes: long runs straight to the sink, short ones buffered */
static void
out_put(struct out *o, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	o->b->total += n;
	if (n >= OUT_DIRECT) {
		out_flush(o);
		o->b->sink(o->b->arg, p, n);
		return;
	}
	if (n > sizeof(o->buf) - o->n)
		out_flush(o);
	memcpy(o->buf + o->n, p, n);
	o->n += n;
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
	if (n == 0)
		return;
	out_blanks(o);
	if (o->b->inwsp)
		out_put(o, (const unsigned char *)" ", 1);
	o->b->inwsp = 0;
	out_put(o, p, n);
	o->b->linelen = 1;
}

/* ---- simple body (§3.4.3) --------------------------------------------- */

/*
 * body_simple - lines pass through unchanged; an empty line cuts the run
 * and is counted, a bare LF cuts it and becomes CRLF.
 */
static void
body_simple(struct out *o, const unsigned char *p, const unsigned char *end)
{
	struct dk_body *b = o->b;
	const unsigned char *run = p, *nl, *tail;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		int	 cr = nl > p && nl[-1] == '\r';

		if (nl - p == cr && b->linelen == 0) {
			out_put(o, run, (size_t)(p - run));
			b->blanklines++;
			run = p = nl + 1;
			continue;
		}
		if (b->blanklines > 0) {
			out_put(o, run, (size_t)(p - run));
			out_blanks(o);
			run = p;
		}
		if (!cr) {
			out_put(o, run, (size_t)(nl - run));
			out_put(o, crlfs, 2);
			run = nl + 1;
		}
		b->linelen = 0;
		p = nl + 1;
	}
	tail = end;
	if (tail > p && tail[-1] == '\r') {
		tail--;
		b->pending_cr = 1;
	}
	if (tail > p) {
		if (b->blanklines > 0) {
			out_put(o, run, (size_t)(p - run));
			out_blanks(o);
			run = p;
		}
		b->linelen = 1;
	}
	out_put(o, run, (size_t)(tail - run));
}

/* ---- relaxed body (§3.4.4) -------------------------------------------- */

#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
#define LOWS	0x7f7f7f7f7f7f7f7fULL

/* word_zero - the high bit of each byte of x that is zero, exactly */
static inline uint64_t
word_zero(uint64_t x)
{
	return ~(((x & LOWS) + LOWS) | x | LOWS);
}

/* word_below - the high bit of each byte of x below n (n <= 128) */
static inline uint64_t
word_below(uint64_t x, unsigned n)
{
	return ~(((x & LOWS) + (0x80 - n) * ONES) | x) & HIGHS;
}

/* relaxed_special - 1 when the byte at p starts a place to look at */
static inline int
relaxed_special(const unsigned char *p, const unsigned char *end)
{
	return *p <= ' ' && (*p == '\t' || *p == '\r' || *p == '\n' ||
	    (*p == ' ' && p + 1 < end && p[1] == ' '));
}

/*
 * relaxed_scan - the first byte at or after p that the relaxed
 * canonicalization may have to change: HTAB, CR, LF or the first SP of
 * two. Eight bytes at a time; byte order does not matter, since a pair
 * of SPs is adjacent in the word whichever way it is loaded.
 */
static const unsigned char *
relaxed_scan(const unsigned char *p, const unsigned char *end)
{
	const unsigned char *w8;
	uint64_t w, sp;

	for (; end - p >= 9; p += 8) {
		memcpy(&w, p, 8);
		sp = word_zero(w ^ (' ' * ONES));
		if ((word_below(w, '\r' + 1) | (sp & (sp >> 8))) == 0 &&
		    (p[7] != ' ' || p[8] != ' '))
			continue;
		for (w8 = p; w8 < p + 8; w8++)
			if (relaxed_special(w8, end))
				return w8;
	}
	for (; p < end; p++)
		if (relaxed_special(p, end))
			return p;
	return end;
}

/*
 * relaxed_event - act on the byte at q found by relaxed_scan, inside a
 * run [*run, q) of output equal to its input that started at or after
 * the current line's start ls. Returns where scanning goes on.
 */
static const unsigned char *
relaxed_event(struct out *o, const unsigned char **run,
    const unsigned char **ls, const unsigned char *q, const unsigned char *end)
{
	struct dk_body *b = o->b;
	const unsigned char *e = q;
	size_t	 skip;

	if (*q == '\r' && q + 1 < end && q[1] != '\n')
		return q + 1;		/* a lone CR is an ordinary byte */
	while (e > *run && e[-1] == ' ')
		e--;			/* WSP before this is one run */
	if (e > *ls)
		b->linelen = 1;
	if (IS_WSP(*q) || (*q == '\r' && q + 1 == end)) {
		/* A WSP run, or a CR whose LF we do not know yet. */
		out_put(o, *run, (size_t)(e - *run));
		b->inwsp = e < q || *q != '\r';
		b->pending_cr = *q == '\r';
		*run = *ls = end;
		return *q == '\r' ? end : q;
	}
	skip = *q == '\r' ? 2 : 1;
	if (e == q && skip == 2 && b->linelen) {
		b->linelen = 0;		/* a canonical line: the run goes on */
		*ls = q + 2;
		return q + 2;
	}
	out_put(o, *run, (size_t)((b->linelen ? e : *ls) - *run));
	line_end(o);
	*run = *ls = q + skip;
	return q + skip;
}

/*
 * relaxed_slow - one step where state decides: inside a WSP run or after
 * empty lines. Returns the next position; sets *fast when a content
 * byte starts a new run at the returned position minus one.
 */
static const unsigned char *
relaxed_slow(struct out *o, const unsigned char *p, const unsigned char *end,
    int *fast)
{
	struct dk_body *b = o->b;

	*fast = 0;
	if (IS_WSP(*p)) {
		b->inwsp = 1;
		return p + 1;
	}
	if (*p == '\r' && p + 1 == end) {
		b->pending_cr = 1;
		return end;
	}
	if (*p == '\n' || (*p == '\r' && p[1] == '\n')) {
		line_end(o);
		return p + (*p == '\r' ? 2 : 1);
	}
	content(o, p, 1);
	*fast = 1;
	return p + 1;
}

/*
 * body_relaxed - runs of canonical input pass through; relaxed_scan finds
 * the places where the output may differ, and WSP runs and empty lines
 * are worked through a byte at a time.
 */
static void
body_relaxed(struct out *o, const unsigned char *p, const unsigned char *end)
{
	struct dk_body *b = o->b;
	const unsigned char *run, *ls, *q;
	int	 fast;

	while (p < end) {
		if (b->inwsp || b->blanklines > 0) {
			p = relaxed_slow(o, p, end, &fast);
			if (!fast)
				continue;
		}
		run = ls = p;
		for (;;) {
			q = relaxed_scan(p, end);
			if (q == end) {
				while (q > run && q[-1] == ' ')
					q--;
				if (q > ls)
					b->linelen = 1;
				b->inwsp = q < end;
				out_put(o, run, (size_t)(q - run));
				return;
			}
			p = relaxed_event(o, &run, &ls, q, end);
			if (b->blanklines > 0 || b->inwsp || b->pending_cr)
				break;
		}
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
	if (b->canon == DKIM_CANON_RELAXED)
		body_relaxed(&o, p, end);
	else
		body_simple(&o, p, end);
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
