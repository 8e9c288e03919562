/*
 * main.c - dkimd: start-up, privileges, signals, the milter main loop
 *
 * SYNOPSIS
 *	dkimd -c FILE [-f] [-p SOCKET]	run the milter
 *	dkimd -c FILE -t		check the configuration, tables, keys
 *	dkimd -k			list the keywords: name, type, default,
 *					doc (for the sample file and the manual)
 *
 * Order of start-up: load the configuration (tables and keys too), raise
 * the descriptor limit to its hard limit, open the listening socket (as
 * root, with UMask for a unix socket) and put the gate on it (gate.c:
 * only SocketUsers and SocketPeers are served, within MaxConnections),
 * detach unless -f, write the PidFile, drop to UserID, then serve. Only
 * start-up errors are fatal.
 *
 * libmilter's own time-out is 7,210 s unless smfi_settimeout() says
 * otherwise: a silent connection would hold its descriptor for two
 * hours. MilterTimeout (default 600 s) is given to libmilter and to
 * sockio's writes, in one call (smfi_settimeout below); it is read at
 * start-up only.
 *
 * Signals: libmilter owns SIGHUP, SIGTERM and SIGINT in a thread of its
 * own that sigwait()s for them, and takes SIGHUP as "stop". dkimd's copy
 * of libmilter calls main_sigwait() instead (its reference to sigwait
 * is renamed, see Makefile.am) so that SIGHUP reloads instead: the
 * new configuration is loaded into a new struct live and swapped in; a
 * broken one is logged and the old one stays. SIGTERM first waits
 * (bounded) for the messages in flight, then makes smfi_main() return.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>
#include <openssl/crypto.h>

#include "authz.h"
#include "conf.h"
#include "db.h"
#include "dblink.h"
#include "gate.h"
#include "keypct.h"
#include "keywatch.h"
#include "live.h"
#include "log.h"
#include "metrics.h"
#include "mlfi.h"
#include "notify.h"
#include "peer.h"
#include "sockio.h"
#include "sock.h"
#include "table.h"

#define STOP_WAIT_SECS	30	/* how long SIGTERM waits for messages */

static const char *conf_path;
static char *pidfile;		/* the PidFile written at start-up */
static struct rlimit nofile_was, nofile;	/* descriptor limits */

/* usage - print the synopsis and exit 2 */
static void
usage(void)
{
	fprintf(stderr, "usage: dkimd -c FILE [-f] [-p SOCKET]\n"
	    "       dkimd -c FILE -t\n"
	    "       dkimd -k\n"
	    "       dkimd -K\n");
	exit(2);
}

/* print_report - a conf_report_fn for dkimd -t: one line to stderr */
static void
print_report(void *arg, int warn, const char *msg)
{
	(void)arg;
	(void)warn;
	fprintf(stderr, "%s\n", msg);
}

/* check_only - dkimd -t: 0 when the configuration loads */
static int
check_only(const char *path)
{
	struct conf *c;
	char	err[256], name[128];
	long	nkeys, nrules;
	int	reached, r = 0;

	if ((c = conf_load(path, print_report, NULL)) == NULL)
		return 1;
	if (c->signtab == NULL || c->signtab->db == NULL)
		printf("%s: OK (%zu keys, %zu signing rules)\n", path,
		    c->keytab ? c->keytab->n : 0, c->signtab ? c->signtab->n :
		    0);
	else if (db_check(c->signtab->db, &nkeys, &nrules, &reached, err,
	    sizeof(err)) == 0)
		printf("%s: OK (%s: %ld keys, %ld signing rules)\n", path,
		    c->signtab->file, nkeys, nrules);
	else if (!reached)	/* dkimd starts with its database down */
		printf("%s: OK, but %s is not reachable now (%s); dkimd "
		    "would start and keep trying\n", path, c->signtab->file,
		    err);
	else {
		fprintf(stderr, "%s: %s: the tables cannot be read: %s\n",
		    path, c->signtab->file, err);
		r = 1;
	}
	if (c->authz != NULL && authz_count(c->authz, &nrules, name,
	    sizeof(name), err, sizeof(err)) == 0)
		printf("%s: SenderAuthorization %s: %ld lines\n", path, name,
		    nrules);
	else if (c->authz != NULL)	/* like the SigningTable: not fatal */
		printf("%s: SenderAuthorization %s cannot be read now (%s); "
		    "until it can, only a sender's own domain signs\n", path,
		    name, err);
	conf_free(c);
	return r;
}

