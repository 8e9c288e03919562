/*
 * metrics.c - counters of what dkimd does, and the MetricsSocket server
 *
 * The counters are fixed arrays indexed by enumerations of ours and of
 * the engine (enum dkim_cause, enum dkim_alg), added to with relaxed
 * atomics: the hot path takes no lock, and a label value is always one
 * of a closed set of tokens (dkim_cause_name and friends), never a d=,
 * s= or From taken from mail.
 *
 * The server speaks just enough HTTP/1.0 for a scraper: one request
 * line, read with a ceiling (METRICS_REQ_MAX) and a deadline
 * (METRICS_TIMEOUT_MS), one answer, close. It serves one connection at
 * a time from its own thread, so a local user holding connections open
 * delays scrapes by at most the deadline each, and never a message.
 * The text exposition format is Prometheus's version 0.0.4, or
 * OpenMetrics 1.0.0 when the request's Accept names it.
 */
#define _GNU_SOURCE		/* accept4 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "keywatch.h"
#include "live.h"
#include "session.h"
#include "metrics.h"
#include "sock.h"
#include "util.h"

#define NALG		(DKIM_ALG_RSA_SHA1 + 1)
#define RENDER_MAX	(256 * 1024)	/* KEYWATCH_MAX keys fit */

/* message-time histogram bounds, in milliseconds */
static const long msg_le[] = { 5, 10, 25, 50, 100, 250, 500, 1000, 2500,
    5000, 10000, 30000 };
#define NLE	(sizeof(msg_le) / sizeof(msg_le[0]))

static const char *const mode_name[METRICS_MODE_MAX] = {
	"pass", "sign", "verify"
};
static const char *const out_name[METRICS_OUT_MAX] = {
	"signed", "unsigned", "verified", "unchanged", "tempfail", "reject",
	"discard", "error", "aborted"
};

static const char *const uns_name[METRICS_UNS_MAX] = {
	"no_key", "key_db_down", "bad_author", "unauthorized", "authz_down",
	"internal"
};

static unsigned long messages[METRICS_MODE_MAX][METRICS_OUT_MAX];
static unsigned long unsigned_why[METRICS_UNS_MAX];
static unsigned long lookups[METRICS_LOOKUP_MAX];
static unsigned long msg_bucket[NLE + 1];	/* the last: +Inf only */
static unsigned long msg_ms_sum;
static unsigned long sigresults[DKIM_CAUSE_MAX];
static unsigned long signatures[NALG];
static long conns_open;
static unsigned long conns_total;
static unsigned long reloads[2];		/* failed, ok */
static long last_reload;			/* time of the last good one */
static long start_time;
static int listen_fd = -1;

#define ADD(x, n)	__atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define GET(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

/* metrics_message - one message ended in mode with outcome, after ms */
void
metrics_message(enum metrics_mode mode, enum metrics_outcome out, long ms)
{
	size_t	i;

	if ((unsigned)mode >= METRICS_MODE_MAX ||
	    (unsigned)out >= METRICS_OUT_MAX)
		return;
	ADD(messages[mode][out], 1);
	if (ms < 0)
		ms = 0;
	for (i = 0; i < NLE && ms > msg_le[i]; i++)
		;
	ADD(msg_bucket[i], 1);
	ADD(msg_ms_sum, (unsigned long)ms);
}

/* metrics_unsigned - a message to sign was not signed, for why */
void
metrics_unsigned(enum metrics_unsigned why)
{
	if ((unsigned)why < METRICS_UNS_MAX)
		ADD(unsigned_why[why], 1);
}

/* metrics_lookup - one SigningTable lookup ended with result */
void
metrics_lookup(enum metrics_lookup result)
{
	if ((unsigned)result < METRICS_LOOKUP_MAX)
		ADD(lookups[result], 1);
}

/* metrics_sigresult - one signature judged, for its cause */
void
metrics_sigresult(enum dkim_cause cause)
{
	if ((unsigned)cause < DKIM_CAUSE_MAX)
		ADD(sigresults[cause], 1);
}

/* metrics_signature - one signature made with alg */
void
metrics_signature(enum dkim_alg alg)
{
	if ((unsigned)alg < NALG)
		ADD(signatures[alg], 1);
}

