/*
 * fuzz_authz.c - libFuzzer target: SenderAuthorization data sets and the
 * sender x From decision (authz.c)
 *
 * The input is a data set file (loaded as file: and as refile:). Its
 * first line, split at white space, also gives a sender and a From
 * address, tried beside a fixed list, as login and as envelope sender,
 * with and without SubDomains. Every verdict must be one of the three,
 * and the sender, From domain and rule it reports terminated strings.
 */
#include "fuzzfile.h"

#include "authz.h"

int	LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static const char *names[] = {
	"alice@a.example", "ALICE@A.EXAMPLE", "bob", "", "@", "x@", "<>",
	"a@b@c.example", "u@sub.a.example", "x@example", "*", "*@*",
	"u@a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.example",
};

/* terminated - 1 when s has a NUL within n bytes */
static int
terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* judge - one decision, checked */
static void
judge(struct conf *c, const char *login, const char *envfrom,
    const char *from)
{
	struct authz_in in;
	struct authz_out out;
	enum authz_verdict v;

	in.login = login;
	in.envfrom = envfrom;
	in.from = from;
	v = authz_check(c, &in, &out);
	if ((v != AUTHZ_ALLOW && v != AUTHZ_REFUSE && v != AUTHZ_UNKNOWN) ||
	    v != out.verdict || !terminated(out.sender, sizeof(out.sender)) ||
	    !terminated(out.fromdom, sizeof(out.fromdom)) ||
	    !terminated(out.rule, sizeof(out.rule)))
		abort();
}

/* pairs - every sender against every From address */
static void
pairs(struct conf *c, const char *s1, const char *f1)
{
	char	from[600];
	size_t	i, j, n = sizeof(names) / sizeof(names[0]);

	for (i = 0; i <= n; i++)
		for (j = 0; j <= n; j++) {
			snprintf(from, sizeof(from), "x@%s", j < n ?
			    strrchr(names[j], '@') ? strrchr(names[j], '@') +
			    1 : names[j] : f1);
			judge(c, i < n ? names[i] : s1, NULL, from);
			judge(c, NULL, i < n ? names[i] : s1, from);
		}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct conf *c = conf_defaults();
	char	spec[4200], s1[300], f1[300];
	size_t	i;
	int	refile;

	if (c == NULL)
		return 0;
	s1[0] = f1[0] = '\0';
	for (i = 0; i < size && i < 256 && data[i] != '\n'; i++)
		;
	if (i > 0 && memchr(data, '\0', i) == NULL) {
		memcpy(spec, data, i);
		spec[i] = '\0';
		if (sscanf(spec, "%299s %299s", s1, f1) < 1)
			s1[0] = '\0';
	}
	c->senderauthzenvelope = 1;
	for (refile = 0; refile < 2; refile++) {
		snprintf(spec, sizeof(spec), "%s%s", refile ? "refile:" :
		    "file:", fuzzfile_path(0, data, size));
		c->authz = authz_load(spec, fuzzfile_report, NULL);
		c->subdomains = refile;
		pairs(c, s1, f1);
		authz_free(c->authz);
		c->authz = NULL;
	}
	conf_free(c);
	return 0;
}
