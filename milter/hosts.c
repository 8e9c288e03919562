/*
 * hosts.c - InternalHosts address lists (IPv4 and IPv6, with CIDR)
 *
 * Addresses are kept as 16 bytes: IPv4 as IPv4-mapped IPv6, so one
 * comparison serves both families and "::ffff:10.0.0.1" is 10.0.0.1.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "hosts.h"
#include "table.h"
#include "util.h"

struct hent {
	unsigned char addr[16];
	int	bits;			/* prefix length over the 16 bytes */
	int	negate;
	char	*pat;			/* refile: pattern over the text, or NULL */
};

struct hosts {
	struct hent *v;
	size_t	n;
	int	wildcard;		/* refile: entries may be patterns */
};

struct hload {
	struct hosts *h;
	const char *where;
	conf_report_fn report;
	void	*rarg;
};

/* to16 - text address to 16 bytes; returns the prefix of a full match */
static int
to16(const char *s, unsigned char out[16])
{
	struct in_addr a4;

	if (strncasecmp(s, "IPv6:", 5) == 0)
		s += 5;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 32;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return 128;
	return -1;
}

/* add_one - parse one entry "[!]addr[/len]" */
static int
add_one(struct hload *hl, int lineno, const char *word)
{
	struct hent e, *nv;
	char	buf[128], *slash, *end;
	int	full;
	long	len;

	memset(&e, 0, sizeof(e));
	if (*word == '!') {
		e.negate = 1;
		word++;
	}
	if (strlen(word) >= sizeof(buf))
		goto bad;
	/* a refile: pattern: address characters and '*' only, no names */
	if (hl->h->wildcard && strchr(word, '*') != NULL) {
		if (strspn(word, "0123456789abcdefABCDEF.:*") != strlen(word) ||
		    (e.pat = strdup(word)) == NULL)
			goto bad;
		util_lower(e.pat);
		e.bits = 128;
		goto add;
	}
	strcpy(buf, word);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if ((full = to16(buf, e.addr)) < 0)
		goto bad;
	e.bits = 128;
	if (slash != NULL) {
		len = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || len < 0 || len > full)
			goto bad;
		e.bits = (int)len + (128 - full);
	}
add:
	if (hl->h->n >= HOSTS_MAX ||
	    (nv = realloc(hl->h->v, (hl->h->n + 1) * sizeof(*nv))) == NULL) {
		util_report(hl->report, hl->rarg, 0, "%s:%d: too many entries "
		    "or out of memory", hl->where, lineno);
		free(e.pat);
		return 1;
	}
	hl->h->v = nv;
	hl->h->v[hl->h->n++] = e;
	return 0;
bad:
	util_report(hl->report, hl->rarg, 0, "%s:%d: \"%s\" is not an IP "
	    "address or CIDR block%s (host names are not supported)",
	    hl->where, lineno, word, hl->h->wildcard ? ", nor a pattern of "
	    "one" : "");
	return 1;
}

/* add_line - every entry of one line */
static int
add_line(void *arg, int lineno, char *line)
{
	char	**v, **p;
	int	errors = 0;

	if ((v = util_split(line)) == NULL)
		return add_one(arg, lineno, "");
	for (p = v; *p; p++)
		errors += add_one(arg, lineno, *p);
	util_strvfree(v);
	return errors;
}

/* hosts_load - an InternalHosts list from text or from a file */
struct hosts *
hosts_load(const char *spec, conf_report_fn report, void *arg)
{
	return hosts_load_as("InternalHosts", spec, report, arg);
}

/* hosts_load_as - an address list from text or from a file; the errors
 * of an inline list name keyword name */
struct hosts *
hosts_load_as(const char *name, const char *spec, conf_report_fn report,
    void *arg)
{
	struct hload hl;
	char	*copy = NULL;
	int	wildcard, errors;

	hl.report = report;
	hl.rarg = arg;
	if ((hl.h = calloc(1, sizeof(*hl.h))) == NULL)
		return NULL;
	if (strncmp(spec, "file:", 5) == 0 || strncmp(spec, "refile:", 7) == 0 ||
	    spec[0] == '/') {
		hl.where = table_spec(spec, &wildcard);
		hl.h->wildcard = wildcard;
		errors = util_readlines(hl.where, add_line, &hl, report, arg);
	} else {
		hl.where = name;
		if ((copy = strdup(spec)) == NULL)
			goto fail;
		errors = add_line(&hl, 0, copy);
		free(copy);
	}
	if (errors == 0)
		return hl.h;
fail:
	hosts_free(hl.h);
	return NULL;
}

/* text16 - the address's text as a pattern sees it: IPv4 dotted (also
 * when IPv4-mapped), IPv6 as inet_ntop() writes it (RFC 5952) */
static void
text16(const unsigned char a[16], char *out, size_t len)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0xff, 0xff };

	if (memcmp(a, mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, out, (socklen_t)len);
}

/* covers - 1 when entry e covers address a (text: its text form) */
static int
covers(const struct hent *e, const unsigned char a[16], const char *text)
{
	int	full = e->bits / 8, rest = e->bits % 8;

	if (e->pat != NULL)
		return table_wildmatch(e->pat, text);
	if (memcmp(e->addr, a, (size_t)full) != 0)
		return 0;
	return !(rest && ((e->addr[full] ^ a[full]) & (0xff << (8 - rest)) &
	    0xff));
}

/* match16 - the most precise entry that covers a decides; of two
 * equally precise, the exclusion */
static int
match16(const struct hosts *h, const unsigned char a[16])
{
	char	text[INET6_ADDRSTRLEN];
	size_t	i;
	int	best = -1, in = 0;

	text16(a, text, sizeof(text));
	for (i = 0; h != NULL && i < h->n; i++) {
		const struct hent *e = &h->v[i];

		if (!covers(e, a, text) || e->bits < best ||
		    (e->bits == best && !in))
			continue;
		best = e->bits;
		in = !e->negate;
	}
	return in;
}

/* hosts_match - 1 when the client address sa is an internal host */
int
hosts_match(const struct hosts *h, const struct sockaddr *sa)
{
	unsigned char a[16];

	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)(const void *)sa)
		    ->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr, 16);
	else
		return 0;
	return match16(h, a);
}

/* hosts_match_text - 1 when the textual address is an internal host */
int
hosts_match_text(const struct hosts *h, const char *text)
{
	unsigned char a[16];

	if (text == NULL || to16(text, a) < 0)
		return 0;
	return match16(h, a);
}

/* hosts_count - number of entries */
size_t
hosts_count(const struct hosts *h)
{
	return h == NULL ? 0 : h->n;
}

/* hosts_free - free a list; NULL is a no-op */
void
hosts_free(struct hosts *h)
{
	size_t	i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->v[i].pat);
	free(h->v);
	free(h);
}
