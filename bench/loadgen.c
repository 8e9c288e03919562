/*
 * loadgen - drive a milter with concurrent connections and check each reply
 *
 *	loadgen -s SOCKET -c CONCURRENCY -n MESSAGES [-m PER_CONNECTION]
 *	    -f MESSAGE_FILE --mode sign|verify|seal [--expect RESULT]
 *	    [--pid MILTER_PID] [--nodelay] [--sigs N] [--label TEXT]
 *
 * CONCURRENCY threads each hold one milter connection (bench/milterc.c,
 * speaking as Postfix does) and send MESSAGES messages between them, up
 * to PER_CONNECTION on one connection before it is closed and a new one
 * opened. Sign mode presents the message as submitted mail (daemon name
 * ORIGINATING, an authenticated sender, client 127.0.0.1) and wants
 * exactly --sigs (default 1) DKIM-Signature fields added; verify mode
 * presents it as inbound mail (client 203.0.113.5) and wants one
 * Authentication-Results field with dkim=RESULT (default pass); seal
 * mode is verify mode on daemon name FORWARD (dkimd's ARCSealMTA) and
 * wants one ARC-Seal with cv=pass added as well. Any
 * other outcome is a failure; a run with a failure exits 1, since a
 * benchmark of a milter that silently did nothing is worthless.
 *
 * Output: one "loadgen key=value ..." line for scripts, then one line for
 * people: messages/s, latency p50/p99/max (MAIL to the end-of-message
 * reply), and with --pid the filter's CPU time per 1,000 messages
 * (utime+stime of /proc/PID/stat before and after; stime alone too)
 * and its memory (VmHWM of /proc/PID/status, VmRSS sampled every 20 ms).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "milterc.h"

#define LG_MAXFILE	(64L * 1024 * 1024)
#define LG_MAXHDRS	1000
#define LG_MAXFAILSHOWN	5

enum lg_mode { LG_SIGN, LG_VERIFY, LG_SEAL };

struct lg {
	const char *sock;
	int	conc;
	long	nmsg;
	long	perconn;
	enum lg_mode mode;
	const char *expect;
	int	sigs;
	long	pid;
	int	nodelay;
	const char *label;
	struct milterc_pair hdrs[LG_MAXHDRS];
	size_t	nhdrs;
	char	*body;
	size_t	bodylen;
	size_t	msgbytes;
	atomic_long next;		/* next message number to send */
	atomic_long ok;
	atomic_long fail;
	atomic_int shown;
	double	*lat;			/* per message, ms; -1: none */
	atomic_int done;
};

/* now_s - monotonic seconds */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: loadgen -s SOCKET -c CONCURRENCY -n MESSAGES "
	    "[-m PER_CONNECTION] -f FILE --mode sign|verify|seal\n"
	    "\t[--expect RESULT] [--sigs N] [--pid PID] [--nodelay] "
	    "[--label TEXT]\n");
	exit(2);
}

/* to_crlf - the file's bytes with every bare LF made CRLF */
static char *
to_crlf(const char *in, size_t n, size_t *outlen)
{
	char	*out, *op;
	size_t	i;

	if ((out = malloc(2 * n + 1)) == NULL)
		return NULL;
	for (op = out, i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			*op++ = '\r';
		*op++ = in[i];
	}
	*op = 0;
	*outlen = (size_t)(op - out);
	return out;
}

/*
 * load_message - split the file into header fields and body
 *
 * The text is kept in one heap copy that the fields point into: each
 * field's CRLF and the colon after its name are overwritten by NULs.
 */
static int
load_message(struct lg *g, const char *path)
{
	FILE	*fp;
	char	*raw, *t, *p, *e, *colon;
	size_t	n, tlen;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	raw = malloc(LG_MAXFILE);
	n = raw ? fread(raw, 1, LG_MAXFILE, fp) : 0;
	fclose(fp);
	if (raw == NULL || n == 0 || n >= (size_t)LG_MAXFILE) {
		fprintf(stderr, "loadgen: %s: empty, unreadable or over "
		    "%ld bytes\n", path, LG_MAXFILE);
		free(raw);
		return -1;
	}
	t = to_crlf(raw, n, &tlen);
	free(raw);
	if (t == NULL)
		return -1;
	g->msgbytes = tlen;
	for (p = t; p < t + tlen && strncmp(p, "\r\n", 2) != 0;) {
		/* a field ends at a CRLF not followed by WSP */
		for (e = p; (e = strstr(e, "\r\n")) != NULL; e += 2)
			if (e[2] != ' ' && e[2] != '\t')
				break;
		if (e == NULL || (colon = memchr(p, ':', (size_t)(e - p))) ==
		    NULL || g->nhdrs == LG_MAXHDRS) {
			fprintf(stderr, "loadgen: %s: bad header field\n", path);
			return -1;
		}
		*colon = 0;
		*e = 0;
		g->hdrs[g->nhdrs].name = p;
		g->hdrs[g->nhdrs++].value = colon + 1;
		p = e + 2;
	}
	if (p < t + tlen)
		p += 2;
	g->body = p;
	g->bodylen = (size_t)(t + tlen - p);
	return 0;
}

