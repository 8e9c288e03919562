/*
 * test_sockio.c - buffered reads on accepted connections (sockio.c)
 *
 * This program links sockio.c and plays libmilter: its calls to accept(),
 * close(), read(), poll() and writev() are renamed sio_*() by the macros
 * below, as libmilter's references are in dkimd (Makefile.am). (read)()
 * and the like, in parentheses, are the C library's.
 *
 * Built twice: t/test_sockio with sockio.c's fast path, and
 * t/test_sockio_plain with SOCKIO_FAST 0 (configure's fallback), where
 * nothing is read ahead or held back and the gate, the time-outs and
 * the order of writes hold all the same.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockio.h"
#include "tap.h"

#ifndef SOCKIO_FAST
#define SOCKIO_FAST	1
#endif

#define accept(l, a, n)	sio_accept(l, a, n)
#define close(f)	sio_close(f)
#define read(f, b, n)	sio_read(f, b, n)
#define poll(p, n, t)	sio_poll(p, n, t)
#define writev(f, v, n)	sio_writev(f, v, n)

static char dir[] = "/tmp/test_sockio.XXXXXX";
static char path[96];
static int lfd;

/* listen_unix - a listening socket in a fresh folder */
static int
listen_unix(void)
{
	struct sockaddr_un sun;
	int	fd;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/s", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 4) < 0)
		return -1;
	return fd;
}