/* list_keywords - dkimd -k: one tab-separated line per keyword */
static int
list_keywords(void)
{
	const struct conf_keyword_info *k;
	size_t	i;

	for (i = 0; (k = conf_keyword_get(i)) != NULL; i++)
		printf("%s\t%s\t%s\t%s\n", k->name, k->type, k->def, k->doc);
	return 0;
}

/* list_opendkim - dkimd -K: one line per OpenDKIM keyword and its class */
static int
list_opendkim(void)
{
	const struct conf_opendkim_info *o;
	size_t	i;

	for (i = 0; (o = conf_opendkim_get(i)) != NULL; i++)
		printf("%s\t%s\t%s\n", o->name, o->class_name, o->note);
	return 0;
}

/* reload - SIGHUP: load anew; keep the old configuration on failure */
static void
reload(void)
{
	struct conf *c;
	struct live *l;
	char	why[512];

	log_info("SIGHUP: reloading %s", conf_path);
	notify_send("RELOADING=1");
	if ((c = conf_load(conf_path, log_report, NULL)) == NULL) {
		log_err("reload failed; keeping the configuration in force");
		metrics_reload(0);
		notify_send("READY=1\nSTATUS=reload failed");
		return;
	}
	if ((l = live_new(c, why, sizeof(why))) == NULL) {
		log_err("reload failed: %s; keeping the configuration in "
		    "force", why);
		metrics_reload(0);
		notify_send("READY=1\nSTATUS=reload failed");
		return;
	}
	live_install(l);
	metrics_reload(1);
	notify_send("READY=1\nSTATUS=reloaded");
	log_info("reloaded %s", conf_path);
}

/* drain - before a stop, wait (bounded) for the messages in flight */
static void
drain(int sig)
{
	int	i;

	/* key lookups end now (temperror): a silent name server must not
	 * hold the stop */
	dkim_resolver_shutdown(NULL);
	notify_send("STOPPING=1");
	if (mlfi_inflight() > 0)
		log_info("signal %d: finishing %d messages in flight", sig,
		    mlfi_inflight());
	for (i = 0; i < STOP_WAIT_SECS * 10 && mlfi_inflight() > 0; i++)
		usleep(100000);
	if (mlfi_inflight() > 0)
		log_warn("stopping with %d messages still in flight",
		    mlfi_inflight());
}

/*
 * main_sigwait - libmilter's signal thread calls this instead of the C
 * library's sigwait() (libmilter's reference is renamed; nothing else in
 * the process can reach this function).
 * SIGHUP is handled here, as a reload, and never reaches libmilter.
 * SIGTERM and SIGINT go back to libmilter, which stops at once: its
 * worker pool serves no connection after that, so the messages in
 * flight are waited for here first (new connections are still served
 * meanwhile, which is what an MTA expects from a milter that is up).
 */
int	main_sigwait(const sigset_t *, int *);

