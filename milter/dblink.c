/*
 * dblink.c - a database connection over a list of hosts (dblink.h)
 *
 * The client libraries fail over by themselves only partly (libpq tries
 * the hosts of a list in order at each connection, but keeps no memory
 * of a host that black-holes, so each reconnection would wait for it
 * again; libmariadb has no list at all), so the hosts are tried here,
 * one connection attempt per host, each host remembering its failures.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dblink.h"

static dblink_report_fn report;		/* where fail-overs are told */
static void *report_arg;

/* dblink_set_report - where fail-overs are told (NULL: nowhere) */
void
dblink_set_report(dblink_report_fn fn, void *arg)
{
	report = fn;
	report_arg = arg;
}

/* say - one fail-over line, "NAME: ...", to the report function */
static void __attribute__((format(printf, 3, 4)))
say(const struct dblink *l, int warn, const char *fmt, ...)
{
	char	 msg[700];
	va_list	 ap;
	int	 o;

	if (report == NULL)
		return;
	o = snprintf(msg, sizeof(msg), "%s: ", l->label);
	va_start(ap, fmt);
	vsnprintf(msg + o, sizeof(msg) - (size_t)o, fmt, ap);
	va_end(ap);
	report(report_arg, warn, msg);
}

/* host_parse - "name", "name:port" or "[v6]:port" into h; -1, why */
static int
host_parse(struct dblink_host *h, char *s, char *err, size_t errlen)
{
	char	*port = NULL, *end;
	unsigned long p;

	if (*s == '[') {
		if ((end = strchr(++s, ']')) == NULL || (end[1] != '\0' &&
		    end[1] != ':')) {
			snprintf(err, errlen, "bad [address] in the host list");
			return -1;
		}
		*end++ = '\0';
		port = *end == ':' ? end + 1 : NULL;
	} else if ((port = strchr(s, ':')) != NULL)
		*port++ = '\0';
	if (*s == '\0') {
		snprintf(err, errlen, "an empty host in the host list");
		return -1;
	}
	if (port != NULL) {
		p = strtoul(port, &end, 10);
		if (*port < '0' || *port > '9' || *end != '\0' || p == 0 ||
		    p > 65535) {
			snprintf(err, errlen, "bad port");
			return -1;
		}
		h->port = (unsigned)p;
	}
	if ((h->name = strdup(s)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* dblink_hosts - the comma-separated host list into l; -1 with why */
int
dblink_hosts(struct dblink *l, const char *list, char *err, size_t errlen)
{
	char	*s, *p, *cur;
	int	 rc = -1;

	if ((s = strdup(list)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (cur = s; (p = strsep(&cur, ",")) != NULL; l->n++) {
		if (l->n == DB_MAX_HOSTS) {
			snprintf(err, errlen, "more than %d hosts",
			    DB_MAX_HOSTS);
			goto out;
		}
		if (host_parse(&l->host[l->n], p, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(s);
	return rc;
}

/* host_name - one host as written in a name, into buf */
static void
host_name(const struct dblink_host *h, char *buf, size_t size)
{
	const char *fmt = strchr(h->name, ':') ? "[%s]" : "%s";
	int	 n;

	n = snprintf(buf, size, fmt, h->name);
	if (h->port && n >= 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, ":%u", h->port);
}

/* dblink_label - the host list as a name writes it ("" for sqlite) */
void
dblink_label(const struct dblink *l, char *buf, size_t size)
{
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < l->n && l->host[i].name != NULL && o + 1 < size;
	    i++) {
		if (i > 0)
			buf[o++] = ',';
		host_name(&l->host[i], buf + o, size - o);
		o += strlen(buf + o);
	}
}

/*
 * host_err - why into err, after the host's name when the name lists
 * several (with one, the error is the name's)
 */
static void
host_err(const struct dblink *l, size_t i, const char *why, char *err,
    size_t errlen)
{
	char	 name[300];

	if (l->n < 2) {
		snprintf(err, errlen, "%s", why);
		return;
	}
	host_name(&l->host[i], name, sizeof(name));
	snprintf(err, errlen, "%s: %s", name, why);
}

/* host_down - one more failure of h: no try for 1, 2, 4 ... 60 s */
static void
host_down(struct dblink_host *h)
{
	unsigned wait;

	wait = h->fails >= 6 ? DB_BACKOFF_MAX : 1u << h->fails;
	if (wait > DB_BACKOFF_MAX)
		wait = DB_BACKOFF_MAX;
	h->fails++;
	h->retry_at = time(NULL) + wait;	/* from the failure, not the try */
}

/* first_value - the first column of the first row into arg (16 bytes) */
static int
first_value(void *arg, int ncols, const char *const *v)
{
	char	*buf = arg;

	if (ncols > 0 && buf[0] == '\0')
		snprintf(buf, 16, "%s", v[0] != NULL ? v[0] : "?");
	return 0;
}

/*
 * host_connect - a connection to host i, or NULL with err and the host
 * backing off; *ro set when it answered as a replica where writes are
 * needed
 */
static void *
host_connect(struct dblink *l, size_t i, int *ro, char *err, size_t errlen)
{
	struct db_uri u = *l->u;
	char	 why[256], val[16] = "";
	void	*conn;

	*ro = 0;
	u.host = l->host[i].name;
	u.port = l->host[i].port;
	if ((conn = l->be->connect(&u, why, sizeof(why))) == NULL)
		goto fail;
	if ((u.flags & DB_PRIMARY) && l->be->sql_read_only != NULL) {
		if (l->be->query(conn, l->be->sql_read_only, NULL, 0,
		    first_value, val, why, sizeof(why)) != 0)
			goto close;
		if (strcasecmp(val, "off") != 0 && strcmp(val, "0") != 0) {
			*ro = 1;
			snprintf(why, sizeof(why), "read-only (a replica): "
			    "it does not take writes");
			goto close;
		}
	}
	l->host[i].fails = 0;
	return conn;
close:
	l->be->disconnect(conn);
fail:
	host_err(l, i, why, err, errlen);
	host_down(&l->host[i]);
	return NULL;
}

/*
 * fail_back - connected to a host after the first: every failback
 * seconds, try the hosts before it again and move to the first that
 * answers; the current connection stays until one does
 */
static void
fail_back(struct dblink *l, time_t now)
{
	char	 why[256];
	void	*conn;
	size_t	 i;
	int	 ro;

	if (l->cur == 0 || now < l->back_at)
		return;
	l->back_at = now + (time_t)l->failback;
	for (i = 0; i < l->cur; i++) {
		if (now < l->host[i].retry_at ||
		    (conn = host_connect(l, i, &ro, why, sizeof(why))) == NULL)
			continue;
		l->be->disconnect(l->conn);
		l->conn = conn;
		l->cur = i;
		host_name(&l->host[i], why, sizeof(why));
		say(l, 1, "back on %s", why);
		return;
	}
}

/* dblink_conn - the connection, made to the first host that answers */
void *
dblink_conn(struct dblink *l, char *err, size_t errlen)
{
	char	 last[256] = "";
	time_t	 now = time(NULL), next = 0;
	size_t	 i, tried = 0, nro = 0;
	int	 ro;

	if (l->conn != NULL) {
		fail_back(l, now);
		return l->conn;
	}
	for (i = 0; i < l->n; i++) {
		if (now < l->host[i].retry_at) {
			if (next == 0 || l->host[i].retry_at < next)
				next = l->host[i].retry_at;
			continue;
		}
		tried++;
		if ((l->conn = host_connect(l, i, &ro, err, errlen)) != NULL) {
			l->cur = i;
			l->back_at = now + (time_t)l->failback;
			if (i > 0) {
				host_name(&l->host[i], last, sizeof(last));
				say(l, 1, "now on %s (the hosts before it "
				    "failed or are backing off)", last);
			}
			return l->conn;
		}
		if (ro)
			nro++;
		else
			snprintf(last, sizeof(last), "%s", err);
		if (l->n > 1 && !ro)
			say(l, 1, "%s; the next host is tried", err);
	}
	if (tried == 0)
		snprintf(err, errlen, "%s: down, next try in %lds", l->label,
		    (long)(next - now));
	else if (nro == tried)
		snprintf(err, errlen, "%s: no host takes writes: only "
		    "replicas answer (%zu read-only)", l->label, nro);
	else if (nro > 0)
		snprintf(err, errlen, "%s: no host takes writes: %zu read-only "
		    "(replicas), the others failed (%s)", l->label, nro, last);
	return NULL;
}

/* err_add - the first failure into err, then "; then" each later one */
static void
err_add(char *err, size_t errlen, size_t nth, const char *why)
{
	size_t	 o = nth == 0 ? 0 : strlen(err);

	snprintf(err + o, errlen - o, "%s%s", nth == 0 ? "" : "; then ", why);
}

/* dblink_query - one statement, moving on to the next host on failure */
int
dblink_query(struct dblink *l, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *arg, char *err, size_t errlen)
{
	char	 why[256], msg[600];
	size_t	 tries;
	int	 rc;

	for (tries = 0; tries < l->n; tries++) {
		if (dblink_conn(l, why, sizeof(why)) == NULL) {
			err_add(err, errlen, tries, why);
			return -1;
		}
		rc = l->be->query(l->conn, sql, params, nparams, fn, arg, why,
		    sizeof(why));
		if (rc == 0 || rc == DB_DATA_ERROR) {
			if (rc != 0)
				snprintf(err, errlen, "%s", why);
			l->host[l->cur].fails = 0;
			return rc;
		}
		host_err(l, l->cur, why, msg, sizeof(msg));
		err_add(err, errlen, tries, msg);
		if (l->n > 1)
			say(l, 1, "%s; the next host is tried", msg);
		l->be->disconnect(l->conn);
		l->conn = NULL;
		host_down(&l->host[l->cur]);
		if (l->u->flags & DB_RW)
			break;		/* it may have been done: not again */
	}
	return -1;
}

/* dblink_close - close the connection and free the host list */
void
dblink_close(struct dblink *l)
{
	size_t	 i;

	if (l->conn != NULL)
		l->be->disconnect(l->conn);
	l->conn = NULL;
	for (i = 0; i < l->n; i++) {
		free(l->host[i].name);
		l->host[i].name = NULL;
	}
	l->n = 0;
}
