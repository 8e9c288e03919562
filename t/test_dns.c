/*
 * test_dns.c - dkimcore/dns.c against real DNS servers on 127.0.0.1
 *
 * Starts t/dnsfake.py (a server that misbehaves on purpose, zone in
 * t/data/dns/zone) and dnsmasq, each on a free high port of 127.0.0.1
 * (dnsmasq on ::1 too), with a lifetime of their own, and kills them by
 * PID at the end. Checks the outcome of every behaviour of the zone, the
 * record-set rules, TCP after a truncated answer, timeouts, the cache
 * (with the servers gone), coalescing and threads, and 500 random
 * answers (for the parser, under the sanitizers in CI); then floods:
 * 320 black-holed lookups in flight while a good name answers, per-group
 * shares, cancellation, coalescing in the engine, a slow-drip TCP
 * server, 1,000 key records of 60 KB against the cache's byte budget,
 * and shutdown.
 * Needs /usr/bin/python3 and dnsmasq; finds its files under $top_srcdir
 * (default "."). A run takes about 20 seconds.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dk.h"
#include "tap.h"

#define LIFETIME	"90"	/* seconds a server lives at most */

/* ASan keeps freed memory in quarantine: RSS says nothing then */
#ifdef __SANITIZE_ADDRESS__
#define RSS_MEANINGFUL	0
#else
#define RSS_MEANINGFUL	1
#endif
#define DOM		"._domainkey.t.test"

static const char *srcdir = ".";
static char tmpdir[] = "/tmp/test_dns.XXXXXX";