/* report_fail - count a failure, show the first few */
static void
report_fail(struct lg *g, long id, const char *why)
{
	atomic_fetch_add(&g->fail, 1);
	if (atomic_fetch_add(&g->shown, 1) < LG_MAXFAILSHOWN)
		fprintf(stderr, "loadgen: message %ld: %s\n", id, why);
}

/* check_result - whether the filter did what the mode wants; why not */
static const char *
check_result(const struct lg *g, const struct milterc_result *res,
    char *why, size_t whylen)
{
	const struct milterc_mod *m;
	const char *name;
	size_t	from = 0;
	const char *seen = "";
	int	n = 0, found = 0;
	char	want[64];

	if (res->verdict != SMFIR_CONTINUE && res->verdict != SMFIR_ACCEPT) {
		snprintf(why, whylen, "verdict '%c' at '%c'", res->verdict,
		    res->stage);
		return why;
	}
	name = g->mode == LG_SIGN ? "DKIM-Signature" : "Authentication-Results";
	snprintf(want, sizeof(want), "dkim=%s", g->expect);
	for (;;) {
		if ((m = milterc_find_mod(res, SMFIR_INSHEADER, name, &from))
		    == NULL && (m = milterc_find_mod(res, SMFIR_ADDHEADER,
		    name, &from)) == NULL)
			break;
		n++;
		if (m->value != NULL && strstr(m->value, want) != NULL)
			found = 1;
		else if (m->value != NULL)
			seen = m->value;
	}
	if (g->mode == LG_SIGN && n != g->sigs) {
		snprintf(why, whylen, "%d DKIM-Signature fields added, "
		    "want %d", n, g->sigs);
		return why;
	}
	if (g->mode != LG_SIGN && (n != 1 || !found)) {
		snprintf(why, whylen, "%d Authentication-Results added, "
		    "want 1 with %s:%.160s", n, want, seen);
		return why;
	}
	from = 0;
	if (g->mode == LG_SEAL && ((m = milterc_find_mod(res,
	    SMFIR_INSHEADER, "ARC-Seal", &from)) == NULL || m->value == NULL ||
	    strstr(m->value, "cv=pass") == NULL)) {
		snprintf(why, whylen, "no ARC-Seal with cv=pass added");
		return why;
	}
	return NULL;
}

/* connect_filter - open, negotiate and start a session; NULL on error */
static struct milterc *
connect_filter(struct lg *g, const struct milterc_client *cl, char *why,
    size_t whylen)
{
	struct milterc_opts o = { 0 };
	struct milterc *mc;

	o.nodelay = g->nodelay;
	if ((mc = milterc_open(g->sock, &o, why, whylen)) == NULL)
		return NULL;
	if (milterc_negotiate(mc) < 0 || milterc_session(mc, cl) != 0) {
		snprintf(why, whylen, "session: %s", milterc_error(mc));
		milterc_free(mc);
		return NULL;
	}
	return mc;
}

