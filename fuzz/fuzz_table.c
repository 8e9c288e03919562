/*
 * fuzz_table.c - libFuzzer target: KeyTable and SigningTable files
 *
 * The input is a KeyTable, a line "%%", and a SigningTable (without the
 * separator, all of it is both). Both load (the SigningTable as file:
 * and as refile:), are linked, and the signers of a few From addresses
 * are looked up; every d= and i= that comes out must be a terminated
 * string. Keys are read from ./fuzzkey.pem, which setup() copies from
 * the RFC 8463 test vectors, so seeds can name a key that loads.
 */
#include "fuzzfile.h"

#include "table.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *addrs[] = {
	"user@foo.example.com", "x@example.com", "USER@Example.COM", "@",
	"user@", "a@b@c.example.com", "nobody", "u@.", "%@%.%",
	"u@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.example.com",
};

/* check_signers - look up each address in signtab */
static void
check_signers(const struct table *signtab)
{
	struct signer out[8];
	size_t	i, j, n;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		n = table_signers(signtab, addrs[i], out, 8, i & 1);
		if (n > 8)
			abort();
		for (j = 0; j < n; j++)
			if (out[j].key == NULL ||
			    memchr(out[j].domain, '\0', sizeof(out[j].domain))
			    == NULL || memchr(out[j].identity, '\0',
			    sizeof(out[j].identity)) == NULL)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int ready;
	const unsigned char *sep, *sdata = data;
	size_t	ssize = size, ksize = size;
	struct table *kt, *st;
	char	spec[96];
	int	refile;

	if (!ready) {
		fuzzfile_copy(VECTORS "/rfc8463/brisbane.ed25519.pem",
		    "fuzzkey.pem");
		ready = 1;
	}
	if ((sep = memmem(data, size, "\n%%\n", 4)) != NULL) {
		ksize = (size_t)(sep - data) + 1;
		sdata = sep + 4;
		ssize = size - (size_t)(sdata - data);
	}
	kt = table_load_keys(fuzzfile_path(0, data, ksize), (uid_t)-1,
	    fuzzfile_report, NULL);
	for (refile = 0; refile < 2; refile++) {
		snprintf(spec, sizeof(spec), "%s%s", refile ? "refile:" :
		    "file:", fuzzfile_path(1, sdata, ssize));
		st = table_load_signing(spec, fuzzfile_report, NULL);
		if (st != NULL && kt != NULL &&
		    table_link(st, kt, fuzzfile_report, NULL) == 0)
			check_signers(st);
		table_free(st);
	}
	table_free(kt);
	return 0;
}