/* now_ms - CLOCK_MONOTONIC in milliseconds */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sleep_ms - sleep ms milliseconds */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* free_port - a port of 127.0.0.1 free for both UDP and TCP right now */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int	 u, t, port = -1, tries;

	for (tries = 0; tries < 20 && port < 0; tries++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (u >= 0 && t >= 0 &&
		    bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    getsockname(u, (struct sockaddr *)&sin, &len) == 0 &&
		    ntohs(sin.sin_port) >= 10000 &&
		    bind(t, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			port = ntohs(sin.sin_port);
		if (u >= 0)
			close(u);
		if (t >= 0)
			close(t);
	}
	return port;
}

/* have_ipv6 - 1 when [::1] can be bound here */
static int
have_ipv6(void)
{
	struct sockaddr_in6 sin6;
	int	 fd, rc;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if ((fd = socket(AF_INET6, SOCK_DGRAM, 0)) < 0)
		return 0;
	rc = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return rc;
}

/* spawn - fork and exec argv with stdout and stderr to logfile */
static pid_t
spawn(char *const argv[], const char *logfile)
{
	pid_t	 pid;
	FILE	*f;

	fflush(stdout);
	if ((pid = fork()) != 0)
		return pid;
	if ((f = freopen(logfile, "a", stdout)) != NULL)
		dup2(fileno(f), 2);
	execv(argv[0], argv);
	_exit(127);
}

/* wait_file - wait up to ms for a non-empty file; 0 or -1 */
static int
wait_file(const char *path, long ms)
{
	struct stat sb;
	long long end = now_ms() + ms;

	while (now_ms() < end) {
		if (stat(path, &sb) == 0 && sb.st_size > 0)
			return 0;
		sleep_ms(20);
	}
	return -1;
}

/* stop - kill a server we started, by its PID, and reap it */
static void
stop(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* path_in - "dir/name" into a static-sized buffer */
static void
path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* start_fake - t/dnsfake.py on port, logging queries to tmpdir/fake.log */
static pid_t
start_fake(int port)
{
	char	 script[1024], zone[1024], pidf[1024], log[1024], out[1024];
	char	 portstr[16];
	pid_t	 pid;

	path_in(script, sizeof(script), srcdir, "t/dnsfake.py");
	path_in(zone, sizeof(zone), srcdir, "t/data/dns/zone");
	path_in(pidf, sizeof(pidf), tmpdir, "fake.pid");
	path_in(log, sizeof(log), tmpdir, "fake.log");
	path_in(out, sizeof(out), tmpdir, "fake.out");
	snprintf(portstr, sizeof(portstr), "%d", port);
	{
		char *const argv[] = { "/usr/bin/python3", script, "--port",
		    portstr, "--zone", zone, "--lifetime", LIFETIME,
		    "--pidfile", pidf, "--log", log, NULL };

		pid = spawn(argv, out);
	}
	if (pid > 0 && wait_file(pidf, 10000) < 0) {
		stop(pid);
		return -1;
	}
	return pid;
}

/* read_file - a file's first line, without its newline (malloc) */
static char *
read_line(const char *path)
{
	char	 buf[8192];
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/*
 * start_dnsmasq - dnsmasq on port of 127.0.0.1 and ::1 with the records
 * of the 4096-bit key (one TXT of three strings) and a two-string record.
 */
static pid_t
start_dnsmasq(int port, const char *bigrec)
{
	char	 conf[1024], pidf[1024], out[1024], portopt[32];
	char	 confopt[1100], pidopt[1100];
	size_t	 i, n = strlen(bigrec);
	FILE	*f;
	pid_t	 pid;

	path_in(conf, sizeof(conf), tmpdir, "dnsmasq.conf");
	path_in(pidf, sizeof(pidf), tmpdir, "dnsmasq.pid");
	path_in(out, sizeof(out), tmpdir, "dnsmasq.out");
	if ((f = fopen(conf, "w")) == NULL)
		return -1;
	fprintf(f, "txt-record=big" DOM);
	for (i = 0; i < n; i += 250)
		fprintf(f, ",\"%.*s\"", (int)(n - i < 250 ? n - i : 250),
		    bigrec + i);
	fprintf(f, "\ntxt-record=multi" DOM ",\"v=DKIM1; p=AB\",\"CD\"\n");
	fclose(f);
	snprintf(portopt, sizeof(portopt), "--port=%d", port);
	snprintf(confopt, sizeof(confopt), "--conf-file=%s", conf);
	snprintf(pidopt, sizeof(pidopt), "--pid-file=%s", pidf);
	{
		char *const argv[] = { "/usr/sbin/dnsmasq",
		    "--keep-in-foreground", portopt,
		    "--listen-address=127.0.0.1", have_ipv6() ?
		    "--listen-address=::1" : "--listen-address=127.0.0.1",
		    "--bind-interfaces", "--no-resolv", "--no-hosts",
		    confopt, pidopt, "--user=root", "--group=root", NULL };

		pid = spawn(argv, out);
	}
	if (pid > 0 && wait_file(pidf, 10000) < 0) {
		stop(pid);
		return -1;
	}
	sleep_ms(100);
	return pid;
}

/* count_log - how many lines of the fake server's log are exactly line */
static int
count_log(const char *line)
{
	char	 path[1024], buf[1024];
	FILE	*f;
	int	 n = 0;

	path_in(path, sizeof(path), tmpdir, "fake.log");
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL) {
		buf[strcspn(buf, "\n")] = '\0';
		if (strcmp(buf, line) == 0)
			n++;
	}
	fclose(f);
	return n;
}

/* One lookup and what it should give. */
struct expect {
	const char *name;
	enum dkim_dns_status status;
	const char *text;	/* the record on OK, else the reason */
	const char *proves;
};

/* check - look name up once and compare with e */
static void
check(dkim_resolver *r, const struct expect *e)
{
	char	*txt = NULL, reason[256], what[300];
	enum dkim_dns_status st;

	st = dkim_resolver_keysource(r, e->name, &txt, reason, sizeof(reason));
	snprintf(what, sizeof(what), "%s: status", e->proves);
	is_int(st, e->status, what);
	snprintf(what, sizeof(what), "%s: %s", e->proves,
	    e->status == DKIM_DNS_OK ? "record" : "reason");
	if (e->text != NULL)
		is_str(st == DKIM_DNS_OK ? txt : reason, e->text, what);
	free(txt);
}

/*
 * test_answer_classes - every query ends in exactly one enumerated class
 * of answer, timed by the latency histogram; a second lookup is a cache
 * hit that adds no answer (the counters dkimd exports)
 */
static void
test_answer_classes(int port)
{
	static const struct {
		const char *name;
		enum dkim_dns_class cls;
	} c[] = {
		{ "ok" DOM, DKIM_DNSC_OK },
		{ "empty" DOM, DKIM_DNSC_NODATA },
		{ "nx" DOM, DKIM_DNSC_NXDOMAIN },
		{ "two" DOM, DKIM_DNSC_MULTIPLE },
		{ "nul" DOM, DKIM_DNSC_BADRECORD },
		{ "servfail" DOM, DKIM_DNSC_SERVFAIL },
		{ "malformed" DOM, DKIM_DNSC_MALFORMED },
		{ "notcp" DOM, DKIM_DNSC_NETWORK },
		{ "timeout" DOM, DKIM_DNSC_TIMEOUT },
		{ "slow" DOM, DKIM_DNSC_OK },
	};
	struct dkim_resolver_counts a, b;
	dkim_resolver *r;
	char	 ns[64], err[128], reason[256], what[200], *txt;
	unsigned long n, sum;
	size_t	 i, k;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	if (!ok((r = dkim_resolver_new(ns, 1000, err, sizeof(err))) != NULL,
	    "classes: resolver with a 1000 ms timeout"))
		return;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		dkim_resolver_counts(r, &a);
		txt = NULL;
		(void)dkim_resolver_keysource(r, c[i].name, &txt, reason,
		    sizeof(reason));
		free(txt);
		dkim_resolver_counts(r, &b);
		for (k = 0, n = 0; k < DKIM_DNSC_MAX; k++)
			n += b.answers[k] - a.answers[k];
		snprintf(what, sizeof(what), "classes: %s counts one answer, "
		    "of class %s", c[i].name, dkim_dns_class_name(c[i].cls));
		ok(n == 1 && b.answers[c[i].cls] - a.answers[c[i].cls] == 1 &&
		    b.cache_misses - a.cache_misses == 1, what);
	}
	dkim_resolver_counts(r, &a);
	for (k = 0, n = 0; k <= DKIM_DNS_NLE; k++)
		n += a.latency[k];
	snprintf(what, sizeof(what), "classes: the latency histogram counts "
	    "every query once (%lu)", n);
	ok(n == sizeof(c) / sizeof(c[0]), what);
	/* bounds 250, 500, 1000 ms: the 300 ms answer and the 1 s timeout
	 * are above 250 ms, so at least two queries sit above the 7th */
	for (k = 6, sum = 0; k <= DKIM_DNS_NLE; k++)
		sum += a.latency[k];
	snprintf(what, sizeof(what), "classes: the slow answer and the "
	    "timeout are timed above 250 ms (%lu; sum %lu ms)", sum,
	    a.latency_ms_sum);
	ok(sum >= 2 && a.latency_ms_sum >= 1300, what);
	txt = NULL;
	(void)dkim_resolver_keysource(r, "ok" DOM, &txt, reason,
	    sizeof(reason));
	free(txt);
	dkim_resolver_counts(r, &b);
	ok(b.cache_hits - a.cache_hits == 1 && b.cache_misses ==
	    a.cache_misses && memcmp(a.answers, b.answers,
	    sizeof(a.answers)) == 0, "classes: a cached name is a hit, "
	    "no query, no answer counted");
	is_str(dkim_dns_class_name(DKIM_DNSC_MAX), "unknown",
	    "classes: a value out of range is named unknown");
	dkim_resolver_free(r);
}

/* test_nameservers - the nameserver list syntax */
static void
test_nameservers(void)
{
	static const char *good[] = { "127.0.0.1", "127.0.0.1:5353",
	    "[::1]:5353", "::1", "[::1]", "127.0.0.1, 127.0.0.2:54 [::1]:55",
	    "", NULL };
	static const char *bad[] = { "localhost", "ns.example.com:53",
	    "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1",
	    "[127.0.0.1]", "1.2.3.4,1.2.3.5,1.2.3.6,1.2.3.7", "[::1]x", NULL };
	dkim_resolver *r;
	char	 err[256], what[300];
	int	 i;

	for (i = 0; good[i] != NULL; i++) {
		r = dkim_resolver_new(good[i], 1000, err, sizeof(err));
		snprintf(what, sizeof(what), "nameservers \"%s\" accepted",
		    good[i]);
		ok(r != NULL, what);
		dkim_resolver_free(r);
	}
	for (i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		r = dkim_resolver_new(bad[i], 1000, err, sizeof(err));
		snprintf(what, sizeof(what), "nameservers \"%s\" refused "
		    "with a reason", bad[i]);
		ok(r == NULL && err[0] != '\0', what);
		dkim_resolver_free(r);
	}
	r = dkim_resolver_new(NULL, 0, err, sizeof(err));
	ok(r != NULL, "no nameservers: resolv.conf's list");
	dkim_resolver_free(r);
	dkim_resolver_free(NULL);
	ok(1, "dkim_resolver_free(NULL) does nothing");
	{
		char	*txt = NULL;

		ok(dkim_resolver_keysource(NULL, "a.test", &txt, err,
		    sizeof(err)) == DKIM_DNS_TEMPFAIL && txt == NULL,
		    "keysource without a resolver: temporary failure");
	}
}

/* test_names - invalid query names never reach the network */
static void
test_names(dkim_resolver *r)
{
	char	 longname[300];
	static const struct expect e[] = {
		{ "", DKIM_DNS_BAD, "invalid name", "empty name refused" },
		{ "a..b.test", DKIM_DNS_BAD, "invalid name",
		    "empty label refused" },
		{ ".a.test", DKIM_DNS_BAD, "invalid name",
		    "leading dot refused" },
		{ "sel._domainkey.ex ample.com", DKIM_DNS_BAD, "invalid name",
		    "space in a name refused" },
		{ "sel._domainkey.ex\\046ample.com", DKIM_DNS_BAD,
		    "invalid name", "backslash in a name refused" },
		{ "s\xc3\xa9l._domainkey.example.com", DKIM_DNS_BAD,
		    "invalid name", "8-bit byte in a name refused" },
		{ "sel._domainkey.-evil.example", DKIM_DNS_BAD,
		    "invalid name", "a label starting with '-' refused (the "
		    "signature parser's rule, dk_selector_valid)" },
	};
	struct expect lng = { longname, DKIM_DNS_BAD, "invalid name",
	    "254-byte name refused" };
	size_t	 i;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		check(r, &e[i]);
	memset(longname, 'a', 254);
	for (i = 50; i < 254; i += 50)
		longname[i] = '.';
	longname[254] = '\0';
	check(r, &lng);
	memset(longname, 'b', 64);
	strcpy(longname + 64, ".test");
	lng.proves = "64-byte label refused";
	check(r, &lng);
}

/* test_fake_behaviours - every behaviour of t/data/dns/zone */
static void
test_fake_behaviours(dkim_resolver *r, const char *bigrec)
{
	static const struct expect e[] = {
		{ "multi" DOM, DKIM_DNS_OK, "v=DKIM1; k=rsa; p=ABCDEF",
		    "strings of one TXT record joined without separators" },
		{ "MULTI._DomainKey.T.Test.", DKIM_DNS_OK,
		    "v=DKIM1; k=rsa; p=ABCDEF",
		    "names compared case-insensitively, final dot ignored" },
		{ "mixed" DOM, DKIM_DNS_OK, "v=DKIM1; p=MIXED",
		    "non-key TXT records beside the key are ignored" },
		{ "nov" DOM, DKIM_DNS_OK, "k=rsa; p=NOV",
		    "a record without v= but with p= is a key record" },
		{ "fws" DOM, DKIM_DNS_OK, " v = DKIM1 ;p=FWS",
		    "FWS around v= and DKIM1 allowed" },
		{ "spf" DOM, DKIM_DNS_NOKEY, "no key record",
		    "only a non-key TXT record: no key" },
		{ "vlater" DOM, DKIM_DNS_NOKEY, "no key record",
		    "v= not first: not a key record" },
		{ "dkim10" DOM, DKIM_DNS_NOKEY, "no key record",
		    "v=DKIM10 is not v=DKIM1" },
		{ "emptystr" DOM, DKIM_DNS_NOKEY, "no key record",
		    "an empty TXT record is not a key" },
		{ "nul" DOM, DKIM_DNS_BAD, "NUL byte in key record",
		    "a key record with a NUL byte is refused, not cut" },
		{ "two" DOM, DKIM_DNS_BAD, "2 key records at two" DOM,
		    "two key records: ambiguous, refused" },
		{ "alias" DOM, DKIM_DNS_OK, "v=DKIM1; p=TARGET",
		    "CNAME in the answer followed" },
		{ "loop1" DOM, DKIM_DNS_NOKEY, "no key record",
		    "CNAME loop bounded" },
		{ "nx" DOM, DKIM_DNS_NOKEY, "no such domain",
		    "NXDOMAIN: no key" },
		{ "unknown" DOM, DKIM_DNS_NOKEY, "no such domain",
		    "a name not in the zone: NXDOMAIN" },
		{ "nxsoa" DOM, DKIM_DNS_NOKEY, "no such domain",
		    "NXDOMAIN with an SOA: no key" },
		{ "empty" DOM, DKIM_DNS_NOKEY, "no key record",
		    "NOERROR without records: no key" },
		{ "wrongname" DOM, DKIM_DNS_NOKEY, "no key record",
		    "a TXT record of another name is ignored" },
		{ "wrongtype" DOM, DKIM_DNS_NOKEY, "no key record",
		    "an A record is ignored" },
		{ "servfail" DOM, DKIM_DNS_TEMPFAIL,
		    "DNS server failure (SERVFAIL or REFUSED)",
		    "SERVFAIL: temporary failure" },
		{ "refused" DOM, DKIM_DNS_TEMPFAIL,
		    "DNS server failure (SERVFAIL or REFUSED)",
		    "REFUSED: temporary failure" },
		{ "malformed" DOM, DKIM_DNS_TEMPFAIL, "malformed DNS answer",
		    "lengths past the end: malformed answer, temporary" },
		{ "comploop" DOM, DKIM_DNS_TEMPFAIL, "malformed DNS answer",
		    "compression pointer loop: malformed answer, temporary" },
		{ "badtxt" DOM, DKIM_DNS_TEMPFAIL, "malformed DNS answer",
		    "TXT string longer than its RDATA: malformed, temporary" },
		{ "slow" DOM, DKIM_DNS_OK, "v=DKIM1; p=SLOW",
		    "a slow answer within the timeout is used" },
		{ "notcp" DOM, DKIM_DNS_TEMPFAIL,
		    "DNS over TCP failed (connection closed)",
		    "truncated over UDP, TCP closed: temporary failure" },
		{ "oversize" DOM, DKIM_DNS_OK, "v=DKIM1; p=OVERSIZE",
		    "a 4 KB UDP answer is read whole" },
		{ "ttl0" DOM, DKIM_DNS_OK, "v=DKIM1; p=TTL0",
		    "a TTL of 0 is answered" },
		{ "ttl1" DOM, DKIM_DNS_OK, "v=DKIM1; p=TTL1",
		    "a TTL of 1 is answered" },
	};
	struct expect big = { "truncate" DOM, DKIM_DNS_OK, bigrec,
	    "truncated UDP answer retried over TCP: 4096-bit key whole" };
	struct expect big2 = { "big" DOM, DKIM_DNS_OK, bigrec,
	    "a 4096-bit key record of several strings" };
	size_t	 i;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		check(r, &e[i]);
	check(r, &big);
	is_int(count_log("udp truncate" DOM " 16"), 1,
	    "the truncated name was asked over UDP once");
	is_int(count_log("tcp truncate" DOM " 16"), 1,
	    "then over TCP once");
	check(r, &big2);
	ok(strlen(bigrec) > 512, "the 4096-bit record is over 512 bytes");
}

/*
 * test_fuzz - random answers (dnsfake's fuzz behaviour) give one of the
 * four outcomes with a reason, and nothing worse (run under ASan too).
 */
static void
test_fuzz(dkim_resolver *r)
{
	char	 name[64], *txt, reason[256];
	enum dkim_dns_status st;
	int	 i, sane = 0, n = 500;
	int	 seen[4] = { 0, 0, 0, 0 };

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%d.fuzz.t.test", i);
		txt = NULL;
		reason[0] = '\0';
		st = dkim_resolver_keysource(r, name, &txt, reason,
		    sizeof(reason));
		if ((st == DKIM_DNS_OK && txt != NULL) ||
		    (st != DKIM_DNS_OK && txt == NULL && reason[0] != '\0' &&
		    (unsigned)st <= DKIM_DNS_BAD))
			sane++;
		if ((unsigned)st <= DKIM_DNS_BAD)
			seen[st]++;
		free(txt);
	}
	is_int(sane, n, "500 random answers: each one outcome, with a "
	    "record or a reason");
	ok(seen[DKIM_DNS_OK] > 0 && seen[DKIM_DNS_TEMPFAIL] > 0 &&
	    seen[DKIM_DNS_NOKEY] > 0, "random answers reach the key, "
	    "no-key and malformed paths");
	printf("# ok %d nokey %d tempfail %d bad %d\n", seen[0], seen[1],
	    seen[2], seen[3]);
}