/* worker - one connection at a time, messages until none is left */
static void *
worker(void *arg)
{
	struct lg *g = arg;
	int	sign = g->mode == LG_SIGN;
	char	qid[32], why[300];
	struct milterc_pair cm[] = {
		{ "j", "mx.loadgen.test" },
		{ "{daemon_name}", sign ? "ORIGINATING" :
		    g->mode == LG_SEAL ? "FORWARD" : "smtpd" },
		{ "{client_addr}", sign ? "127.0.0.1" : "203.0.113.5" },
	};
	struct milterc_pair mm[] = {
		{ "i", qid },
		{ "{auth_type}", "PLAIN" },
		{ "{auth_authen}", "user@example.com" },	/* authz.h */
	};
	struct milterc_pair im[] = { { "i", qid } };
	struct milterc_client cl = {
		sign ? "localhost" : "mail.example.net",
		sign ? "127.0.0.1" : "203.0.113.5", 40000,
		sign ? "client.loadgen.test" : "mail.example.net", { { 0 } } };
	const char *rcpt[] = { "<rcpt@example.net>" };
	struct milterc_msg msg = { "<user@example.com>", rcpt, 1,
		{ g->hdrs, g->nhdrs }, g->body, g->bodylen, { { 0 } } };
	struct milterc_result res;
	struct milterc *mc = NULL;
	long	id, onconn = 0;
	double	t0;
	int	r;

	cl.macros[MILTERC_CONNECT] = (struct milterc_list){ cm, 3 };
	msg.macros[MILTERC_MAIL] = (struct milterc_list){ mm, sign ? 3 : 1 };
	msg.macros[MILTERC_EOH] = (struct milterc_list){ im, 1 };
	msg.macros[MILTERC_EOM] = (struct milterc_list){ im, 1 };
	while ((id = atomic_fetch_add(&g->next, 1)) < g->nmsg) {
		snprintf(qid, sizeof(qid), "LG%08lX", (unsigned long)id);
		if (mc == NULL && (mc = connect_filter(g, &cl, why,
		    sizeof(why))) == NULL) {
			report_fail(g, id, why);
			continue;
		}
		t0 = now_s();	/* the session's set-up is not the message's */
		r = milterc_send_message(mc, &msg, &res);
		g->lat[id] = (now_s() - t0) * 1000.0;
		if (r < 0) {
			snprintf(why, sizeof(why), "%s", milterc_error(mc));
			report_fail(g, id, why);
			milterc_free(mc);
			mc = NULL;
			onconn = 0;
			continue;
		}
		if (check_result(g, &res, why, sizeof(why)) != NULL)
			report_fail(g, id, why);
		else
			atomic_fetch_add(&g->ok, 1);
		milterc_result_clear(&res);
		if (++onconn >= g->perconn) {
			(void)milterc_quit(mc);
			milterc_free(mc);
			mc = NULL;
			onconn = 0;
		}
	}
	if (mc != NULL)
		(void)milterc_quit(mc);
	milterc_free(mc);
	return NULL;
}

/* proc_cpu - utime+stime of a process in seconds (stime in *sys), or -1 */
static double
proc_cpu(long pid, double *sys)
{
	char	path[64], buf[2048], *p;
	unsigned long ut, st;
	FILE	*fp;
	size_t	n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = 0;
	/* the command name may hold blanks and parentheses: skip to the last */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	*sys = (double)st / (double)sysconf(_SC_CLK_TCK);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* proc_kb - a "Name: N kB" line of /proc/PID/status, or -1 */
static long
proc_kb(long pid, const char *name)
{
	char	path[64], line[256];
	size_t	n = strlen(name);
	long	v = -1;
	FILE	*fp;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, name, n) == 0 && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(fp);
	return v;
}

/* cmp_double - qsort order */
static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* pct - the p-th percentile of a sorted array */
static double
pct(const double *v, long n, double p)
{
	long	i;

	if (n == 0)
		return 0;
	i = (long)(p / 100.0 * (double)n + 0.5) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* parse_args - the command line into g; exits 2 on a usage error */
static void
parse_args(struct lg *g, int argc, char **argv, const char **file)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'M' },
		{ "expect", required_argument, NULL, 'e' },
		{ "pid", required_argument, NULL, 'p' },
		{ "sigs", required_argument, NULL, 'S' },
		{ "nodelay", no_argument, NULL, 'N' },
		{ "label", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	const char *mode = NULL;
	int	ch;

	while ((ch = getopt_long(argc, argv, "s:c:n:m:f:", lo, NULL)) != -1) {
		switch (ch) {
		case 's': g->sock = optarg; break;
		case 'c': g->conc = atoi(optarg); break;
		case 'n': g->nmsg = atol(optarg); break;
		case 'm': g->perconn = atol(optarg); break;
		case 'f': *file = optarg; break;
		case 'M': mode = optarg; break;
		case 'e': g->expect = optarg; break;
		case 'p': g->pid = atol(optarg); break;
		case 'S': g->sigs = atoi(optarg); break;
		case 'N': g->nodelay = 1; break;
		case 'l': g->label = optarg; break;
		default: usage();
		}
	}
	if (g->sock == NULL || *file == NULL || mode == NULL ||
	    g->conc < 1 || g->conc > 1024 || g->nmsg < 1 || g->perconn < 0 ||
	    g->sigs < 0 || optind != argc)
		usage();
	if (strcmp(mode, "sign") == 0)
		g->mode = LG_SIGN;
	else if (strcmp(mode, "verify") == 0)
		g->mode = LG_VERIFY;
	else if (strcmp(mode, "seal") == 0)
		g->mode = LG_SEAL;
	else
		usage();
	if (g->perconn == 0)
		g->perconn = g->nmsg;
}