/* metrics_conn - a milter connection opened (d 1) or closed (d -1) */
void
metrics_conn(int d)
{
	ADD(conns_open, d);
	if (d > 0)
		ADD(conns_total, 1);
}

/* metrics_reload - a reload ended: ok or not */
void
metrics_reload(int ok)
{
	ADD(reloads[ok != 0], 1);
	if (ok)
		__atomic_store_n(&last_reload, (long)time(NULL),
		    __ATOMIC_RELAXED);
}

/* A bounded text buffer: what does not fit is dropped, and noted. */
struct out {
	char	*buf;
	size_t	len, o;
	int	full;
	int	om;		/* OpenMetrics 1.0.0, not text 0.0.4 */
};

/* put - append a formatted line to o */
static void
put(struct out *o, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->o, o->len - o->o, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->len - o->o) {
		o->full = 1;
		o->buf[o->o] = '\0';
		return;
	}
	o->o += (size_t)n;
}

/* head - the HELP and TYPE lines of a family; OpenMetrics names a
 * counter family without its _total suffix */
static void
head(struct out *o, const char *name, const char *type, const char *help)
{
	size_t	n = strlen(name);

	if (o->om && strcmp(type, "counter") == 0 && n > 6 &&
	    strcmp(name + n - 6, "_total") == 0)
		n -= 6;
	put(o, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help,
	    (int)n, name, type);
}

/* buckets - the series of one histogram with labels lab ("" for none):
 * n bucket counts (not cumulative) of bounds le in ms, one more for
 * +Inf, the sum in ms */
static void
buckets(struct out *o, const char *name, const char *lab, const long *le,
    const unsigned long *bucket, size_t n, unsigned long sum_ms)
{
	const char *sep = *lab ? "," : "";
	unsigned long cum = 0;
	size_t	i;

	for (i = 0; i < n; i++) {
		cum += bucket[i];
		put(o, "%s_bucket{%s%sle=\"%g\"} %lu\n", name, lab, sep,
		    le[i] / 1000.0, cum);
	}
	cum += bucket[n];
	put(o, "%s_bucket{%s%sle=\"+Inf\"} %lu\n", name, lab, sep, cum);
	if (*lab) {
		put(o, "%s_sum{%s} %.3f\n", name, lab, sum_ms / 1000.0);
		put(o, "%s_count{%s} %lu\n", name, lab, cum);
	} else {
		put(o, "%s_sum %.3f\n", name, sum_ms / 1000.0);
		put(o, "%s_count %lu\n", name, cum);
	}
}

/* histogram - a histogram family of one unlabelled series */
static void
histogram(struct out *o, const char *name, const char *help,
    const long *le, const unsigned long *bucket, size_t n,
    unsigned long sum_ms)
{
	head(o, name, "histogram", help);
	buckets(o, name, "", le, bucket, n, sum_ms);
}

/* render_messages - the message families */
static void
render_messages(struct out *o)
{
	unsigned long b[NLE + 1];
	size_t	m, r;

	head(o, "dkimd_messages_total", "counter",
	    "Messages ended, by mode and outcome.");
	for (m = 0; m < METRICS_MODE_MAX; m++)
		for (r = 0; r < METRICS_OUT_MAX; r++)
			put(o, "dkimd_messages_total{mode=\"%s\",outcome=\"%s\"}"
			    " %lu\n", mode_name[m], out_name[r],
			    GET(messages[m][r]));
	head(o, "dkimd_messages_unsigned_total", "counter",
	    "Messages to sign that were not signed, by reason.");
	for (r = 0; r < METRICS_UNS_MAX; r++)
		put(o, "dkimd_messages_unsigned_total{reason=\"%s\"} %lu\n",
		    uns_name[r], GET(unsigned_why[r]));
	for (r = 0; r <= NLE; r++)
		b[r] = GET(msg_bucket[r]);
	histogram(o, "dkimd_message_duration_seconds",
	    "Time from MAIL FROM to the end of a message.", msg_le, b, NLE,
	    GET(msg_ms_sum));
	head(o, "dkimd_messages_in_flight", "gauge",
	    "Messages between MAIL FROM and their end.");
	put(o, "dkimd_messages_in_flight %d\n", session_inflight());
}