/* test_timeout - a server that never answers costs about the timeout */
static void
test_timeout(int port)
{
	dkim_resolver *r;
	char	 ns[64], err[256], reason[256], *txt = NULL;
	long long t0, dt;
	enum dkim_dns_status st;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, 1000, err, sizeof(err));
	ok(r != NULL, "resolver with a 1000 ms timeout");
	if (r == NULL)
		return;
	t0 = now_ms();
	st = dkim_resolver_keysource(r, "timeout" DOM, &txt, reason,
	    sizeof(reason));
	dt = now_ms() - t0;
	is_int(st, DKIM_DNS_TEMPFAIL, "no answer: temporary failure");
	is_str(reason, "DNS timeout", "no answer: reason says timeout");
	ok(dt >= 900 && dt <= 1500, "timeout 1000 ms: the lookup took "
	    "900..1500 ms");
	printf("# took %lld ms\n", dt);
	t0 = now_ms();
	st = dkim_resolver_keysource(r, "timeout" DOM, &txt, reason,
	    sizeof(reason));
	ok(st == DKIM_DNS_TEMPFAIL && now_ms() - t0 < 100,
	    "a temporary failure is remembered for a moment");
	t0 = now_ms();
	st = dkim_resolver_keysource(r, "hang" DOM, &txt, reason,
	    sizeof(reason));
	dt = now_ms() - t0;
	is_int(st, DKIM_DNS_TEMPFAIL, "TC, then a TCP server that never "
	    "answers: temporary failure");
	is_str(reason, "DNS timeout over TCP", "... reason says TCP timeout");
	ok(dt <= 1500, "... within the timeout (1000 ms) plus 500 ms");
	printf("# took %lld ms\n", dt);
	dkim_resolver_free(r);

	r = dkim_resolver_new(ns, 3000, err, sizeof(err));
	t0 = now_ms();
	st = dkim_resolver_keysource(r, "timeout" DOM, &txt, reason,
	    sizeof(reason));
	dt = now_ms() - t0;
	ok(st == DKIM_DNS_TEMPFAIL && dt >= 1500 && dt <= 3500,
	    "timeout 3000 ms with retries: the lookup ended within 3500 ms");
	printf("# took %lld ms\n", dt);
	dkim_resolver_free(r);
}

