/*
 * test_peer.c - the user behind a connection (peer.c) and the gate
 * that admits or refuses it (gate.c)
 *
 * Real sockets on loopback and a socketpair: the kernel's answers are
 * what is under test. As root, a child that became nobody connects,
 * and the look-up must name nobody, not the root that forked it.
 * Prints the cost of one look-up (inet_diag round trip) as a comment.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "gate.h"
#include "hosts.h"
#include "peer.h"
#include "tap.h"

/* listener - a TCP listener on addr (family fam), port in *port */
static int
listener(int fam, const char *addr, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int	fd, off = 0;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		inet_pton(AF_INET, addr, &s4->sin_addr);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
	}
	if ((fd = socket(fam, SOCK_STREAM, 0)) < 0)
		return -1;
	if (fam == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
		    sizeof(off));
	if (bind(fd, (struct sockaddr *)&ss, fam == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0 ||
	    listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(fam == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
	    ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* dial - a client connection to addr:port */
static int
dial(int fam, const char *addr, unsigned short port)
{
	struct sockaddr_storage ss;
	int	fd;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
	}
	if ((fd = socket(fam, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, fam == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* tcp_case - a connection from lfam/laddr's client side cfam/caddr:
 * does the look-up name our own user? */
static void
tcp_case(int lfam, const char *laddr, int cfam, const char *caddr,
    const char *name)
{
	struct peer p;
	unsigned short port;
	char	why[256];
	int	l, c, a, r;

	l = listener(lfam, laddr, &port);
	c = l < 0 ? -1 : dial(cfam, caddr, port);
	a = c < 0 ? -1 : accept(l, NULL, NULL);
	r = a < 0 ? -1 : peer_identify(a, &p, why, sizeof(why));
	ok(r == 0 && p.has_uid && p.uid == geteuid(), name);
	if (r != 0)
		printf("#   %s\n", r < 0 && a >= 0 ? why : "no connection");
	close(a);
	close(c);
	close(l);
}

/* as_nobody - root's child, become nobody, connects; the look-up must
 * name nobody */
static void
as_nobody(void)
{
	struct passwd *pw = getpwnam("nobody");
	struct peer p;
	unsigned short port;
	char	why[256], b;
	pid_t	pid;
	int	l, a, st, pfd[2];

	if (geteuid() != 0 || pw == NULL) {
		printf("ok %d - # SKIP needs root and user nobody\n", ++tap_n);
		return;
	}
	l = listener(AF_INET, "127.0.0.1", &port);
	if (l < 0 || pipe(pfd) < 0) {
		ok(0, "nobody: a listener");
		return;
	}
	if ((pid = fork()) == 0) {
		int	c;

		if (setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
			_exit(1);
		c = dial(AF_INET, "127.0.0.1", port);
		(void)read(pfd[0], &b, 1);	/* until the parent looked */
		close(c);
		_exit(c < 0);
	}
	a = accept(l, NULL, NULL);
	ok(a >= 0 && peer_identify(a, &p, why, sizeof(why)) == 0 &&
	    p.has_uid && p.uid == pw->pw_uid,
	    "inet_diag: a connection from a process that became nobody is "
	    "nobody's, though root forked it");
	(void)write(pfd[1], "x", 1);
	waitpid(pid, &st, 0);
	close(a);
	close(l);
}

/* closed_peer - a peer that connected and closed before the look-up
 * (its socket survives as a time-wait entry the kernel reports as uid
 * 0) is not identified at all */
static void
closed_peer(void)
{
	struct peer p;
	unsigned short port;
	char	why[256];
	int	l, c, a, r;

	l = listener(AF_INET, "127.0.0.1", &port);
	c = dial(AF_INET, "127.0.0.1", port);
	close(c);
	usleep(20000);
	a = accept(l, NULL, NULL);
	r = a < 0 ? 0 : peer_identify(a, &p, why, sizeof(why));
	ok(a >= 0 && r < 0, "inet_diag: a loopback peer that already closed "
	    "is refused, not taken for root (time-wait reports uid 0)");
	if (r == 0)
		printf("#   has_uid %d uid %lu\n", p.has_uid,
		    (unsigned long)p.uid);
	close(a);
	close(l);
}

/* half_closed - a local peer that half-closed before the look-up
 * (it could still read a reply) is refused as local, never taken for a
 * remote peer that SocketPeers would judge by address */
static void
half_closed(void)
{
	struct peer p;
	unsigned short port;
	char	why[256] = "";
	int	l, c, a, r;

	l = listener(AF_INET, "127.0.0.1", &port);
	c = dial(AF_INET, "127.0.0.1", port);
	shutdown(c, SHUT_WR);
	usleep(20000);
	a = accept(l, NULL, NULL);
	r = a < 0 ? 0 : peer_identify(a, &p, why, sizeof(why));
	ok(a >= 0 && r < 0 && strstr(why, "not established") != NULL,
	    "inet_diag: a local peer that half-closed is refused as a local "
	    "peer in another state, not looked at as a remote one");
	printf("#   %s\n", why);
	close(a);
	close(c);
	close(l);
}

/* selftest_case - what dkimd checks at start-up on an inet socket */
static void
selftest_case(void)
{
	char	why[256] = "";

	ok(peer_selftest(why, sizeof(why)) == 0, "peer_selftest: this kernel "
	    "names the owner of a loopback TCP connection");
	if (why[0])
		printf("#   %s\n", why);
}

/* unix_case - SO_PEERCRED on a socketpair */
static void
unix_case(void)
{
	struct peer p;
	char	why[256];
	int	sv[2];

	ok(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 &&
	    peer_identify(sv[0], &p, why, sizeof(why)) == 0 && p.has_uid &&
	    p.uid == geteuid() && p.pid == getpid() &&
	    p.addr.ss_family == AF_UNIX,
	    "SO_PEERCRED: a unix peer's uid and pid");
	close(sv[0]);
	close(sv[1]);
}

/* cost - microseconds per look-up over n connections' worth */
static void
cost(void)
{
	struct timespec t0, t1;
	struct peer p;
	unsigned short port;
	char	why[256];
	int	l, c, a, i, good = 0, n = 2000;
	double	us;

	l = listener(AF_INET, "127.0.0.1", &port);
	c = dial(AF_INET, "127.0.0.1", port);
	a = accept(l, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		good += peer_identify(a, &p, why, sizeof(why)) == 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / n;
	ok(good == n, "inet_diag: 2000 look-ups in a row all answer");
	printf("# peer look-up (getpeername, getsockname, inet_diag round "
	    "trip): %.1f us per connection\n", us);
	close(a);
	close(c);
	close(l);
}

/* gate_cases - SocketUsers, SocketPeers and the caps */
static void
gate_cases(void)
{
	struct conf *c = conf_defaults();
	unsigned short port;
	int	l, cl[4], a[4], t[4], i;

	if (c == NULL || (c->sock_uids = calloc(1, sizeof(uid_t))) == NULL) {
		ok(0, "gate: a configuration");
		return;
	}
	c->sock_uids[0] = geteuid() + 1;	/* not us */
	c->nsock_uids = 1;
	l = listener(AF_INET, "127.0.0.1", &port);
	for (i = 0; i < 4; i++) {
		cl[i] = dial(AF_INET, "127.0.0.1", port);
		a[i] = accept(l, NULL, NULL);
	}
	ok(gate_admit(a[0], c) < 0,
	    "gate: a local user outside SocketUsers is refused");
	c->sock_uids[0] = geteuid();
	c->maxconnsperpeer = 2;
	t[0] = gate_admit(a[0], c);
	t[1] = gate_admit(a[1], c);
	t[2] = gate_admit(a[2], c);
	ok(t[0] >= 0 && t[1] >= 0 && t[2] < 0,
	    "gate: the third connection of one user over MaxConnectionsPerPeer "
	    "2 is refused");
	gate_release(t[0]);
	ok((t[2] = gate_admit(a[2], c)) >= 0,
	    "gate: a closed connection makes room for the next");
	gate_release(t[1]);
	gate_release(t[2]);
	c->maxconnsperpeer = 10;
	c->maxconns = 1;
	t[0] = gate_admit(a[0], c);
	ok(t[0] >= 0 && gate_admit(a[1], c) < 0,
	    "gate: MaxConnections 1 refuses the second connection");
	gate_release(t[0]);
	c->sock_anyuser = 1;
	c->maxconns = 10;
	ok((t[3] = gate_admit(a[3], c)) >= 0, "gate: SocketUsers * admits");
	gate_release(t[3]);
	close(cl[0]);			/* a[0]'s peer is gone: no uid */
	cl[0] = -1;
	usleep(20000);
	ok((t[0] = gate_admit(a[0], c)) >= 0, "gate: SocketUsers * admits a "
	    "loopback peer the kernel cannot name");
	gate_release(t[0]);
	c->sock_anyuser = 0;
	ok(gate_admit(a[0], c) < 0, "gate: without SocketUsers *, a loopback "
	    "peer the kernel cannot name is refused");
	for (i = 0; i < 4; i++) {
		close(a[i]);
		close(cl[i]);
	}
	close(l);
	conf_free(c);
}

/* collect - a conf_report_fn keeping the first error */
static void
collect(void *arg, int warn, const char *msg)
{
	if (!warn && *(char *)arg == '\0')
		snprintf(arg, 512, "%s", msg);
}

/* conf_with - load a configuration of the one line given; NULL on error,
 * with the reported line in err */
static struct conf *
conf_with(const char *line, char *err)
{
	char	path[] = "/tmp/test_peer.conf.XXXXXX";
	struct conf *c;
	FILE	*fp;
	int	fd;

	err[0] = '\0';
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return NULL;
	fprintf(fp, "Mode v\n%s\n", line);
	fclose(fp);
	c = conf_load(path, collect, err);
	unlink(path);
	return c;
}

/* conf_cases - SocketUsers and SocketPeers as the configuration reads
 * them */
static void
conf_cases(void)
{
	struct passwd *pf = getpwnam("postfix");
	uid_t	pfu = pf != NULL ? pf->pw_uid : 0;	/* pf is overwritten */
	struct conf *c;
	char	err[512];

	c = conf_with("", err);
	ok(c != NULL && conf_socket_user(c, 0) &&
	    conf_socket_user(c, geteuid()) &&
	    conf_socket_user(c, pfu) &&
	    !conf_socket_user(c, 4242424),
	    "conf: default SocketUsers: root, dkimd's user, postfix; not "
	    "another uid");
	conf_free(c);
	c = conf_with("SocketUsers nobody 4242", err);
	ok(c != NULL && !conf_socket_user(c, 0) && conf_socket_user(c, 4242) &&
	    conf_socket_user(c, getpwnam("nobody")->pw_uid),
	    "conf: SocketUsers by name and by number replaces the default, "
	    "root included");
	conf_free(c);
	c = conf_with("SocketUsers *", err);
	ok(c != NULL && conf_socket_user(c, 4242424), "conf: SocketUsers * "
	    "admits any user");
	conf_free(c);
	c = conf_with("SocketUsers no-such-user-here", err);
	ok(c == NULL && strstr(err, ":2: SocketUsers: unknown user "
	    "\"no-such-user-here\"") != NULL,
	    "conf: an unknown SocketUsers user is an error with file and line");
	c = conf_with("SocketPeers 192.0.2.0/24, mx.example.com", err);
	ok(c == NULL && strstr(err, "SocketPeers:0: \"mx.example.com\" is not "
	    "an IP address") != NULL,
	    "conf: a host name in SocketPeers is refused, naming SocketPeers");
	c = conf_with("SocketPeers 192.0.2.0/24, ::ffff:198.51.100.7", err);
	ok(c != NULL && hosts_match_text(c->sockpeers, "192.0.2.9") &&
	    hosts_match_text(c->sockpeers, "198.51.100.7") &&
	    !hosts_match_text(c->sockpeers, "198.51.100.8"),
	    "conf: SocketPeers addresses and CIDR blocks, IPv4-mapped too");
	conf_free(c);
}

int
main(void)
{
	plan_lazy();
	signal(SIGPIPE, SIG_IGN);
	unix_case();
	selftest_case();
	tcp_case(AF_INET, "127.0.0.1", AF_INET, "127.0.0.1",
	    "inet_diag: a 127.0.0.1 connection is our own user's");
	tcp_case(AF_INET6, "::1", AF_INET6, "::1",
	    "inet_diag: a ::1 connection is our own user's");
	tcp_case(AF_INET6, "::", AF_INET, "127.0.0.1",
	    "inet_diag: an IPv4 client of an inet6 listener (::ffff:127.0.0.1) "
	    "is our own user's");
	tcp_case(AF_INET, "127.0.0.1", AF_INET6, "::ffff:127.0.0.1",
	    "inet_diag: a dual-stack IPv6 client of an IPv4 listener is our "
	    "own user's");
	as_nobody();
	closed_peer();
	half_closed();
	cost();
	gate_cases();
	conf_cases();
	return done_testing();
}