/* render_signatures - per-signature families */
static void
render_signatures(struct out *o)
{
	size_t	i;

	head(o, "dkimd_verify_results_total", "counter",
	    "Signatures verified, by result and cause.");
	for (i = 0; i < DKIM_CAUSE_MAX; i++)
		put(o, "dkimd_verify_results_total{result=\"%s\",cause=\"%s\"}"
		    " %lu\n", dkim_result_name(dkim_cause_result(
		    (enum dkim_cause)i)), dkim_cause_name((enum dkim_cause)i),
		    GET(sigresults[i]));
	head(o, "dkimd_signatures_total", "counter",
	    "Signatures made, by algorithm.");
	for (i = DKIM_ALG_RSA_SHA256; i <= DKIM_ALG_ED25519_SHA256; i++)
		put(o, "dkimd_signatures_total{algorithm=\"%s\"} %lu\n",
		    dkim_alg_name((enum dkim_alg)i), GET(signatures[i]));
}

/* one - a family of one unlabelled series of value v */
static void
one(struct out *o, const char *name, const char *type, const char *help,
    unsigned long v)
{
	head(o, name, type, help);
	put(o, "%s %lu\n", name, v);
}

/* render_dns - the key lookups of the resolver in force */
static void
render_dns(struct out *o, struct live *l)
{
	static const long dns_le[DKIM_DNS_NLE] = DKIM_DNS_LATENCY_LE;
	struct dkim_resolver_counts c;
	size_t	i;

	memset(&c, 0, sizeof(c));
	if (l != NULL && l->res != NULL)
		dkim_resolver_counts(l->res, &c);
	one(o, "dkimd_key_queries_total", "counter",
	    "DNS key queries sent (cache misses; since the last reload).",
	    c.sent);
	one(o, "dkimd_key_lookups_coalesced_total", "counter",
	    "Key lookups joined to a query in flight.", c.coalesced);
	one(o, "dkimd_key_queries_abandoned_total", "counter",
	    "Key queries nobody waited for any more.", c.abandoned);
	one(o, "dkimd_key_queries_refused_total", "counter",
	    "Key lookups refused by a resolver limit.", c.refused);
	one(o, "dkimd_key_queries_in_flight", "gauge",
	    "Key queries in flight now.", c.inflight);
	one(o, "dkimd_key_cache_entries", "gauge",
	    "Answers in the key cache.", c.cache_entries);
	one(o, "dkimd_key_cache_bytes", "gauge", "Bytes of the key cache.",
	    c.cache_bytes);
	one(o, "dkimd_key_cache_hits_total", "counter",
	    "Key lookups answered from the cache.", c.cache_hits);
	one(o, "dkimd_key_cache_misses_total", "counter",
	    "Key lookups that needed a query (or joined one).",
	    c.cache_misses);
	head(o, "dkimd_key_answers_total", "counter",
	    "DNS key queries ended, by class of answer.");
	for (i = 0; i < DKIM_DNSC_MAX; i++)
		put(o, "dkimd_key_answers_total{class=\"%s\"} %lu\n",
		    dkim_dns_class_name((enum dkim_dns_class)i), c.answers[i]);
	histogram(o, "dkimd_key_query_duration_seconds",
	    "Time from a key query's start to its answer or failure.",
	    dns_le, c.latency, DKIM_DNS_NLE, c.latency_ms_sum);
}

/* file_keys - keys loaded from a KeyTable file */
static unsigned long
file_keys(const struct table *t)
{
	unsigned long n = 0;
	size_t	i;

	for (i = 0; t->is_keys && i < t->n; i++)
		n += t->keys[i].key != NULL;
	return n;
}

/* render_database - the SigningTable's database, which answers the
 * KeyTable's lookups too (table.h): its state, queries and their times */
static void
render_database(struct out *o, const struct db_stats *st)
{
	static const long le[DB_NLE] = DB_LATENCY_LE;

	one(o, "dkimd_table_database_up", "gauge",
	    "0 from a failed database query to the next answer, else 1.",
	    (unsigned long)st->up);
	head(o, "dkimd_table_database_queries_total", "counter",
	    "Database queries, by result.");
	put(o, "dkimd_table_database_queries_total{result=\"ok\"} %lu\n",
	    st->answered);
	put(o, "dkimd_table_database_queries_total{result=\"failed\"} %lu\n",
	    st->failed);
	histogram(o, "dkimd_table_database_query_duration_seconds",
	    "Time of one database query.", le, st->lat, DB_NLE,
	    st->lat_ms_sum);
}