/* usevc_child - in a fresh process with RES_OPTIONS=use-vc: look up nov */
static int
usevc_child(const char *ns)
{
	dkim_resolver *r;
	char	 err[256], reason[256], *txt = NULL;
	int	 rc;

	if ((r = dkim_resolver_new(ns, 2000, err, sizeof(err))) == NULL)
		return 2;
	rc = dkim_resolver_keysource(r, "nov" DOM, &txt, reason,
	    sizeof(reason)) == DKIM_DNS_OK && strcmp(txt, "k=rsa; p=NOV") == 0
	    ? 0 : 1;
	free(txt);
	dkim_resolver_free(r);
	return rc;
}

/*
 * test_usevc - "options use-vc": TCP only, through dns.c's own TCP. This
 * program again, since glibc reads RES_OPTIONS once per process.
 */
static void
test_usevc(int port)
{
	char	 ns[64];
	int	 status = -1;
	pid_t	 pid;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		char *const argv[] = { "test_dns", "--usevc-child", ns, NULL };

		setenv("RES_OPTIONS", "use-vc", 1);
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "RES_OPTIONS=use-vc: the key is found");
	is_int(count_log("tcp nov" DOM " 16"), 1, "use-vc: asked over TCP");
	is_int(count_log("udp nov" DOM " 16"), 1,
	    "use-vc: not over UDP (only the earlier lookup was)");
}