int
main_sigwait(const sigset_t *set, int *sig)
{
	int	s;

	for (;;) {
		if ((s = sigwaitinfo(set, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (s != SIGHUP) {
			drain(s);
			*sig = s;
			return 0;
		}
		reload();
		/* the keys were read in this thread: free its OpenSSL state */
		OPENSSL_thread_stop();
	}
}

int	libmilter_settimeout(int);

/*
 * smfi_settimeout - libmilter's time-out, and sockio's writes wait as
 * long: dkimd's copy of libmilter names its own libmilter_settimeout
 * (Makefile.am), so no call can set one without the other
 */
int
smfi_settimeout(int secs)
{
	sockio_set_timeout(secs);
	return libmilter_settimeout(secs);
}

/* listener - libmilter's listening socket (the only one at start-up;
 * libmilter does not hand it out), or -1 */
static int
listener(void)
{
	int	fd, acc;
	socklen_t len;

	for (fd = 3; fd < 64; fd++) {
		len = sizeof(acc);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == 0 &&
		    acc)
			return fd;
	}
	return -1;
}

/* nodelay - TCP_NODELAY on an inet listening socket (inherited by the
 * accepted ones on Linux) */
static void
nodelay(int fd)
{
	int	on = 1, dom;
	socklen_t len = sizeof(dom);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len) < 0 ||
	    (dom != AF_INET && dom != AF_INET6))
		return;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* raise_nofile - the soft descriptor limit up to the hard one */
static void
raise_nofile(void)
{
	if (getrlimit(RLIMIT_NOFILE, &nofile_was) < 0)
		return;
	nofile = nofile_was;
	nofile.rlim_cur = nofile.rlim_max;
	if (nofile.rlim_cur != nofile_was.rlim_cur &&
	    setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		nofile = nofile_was;
}

/* log_limits - the descriptor limit, and whether MaxConnections fits */
static void
log_limits(const struct conf *c)
{
	if (nofile.rlim_cur != nofile_was.rlim_cur)
		log_info("descriptor limit raised from %llu to %llu",
		    (unsigned long long)nofile_was.rlim_cur,
		    (unsigned long long)nofile.rlim_cur);
	if (nofile.rlim_cur != RLIM_INFINITY &&
	    (unsigned long long)c->maxconns + 64 > nofile.rlim_cur)
		log_warn("MaxConnections %ld does not fit the descriptor limit "
		    "%llu (hard limit; LimitNOFILE= in the unit): connections "
		    "past it are closed at once", c->maxconns,
		    (unsigned long long)nofile.rlim_cur);
}

/* open_socket - register the callbacks and open the listener */
static void
open_socket(const struct conf *c, const char *spec)
{
	struct sock_spec sp;
	char	why[256], local[64];
	mode_t	old = 0;
	int	lfd;

	if (sock_parse(spec, &sp, why, sizeof(why)) < 0) {
		fprintf(stderr, "dkimd: socket %s: %s\n", spec, why);
		exit(1);
	}
	/*
	 * libmilter listens on every address when inet: names no host; a
	 * signing milter reachable from the network is an open signer, so
	 * a missing host means loopback (write @0.0.0.0 to mean all).
	 */
	if ((sp.kind == SOCK_INET || sp.kind == SOCK_INET6) &&
	    sp.host[0] == '\0') {
		snprintf(local, sizeof(local), "%s:%u@%s",
		    sp.kind == SOCK_INET ? "inet" : "inet6", sp.port,
		    sp.kind == SOCK_INET ? "127.0.0.1" : "::1");
		spec = local;
	}
	if (smfi_setconn((char *)spec) != MI_SUCCESS ||
	    smfi_register(mlfi_desc) != MI_SUCCESS) {
		fprintf(stderr, "dkimd: cannot set up libmilter\n");
		exit(1);
	}
	if (c->umask >= 0)
		old = umask((mode_t)c->umask);
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "dkimd: cannot open socket %s\n", spec);
		exit(1);
	}
	if (c->umask >= 0)
		umask(old);
	if (sp.kind == SOCK_UNIX && c->run_uid != (uid_t)-1 &&
	    chown(sp.path, c->run_uid, c->run_gid) < 0)
		fprintf(stderr, "dkimd: chown %s: %s\n", sp.path,
		    strerror(errno));
	if ((lfd = listener()) < 0) {
		fprintf(stderr, "dkimd: cannot find libmilter's socket\n");
		exit(1);
	}
	nodelay(lfd);
	if ((sp.kind == SOCK_INET || sp.kind == SOCK_INET6) &&
	    !c->sock_anyuser && peer_selftest(why, sizeof(why)) < 0) {
		fprintf(stderr, "dkimd: SocketUsers on %s needs the kernel to "
		    "name the user behind a TCP connection (NETLINK_SOCK_DIAG, "
		    "module tcp_diag), which failed: %s; use a unix socket, or "
		    "SocketUsers *\n", spec, why);
		exit(1);
	}
	gate_install(lfd);
	sockio_tick(lfd, notify_tick);	/* WATCHDOG=1 from the listener */
	if (sockio_reserve() < 0 || smfi_settimeout((int)c->miltertimeout) !=
	    MI_SUCCESS) {
		fprintf(stderr, "dkimd: cannot set up the listener\n");
		exit(1);
	}
}