/* pair - a client connection, and its accepted end in *srv */
static int
pair(int *srv)
{
	struct sockaddr_un sun;
	int	c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((c = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    connect(c, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -1;
	*srv = accept(lfd, NULL, NULL);
	return *srv < 0 ? -1 : c;
}

/* syscall_poll_wait - poll(2) on p; 1 when ready within ms */
static int
syscall_poll_wait(struct pollfd *p, int ms)
{
	return poll(p, 1, ms) == 1;
}

/* full - write all of buf */
static int
full(int fd, const unsigned char *buf, size_t n)
{
	ssize_t	r;

	while (n > 0) {
		if ((r = write(fd, buf, n)) <= 0)
			return -1;
		buf += r;
		n -= (size_t)r;
	}
	return 0;
}

struct feed {
	int	fd;
	const unsigned char *buf;
	size_t	len;
};

/* feeder - a thread writing a large buffer in uneven pieces, then EOF */
static void *
feeder(void *arg)
{
	struct feed *f = arg;
	size_t	off = 0, k;

	while (off < f->len) {
		k = 1 + (off * 7919) % 90000;
		if (k > f->len - off)
			k = f->len - off;
		if (full(f->fd, f->buf + off, k) < 0)
			break;
		off += k;
	}
	shutdown(f->fd, SHUT_WR);
	return NULL;
}

/* ms_since - milliseconds since t0 */
static long
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void
test_small_reads(void)
{
	unsigned char msg[300], got[300];
	struct sockio_stats st0, st1;
	struct pollfd pf;
	int	c, s, i, n, good = 1;
	size_t	off;

	for (i = 0; i < (int)sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 13 + 1);
	c = pair(&s);
	ok(c >= 0, "an accepted connection");
	ok(full(c, msg, sizeof(msg)) == 0, "the client sends 300 bytes at once");
	sockio_stats(&st0);
	pf.fd = s;
	pf.events = POLLIN;
	pf.revents = 0;
	is_int(poll(&pf, 1, 1000), 1, "poll: readable");
	is_int(read(s, got, 5), 5, "read of 5 bytes (a milter packet header)");
	sockio_stats(&st1);
	is_int((int)(st1.reads - st0.reads), 1, "... took one read(2)");
	for (off = 5, n = 0; off < sizeof(msg); n++) {
		pf.revents = 0;
		if (poll(&pf, 1, 0) != 1 || pf.revents != POLLIN)
			good = 0;
		i = (int)read(s, got + off, 1 + off % 11);
		if (i <= 0)
			break;
		off += (size_t)i;
	}
	ok(good, "poll answers readable while bytes are buffered");
	ok(off == sizeof(msg) && memcmp(got, msg, sizeof(msg)) == 0,
	    "the bytes come out whole and in order");
	sockio_stats(&st1);
	is_int((int)(st1.reads - st0.reads), 1,
	    "all 300 bytes cost one read(2)");
	is_int((int)(st1.served - st0.served), n,
	    "... the other reads were served from the buffer");
	pf.revents = 0;
	is_int(poll(&pf, 1, 50), 0,
	    "an empty buffer and nothing sent: poll times out");
	close(c);
	pf.revents = 0;
	is_int(poll(&pf, 1, 1000), 1, "the client closed: readable");
	is_int((int)read(s, got, sizeof(got)), 0, "... EOF");
	is_int((int)read(s, got, sizeof(got)), 0, "... and EOF again");
	close(s);
}

static void
test_poll_reads(void)
{
	struct sockio_stats st0, st1;
	unsigned char got[16];
	struct pollfd pf;
	int	c, s;

	c = pair(&s);
	(void)full(c, (const unsigned char *)"0123456789", 10);
	pf.fd = s;
	pf.events = POLLIN;
	sockio_stats(&st0);
	is_int(poll(&pf, 1, 1000), 1, "poll(2) says readable");
	is_int((int)read(s, got, 5), 5, "read of 5");
	pf.revents = 0;
	is_int(poll(&pf, 1, 0), 1, "poll again: readable");
	is_int((int)read(s, got + 5, 5), 5, "read of 5 more");
	sockio_stats(&st1);
	is_int((int)(st1.reads - st0.reads), 1,
	    "one read(2) in all: the second poll needed no system call");
	ok(memcmp(got, "0123456789", 10) == 0, "... the bytes in order");
	close(c);
	close(s);
}

/* file_on - a file holding "file", opened on descriptor number want
 * (dup2 when open() picked another); the descriptor, or -1 */
static int
file_on(int want)
{
	char	file[160];
	int	fd;

	snprintf(file, sizeof(file), "%s/f", dir);
	if ((fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		return -1;
	(void)unlink(file);
	(void)full(fd, (const unsigned char *)"file", 4);
	(void)lseek(fd, 0, SEEK_SET);
	if (fd != want) {
		(void)dup2(fd, want);
		(void)(close)(fd);
	}
	return want;
}

/* drop - close fd the way number how does, never through sio_close():
 * 0 dup2() over it, 1 close_range(2), 2 fclose(fdopen()) */
static void
drop(int fd, int how)
{
	FILE	*fp;
	int	nul;

	if (how == 0) {
		nul = open("/dev/null", O_RDONLY);
		(void)dup2(nul, fd);
		(void)(close)(nul);
		(void)(close)(fd);
	} else if (how == 1)
		(void)syscall(SYS_close_range, (unsigned)fd, (unsigned)fd, 0);
	else if ((fp = fdopen(fd, "r")) != NULL)
		(void)fclose(fp);
}

/* test_stale_after_close - a connection with bytes still buffered is
 * closed behind sockio's back; neither a file nor a new connection
 * opened on its number sees those bytes */
static void
test_stale_after_close(void)
{
	static const char *how[] = {"dup2", "close_range", "fclose(fdopen)"};
	unsigned char got[64];
	char	name[128];
	int	c, s, s2, fd, i;

	for (i = 0; i < 3; i++) {
		c = pair(&s);
		(void)full(c, (const unsigned char *)"0123456789", 10);
		is_int((int)read(s, got, 2), 2, "two of ten bytes read; "
		    "eight stay");
		drop(s, i);
		fd = file_on(s);
		memset(got, 0, sizeof(got));
		snprintf(name, sizeof(name), "%s, then a file on the same "
		    "number: the C library's read() reads it", how[i]);
		is_int((int)(read)(fd, got, sizeof(got)), 4, name);
		is_str((char *)got, "file", "... nothing left from the "
		    "connection");
		(void)(close)(fd);
		(void)(close)(c);
		c = pair(&s2);
		(void)full(c, (const unsigned char *)"new", 3);
		memset(got, 0, sizeof(got));
		snprintf(name, sizeof(name), "%s, then a connection accepted "
		    "on the same number reads its own bytes only", how[i]);
		ok(s2 == s && read(s2, got, sizeof(got)) == 3 &&
		    strcmp((char *)got, "new") == 0, name);
		close(c);
		close(s2);
	}
}

static void
test_many_fds(void)
{
	unsigned char b;
	struct pollfd pf[3];
	struct timespec t0;
	int	c1, s1, c2, s2, p[2];

	c1 = pair(&s1);
	c2 = pair(&s2);
	(void)pipe(p);
	(void)full(c1, (const unsigned char *)"ab", 2);
	(void)read(s1, &b, 1);		/* "b" stays buffered */
	pf[0].fd = p[0];
	pf[1].fd = s2;
	pf[2].fd = s1;
	pf[0].events = pf[1].events = pf[2].events = POLLIN;
	pf[0].revents = pf[1].revents = pf[2].revents = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(poll(pf, 3, 5000), 1, "three descriptors, one with a byte "
	    "buffered: one ready");
	ok(ms_since(&t0) < 1000, "... at once");
	ok(pf[0].revents == 0 && pf[1].revents == 0 && pf[2].revents ==
	    POLLIN, "... and it is the buffered one");
	pf[2].events = POLLOUT;
	is_int(poll(&pf[2], 1, 1000), 1, "a poll for writing: writable");
	ok(pf[2].revents == POLLOUT, "... POLLOUT only");
	(void)full(p[1], (const unsigned char *)"xyz", 3);
	is_int((int)read(p[0], &b, 1), 1, "a pipe (not accepted) reads");
	is_int((int)read(p[0], &b, 1), 1, "... and reads again");
	ok(b == 'y', "... straight from the pipe, byte by byte");
	close(p[0]);
	close(p[1]);
	close(c1);
	close(s1);
	close(c2);
	close(s2);
}

static void
test_large(void)
{
	size_t	len = 3 * 1024 * 1024 + 17, off = 0;
	unsigned char *buf = malloc(len), *got = malloc(len);
	struct feed f;
	pthread_t th;
	ssize_t	r;
	size_t	i, want;
	int	c, s;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 2654435761u) >> 13);
	c = pair(&s);
	f.fd = c;
	f.buf = buf;
	f.len = len;
	pthread_create(&th, NULL, feeder, &f);
	for (i = 0; off < len; i++) {
		/* header-sized reads, then reads larger than the buffer */
		want = i % 3 == 0 ? 5 : i % 3 == 1 ? 65535 : 1 + i % 20000;
		if (want > len - off)
			want = len - off;
		if ((r = read(s, got + off, want)) <= 0)
			break;
		off += (size_t)r;
	}
	pthread_join(th, NULL);
	ok(off == len && memcmp(buf, got, len) == 0,
	    "3 MB in uneven writes and mixed read sizes arrive intact");
	is_int((int)read(s, got, 10), 0, "then EOF");
	close(c);
	close(s);
	free(buf);
	free(got);
}

/* packet - a milter packet of command cmd and data d in iov[0..1] */
static void
packet(struct iovec *iov, unsigned char *hdr, char cmd, const char *d,
    size_t n)
{
	unsigned long len = n + 1;

	hdr[0] = (unsigned char)(len >> 24);
	hdr[1] = (unsigned char)(len >> 16);
	hdr[2] = (unsigned char)(len >> 8);
	hdr[3] = (unsigned char)len;
	hdr[4] = (unsigned char)cmd;
	iov[0].iov_base = hdr;
	iov[0].iov_len = 5;
	iov[1].iov_base = (void *)d;
	iov[1].iov_len = n;
}

/* arrived - bytes readable on fd within ms milliseconds, read into buf */
static int
arrived(int fd, unsigned char *buf, size_t max, int ms)
{
	struct pollfd pf;
	ssize_t	r;
	size_t	got = 0;

	pf.fd = fd;
	pf.events = POLLIN;
	while (got < max && poll(&pf, 1, ms) == 1) {
		if ((r = read(fd, buf + got, max - got)) <= 0)
			break;
		got += (size_t)r;
		ms = 50;
	}
	return (int)got;
}

static void
test_writes(void)
{
	static const char ins[] = "\0\0\0\0DKIM-Signature\0v=1; a=rsa-sha256";
	static unsigned char big[70000];
	struct sockio_stats st0, st1;
	struct iovec iov[2];
	unsigned char h1[5], h2[5], got[200000], want[200];
	int	c, s, i, n, r, good = 1;

	c = pair(&s);
	sockio_stats(&st0);
	packet(iov, h1, 'i', ins, sizeof(ins));
	is_int((int)writev(s, iov, 2), (int)(5 + sizeof(ins)),
	    "a header insertion: writev() reports it written");
	is_int(arrived(c, got, sizeof(got), 100), 0,
	    "... but it is kept back");
	packet(iov, h2, 'c', NULL, 0);
	is_int((int)writev(s, iov, 1), 5, "then the reply (continue)");
	memcpy(want, h1, 5);
	memcpy(want + 5, ins, sizeof(ins));
	memcpy(want + 5 + sizeof(ins), h2, 5);
	n = arrived(c, got, sizeof(got), 1000);
	ok(n == (int)(10 + sizeof(ins)) && memcmp(got, want, (size_t)n) == 0,
	    "both arrive, in order, byte for byte");
	sockio_stats(&st1);
	is_int((int)(st1.sends - st0.sends), 1, "... in one sendmsg(2)");
	is_int((int)(st1.held - st0.held), 1, "... one packet was kept");

	/* more changes than SIO_HOLD keeps: earlier ones go out first */
	memset(big, 'x', sizeof(big));
	for (i = 0; i < 3; i++) {
		packet(iov, h1, 'm', (const char *)big, 30000);
		if (writev(s, iov, 2) != 30005)
			good = 0;
	}
	ok(good, "three 30 KB header changes written");
	r = arrived(c, got, sizeof(got), 300);
	is_int(r, 90015, "... all three went out when the third would "
	    "pass 64 KB kept");
	ok(got[4] == 'm' && got[30009] == 'm' && got[60014] == 'm',
	    "... whole and in order");
	packet(iov, h2, 'a', NULL, 0);
	(void)writev(s, iov, 1);
	r = arrived(c, got, sizeof(got), 1000);
	ok(r == 5 && got[4] == 'a', "then the final reply alone");

	/* a packet that is not a header change, e.g. progress, goes at once */
	packet(iov, h1, 'p', NULL, 0);
	(void)writev(s, iov, 1);
	is_int(arrived(c, got, sizeof(got), 1000), 5,
	    "a progress packet is sent at once");

	/* held bytes are dropped with the descriptor */
	packet(iov, h1, 'h', ins, sizeof(ins));
	(void)writev(s, iov, 2);
	close(s);
	is_int(arrived(c, got, sizeof(got), 300), 0,
	    "a change still kept at close is not sent (the session failed)");
	close(c);
}

static int admits, releases, sheds, refuse_next;

/* g_admit, g_release, g_shed - a gate that counts */
static int
g_admit(int fd, void *arg)
{
	(void)fd;
	(void)arg;
	admits++;
	return refuse_next ? -1 : 7;
}

static void
g_release(int ticket, void *arg)
{
	(void)arg;
	releases += ticket == 7;
}

static void
g_shed(int shed, void *arg)
{
	(void)arg;
	sheds += shed;
}

/* dial - a client connection; the accept() is the caller's */
static int
dial(void)
{
	struct sockaddr_un sun;
	int	c;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((c = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(c, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		close(c);
		return -1;
	}
	return c;
}

/* eof_soon - the peer of c closed it within ms */
static int
eof_soon(int c, int ms)
{
	struct pollfd p = {c, POLLIN, 0};
	char	b;

	return syscall_poll_wait(&p, ms) && recv(c, &b, 1, MSG_DONTWAIT) <= 0;
}

/* test_gate - a refused connection is closed before anyone sees it; an
 * admitted one gives its ticket back once, at close */
static void
test_gate(void)
{
	struct sockio_gate g = {g_admit, g_release, g_shed, NULL};
	int	c, srv;

	sockio_gate(lfd, &g);
	refuse_next = 1;
	c = dial();
	srv = accept(lfd, NULL, NULL);
	ok(srv < 0 && errno == ECONNABORTED && admits == 1,
	    "gate: a refused connection makes accept() fail with ECONNABORTED");
	ok(c >= 0 && eof_soon(c, 2000), "gate: the refused peer sees its "
	    "connection closed at once");
	close(c);
	refuse_next = 0;
	c = pair(&srv);
	ok(srv >= 0 && releases == 0, "gate: an admitted connection is served");
	close(srv);
	close(srv);		/* a second close of the number: no release */
	is_int(releases, 1, "gate: its ticket comes back once, at close");
	close(c);
}

/* test_timeout - a connection silent past the time-out reads as ended */
static void
test_timeout(void)
{
	struct timespec t0, t1;
	struct pollfd p;
	char	b[8];
	int	c, srv, r;
	long	ms;

	sockio_set_timeout(1);
	c = pair(&srv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	p.fd = srv;
	p.events = POLLIN;
	r = poll(&p, 1, 5000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(r == 1 && (p.revents & POLLIN) && ms >= 900 && ms < 3000,
	    "time-out: poll() reports a silent connection after 1 s, not 5");
	printf("# after %ld ms\n", ms);
	ok(read(srv, b, sizeof(b)) == 0, "time-out: read() then finds the end");
	close(srv);
	close(c);
	sockio_set_timeout(600);
}

/* test_many_vectors - a packet written in more vectors than the stack
 * copy holds still goes out after the header changes kept before it */
static void
test_many_vectors(void)
{
	static const char ins[] = "\0\0\0\0X-A\0b";
	struct iovec iov[2], v[24];
	unsigned char h1[5], h2[5], got[256], want[256];
	char	body[23];
	int	c, s, i, n;

	c = pair(&s);
	packet(iov, h1, 'i', ins, sizeof(ins));
	(void)writev(s, iov, 2);
	packet(v, h2, 'b', NULL, sizeof(body));
	for (i = 0; i < 23; i++) {
		body[i] = (char)('a' + i);
		v[i + 1].iov_base = &body[i];
		v[i + 1].iov_len = 1;
	}
	is_int((int)writev(s, v, 24), 5 + 23, "a packet in 24 vectors after "
	    "a header change kept: writev() writes it whole");
	memcpy(want, h1, 5);
	memcpy(want + 5, ins, sizeof(ins));
	memcpy(want + 5 + sizeof(ins), h2, 5);
	memcpy(want + 10 + sizeof(ins), body, 23);
	n = arrived(c, got, sizeof(got), 1000);
	ok(n == (int)(33 + sizeof(ins)) && memcmp(got, want, (size_t)n) == 0,
	    "... after the change kept before it, not ahead of it");
	close(c);
	close(s);
}

/* write_fails_after - ms until a write to a peer that reads nothing
 * fails with ETIMEDOUT, under a time-out of secs; -1 when it did not */
static long
write_fails_after(int secs)
{
	static char big[1 << 22];
	struct timespec t0, t1;
	struct iovec iov[2];
	unsigned char h[5];
	ssize_t	r;
	int	c, s, e;

	sockio_set_timeout(secs);
	c = pair(&s);
	packet(iov, h, 'b', big, sizeof(big) - 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = writev(s, iov, 2);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(s);
	close(c);
	sockio_set_timeout(600);
	if (r != -1 || e != ETIMEDOUT)
		return -1;
	return (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
}

/* test_write_timeout - a write waits for the MTA as long as the
 * time-out given (MilterTimeout, also given to smfi_settimeout), not a
 * fixed one */
static void
test_write_timeout(void)
{
	long	one = write_fails_after(1), two = write_fails_after(2);

	printf("# a stuck write failed after %ld ms (1 s) and %ld ms (2 s)\n",
	    one, two);
	ok(one >= 900 && one < 1900, "write time-out 1 s: a write to an MTA "
	    "that reads nothing fails with ETIMEDOUT after 1 s");
	ok(two >= 1900 && two < 4000, "write time-out 2 s: after 2 s");
}

/* test_high_fd - a connection on the highest descriptor the limit
 * allows (past the 4096 and 65536 of fixed tables) is buffered too */
static void
test_high_fd(void)
{
	struct rlimit rl;
	struct sockio_stats st0, st1;
	unsigned char got[8];
	int	c, s, fd, top, nul, one = 0;
	socklen_t len = sizeof(one);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < 4200) {
		printf("# RLIMIT_NOFILE below 4200: no descriptor past 4096\n");
		return;
	}
	top = rl.rlim_cur > 70000 ? 70000 : (int)rl.rlim_cur - 8;
	nul = open("/dev/null", O_RDONLY);
	for (fd = 3; fd < top; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			(void)dup2(nul, fd);
	c = pair(&s);
	printf("# accepted on descriptor %d\n", s);
	sockio_stats(&st0);
	(void)full(c, (const unsigned char *)"abcdef", 6);
	ok(s >= top && read(s, got, 2) == 2 && read(s, got + 2, 4) == 4 &&
	    memcmp(got, "abcdef", 6) == 0, "a connection on a descriptor "
	    "past 4096 and its table: reads in order");
	sockio_stats(&st1);
	is_int((int)(st1.reads - st0.reads), SOCKIO_FAST ? 1 : 2, "... "
	    "counted, so it has its entry (and QUICKACK on TCP)");
	ok(getsockopt(s, SOL_SOCKET, SO_TYPE, &one, &len) == 0,
	    "... the descriptor is the connection");
	close(c);
	close(s);
	for (fd = 3; fd < top; fd++)
		if (fd != lfd && fd != nul && fcntl(fd, F_GETFD) >= 0)
			(void)(close)(fd);
	(void)(close)(nul);
}

/* test_emfile - out of descriptors, the waiting connection is taken
 * with the spare and closed: no spin on EMFILE */
static void
test_emfile(void)
{
	struct rlimit old, low;
	int	c, srv, fds[64], n = 0, i, full_up;

	sockio_reserve();
	getrlimit(RLIMIT_NOFILE, &old);
	low = old;
	low.rlim_cur = 48;
	c = -1;
	if (setrlimit(RLIMIT_NOFILE, &low) < 0) {
		ok(0, "EMFILE: a lower descriptor limit");
		return;
	}
	while (n < 64 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
		n++;
	full_up = errno == EMFILE;
	close(fds[--n]);		/* one for the client */
	c = dial();
	srv = accept(lfd, NULL, NULL);
	ok(full_up && c >= 0 && srv < 0 && errno == ECONNABORTED && sheds == 1,
	    "EMFILE: accept() sheds the waiting connection with the spare");
	ok(c >= 0 && eof_soon(c, 2000), "EMFILE: the shed peer sees its "
	    "connection closed");
	for (i = 0; i < n; i++)
		close(fds[i]);
	close(c);
	setrlimit(RLIMIT_NOFILE, &old);
	c = pair(&srv);
	ok(c >= 0 && srv >= 0, "EMFILE: with descriptors again, connections "
	    "are served");
	close(srv);
	close(c);
}

/* test_plain - the fallback reads nothing ahead and holds nothing back */
static void
test_plain(void)
{
	static const char ins[] = "\0\0\0\0X-A\0b";
	struct sockio_stats st0, st1;
	struct iovec iov[2];
	struct pollfd pf;
	unsigned char h[5], got[64];
	int	c, s;

	c = pair(&s);
	sockio_stats(&st0);
	(void)full(c, (const unsigned char *)"0123456789", 10);
	ok(read(s, got, 2) == 2 && read(s, got + 2, 8) == 8 &&
	    memcmp(got, "0123456789", 10) == 0, "plain: reads in order");
	sockio_stats(&st1);
	ok(st1.reads - st0.reads == 2 && st1.served == st0.served,
	    "plain: each read() is one read(2), nothing read ahead");
	pf.fd = s;
	pf.events = POLLIN;
	is_int(poll(&pf, 1, 50), 0, "plain: poll() waits in poll(2)");
	packet(iov, h, 'i', ins, sizeof(ins));
	(void)writev(s, iov, 2);
	is_int(arrived(c, got, sizeof(got), 1000), (int)(5 + sizeof(ins)),
	    "plain: a header change is sent at once");
	sockio_stats(&st1);
	ok(st1.held == st0.held, "... not held");
	close(c);
	close(s);
}

struct late {
	int	fd;
	int	ms;
	struct timespec t0;	/* when poll() began */
	long	sent_ms;	/* when the byte went, after t0 */
};

/* late_byte - a thread that sends one byte after a pause */
static void *
late_byte(void *arg)
{
	struct late *l = arg;
	struct timespec ts = { 0, 0 };

	ts.tv_nsec = (long)l->ms * 1000000;
	nanosleep(&ts, NULL);
	l->sent_ms = ms_since(&l->t0);
	(void)full(l->fd, (const unsigned char *)"x", 1);
	return NULL;
}

/*
 * test_linger - a worker's 1 ms wait for the next command (libmilter's
 * pool) lasts SIO_LINGER, so a command sent a little later is taken by
 * the same worker instead of going through the pool's controller; a
 * zero time-out is not stretched. Bounds that a loaded machine could
 * break are lower bounds, or asked only when the sender kept its time.
 */
static void
test_linger(void)
{
	struct timespec t0;
	struct pollfd pf;
	struct late l;
	pthread_t th;
	unsigned char b;
	long	ms;
	int	c, s, r;

	c = pair(&s);
	pf.fd = s;
	pf.events = POLLIN;
	pf.revents = 0;
	l.fd = c;
	l.ms = 10;
	l.sent_ms = -1;
	clock_gettime(CLOCK_MONOTONIC, &l.t0);
	ok(pthread_create(&th, NULL, late_byte, &l) == 0, "linger: a thread "
	    "sends a byte after 10 ms");
	r = poll(&pf, 1, 1);
	ms = ms_since(&l.t0);
	pthread_join(th, NULL);
	if (l.sent_ms >= 0 && l.sent_ms < 35)
		is_int(r, 1, "linger: poll(fd, POLLIN, 1 ms) sees the byte "
		    "sent after 10 ms");
	else
		printf("ok %d - linger: poll(fd, POLLIN, 1 ms) sees the byte "
		    "# SKIP the sender was late (%ld ms): machine loaded\n",
		    ++tap_n, l.sent_ms);
	if (r == 1 && ms + 1 < l.sent_ms)
		printf("# linger: returned at %ld ms, byte sent at %ld ms\n",
		    ms, l.sent_ms);
	ok(r != 1 || ms + 1 >= l.sent_ms, "... and not before the byte came");
	(void)read(s, &b, 1);	/* sent by now (joined), late or not */
	pf.revents = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(&pf, 1, 1);
	ms = ms_since(&t0);
	is_int(r, 0, "linger: nothing sent, the 1 ms poll times out");
	if (ms < 45 || ms >= 5000)
		printf("# linger: timed out after %ld ms\n", ms);
	ok(ms >= 45 && ms < 5000, "... after the linger, not before, not "
	    "for good");
	pf.revents = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = poll(&pf, 1, 0);
	ms = ms_since(&t0);
	ok(r == 0 && ms < 40, "linger: a zero time-out stays zero");
	close(c);
	close(s);
}

int
main(void)
{
	plan_lazy();
	if ((lfd = listen_unix()) < 0) {
		printf("Bail out! no unix socket in /tmp: %s\n",
		    strerror(errno));
		return 1;
	}
	if (SOCKIO_FAST) {
		test_small_reads();
		test_poll_reads();
		test_many_fds();
		test_writes();
	} else
		test_plain();
	test_linger();
	test_stale_after_close();
	test_large();
	test_many_vectors();
	test_write_timeout();
	test_high_fd();
	test_gate();
	test_timeout();
	test_emfile();
	close(lfd);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