/* test_failover - a dead first server, then a working one */
static void
test_failover(int port)
{
	dkim_resolver *r;
	char	 ns[128], err[256];
	int	 dead = free_port();
	struct expect e = { "multi" DOM, DKIM_DNS_OK,
	    "v=DKIM1; k=rsa; p=ABCDEF",
	    "first server dead, second one answers" };
	struct expect d = { "multi" DOM, DKIM_DNS_TEMPFAIL,
	    "DNS server unreachable", "only a dead server: unreachable" };

	snprintf(ns, sizeof(ns), "127.0.0.1:%d,127.0.0.1:%d", dead, port);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	ok(r != NULL, "resolver with two servers");
	if (r != NULL)
		check(r, &e);
	dkim_resolver_free(r);
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", dead);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	if (r != NULL)
		check(r, &d);
	dkim_resolver_free(r);
}

struct worker {
	dkim_resolver *r;
	const char *name;
	const char *want;
	int	 n;
	int	 good;
};

/* worker - look the worker's name up n times; count the right answers */
static void *
worker(void *arg)
{
	struct worker *w = arg;
	char	*txt, reason[256];
	int	 i;

	for (i = 0; i < w->n; i++) {
		txt = NULL;
		if (dkim_resolver_keysource(w->r, (i & 1) ? w->name :
		    "multi" DOM, &txt, reason, sizeof(reason)) == DKIM_DNS_OK &&
		    strcmp(txt, (i & 1) ? w->want : "v=DKIM1; k=rsa; p=ABCDEF")
		    == 0)
			w->good++;
		free(txt);
	}
	return NULL;
}

/* run_workers - n threads of worker() each; the total of good answers */
static int
run_workers(dkim_resolver *r, int nthreads, int n, const char *name,
    const char *want)
{
	pthread_t th[16];
	struct worker w[16];
	int	 i, good = 0;

	for (i = 0; i < nthreads; i++) {
		w[i] = (struct worker){ r, name, want, n, 0 };
		if (pthread_create(&th[i], NULL, worker, &w[i]) != 0)
			w[i].r = NULL;
	}
	for (i = 0; i < nthreads; i++)
		if (w[i].r != NULL) {
			pthread_join(th[i], NULL);
			good += w[i].good;
		}
	return good;
}

/* test_threads - coalescing and 8 threads x 200 lookups */
static void
test_threads(dkim_resolver *r)
{
	long long t0 = now_ms();

	is_int(run_workers(r, 4, 2, "coalesce" DOM, "v=DKIM1; p=COALESCE"),
	    8, "4 threads asking a slow name at once all get the key");
	is_int(count_log("udp coalesce" DOM " 16"), 1,
	    "concurrent lookups of one name coalesce into one query");
	is_int(run_workers(r, 8, 200, "ttl0" DOM, "v=DKIM1; p=TTL0"), 1600,
	    "8 threads x 200 lookups (half uncached) all right");
	ok(count_log("udp ttl0" DOM " 16") >= 100,
	    "TTL 0 answers were not cached");
	printf("# threads took %lld ms\n", now_ms() - t0);
}

/* test_cache - answers served with the server gone, and expiring */
static void
test_cache(dkim_resolver *r)
{
	static const struct expect e[] = {
		{ "multi" DOM, DKIM_DNS_OK, "v=DKIM1; k=rsa; p=ABCDEF",
		    "server gone: positive answer from the cache" },
		{ "big" DOM, DKIM_DNS_OK, NULL,
		    "server gone: the 4096-bit key from the cache" },
		{ "nx" DOM, DKIM_DNS_NOKEY, "no such domain",
		    "server gone: NXDOMAIN from the cache" },
		{ "nul" DOM, DKIM_DNS_BAD, "NUL byte in key record",
		    "server gone: a refused record from the cache" },
		{ "two" DOM, DKIM_DNS_BAD, "2 key records at two" DOM,
		    "server gone: ambiguous answer from the cache" },
		{ "empty" DOM, DKIM_DNS_NOKEY, "no key record",
		    "server gone: NODATA from the cache" },
	};
	static const struct expect gone[] = {
		{ "ttl1" DOM, DKIM_DNS_TEMPFAIL, NULL,
		    "TTL 1 entry expired: asked again (server gone)" },
		{ "nxsoa" DOM, DKIM_DNS_TEMPFAIL, NULL,
		    "SOA minimum 1: negative entry expired" },
		{ "servfail" DOM, DKIM_DNS_TEMPFAIL, "DNS server unreachable",
		    "temporary failures are not kept for long" },
	};
	size_t	 i;
	char	*txt = NULL, why[128];
	int	 st;

	for (i = 0; i < sizeof(e) / sizeof(e[0]); i++)
		check(r, &e[i]);
	st = dk_dns_cached(r, "multi" DOM, &txt, why, sizeof(why));
	ok(st == DKIM_DNS_OK && txt && strcmp(txt, e[0].text) == 0,
	    "dk_dns_cached: a cached key without waiting");
	free(txt);
	is_int(dk_dns_cached(r, "never-asked" DOM, &txt, why, sizeof(why)),
	    -1, "dk_dns_cached: a name never asked is a miss");
	sleep_ms(2100);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		check(r, &gone[i]);
	check(r, &e[0]);
}

/* test_dnsmasq - a real server: TC over UDP, the key over TCP; IPv6 */
static void
test_dnsmasq(const char *bigrec, const char *bigwant)
{
	dkim_resolver *r;
	char	 ns[64], err[256];
	int	 port = free_port();
	pid_t	 pid = start_dnsmasq(port, bigrec);
	struct expect big = { "big" DOM, DKIM_DNS_OK, bigwant,
	    "dnsmasq: 4096-bit key (TC over UDP, then TCP)" };
	struct expect multi = { "multi" DOM, DKIM_DNS_OK, "v=DKIM1; p=ABCD",
	    "dnsmasq: two strings joined" };
	struct expect nx = { "other" DOM, DKIM_DNS_TEMPFAIL, NULL,
	    "dnsmasq without upstream: temporary failure" };

	ok(pid > 0, "dnsmasq started");
	if (pid <= 0)
		return;
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	if (r != NULL) {
		check(r, &big);
		check(r, &multi);
		check(r, &nx);
	}
	dkim_resolver_free(r);
	if (!have_ipv6()) {
		ok(1, "dnsmasq over IPv6 # SKIP no IPv6 loopback here");
		goto done;
	}
	snprintf(ns, sizeof(ns), "[::1]:%d", port);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	big.proves = "dnsmasq over IPv6 [::1]:port: 4096-bit key";
	if (r != NULL)
		check(r, &big);
	dkim_resolver_free(r);
done:
	stop(pid);
}

