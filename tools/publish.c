/*
 * publish.c - put key records into DNS and wait until every server has
 *	them: RFC 2136 UPDATE with TSIG, or a hook command
 *
 * SYNOPSIS
 *	pub_open(&p, conf)		settings of a dkimd.conf; 0 or -1
 *	pub_set(&p, domain, name, txt)	txt NULL: delete; 0 or -1
 *	pub_wait(&p, name, txt)		until every server answers txt (or,
 *					NULL, no key record); 0 or -1
 *	pub_close(&p)
 *
 * CONTRACT
 *	With DNSUpdateServer, pub_set() finds the zone of name by an SOA
 *	query to that server and sends one UPDATE over TCP that replaces
 *	the TXT RRset at name (or deletes it), signed with DNSUpdateKey when
 *	given; success is a NOERROR answer whose TSIG verifies (update.h).
 *	With DNSUpdateCommand instead, the command is run by /bin/sh with
 *	the arguments ACTION ("add", "revoke" or "delete"), NAME, RECORD
 *	(empty for delete) and DOMAIN; exit status 0 means done.
 *	pub_wait() asks every server of DNSUpdateCheck (else every NS of the
 *	zone, port 53) and the configured Nameservers (else resolv.conf's),
 *	once a second with a fresh resolver (no cache), until each answers
 *	as wanted, or DNSUpdateWait has passed: then it names each server
 *	that did not and what it answered. Errors are printed (tool_err),
 *	never the TSIG secret; with RequireSafeKeys (the default) a key file
 *	that group or others may read is refused.
 */
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "conf.h"
#include "publish.h"
#include "tool.h"
#include "util.h"

#define PUB_IO_MS	10000		/* one TCP exchange */
#define PUB_TTL		300		/* seconds, of the records written */
#define PUB_SERVERS	(sizeof(((struct pub *)0)->check) / sizeof(char *))

/* pub_hostport - split "HOST[:PORT]" ("[v6]:PORT") into host and port */
static int
pub_hostport(const char *s, char *host, size_t hsize, char *port,
    size_t psize)
{
	const char *colon;

	if (*s == '[') {
		const char *rb = strchr(s, ']');
		if (rb == NULL || (size_t)(rb - s - 1) >= hsize)
			return -1;
		snprintf(host, hsize, "%.*s", (int)(rb - s - 1), s + 1);
		colon = rb[1] == ':' ? rb + 1 : NULL;
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		if ((size_t)(colon - s) >= hsize)
			return -1;
		snprintf(host, hsize, "%.*s", (int)(colon - s), s);
	} else {
		colon = NULL;
		snprintf(host, hsize, "%s", s);
	}
	snprintf(port, psize, "%s", colon ? colon + 1 : "53");
	return host[0] ? 0 : -1;
}

/* pub_io - wait until fd is ready for events, at most ms; 0 or -1 */
static int
pub_io(int fd, short events, int ms)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

