/*
 * fuzz_canon.c - libFuzzer target: streaming body canonicalization
 *
 * The first byte picks the canonicalization, the second a chunk size;
 * the rest is a body. The output fed in chunks must equal the output fed
 * whole, whatever the split (a CRLF may straddle two chunks). Header
 * canonicalization runs over the same bytes, split at the first colon.
 */
#include <stdlib.h>
#include <string.h>

#include "dk.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

struct out {
	unsigned char *p;
	size_t	n;
	size_t	cap;
};

/* collect - a sink that keeps what it is given */
static void
collect(void *arg, const unsigned char *p, size_t n)
{
	struct out *o = arg;

	if (o->n + n > o->cap) {
		o->cap = (o->n + n) * 2 + 64;
		if ((o->p = realloc(o->p, o->cap)) == NULL)
			abort();
	}
	memcpy(o->p + o->n, p, n);
	o->n += n;
}

/* run - canonicalize body in chunks of chunk bytes into o */
static void
run(enum dkim_canon c, const unsigned char *body, size_t n, size_t chunk,
    struct out *o)
{
	struct dk_body b;
	size_t off, take;

	dk_body_init(&b, c, collect, o);
	for (off = 0; off < n; off += take) {
		take = n - off < chunk ? n - off : chunk;
		dk_body_update(&b, body + off, take);
	}
	dk_body_final(&b);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct out whole = { 0 }, split = { 0 };
	struct dk_buf hb = { .max = 1 << 20 };
	enum dkim_canon c;
	const char *colon;
	size_t chunk;

	if (size < 2)
		return 0;
	c = data[0] & 1 ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
	chunk = (size_t)data[1] % 17 + 1;
	run(c, data + 2, size - 2, size, &whole);
	run(c, data + 2, size - 2, chunk, &split);
	if (whole.n != split.n || (whole.n &&
	    memcmp(whole.p, split.p, whole.n) != 0))
		abort();	/* the split changed the result */
	free(whole.p);
	free(split.p);

	colon = memchr(data + 2, ':', size - 2);
	if (colon) {
		const char *h = (const char *)data + 2;

		(void)dk_canon_header(c, h, (size_t)(colon - h), colon + 1,
		    size - 2 - (size_t)(colon - h) - 1, &hb);
	}
	dk_buf_free(&hb);
	return 0;
}