/* flood_name - the name of black-holed lookup i (8 per group e0.evil ...) */
static void
flood_name(char *buf, size_t len, int i)
{
	snprintf(buf, len, "s._domainkey.h%d.e%d.evil", i % 8, i / 8);
}

/* lookup_ms - one lookup through the engine's path; its time in ms */
static long long
lookup_ms(dkim_ctx *ctx, const char *name, enum dkim_dns_status *st,
    char *reason, size_t len)
{
	long long t0 = now_ms();
	struct dk_lookup *l = dk_lookup_start(ctx, name);
	char	*txt = NULL;

	*st = l == NULL ? DKIM_DNS_TEMPFAIL : dk_lookup_wait(l,
	    dk_now_ms() + 5000, &txt, reason, len);
	free(txt);
	return now_ms() - t0;
}

/* wait_idle - wait up to ms for no query in flight; the time it took */
static long long
wait_idle(dkim_resolver *r, long ms)
{
	struct dk_dns_stats st;
	long long t0 = now_ms();

	do {
		dk_dns_stats(r, &st);
		if (st.inflight == 0)
			break;
		sleep_ms(10);
	} while (now_ms() - t0 < ms);
	return st.inflight == 0 ? now_ms() - t0 : -1;
}

/* flood_start - start n black-holed lookups, names numbered from first */
static void
flood_start(dkim_ctx *ctx, struct dk_lookup **l, int n, int first)
{
	char	 name[128];
	int	 i;

	for (i = 0; i < n; i++) {
		flood_name(name, sizeof(name), first + i);
		l[i] = dk_lookup_start(ctx, name);
	}
}

/*
 * flood_end - give n lookups up at once; how many ended with a reason
 * that starts with want (*fast: how many returned within 50 ms)
 */
static int
flood_end(struct dk_lookup **l, int n, const char *want, int *fast)
{
	char	 reason[256], *txt;
	long long t1;
	int	 i, count = 0;

	*fast = 0;
	for (i = 0; i < n; i++) {
		t1 = now_ms();
		txt = NULL;
		count += dk_lookup_wait(l[i], 0, &txt, reason,
		    sizeof(reason)) == DKIM_DNS_TEMPFAIL &&
		    strncmp(reason, want, strlen(want)) == 0;
		*fast += now_ms() - t1 < 50;
		free(txt);
	}
	return count;
}

/* engine - a resolver for 127.0.0.1:port and a context that uses it */
static dkim_resolver *
engine(int port, unsigned timeout_ms, dkim_ctx **ctx)
{
	dkim_resolver *r;
	char	 ns[64], err[256];

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, timeout_ms, err, sizeof(err));
	*ctx = dkim_ctx_new();
	if (r != NULL && *ctx != NULL)
		dkim_ctx_set_resolver(*ctx, r);
	return r;
}

/*
 * test_flood - 320 lookups of names whose server never answers (40
 * groups of 8) are in flight; a good name still answers in its normal
 * time; a 9th name of a full group fails at once; cancelled lookups
 * abandon their queries, which are never asked again.
 */
static void
test_flood(int port)
{
	enum { N = 320 };
	struct dk_lookup *l[N];
	struct dk_dns_stats st;
	dkim_resolver *r;
	dkim_ctx *ctx;
	enum dkim_dns_status s;
	char	 reason[256];
	long long base, under, dt, t0;
	int	 pending, fast;

	r = engine(port, 6000, &ctx);	/* two tries of 3 s each */
	if (!ok(r != NULL && ctx != NULL, "flood: resolver and context"))
		return;
	base = lookup_ms(ctx, "ok" DOM, &s, reason, sizeof(reason));
	is_int(s, DKIM_DNS_OK, "flood: baseline lookup of a good name");
	t0 = now_ms();
	flood_start(ctx, l, N, 0);
	dk_dns_stats(r, &st);
	is_int((int)st.inflight, N, "flood: 320 black-holed queries in "
	    "flight at once (40 groups of 8)");
	under = lookup_ms(ctx, "nov" DOM, &s, reason, sizeof(reason));
	ok(s == DKIM_DNS_OK && under <= base + 1000, "flood: a good, uncached "
	    "name answers in its normal time while 320 lookups hang (within "
	    "1 s of the baseline; a try is 3 s)");
	printf("# good lookup: %lld ms before the flood, %lld ms under it\n",
	    base, under);
	dt = lookup_ms(ctx, "s._domainkey.h9.e0.evil", &s, reason,
	    sizeof(reason));
	ok(s == DKIM_DNS_TEMPFAIL && dt < 100, "flood: a 9th lookup for a "
	    "full group fails at once");
	is_str(reason, "too many lookups in flight for e0.evil",
	    "flood: ... and says which group is full");
	pending = flood_end(l, N, "DNS time budget exhausted", &fast);
	is_int(pending, N, "flood: every black-holed lookup was still "
	    "waiting when its message gave up");
	is_int(fast, N, "flood: giving up does not wait");
	dt = wait_idle(r, 2000);
	ok(dt >= 0 && dt < 1000, "flood: the queries of cancelled lookups "
	    "are abandoned at once");
	printf("# all %d queries gone %lld ms after the last cancel\n", N, dt);
	dk_dns_stats(r, &st);
	ok(st.abandoned >= N, "flood: counted as abandoned");
	if (now_ms() - t0 < 3500)	/* past the time of a second try */
		sleep_ms((long)(3500 - (now_ms() - t0)));
	ok(count_log("udp s._domainkey.h0.e0.evil 16") == 1 || now_ms() - t0 >
	    6000, "flood: an abandoned query is never asked again");
	dkim_ctx_free(ctx);
	dkim_resolver_free(r);
}

/*
 * test_evict - every place taken by black-holed queries of 8 groups: a
 * good name's first query takes the place of the greediest group's oldest
 */