/* render_tables - the key table families; a table is never labelled by
 * its name (a database's names a user and a host) */
static void
render_tables(struct out *o, struct live *l)
{
	static const char *const lk[METRICS_LOOKUP_MAX] = { "found", "none",
	    "down" };
	const struct table *kt = l != NULL ? l->conf->keytab : NULL;
	const struct table *st = l != NULL ? l->conf->signtab : NULL;
	struct db_stats ds;
	size_t	i;

	head(o, "dkimd_table_lookups_total", "counter",
	    "SigningTable lookups for messages to sign, by result.");
	for (i = 0; i < METRICS_LOOKUP_MAX; i++)
		put(o, "dkimd_table_lookups_total{result=\"%s\"} %lu\n", lk[i],
		    GET(lookups[i]));
	if (st != NULL && st->db != NULL) {
		db_stats(st->db, &ds);
		one(o, "dkimd_table_keys", "gauge", "Signing keys held: loaded "
		    "from the KeyTable file, or cached from the database.",
		    (unsigned long)ds.keys_cached);
		render_database(o, &ds);
	} else if (kt != NULL)
		one(o, "dkimd_table_keys", "gauge", "Signing keys held: loaded "
		    "from the KeyTable file, or cached from the database.",
		    file_keys(kt));
}

/* label - v as a label value, escaped (the exposition format's \\, \"
 * and \n), cut to fit len */
static const char *
label(char *buf, size_t len, const char *v)
{
	size_t	o = 0;

	for (; *v != '\0' && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"')
			buf[o++] = '\\';
		else if (*v == '\n') {
			buf[o++] = '\\';
			buf[o++] = 'n';
			continue;
		}
		buf[o++] = *v;
	}
	buf[o] = '\0';
	return buf;
}

/* Which per-key family key_line() writes. */
struct keyfam {
	struct out *o;
	int	fam;
	time_t	now;
};

/* key_line - one key's series of family kf->fam (a keywatch_fn) */
static void
key_line(void *arg, const struct keywatch_key *k)
{
	struct keyfam *kf = arg;
	char	n[300], d[520], s[140], lab[1000];

	snprintf(lab, sizeof(lab), "key=\"%s\",domain=\"%s\",selector=\"%s\"",
	    label(n, sizeof(n), k->name), label(d, sizeof(d), k->domain),
	    label(s, sizeof(s), k->selector));
	if (kf->fam == 0 && k->match >= 0)
		put(kf->o, "dkimd_key_record_match{%s} %d\n", lab, k->match);
	else if (kf->fam == 1)
		put(kf->o, "dkimd_key_record_state{%s,state=\"%s\"} 1\n", lab,
		    keycheck_name(k->state));
	else if (kf->fam == 2 && k->born > 0)
		put(kf->o, "dkimd_key_age_seconds{%s} %ld\n", lab,
		    (long)(kf->now - k->born));
	else if (kf->fam == 3 && k->not_after > 0)
		put(kf->o, "dkimd_key_not_after_timestamp_seconds{%s} %lld\n",
		    lab, k->not_after);
}

/* render_keys - what KeyCheckInterval found, per active signing key */
static void
render_keys(struct out *o)
{
	static const char *const fam[4][3] = {
		{ "dkimd_key_record_match", "gauge", "1 when the published "
		    "record carries the signing key, 0 when not (missing, "
		    "differs, revoked, testing)." },
		{ "dkimd_key_record_state", "gauge", "The last key check's "
		    "state of the published record (one series per key)." },
		{ "dkimd_key_age_seconds", "gauge", "Age of the signing key: "
		    "its file's mtime or the database's not_before." },
		{ "dkimd_key_not_after_timestamp_seconds", "gauge",
		    "When a database key stops signing." },
	};
	struct keyfam kf = { o, 0, time(NULL) };
	unsigned long omitted;
	time_t	when;

	keywatch_last(&when, &omitted);
	one(o, "dkimd_key_check_last_run_timestamp_seconds", "gauge",
	    "When KeyCheckInterval last checked the keys (0: never).",
	    (unsigned long)when);
	one(o, "dkimd_key_check_keys_omitted", "gauge",
	    "Keys checked but over the number exported.", omitted);
	for (kf.fam = 0; kf.fam < 4; kf.fam++) {
		head(o, fam[kf.fam][0], fam[kf.fam][1], fam[kf.fam][2]);
		keywatch_each(key_line, &kf);
	}
}