/* detach - become a daemon */
static void
detach(void)
{
	pid_t	pid;
	int	fd;

	if ((pid = fork()) < 0) {
		perror("dkimd: fork");
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

/*
 * pid_create - create the PidFile anew, never through a link: O_EXCL |
 * O_NOFOLLOW, so a link or file planted at the path (by a user who may
 * write the folder) makes the open fail instead of letting root write
 * where the link points. A file already there is taken for one left by
 * a dkimd that was killed and removed first, but only when it is a
 * regular file of ours with one link; anything else is refused. The
 * mode is 0644 less UMask. Returns the descriptor, or -1 with errno.
 */
static int
pid_create(const char *path, int umask_conf)
{
	mode_t	mode = 0644 & ~(umask_conf >= 0 ? (mode_t)umask_conf : 0);
	struct stat st;
	int	fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd >= 0) {
			(void)fchmod(fd, mode);	/* whatever the umask */
			return fd;
		}
		if (errno != EEXIST || tries > 0)
			return -1;
		if (lstat(path, &st) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
		    st.st_nlink != 1) {
			errno = EEXIST;
			return -1;
		}
		if (unlink(path) < 0 && errno != ENOENT)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

/* write_pid - the PidFile (pid_create()) */
static void
write_pid(const struct conf *c)
{
	char	buf[32];
	int	fd, n;

	if (c->pidfile == NULL)
		return;
	if ((fd = pid_create(c->pidfile, c->umask)) < 0) {
		log_err("PidFile %s: %s%s", c->pidfile, strerror(errno),
		    errno == EEXIST || errno == ELOOP ? " (a link, or not a "
		    "file of dkimd's: not replaced)" : "");
		exit(1);
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		log_err("PidFile %s: %s", c->pidfile, strerror(errno));
		exit(1);
	}
	close(fd);
	pidfile = strdup(c->pidfile);
}

/* drop_privileges - become UserID, for good */
static void
drop_privileges(const struct conf *c)
{
	if (c->run_uid == (uid_t)-1)
		return;
	if (getuid() != 0 && geteuid() != 0) {
		if (geteuid() != c->run_uid)
			log_warn("UserID %s ignored: not started as root",
			    c->userid);
		return;
	}
	if (setgroups(0, NULL) < 0 || setgid(c->run_gid) < 0 ||
	    setuid(c->run_uid) < 0) {
		log_err("cannot become %s: %s", c->userid, strerror(errno));
		exit(1);
	}
	if (setuid(0) == 0) {
		log_err("could regain root after dropping it; stopping");
		exit(1);
	}
}

/* main - dkimd */
int
main(int argc, char **argv)
{
	struct conf *c;
	struct live *l;
	const char *sockspec = NULL;
	char	why[512];
	int	ch, fg = 0, test = 0, r;

	/*
	 * One malloc arena per thread (glibc's default, up to 8 per core)
	 * keeps freed memory of every connection thread apart; two arenas
	 * hold the peak with 16 connections ~1 MB lower at no measurable
	 * cost in speed.
	 */
	(void)mallopt(M_ARENA_MAX, 2);
	while ((ch = getopt(argc, argv, "c:fKkp:t")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			fg = 1;
			break;
		case 'K':
			return list_opendkim();
		case 'k':
			return list_keywords();
		case 'p':
			sockspec = optarg;
			break;
		case 't':
			test = 1;
			break;
		default:
			usage();
		}
	}
	if (conf_path == NULL || optind != argc)
		usage();
	if (test)
		return check_only(conf_path);
	if ((c = conf_load(conf_path, print_report, NULL)) == NULL)
		return 1;
	raise_nofile();
	open_socket(c, sockspec ? sockspec : c->socket);
	if (c->metricssocket != NULL &&
	    metrics_open(c->metricssocket, why, sizeof(why)) < 0) {
		fprintf(stderr, "dkimd: MetricsSocket %s: %s\n",
		    c->metricssocket, why);
		return 1;
	}
	if (!fg)
		detach();
	log_open("dkimd", c->syslogfacility, c->syslog, fg);
	keypct_set_report(log_report, NULL);	/* keys read per domain */
	dblink_set_report(log_report, NULL);	/* database fail-overs */
	log_limits(c);
	write_pid(c);
	drop_privileges(c);
	if ((l = live_new(c, why, sizeof(why))) == NULL) {
		log_err("%s", why);
		return 1;
	}
	live_install(l);
	metrics_reload(1);
	if (metrics_start() < 0 || notify_watchdog() < 0 ||
	    keywatch_start() < 0) {
		log_err("cannot start the MetricsSocket, watchdog or key "
		    "check thread");
		return 1;
	}
	notify_send("READY=1");
	log_info("started on %s (Mode %s, AuthservID %s)",
	    sockspec ? sockspec : l->conf->socket, l->conf->mode,
	    l->conf->authservid);
	r = smfi_main();
	/* l may be gone: a reload frees the configuration it replaces */
	if (pidfile != NULL)
		(void)unlink(pidfile);		/* may fail after UserID */
	free(pidfile);
	log_info("stopped");
	live_shutdown();
	return r == MI_SUCCESS ? 0 : 1;
}