static void
test_evict(int port)
{
	enum { N = 64 };
	struct dk_lookup *l[N];
	struct dk_dns_stats st;
	dkim_resolver *r;
	dkim_ctx *ctx;
	enum dkim_dns_status s;
	char	 reason[256];
	long long dt;
	int	 fast;

	r = engine(port, 6000, &ctx);
	if (!ok(r != NULL && ctx != NULL, "evict: resolver"))
		return;
	dkim_resolver_set_limits(r, 0, N, 0);
	flood_start(ctx, l, N, 2000);
	dt = lookup_ms(ctx, "fws" DOM, &s, reason, sizeof(reason));
	ok(s == DKIM_DNS_OK && dt < 1000, "evict: with all 64 places taken, "
	    "a good name's first lookup still answers");
	printf("# %lld ms\n", dt);
	dk_dns_stats(r, &st);
	ok(st.evicted == 1 && st.refused_total == 0,
	    "evict: by taking one place of the greediest group");
	is_int(flood_end(l, N, "too many DNS lookups in flight; one for e",
	    &fast), 1, "evict: the dropped lookup gets a temporary "
	    "failure that says why");
	dkim_ctx_free(ctx);
	dkim_resolver_free(r);
}

/* test_coalesce_engine - 50 messages asking one slow name: one query */
static void
test_coalesce_engine(int port)
{
	enum { N = 50 };
	struct dk_lookup *l[N];
	struct dk_dns_stats st;
	dkim_resolver *r;
	dkim_ctx *ctx;
	char	 reason[256], *txt;
	int	 i, good = 0;

	r = engine(port, 3000, &ctx);
	if (!ok(r != NULL && ctx != NULL, "coalesce: resolver"))
		return;
	for (i = 0; i < N; i++)
		l[i] = dk_lookup_start(ctx, "flock" DOM);
	for (i = 0; i < N; i++) {
		txt = NULL;
		if (dk_lookup_wait(l[i], dk_now_ms() + 3000, &txt, reason,
		    sizeof(reason)) == DKIM_DNS_OK &&
		    strcmp(txt, "v=DKIM1; p=FLOCK") == 0)
			good++;
		free(txt);
	}
	is_int(good, N, "coalesce: 50 lookups of one slow name all get it");
	is_int(count_log("udp flock" DOM " 16"), 1,
	    "coalesce: one query on the wire for 50 lookups");
	dk_dns_stats(r, &st);
	ok(st.sent == 1 && st.coalesced == N - 1,
	    "coalesce: counted as 1 query and 49 joined");
	dkim_ctx_free(ctx);
	dkim_resolver_free(r);
}

/* test_shutdown - waiting lookups end at once; later ones are refused */
static void
test_shutdown(int port)
{
	enum { N = 40 };
	struct dk_lookup *l[N];
	dkim_resolver *r;
	dkim_ctx *ctx;
	enum dkim_dns_status s;
	char	 reason[256];
	long long t0, dt;
	int	 ended, fast;

	r = engine(port, 5000, &ctx);
	if (!ok(r != NULL && ctx != NULL, "shutdown: resolver"))
		return;
	flood_start(ctx, l, N, 1000);
	t0 = now_ms();
	dkim_resolver_shutdown(r);
	/* they are done: giving up takes the answer there is */
	ended = flood_end(l, N, "DNS resolver shutting down", &fast);
	dt = now_ms() - t0;
	ok(ended == N && dt < 500, "shutdown: 40 lookups of silent servers "
	    "end at once");
	printf("# they ended %lld ms after dkim_resolver_shutdown\n", dt);
	dt = lookup_ms(ctx, "ok" DOM, &s, reason, sizeof(reason));
	ok(s == DKIM_DNS_TEMPFAIL && dt < 100,
	    "shutdown: a later lookup is refused at once");
	ok(wait_idle(r, 1000) >= 0, "shutdown: no query left in flight");
	dkim_ctx_free(ctx);
	dkim_resolver_free(r);
}

/* test_drip - a TCP answer dripping one byte a second ends at the budget */
static void
test_drip(int port)
{
	dkim_resolver *r;
	char	 ns[64], err[256], reason[256], *txt = NULL;
	enum dkim_dns_status s;
	long long t0, dt;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	if (r == NULL)
		return;
	t0 = now_ms();
	s = dkim_resolver_keysource(r, "drip" DOM, &txt, reason,
	    sizeof(reason));
	dt = now_ms() - t0;
	ok(s == DKIM_DNS_TEMPFAIL && strcmp(reason, "DNS timeout over TCP")
	    == 0 && dt <= 2600, "slow drip over TCP: temporary failure "
	    "within the 2000 ms budget");
	printf("# took %lld ms: %s\n", dt, reason);
	free(txt);
	dkim_resolver_free(r);
}

/* rss_kb - this process's resident set now, in KB */
static long
rss_kb(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 pages = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = 0;
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * test_cache_bytes - 1,000 key records of 60 KB are refused and never
 * cached; 1,000 of 2 KB stay within a 256 KB budget, the oldest evicted.
 */
static void
test_cache_bytes(int port)
{
	struct dk_dns_stats st;
	dkim_resolver *r;
	char	 ns[64], err[256], name[128], reason[256], *txt;
	int	 i, refused = 0, good = 0;
	long	 rss0, rss1;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, 3000, err, sizeof(err));
	if (r == NULL)
		return;
	dkim_resolver_set_limits(r, 256 * 1024, 0, 0);
	rss0 = rss_kb();
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%d.big.t.test", i);
		txt = NULL;
		refused += dkim_resolver_keysource(r, name, &txt, reason,
		    sizeof(reason)) == DKIM_DNS_BAD && strcmp(reason,
		    "key record too large (over 8192 bytes)") == 0;
		free(txt);
	}
	rss1 = rss_kb();
	is_int(refused, 1000, "1,000 key records of 60 KB: each refused as "
	    "too large (permerror)");
	dk_dns_stats(r, &st);
	ok(st.refused_big == 1000 && st.cache_bytes <= 256 * 1024,
	    "... and the cache stays within its 256 KB budget");
	if (RSS_MEANINGFUL)
		ok(rss1 - rss0 < 8192, "... the process grew by less than 8 MB");
	else
		ok(1, "... the process grew by less than 8 MB # SKIP ASan "
		    "quarantines freed memory");
	printf("# RSS %ld KB -> %ld KB; cache %zu entries, %zu bytes\n", rss0,
	    rss1, st.cache_entries, st.cache_bytes);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "k%d.keys.t.test", i);
		txt = NULL;
		good += dkim_resolver_keysource(r, name, &txt, reason,
		    sizeof(reason)) == DKIM_DNS_OK && txt != NULL &&
		    strlen(txt) == 2000;
		free(txt);
	}
	is_int(good, 1000, "1,000 key records of 2 KB: each answered whole");
	dk_dns_stats(r, &st);
	ok(st.cache_bytes <= 256 * 1024 && st.cache_entries < 200,
	    "... the cache holds what fits in 256 KB");
	printf("# cache %zu entries, %zu bytes\n", st.cache_entries,
	    st.cache_bytes);
	txt = NULL;
	ok(dk_dns_cached(r, "k999.keys.t.test", &txt, reason,
	    sizeof(reason)) == DKIM_DNS_OK, "... the newest is cached");
	free(txt);
	ok(dk_dns_cached(r, "k0.keys.t.test", &txt, reason, sizeof(reason))
	    == -1, "... the oldest was evicted");
	dkim_resolver_free(r);
}

