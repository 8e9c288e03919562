/*
 * bench_db.c - time db.c lookups: the first one (connection), cold ones
 *	(each a new domain: queries and key parsing) and warm ones (cached)
 *
 *	bench_db URI NDOMAINS NLOOKUPS
 *
 * The table holds NDOMAINS domains named dNNNNNN.example (t/it-db.sh
 * fills it). Lookups are for user@ a domain picked at random; each must
 * find one signer, or the run fails (exit 1). Prints one line:
 * "first MS ms, cold US us/lookup (US us of it CPU here), warm US
 * us/lookup": wall-clock times, and the CPU time dkimd's side spent
 * (parsing the key, mostly), which a busy machine does not inflate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"

/* now_us - a monotonic clock in microseconds */
static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* cpu_us - the CPU time of this process in microseconds */
static double
cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* lookup - one From address of domain i; 1 when it found its signer */
static int
lookup(struct db *db, long i)
{
	struct signer out[1];
	char	 addr[64];
	size_t	 n;
	int	 down;

	snprintf(addr, sizeof(addr), "user@d%06ld.example", i);
	n = db_signers(db, addr, out, 1, 0, &down);
	db_release(db, out, n);
	return n == 1;
}

int
main(int argc, char **argv)
{
	struct db *db;
	char	 err[256];
	long	 nd, nl, i, *pick;
	double	 t0, c0, first, cold, warm, ccold;
	int	 bad = 0;

	if (argc != 4 || (nd = atol(argv[2])) < 1 || (nl = atol(argv[3])) < 1) {
		fprintf(stderr, "usage: bench_db URI NDOMAINS NLOOKUPS\n");
		return 2;
	}
	if ((db = db_open(argv[1], 0, (uid_t)-1, err, sizeof(err))) == NULL ||
	    (pick = calloc((size_t)nl, sizeof(*pick))) == NULL) {
		fprintf(stderr, "bench_db: %s\n", db ? "out of memory" : err);
		return 1;
	}
	srandom(42);
	for (i = 0; i < nl; i++)
		pick[i] = 1 + random() % (nd - 1 > 0 ? nd - 1 : 1);
	t0 = now_us();
	bad += !lookup(db, 0);
	first = now_us() - t0;
	t0 = now_us();
	c0 = cpu_us();
	for (i = 0; i < nl; i++)
		bad += !lookup(db, pick[i]);
	cold = (now_us() - t0) / (double)nl;
	ccold = (cpu_us() - c0) / (double)nl;
	t0 = now_us();
	for (i = 0; i < nl; i++)
		bad += !lookup(db, pick[i]);
	warm = (now_us() - t0) / (double)nl;
	printf("first %.1f ms, cold %.0f us/lookup (%.0f us of it CPU here), "
	    "warm %.1f us/lookup%s\n", first / 1e3, cold, ccold, warm,
	    bad ? " (LOOKUPS FAILED)" : "");
	free(pick);
	db_close(db);
	return bad ? 1 : 0;
}
