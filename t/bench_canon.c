/*
 * bench_canon.c - body canonicalization speed against raw SHA-256
 *
 * Builds a 64 MB realistic text body (lines of about 70 characters,
 * words separated by SP, now and then a double SP, a TAB, trailing WSP
 * or an empty line) and prints MB/s for SHA-256 alone, simple + SHA-256
 * and relaxed + SHA-256, in 64 KB chunks as a milter would see them,
 * with the ratios to raw SHA-256, in CPU time of this thread. Figures
 * are given for cold input (streamed from memory) and hot input (each
 * chunk in the cache, as after read()); the goal, on hot input: simple
 * >= 0.90, relaxed >= 0.60, else the exit status is 1.
 * Usage: bench_canon [MB]
 * Build: cc -O2 -Idkimcore -It dkimcore/canon.c dkimcore/buf.c
 *	t/bench_canon.c -o bench_canon -lcrypto
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "dk.h"

#define CHUNK	65536

/* bench_now - CPU seconds of this thread: other load on the host does not count */
static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* make_text - fill p[0..n) with lines of text ending in CRLF */
static void
make_text(unsigned char *p, size_t n)
{
	static const char *words[] = { "the", "quick", "brown", "fox",
	    "jumps", "over", "lazy", "dog", "mail", "message", "signature",
	    "a", "of", "to", "and", "header", "body", "relay" };
	size_t	 i = 0, col = 0;
	unsigned r = 1;

	while (i + 16 < n) {
		const char *w;
		size_t	 wl;

		r = r * 1103515245u + 12345u;
		w = words[(r >> 16) % (sizeof(words) / sizeof(words[0]))];
		wl = strlen(w);
		memcpy(p + i, w, wl);
		i += wl;
		col += wl;
		if (col >= 66) {
			if ((r >> 8) % 23 == 0)
				p[i++] = ' ';		/* trailing WSP */
			memcpy(p + i, "\r\n", 2);
			i += 2;
			if ((r >> 12) % 17 == 0) {	/* paragraph */
				memcpy(p + i, "\r\n", 2);
				i += 2;
			}
			col = 0;
			continue;
		}
		p[i++] = (r >> 20) % 41 == 0 ? '\t' : ' ';
		if ((r >> 4) % 53 == 0)
			p[i++] = ' ';			/* double SP */
		col++;
	}
	while (i < n - 2)
		p[i++] = 'x';
	memcpy(p + n - 2, "\r\n", 2);
}

/* hash_sink - the sink under test: SHA-256 through EVP */
static void
hash_sink(void *arg, const unsigned char *p, size_t n)
{
	EVP_DigestUpdate(arg, p, n);
}

/* null_sink - a sink that does nothing: the canonicalization alone */
static void
null_sink(void *arg, const unsigned char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
}

/*
 * run - MB/s of one configuration; canon < 0 means SHA-256 alone, and
 * hash 0 means canonicalization alone. With hot set, each chunk is first
 * copied into a staging buffer, untimed, as a milter has it after read():
 * the input is then in the cache, and what is measured is the work, not
 * the memory bandwidth of streaming 64 MB.
 */
static double
run(const unsigned char *buf, size_t n, int canon, int hash, int hot)
{
	static unsigned char stage[CHUNK];
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char dg[32];
	struct dk_body b;
	double	 t, t0, best = 0;
	size_t	 off;
	int	 rep;

	for (rep = 0; rep < 3; rep++) {
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		if (canon >= 0)
			dk_body_init(&b, (enum dkim_canon)canon,
			    hash ? hash_sink : null_sink, md);
		t = 0;
		t0 = bench_now();
		for (off = 0; off < n; off += CHUNK) {
			size_t k = n - off < CHUNK ? n - off : CHUNK;
			const unsigned char *p = buf + off;

			if (hot) {
				t += bench_now() - t0;
				memcpy(stage, p, k);
				p = stage;
				t0 = bench_now();
			}
			if (canon >= 0)
				dk_body_update(&b, p, k);
			else
				EVP_DigestUpdate(md, p, k);
		}
		if (canon >= 0)
			dk_body_final(&b);
		EVP_DigestFinal_ex(md, dg, NULL);
		t += bench_now() - t0;
		if (n / 1e6 / t > best)
			best = n / 1e6 / t;
	}
	EVP_MD_CTX_free(md);
	return best;
}

/* report - one set of figures; 1 when the goals are met */
static int
report(const unsigned char *buf, size_t n, int hot)
{
	double	 raw, simple, relaxed;

	raw = run(buf, n, -1, 1, hot);
	simple = run(buf, n, DKIM_CANON_SIMPLE, 1, hot);
	relaxed = run(buf, n, DKIM_CANON_RELAXED, 1, hot);
	printf("%s input:\n", hot ? "hot (each chunk just read, in cache)" :
	    "cold (streamed from the 64 MB buffer in memory)");
	printf("  simple  alone     %8.1f MB/s\n",
	    run(buf, n, DKIM_CANON_SIMPLE, 0, hot));
	printf("  relaxed alone     %8.1f MB/s\n",
	    run(buf, n, DKIM_CANON_RELAXED, 0, hot));
	printf("  sha256 alone      %8.1f MB/s\n", raw);
	printf("  simple  + sha256  %8.1f MB/s  ratio %.2f (goal 0.90)\n",
	    simple, simple / raw);
	printf("  relaxed + sha256  %8.1f MB/s  ratio %.2f (goal 0.60)\n",
	    relaxed, relaxed / raw);
	return simple / raw >= 0.90 && relaxed / raw >= 0.60;
}

int
main(int argc, char **argv)
{
	size_t	 mb = argc > 1 ? (size_t)atoi(argv[1]) : 64;
	size_t	 n = mb * 1000 * 1000;
	unsigned char *buf;
	int	 met;

	if (mb == 0 || (buf = malloc(n)) == NULL) {
		fprintf(stderr, "usage: bench_canon [MB]\n");
		return 2;
	}
	make_text(buf, n);
	printf("body of %zu MB, chunks of %d bytes, CPU time, best of 3\n",
	    mb, CHUNK);
	report(buf, n, 0);
	met = report(buf, n, 1);
	free(buf);
	return met ? 0 : 1;
}
