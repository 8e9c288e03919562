/*
 * fuzz_table.c - libFuzzer target: KeyTable and SigningTable files
 *
 * The input is a KeyTable, a line "%%", and a SigningTable (without the
 * separator, all of it is both). Both load (the SigningTable as file:
 * and as refile:), are linked, and the signers of a few From addresses
 * are looked up; every d= and i= that comes out must be a terminated
 * string. Keys are read from ./fuzzkey.pem, which setup() copies from
 * the RFC 8463 test vectors, so seeds can name a key that loads.
 * The whole input is also an InternalHosts file and, when it is one
 * line, an inline InternalHosts list; a few addresses are matched.
 */
#include "fuzzfile.h"

#include "hosts.h"
#include "table.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *addrs[] = {
	"user@foo.example.com", "x@example.com", "USER@Example.COM", "@",
	"user@", "a@b@c.example.com", "nobody", "u@.", "%@%.%",
	"u@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.example.com",
};

static const char *ips[] = {
	"127.0.0.1", "10.1.2.3", "192.0.2.7", "IPv6:::1", "IPv6:2001:db8::1",
	"::ffff:10.0.0.1", "", "999.1.1.1", "IPv6:", "1.2.3.4/8",
};

/* check_hosts - load data as an InternalHosts list and match some */
static void
check_hosts(const unsigned char *data, size_t size)
{
	struct hosts *h;
	char	spec[4200];
	size_t	i;

	snprintf(spec, sizeof(spec), "file:%s", fuzzfile_path(2, data, size));
	h = hosts_load(spec, fuzzfile_report, NULL);
	for (i = 0; h != NULL && i < sizeof(ips) / sizeof(ips[0]); i++)
		(void)hosts_match_text(h, ips[i]);
	hosts_free(h);
	if (size == 0 || size >= sizeof(spec) || memchr(data, '\0', size) ||
	    memchr(data, '\n', size))
		return;		/* not one line */
	memcpy(spec, data, size);
	spec[size] = '\0';
	if (spec[0] == '/' || strncmp(spec, "file:", 5) == 0 ||
	    strncmp(spec, "refile:", 7) == 0)
		return;		/* a path, not a list */
	h = hosts_load(spec, fuzzfile_report, NULL);
	for (i = 0; h != NULL && i < sizeof(ips) / sizeof(ips[0]); i++)
		(void)hosts_match_text(h, ips[i]);
	hosts_free(h);
}

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
	check_hosts(data, size);
	return 0;
}