/* count_fds - open descriptors of the process, -1 if unknown */
static long
count_fds(void)
{
	DIR	*d;
	struct dirent *e;
	long	n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own descriptor */
}

/* rss_bytes - resident set size, 0 if unknown */
static unsigned long
rss_bytes(void)
{
	unsigned long size = 0, rss = 0;
	FILE	*f;

	if ((f = fopen("/proc/self/statm", "re")) == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (unsigned long)sysconf(_SC_PAGESIZE);
}

/* render_process - connections, reloads and the process_* family */
static void
render_process(struct out *o, struct live *l)
{
	struct rusage ru;
	struct rlimit rl;
	long	fds = count_fds();

	head(o, "dkimd_connections_open", "gauge", "MTA connections open.");
	put(o, "dkimd_connections_open %ld\n", GET(conns_open));
	head(o, "dkimd_connections_total", "counter", "MTA connections made.");
	put(o, "dkimd_connections_total %lu\n", GET(conns_total));
	head(o, "dkimd_reloads_total", "counter", "Reloads, by result.");
	put(o, "dkimd_reloads_total{result=\"ok\"} %lu\n", GET(reloads[1]));
	put(o, "dkimd_reloads_total{result=\"failed\"} %lu\n",
	    GET(reloads[0]));
	head(o, "dkimd_last_reload_time_seconds", "gauge",
	    "When the configuration in force was loaded.");
	put(o, "dkimd_last_reload_time_seconds %ld\n", GET(last_reload));
	head(o, "dkimd_configuration_loaded", "gauge",
	    "1 when a configuration is in force.");
	put(o, "dkimd_configuration_loaded %d\n", l != NULL);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		head(o, "process_cpu_seconds_total", "counter",
		    "User and system CPU time.");
		put(o, "process_cpu_seconds_total %.6f\n",
		    (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
	}
	head(o, "process_resident_memory_bytes", "gauge", "Resident memory.");
	put(o, "process_resident_memory_bytes %lu\n", rss_bytes());
	if (fds >= 0) {
		head(o, "process_open_fds", "gauge", "Open descriptors.");
		put(o, "process_open_fds %ld\n", fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		head(o, "process_max_fds", "gauge", "Descriptor limit.");
		put(o, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
	}
	head(o, "process_start_time_seconds", "gauge",
	    "Start time since the epoch.");
	put(o, "process_start_time_seconds %ld\n", start_time);
}

/* metrics_render - every family into buf (len bytes), in OpenMetrics
 * when om; the length */
size_t
metrics_render(char *buf, size_t len, int om)
{
	struct out o = { buf, len, 0, 0, om };
	struct live *l = live_get();

	if (len == 0)
		return 0;
	buf[0] = '\0';
	render_messages(&o);
	render_signatures(&o);
	render_dns(&o, l);
	render_tables(&o, l);
	render_keys(&o);
	render_process(&o, l);
	if (om)
		put(&o, "# EOF\n");
	if (l != NULL)
		live_put(l);
	return o.o;
}

/* bind_spec - a listening socket for sp; -1 with a reason */
static int
bind_spec(const struct sock_spec *sp, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int	fd, on = 1, fam;
	const char *host = sp->host;

	memset(&ss, 0, sizeof(ss));
	if (sp->kind == SOCK_UNIX) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;

		fam = su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "%s", sp->path);
		sl = sizeof(*su);
		(void)unlink(sp->path);
	} else if (sp->kind == SOCK_INET) {
		struct sockaddr_in *si = (struct sockaddr_in *)&ss;

		fam = si->sin_family = AF_INET;
		si->sin_port = htons((unsigned short)sp->port);
		if (*host == '\0')
			host = "127.0.0.1";	/* no host: loopback */
		if (inet_pton(AF_INET, host, &si->sin_addr) != 1)
			goto badhost;
		sl = sizeof(*si);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		char	h[sizeof(sp->host)];
		size_t	n;

		fam = s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)sp->port);
		snprintf(h, sizeof(h), "%s", *host ? host : "::1");
		if (h[0] == '[' && (n = strlen(h)) > 1 && h[n - 1] == ']') {
			h[n - 1] = '\0';
			memmove(h, h + 1, n - 1);
		}
		if (inet_pton(AF_INET6, h, &s6->sin6_addr) != 1)
			goto badhost;
		sl = sizeof(*s6);
	}
	if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return -1;
	}
	if (fam != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 16) < 0) {
		snprintf(why, whylen, "bind: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
badhost:
	snprintf(why, whylen, "host \"%s\" is not a numeric address", host);
	return -1;
}

/* metrics_open - bind the MetricsSocket spec; 0, or -1 with a reason */
int
metrics_open(const char *spec, char *why, size_t whylen)
{
	struct sock_spec sp;

	start_time = (long)time(NULL);
	if (sock_parse(spec, &sp, why, whylen) < 0)
		return -1;
	if ((listen_fd = bind_spec(&sp, why, whylen)) < 0)
		return -1;
	return 0;
}

/* read_request - the request head into buf, within the deadline: its
 * length, or -1 (time-out, error, or over the ceiling) */
static ssize_t
read_request(int fd, char *buf, size_t len)
{
	struct timespec t0, t;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t	o = 0;
	ssize_t	n;
	long	left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (o < len - 1) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = METRICS_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		if ((n = recv(fd, buf + o, len - 1 - o, MSG_DONTWAIT)) < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			return -1;
		o += (size_t)n;
		buf[o] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL ||
		    strstr(buf, "\n\n") != NULL)
			return (ssize_t)o;
	}
	return -1;
}