/* print_report - the key=value line and the human line */
static void
print_report(const struct lg *g, double secs, double cpu, double sys,
    long rss0, long rsspeak, long hwm)
{
	double	*v = g->lat, rate = (double)g->nmsg / secs;
	long	n = g->nmsg;
	double	cpu_ms = cpu >= 0 ? cpu * 1000.0 / (double)n : -1;
	double	sys_ms = cpu >= 0 ? sys * 1000.0 / (double)n : -1;

	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("loadgen label=%s mode=%s c=%d n=%ld m=%ld bytes=%zu ok=%ld "
	    "fail=%ld secs=%.3f msgs_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
	    "max_ms=%.3f cpu_ms_per_msg=%.4f sys_ms_per_msg=%.4f "
	    "cpu_s_per_1000=%.4f rss_idle_kb=%ld rss_peak_kb=%ld hwm_kb=%ld\n",
	    g->label ? g->label : "-", g->mode == LG_SIGN ? "sign" :
	    g->mode == LG_SEAL ? "seal" : "verify",
	    g->conc, n, g->perconn, g->msgbytes, (long)g->ok, (long)g->fail,
	    secs, rate, pct(v, n, 50), pct(v, n, 99), v[n - 1], cpu_ms, sys_ms,
	    cpu_ms, rss0, rsspeak, hwm);
	printf("# %s %ld x %zu bytes, %d connections: %.0f msg/s, latency "
	    "p50 %.2f ms p99 %.2f ms max %.2f ms", g->mode == LG_SIGN ?
	    "signed" : "verified", n, g->msgbytes, g->conc, rate,
	    pct(v, n, 50), pct(v, n, 99), v[n - 1]);
	if (cpu >= 0)
		printf("; filter CPU %.3f ms/msg (%.3f in the kernel), RSS %ld "
		    "kB idle, %ld kB peak (VmHWM %ld kB)", cpu_ms, sys_ms, rss0,
		    rsspeak, hwm);
	printf("; %ld ok, %ld failed\n", (long)g->ok, (long)g->fail);
}

/* main - run the load, print the report; 0 only when every message was ok */
int
main(int argc, char **argv)
{
	static struct lg g;
	pthread_t *th;
	const char *file = NULL;
	double	t0, secs, cpu0 = -1, cpu = -1, sys0 = 0, sys = 0;
	long	rss0 = -1, rss, rsspeak = -1, hwm = -1;
	int	i;

	g.expect = "pass";
	g.sigs = 1;
	parse_args(&g, argc, argv, &file);
	if (load_message(&g, file) < 0)
		return 2;
	g.lat = calloc((size_t)g.nmsg, sizeof(double));
	th = calloc((size_t)g.conc, sizeof(*th));
	if (g.lat == NULL || th == NULL)
		return 2;
	if (g.pid > 0) {
		cpu0 = proc_cpu(g.pid, &sys0);
		rsspeak = rss0 = proc_kb(g.pid, "VmRSS");
	}
	t0 = now_s();
	for (i = 0; i < g.conc; i++)
		if (pthread_create(&th[i], NULL, worker, &g) != 0) {
			fprintf(stderr, "loadgen: pthread_create failed\n");
			return 2;
		}
	while (g.pid > 0 && atomic_load(&g.next) < g.nmsg) {
		if ((rss = proc_kb(g.pid, "VmRSS")) > rsspeak)
			rsspeak = rss;
		usleep(20000);
	}
	for (i = 0; i < g.conc; i++)
		pthread_join(th[i], NULL);
	secs = now_s() - t0;
	if (g.pid > 0) {
		if ((rss = proc_kb(g.pid, "VmRSS")) > rsspeak)
			rsspeak = rss;
		hwm = proc_kb(g.pid, "VmHWM");
		if (cpu0 >= 0 && (cpu = proc_cpu(g.pid, &sys)) >= 0) {
			cpu -= cpu0;
			sys -= sys0;
		}
	}
	print_report(&g, secs, cpu, sys, rss0, rsspeak, hwm);
	free(th);
	free(g.lat);
	return g.fail == 0 && g.ok == g.nmsg ? 0 : 1;
}