/*
 * test_cache_compact - 1,000 valid key records padded with notes to
 * 8,000 bytes (under the size limit) cost the cache what their keys
 * cost: each is kept and handed out in its compact form, and all of
 * them fit the default 4 MiB budget (as received they would take 8 MB).
 */
static void
test_cache_compact(int port, const char *bigwant)
{
	struct dk_dns_stats st;
	dkim_resolver *r;
	char	 ns[64], err[256], name[128], reason[256], *txt;
	int	 i, same = 0;

	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	if ((r = dkim_resolver_new(ns, 3000, err, sizeof(err))) == NULL)
		return;
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "s%d.pad.t.test", i);
		txt = NULL;
		same += dkim_resolver_keysource(r, name, &txt, reason,
		    sizeof(reason)) == DKIM_DNS_OK && txt != NULL &&
		    strcmp(txt, bigwant) == 0;
		free(txt);
	}
	is_int(same, 1000, "1,000 key records padded to 8,000 bytes: each "
	    "handed out as its compact form");
	dk_dns_stats(r, &st);
	ok(st.cache_entries == 1000 && st.cache_bytes < 1000 * 1024,
	    "... all 1,000 cached, in under 1 KB each");
	printf("# padded records: cache %zu entries, %zu bytes (%zu a record;"
	    " %zu received)\n", st.cache_entries, st.cache_bytes,
	    st.cache_entries ? st.cache_bytes / st.cache_entries : 0,
	    (size_t)8000);
	txt = NULL;
	ok(dk_dns_cached(r, "s0.pad.t.test", &txt, reason, sizeof(reason)) ==
	    DKIM_DNS_OK && txt != NULL && strcmp(txt, bigwant) == 0,
	    "... the first is still cached, compact");
	free(txt);
	dkim_resolver_free(r);
}

/* test_groups - dk_dns_group's approximation of organisational domains */
static void
test_groups(void)
{
	static const char *const cases[][2] = {
		{ "sel._domainkey.example.com", "example.com" },
		{ "a.b.c.example.com.", "example.com" },
		{ "sel._domainkey.mail.example.co.uk", "example.co.uk" },
		{ "sel._domainkey.example.com.au", "example.com.au" },
		{ "s._domainkey.x.ac.jp", "x.ac.jp" },
		{ "s._domainkey.x.org.de", "x.org.de" },
		{ "s._domainkey.co.uk", "_domainkey.co.uk" },
		{ "s.example.info", "example.info" },
		{ "localhost", "localhost" },
	};
	char	 out[256], what[300];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dk_dns_group(cases[i][0], out, sizeof(out));
		snprintf(what, sizeof(what), "group of %s is %s", cases[i][0],
		    cases[i][1]);
		is_str(out, cases[i][1], what);
	}
}

int
main(int argc, char **argv)
{
	dkim_resolver *r;
	char	 ns[64], err[256], recpath[1024], *bigrec, *bigwant;
	int	 port;
	pid_t	 fake;

	if (argc == 3 && strcmp(argv[1], "--usevc-child") == 0)
		return usevc_child(argv[2]);
	plan_lazy();
	if (getenv("top_srcdir") != NULL)
		srcdir = getenv("top_srcdir");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	path_in(recpath, sizeof(recpath), srcdir, "t/data/dns/rsa4096.record");
	if ((bigrec = read_line(recpath)) == NULL) {
		printf("Bail out! cannot read %s\n", recpath);
		rmdir(tmpdir);
		return 1;
	}
	/* what the resolver hands out: the record's compact form */
	bigwant = dk_keyrec_compact(bigrec, strlen(bigrec));
	ok(bigwant != NULL && strncmp(bigrec, "v=DKIM1; k=rsa; p=", 18) == 0 &&
	    strncmp(bigwant, "v=DKIM1; p=", 11) == 0 &&
	    strcmp(bigwant + 11, bigrec + 18) == 0,
	    "the 4096-bit record's compact form drops only the default k=rsa");
	if (bigwant == NULL)
		bigwant = strdup(bigrec);
	test_nameservers();
	test_groups();

	port = free_port();
	fake = start_fake(port);
	ok(fake > 0, "dnsfake.py started");
	snprintf(ns, sizeof(ns), "127.0.0.1:%d", port);
	r = dkim_resolver_new(ns, 2000, err, sizeof(err));
	ok(r != NULL, "resolver for 127.0.0.1:port");
	if (fake > 0 && r != NULL) {
		test_names(r);
		test_fake_behaviours(r, bigwant);
		test_fuzz(r);
		test_answer_classes(port);
		test_timeout(port);
		test_failover(port);
		test_usevc(port);
		test_threads(r);
		test_flood(port);
		test_evict(port);
		test_coalesce_engine(port);
		test_drip(port);
		test_cache_bytes(port);
		test_cache_compact(port, bigwant);
		test_shutdown(port);
		stop(fake);
		fake = -1;
		test_cache(r);
	}
	stop(fake);
	dkim_resolver_free(r);
	test_dnsmasq(bigrec, bigwant);
	free(bigrec);
	free(bigwant);
	if (getenv("KEEP") == NULL) {
		char	 cmd[1100];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return done_testing();
}