/* send_all - write len bytes of buf, each write within the deadline */
static void
send_all(int fd, const char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };
	ssize_t	n;

	while (len > 0) {
		if (poll(&pfd, 1, METRICS_TIMEOUT_MS) <= 0)
			return;
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* reply - status line, headers and body */
static void
reply(int fd, const char *status, const char *type, const char *body,
    size_t blen)
{
	char	hdr[256];
	int	n;

	n = snprintf(hdr, sizeof(hdr), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type,
	    blen);
	send_all(fd, hdr, (size_t)n);
	send_all(fd, body, blen);
}

/* healthz - 200 when a message can be taken, else 503 and why */
static void
healthz(int fd)
{
	struct live *l = live_get();

	if (l == NULL) {
		reply(fd, "503 Service Unavailable", "text/plain",
		    "no configuration loaded\n", 24);
		return;
	}
	live_put(l);
	reply(fd, "200 OK", "text/plain", "ok\n", 3);
}

/* serve - one connection: one request, one answer */
static void
serve(int fd, char *body)
{
	char	req[METRICS_REQ_MAX];
	const char *path;
	size_t	n;
	int	om;

	if (read_request(fd, req, sizeof(req)) < 0) {
		reply(fd, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	if (strncmp(req, "GET ", 4) != 0) {
		reply(fd, "405 Method Not Allowed", "text/plain",
		    "GET only\n", 9);
		return;
	}
	path = req + 4;
	n = strcspn(path, " \r\n?");
	if (n == 8 && strncmp(path, "/metrics", 8) == 0) {
		om = strcasestr(req, "application/openmetrics-text") != NULL;
		n = metrics_render(body, RENDER_MAX, om);
		reply(fd, "200 OK", om ? "application/openmetrics-text; "
		    "version=1.0.0; charset=utf-8" :
		    "text/plain; version=0.0.4; charset=utf-8", body, n);
	} else if (n == 8 && strncmp(path, "/healthz", 8) == 0)
		healthz(fd);
	else
		reply(fd, "404 Not Found", "text/plain", "not found\n", 10);
}

/* server - the thread: accept, serve, close, one at a time */
static void *
server(void *arg)
{
	char	*body = arg;
	int	fd;

	for (;;) {
		fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				(void)poll(NULL, 0, 100);
			continue;
		}
		serve(fd, body);
		close(fd);
	}
	return NULL;
}

/* metrics_start - serve the socket metrics_open() bound; 0 or -1 */
int
metrics_start(void)
{
	char	*body;

	if (listen_fd < 0)
		return 0;
	if ((body = malloc(RENDER_MAX)) == NULL)
		return -1;
	if (util_thread(server, body) < 0) {
		free(body);
		return -1;
	}
	return 0;
}