/* pub_full - read or write all of buf[0..n) within PUB_IO_MS */
static int
pub_full(int fd, unsigned char *buf, size_t n, int wr)
{
	ssize_t	 r;
	size_t	 done = 0;

	while (done < n) {
		if (pub_io(fd, wr ? POLLOUT : POLLIN, PUB_IO_MS) < 0)
			return -1;
		r = wr ? write(fd, buf + done, n - done) :
		    read(fd, buf + done, n - done);
		if (r <= 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

/*
 * pub_exchange - send q over TCP to server (RFC 1035 §4.2.2: a 2-byte
 * length first) and read the answer into ans; its length, or -1
 */
static long
pub_exchange(const char *server, const unsigned char *q, size_t qlen,
    unsigned char *ans, size_t size)
{
	struct addrinfo hints, *ai = NULL;
	unsigned char hdr[2];
	char	 host[256], port[16];
	size_t	 n;
	int	 fd = -1;
	long	 rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (pub_hostport(server, host, sizeof(host), port, sizeof(port)) < 0 ||
	    getaddrinfo(host, port, &hints, &ai) != 0) {
		tool_err("%s: not a HOST[:PORT] that resolves", server);
		return -1;
	}
	if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		tool_err("%s: %s", server, strerror(errno));
		goto out;
	}
	hdr[0] = (unsigned char)(qlen >> 8), hdr[1] = (unsigned char)qlen;
	if (pub_full(fd, hdr, 2, 1) < 0 ||
	    pub_full(fd, (unsigned char *)q, qlen, 1) < 0 ||
	    pub_full(fd, hdr, 2, 0) < 0 ||
	    (n = (size_t)hdr[0] << 8 | hdr[1]) > size ||
	    pub_full(fd, ans, n, 0) < 0) {
		tool_err("%s: no answer over TCP within %d s", server,
		    PUB_IO_MS / 1000);
		goto out;
	}
	rc = (long)n;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* pub_id - a random message id (RFC 5452 §9.2: not guessable) */
static uint16_t
pub_id(void)
{
	unsigned char b[2] = { 0, 0 };

	(void)RAND_bytes(b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* pub_zone - the zone of name, by an SOA query to the update server */
static int
pub_zone(struct pub *p, const char *name, char *zone, size_t size)
{
	unsigned char q[512], ans[DKIM_UPDATE_MAX];
	char	 err[256];
	size_t	 qlen;
	long	 n;
	uint16_t id = pub_id();

	if (dkim_soa_query(q, sizeof(q), &qlen, id, name) < 0) {
		tool_err("%s: not a valid DNS name", name);
		return -1;
	}
	if ((n = pub_exchange(p->server, q, qlen, ans, sizeof(ans))) < 0)
		return -1;
	if (dkim_soa_zone(ans, (size_t)n, id, name, zone, size, err,
	    sizeof(err)) < 0) {
		tool_err("%s: zone of %s: %s", p->server, name, err);
		return -1;
	}
	return 0;
}

/* pub_update - one UPDATE of name (txt NULL: delete) to the server */
static int
pub_update(struct pub *p, const char *name, const char *txt)
{
	unsigned char q[DKIM_UPDATE_MAX], ans[DKIM_UPDATE_MAX];
	unsigned char mac[DKIM_TSIG_MAC_MAX];
	char	 zone[NS_MAXDNAME], err[256];
	size_t	 qlen, maclen = 0;
	uint16_t id = pub_id();
	long	 n;

	if (pub_zone(p, name, zone, sizeof(zone)) < 0)
		return -1;
	if (dkim_update_build(q, sizeof(q), &qlen, id, zone, name, txt,
	    PUB_TTL, err, sizeof(err)) < 0 || (p->haskey &&
	    dkim_tsig_sign(q, sizeof(q), &qlen, &p->key, time(NULL), mac,
	    &maclen, err, sizeof(err)) < 0)) {
		tool_err("%s: %s", name, err);
		return -1;
	}
	if ((n = pub_exchange(p->server, q, qlen, ans, sizeof(ans))) < 0)
		return -1;
	if (dkim_update_answer(ans, (size_t)n, id, p->haskey ? &p->key : NULL,
	    mac, maclen, time(NULL), err, sizeof(err)) != DKIM_UPDATE_OK) {
		tool_err("%s: UPDATE of %s in zone %s failed: %s", p->server,
		    name, zone, err);
		return -1;
	}
	printf("; %s: UPDATE %s in zone %s: NOERROR\n", name,
	    txt ? "set" : "delete", zone);
	return 0;
}

/* pub_hook - DNSUpdateCommand ACTION NAME RECORD DOMAIN; 0 on exit 0 */
static int
pub_hook(struct pub *p, const char *action, const char *domain,
    const char *name, const char *txt)
{
	pid_t	 pid;
	int	 st;

	fflush(stdout);
	if ((pid = fork()) < 0) {
		tool_err("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exec $0 \"$@\"", p->command,
		    action, name, txt ? txt : "", domain, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		tool_err("DNSUpdateCommand %s %s failed (status %d)", action,
		    name, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	printf("; %s: DNSUpdateCommand %s: done\n", name, action);
	return 0;
}

/* pub_set - publish txt at name (NULL: delete the record) */
int
pub_set(struct pub *p, const char *domain, const char *name, const char *txt)
{
	const char *action = txt == NULL ? "delete" :
	    strcmp(txt, PUB_REVOKED) == 0 ? "revoke" : "add";

	if (p->command != NULL)
		return pub_hook(p, action, domain, name, txt);
	return pub_update(p, name, txt);
}

/* pub_ns - "HOST:53" of each NS of the zone of name into p->check */
static int
pub_ns(struct pub *p, const char *name)
{
	unsigned char q[512], ans[DKIM_UPDATE_MAX];
	char	 zone[NS_MAXDNAME], ns[NS_MAXDNAME];
	struct __res_state rs;
	ns_msg	 m;
	ns_rr	 rr;
	long	 n;
	int	 i, qlen;

	if (pub_zone(p, name, zone, sizeof(zone)) < 0)
		return -1;
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) < 0)
		return -1;
	qlen = res_nmkquery(&rs, ns_o_query, zone, ns_c_in, ns_t_ns, NULL, 0,
	    NULL, q, sizeof(q));
	res_nclose(&rs);
	if (qlen < 0 || (n = pub_exchange(p->server, q, (size_t)qlen, ans,
	    sizeof(ans))) < 0 || ns_initparse(ans, (int)n, &m) < 0) {
		tool_err("%s: no NS records of %s", p->server, zone);
		return -1;
	}
	for (i = 0; i < ns_msg_count(m, ns_s_an) && p->ncheck < PUB_SERVERS;
	    i++) {
		if (ns_parserr(&m, ns_s_an, i, &rr) < 0 ||
		    ns_rr_type(rr) != ns_t_ns || dn_expand(ns_msg_base(m),
		    ns_msg_end(m), ns_rr_rdata(rr), ns, sizeof(ns)) < 0)
			continue;
		if ((p->check[p->ncheck] = malloc(strlen(ns) + 4)) == NULL)
			return -1;
		sprintf(p->check[p->ncheck++], "%s:53", ns);
	}
	return p->ncheck > 0 ? 0 : -1;
}

/* pub_split - each server of list (commas or spaces) into p->check */
static void
pub_split(struct pub *p, const char *list)
{
	char	**v = util_split(list);
	size_t	 i;

	for (i = 0; v != NULL && v[i] != NULL; i++) {
		if (p->ncheck < PUB_SERVERS)
			p->check[p->ncheck++] = v[i];
		else
			free(v[i]);
	}
	free(v);
}

/*
 * pub_same - the record answered says what want says: their compact
 * forms are equal (the resolver hands out the compact form), or, for
 * records that do not parse, the texts are, white space aside
 */
static int
pub_same(const char *got, const char *want)
{
	char	*cg = dkim_key_record_compact(got);
	char	*cw = dkim_key_record_compact(want);
	int	 same = cg != NULL && cw != NULL && strcmp(cg, cw) == 0;

	free(cg);
	free(cw);
	if (same)
		return 1;
	for (;;) {
		while (isspace((unsigned char)*got))
			got++;
		while (isspace((unsigned char)*want))
			want++;
		if (*got != *want)
			return 0;
		if (*got == '\0')
			return 1;
		got++, want++;
	}
}

/* pub_ask - does server answer name as wanted? what it said into say */
static int
pub_ask(const char *server, const char *name, const char *want, char *say,
    size_t size)
{
	dkim_resolver *r;
	enum dkim_dns_status st;
	char	 err[256], *txt = NULL;
	int	 yes = 0;

	if ((r = dkim_resolver_new(server, 2000, err, sizeof(err))) == NULL) {
		snprintf(say, size, "%s", err);
		return 0;
	}
	st = dkim_resolver_keysource(r, name, &txt, err, sizeof(err));
	if (st == DKIM_DNS_OK) {
		yes = want != NULL && pub_same(txt, want);
		snprintf(say, size, "%s record", yes ? "the new" :
		    "another");
	} else {
		yes = want == NULL && st == DKIM_DNS_NOKEY;
		snprintf(say, size, "%s", err);
	}
	free(txt);
	dkim_resolver_free(r);
	return yes;
}

/* pub_wait - until every server answers name with want (NULL: none) */
int
pub_wait(struct pub *p, const char *name, const char *want)
{
	char	 say[PUB_SERVERS + 1][300];
	const char *srv[PUB_SERVERS + 1];
	int	 ok[PUB_SERVERS + 1];
	time_t	 start = time(NULL);
	size_t	 i, n = 0, left;

	if (p->ncheck == 0 && (p->server == NULL || pub_ns(p, name) < 0)) {
		tool_err("%s: no servers to check (DNSUpdateCheck)", name);
		return -1;
	}
	for (i = 0; i < p->ncheck; i++)
		srv[n++] = p->check[i];
	srv[n++] = p->resolvers;	/* "" is resolv.conf's */
	memset(ok, 0, sizeof(ok));
	for (;;) {
		for (i = 0, left = 0; i < n; i++)
			if (!ok[i] && !(ok[i] = pub_ask(srv[i], name, want,
			    say[i], sizeof(say[i]))))
				left++;
		if (left == 0) {
			printf("; %s: %zu servers answer %s after %lld s\n",
			    name, n, want == NULL ? "no key record" :
			    strcmp(want, PUB_REVOKED) == 0 ?
			    "the revoked record" : "the new record",
			    (long long)(time(NULL) - start));
			return 0;
		}
		if (time(NULL) - start >= p->wait)
			break;
		sleep(1);
	}
	for (i = 0; i < n; i++)
		if (!ok[i])
			tool_err("%s: %s still answers: %s", name,
			    srv[i][0] ? srv[i] : "resolv.conf", say[i]);
	tool_err("%s: not on every server after %ld s (DNSUpdateWait)", name,
	    p->wait);
	return -1;
}

/* pub_open - the publication settings of configuration c */
int
pub_open(struct pub *p, const struct conf *c)
{
	struct stat sb;
	char	 err[256];

	memset(p, 0, sizeof(*p));
	if (c->dnsupdatecommand == NULL && c->dnsupdateserver == NULL) {
		tool_err("%s: neither DNSUpdateServer nor DNSUpdateCommand",
		    c->path);
		return -1;
	}
	p->server = c->dnsupdateserver;
	p->command = c->dnsupdatecommand;
	p->resolvers = c->nameservers ? c->nameservers : "";
	if (util_duration(c->dnsupdatewait, &p->wait) < 0)
		p->wait = 600;
	if (c->dnsupdatekey != NULL) {
		/* A TSIG secret lets its holder rewrite the zone's keys. */
		if (c->requiresafekeys && (stat(c->dnsupdatekey, &sb) < 0 ||
		    (sb.st_mode & 077) != 0)) {
			tool_err("DNSUpdateKey %s: missing, or readable by group "
			    "or others (RequireSafeKeys)", c->dnsupdatekey);
			return -1;
		}
		if (dkim_tsig_key_load(c->dnsupdatekey, &p->key, err,
		    sizeof(err)) < 0) {
			tool_err("DNSUpdateKey: %s", err);
			return -1;
		}
		p->haskey = 1;
	}
	if (c->dnsupdatecheck != NULL)
		pub_split(p, c->dnsupdatecheck);
	return 0;
}

/* pub_close - forget the key and the server list */
void
pub_close(struct pub *p)
{
	size_t	 i;

	for (i = 0; i < p->ncheck; i++)
		free(p->check[i]);
	dkim_tsig_key_clear(&p->key);
	p->ncheck = 0;
}
