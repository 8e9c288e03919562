/*
 * sockio.c - fewer system calls on the MTA's connections
 *
 * SYNOPSIS
 *	sio_accept(), sio_close(), sio_read(),	libmilter's calls come here
 *	sio_poll(), sio_writev()
 *	sockio_stats(&reads, &served)		counters, for tests
 *	sockio_gate(lfd, gate)			who is served (sockio.h)
 *	sockio_reserve(), sockio_set_timeout()
 *	sockio_tick(lfd, tick)			the listener's periodic work
 *
 * libmilter reads each milter command with four system calls: poll(),
 * read() of the 5-byte length and command, poll(), read() of the rest;
 * and with its pool of workers, one more poll() before each command.
 * A message of 11 header fields is about 17 commands, so about 85
 * system calls, while the MTA sent all of them before it waited for a
 * reply (SMFIP_NR_HDR, NR_MAIL, NR_EOH) and one read() could take them
 * all. On a 2 KB signed message those calls cost as much as a third of
 * the RSA signature.
 *
 * libmilter gives no handle on its connections. dkimd links a copy of
 * libmilter.a whose references to accept, close, read, poll and writev
 * were renamed sio_accept ... sio_writev (objcopy --redefine-sym, see
 * Makefile.am): libmilter's calls, and only those, land here. The C
 * library, OpenSSL, the database clients and dkimd's own code keep the
 * system's functions, so a descriptor another path closes or reuses
 * never meets a buffer here, and sanitizers still see every read().
 *
 *	accept()	a connection from the listener gets a read buffer
 *	read()		on such a connection, served from the buffer; an
 *			empty buffer is refilled with one read(2) of up to
 *			SIO_BUF bytes (a request that large reads straight
 *			into the caller's memory)
 *	poll()		a connection with buffered bytes, or that poll(2)
 *			found readable and nothing has read since, is
 *			readable at once, and one is always writable (see
 *			writev()), without a system call
 *	writev()	header changes (SMFIR_INSHEADER, CHGHEADER,
 *			ADDHEADER) are kept and go out with the reply that
 *			follows them, in one sendmsg(2)
 *	close()		the buffers go with the descriptor
 *
 * Writes do not block: when the MTA has not read what we sent and the
 * socket is full, writev() waits in poll(2) for up to the time-out
 * (MilterTimeout, see sockio_set_timeout), then fails the session as
 * libmilter would.
 *
 * Who is served: the listener's connections go through the gate's
 * admit() (gate.c: the peer's user, the caps on connections) before
 * libmilter sees them; a refused one is closed at once and accept()
 * fails with ECONNABORTED, on which libmilter's listener quietly polls
 * again. A connection takes no thread and no buffer until admitted.
 *
 * Out of descriptors: libmilter's listener answers EMFILE and ENFILE
 * from accept() by polling again, and the listening socket is still
 * readable, so it would spin at 100% CPU while the MTA's connections
 * wait in the backlog. accept() here keeps one spare descriptor (on
 * /dev/null): at EMFILE it closes the spare, accepts the oldest waiting
 * connection and closes it (the MTA sees the milter unavailable and
 * applies milter_default_action), then takes the spare again. When
 * even that fails, accept() sleeps SHED_PAUSE ms before it returns, so
 * the listener loops at most a few times a second.
 *
 * Time-out: libmilter's worker pool did not close a connection that
 * never sent a byte, smfi_settimeout(2) notwithstanding, in 45 s
 * (Debian's libmilter 8.17): a silent peer would keep its descriptor
 * for good. So poll() enforces the time-out itself: a
 * connection polled for input longer than the time-out after the MTA's
 * last bytes, or our last reply, is reported readable and read() finds
 * its end; libmilter then closes the session as if the MTA had.
 *
 * Descriptors that no accept() here returned (files, DNS, databases)
 * pass straight to the system call. Reading ahead is safe because
 * everything libmilter reads from a connection comes through read():
 * the buffer holds only bytes the MTA already sent, in order.
 *
 * SIO_BUF is small (4 KB: a small message's commands in one read):
 * bodies of 64 KB chunks mostly bypass it, and with SMFIP_NR_BODY all
 * 16 of 16 busy connections can hold a buffer at once.
 *
 * Linger: after each command a worker of libmilter's pool polls its
 * connection for 1 ms (poll(fd, POLLIN, 1)); when the MTA has not sent the next command by
 * then, the worker hands the session back to the pool's controller
 * (a pipe write, the controller's poll set rebuilt, a condition signal
 * to wake a worker again, and a new thread when none is idle). Postfix
 * pauses longer than that between a message's commands (smtpd gives
 * the session to cleanup after DATA, and waits on its SMTP client), so
 * each message went through the controller several times. A poll() of
 * one connection for input with a time-out shorter than SIO_LINGER
 * (but not zero) waits
 * SIO_LINGER instead: the worker keeps the session across the MTA's
 * pauses, as libmilter's one-thread-per-session build does. Through a
 * real Postfix this took dkimd's CPU per signed message from ~0.9 to
 * ~0.55 ms (bench/bench-postfix.sh); an idle session still goes back
 * to the controller after SIO_LINGER, and the connection caps bound
 * how many workers can wait at once.
 *
 * A session runs on one libmilter worker at a time, and the pool's
 * controller polls it only between workers, after a mutex hand-over,
 * so a buffer is never touched by two threads at once.
 *
 * Over TCP, TCP_QUICKACK is set after each read(2): the MTA's commands
 * that get no reply would otherwise make its next small write wait,
 * under Nagle's algorithm, for our delayed ACK (up to 40 ms). It is not
 * sticky, so it is set every time.
 *
 * The table of connections grows by chunks of SIO_CHUNK descriptors,
 * allocated at the first accept() in their range and kept: any
 * descriptor the process may hold (RLIMIT_NOFILE up to the kernel's
 * nr_open ceiling, 2^30) gets its buffer and its QUICKACK.
 *
 * Plain mode (SOCKIO_FAST 0: configure found libmilter waiting or
 * reading otherwise than this file assumes, or --disable-sockio):
 * read() and writev() go straight to the system, poll() only adds the
 * time-out; the gate, the spare descriptor and QUICKACK stay.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockio.h"

#ifndef SOCKIO_FAST
#define SOCKIO_FAST	1	/* buffered reads, held header changes */
#endif

#define SIO_BUF		4096	/* a small message whole, at once */
#define SIO_CHUNK	4096	/* descriptors per chunk of the table */
#define SIO_MAXFD	(1 << 30)	/* the kernel's nr_open ceiling */
#define SIO_IOV		1024	/* vectors a writev() may pass (IOV_MAX) */
#define SIO_HOLD	65536	/* header changes kept at most, in bytes */
#define WRITE_WAIT	600000	/* ms a write waits, until set */
#define SHED_PAUSE	100	/* ms: out of descriptors and no spare */
#define SIO_LINGER	50	/* ms a worker waits for the next command */

struct sio {
	size_t	off, len;		/* unread bytes: data[off, len) */
	int	ready;			/* poll(2) said readable since the
					   last read(2) */
	int	tcp;			/* set TCP_QUICKACK after reads */
	int	ticket;			/* the gate's, or -1 */
	int	expired;		/* silent past the time-out: reads
					   see the end of the stream */
	long long deadline;		/* ms (CLOCK_MONOTONIC) */
	unsigned char *held;		/* header changes not yet sent, */
	size_t	nheld, cap;		/* in a buffer kept for the next */
	unsigned char data[SIO_BUF];
};

/* the connections: sios[fd / SIO_CHUNK][fd % SIO_CHUNK]; a chunk, once
 * published, stays until exit */
static struct sio **sios[SIO_MAXFD / SIO_CHUNK];
static pthread_mutex_t grow_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long n_reads, n_served;	/* read(2) calls, buffered reads */
static unsigned long n_sends, n_held;	/* sendmsg(2) calls, kept packets */
static int write_wait = WRITE_WAIT;	/* ms */
static int gate_lfd = -1;		/* the listener that is gated */
static int tick_lfd = -1;		/* the listener that ticks */
static int (*tick_fn)(void);
static struct sockio_gate gate;
static int spare = -1;			/* the spare descriptor */

/* slot - where fd's buffer is kept; with grow, its chunk is made when
 * missing; NULL when fd is out of range or memory is short */
static struct sio **
slot(int fd, int grow)
{
	struct sio **c;

	if (fd < 0 || fd >= SIO_MAXFD)
		return NULL;
	c = __atomic_load_n(&sios[fd / SIO_CHUNK], __ATOMIC_ACQUIRE);
	if (c == NULL && grow) {
		pthread_mutex_lock(&grow_lock);
		if ((c = sios[fd / SIO_CHUNK]) == NULL &&
		    (c = calloc(SIO_CHUNK, sizeof(*c))) != NULL)
			__atomic_store_n(&sios[fd / SIO_CHUNK], c,
			    __ATOMIC_RELEASE);
		pthread_mutex_unlock(&grow_lock);
	}
	return c == NULL ? NULL : &c[fd % SIO_CHUNK];
}

/* sio_of - fd's buffer, or NULL for a descriptor not from accept() */
static struct sio *
sio_of(int fd)
{
	struct sio **p = slot(fd, 0);

	return p == NULL ? NULL : __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* now_ms - CLOCK_MONOTONIC in ms */
static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* sio_free - a connection's buffers; its gate ticket is released */
static void
sio_free(struct sio *s)
{
	if (s == NULL)
		return;
	if (s->ticket >= 0 && gate.release != NULL)
		gate.release(s->ticket, gate.arg);
	free(s->held);
	free(s);
}

/* sys_read - read(2), counted on accepted connections, which stay
 * for another time-out; then the ACK at once on TCP */
static ssize_t
sys_read(int fd, void *buf, size_t n, struct sio *s)
{
	ssize_t r = (ssize_t)syscall(SYS_read, fd, buf, n);
	int	saved, one = 1;

	if (s != NULL)
		__atomic_add_fetch(&n_reads, 1, __ATOMIC_RELAXED);
	if (r > 0 && s != NULL)
		s->deadline = now_ms() + write_wait;
	if (r > 0 && s != NULL && s->tcp) {
		saved = errno;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
		errno = saved;
	}
	return r;
}

/* refuse - close the new connection nfd; accept() fails as aborted */
static int
refuse(int nfd)
{
	(void)syscall(SYS_close, nfd);
	errno = ECONNABORTED;
	return -1;
}

/* shed - out of descriptors: take the oldest connection waiting on lfd
 * with the spare descriptor and close it, or pause */
static int
shed(int lfd)
{
	struct timespec ts = {0, SHED_PAUSE * 1000000L};
	int	nfd = -1;

	if (spare >= 0) {
		(void)syscall(SYS_close, spare);
		if ((nfd = (int)syscall(SYS_accept4, lfd, NULL, NULL, 0)) >= 0)
			(void)syscall(SYS_close, nfd);
	}
	spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (gate.shed != NULL)
		gate.shed(nfd >= 0, gate.arg);
	if (nfd < 0)
		nanosleep(&ts, NULL);
	errno = ECONNABORTED;
	return -1;
}

/* sio_accept - accept(2); the connection gets a read buffer, and the
 * gated listener's must pass the gate first */
int
sio_accept(int fd, struct sockaddr *sa, socklen_t *salen)
{
	int	nfd = (int)syscall(SYS_accept4, fd, sa, salen, 0);
	int	gated = fd == gate_lfd && gate.admit != NULL;
	struct sio *s, **p;
	int	dom = 0, saved;
	socklen_t len = sizeof(dom);

	if (nfd < 0 && gated && (errno == EMFILE || errno == ENFILE))
		return shed(fd);
	if (nfd < 0)
		return nfd;
	saved = errno;
	if ((p = slot(nfd, 1)) == NULL ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		if (gated)
			return refuse(nfd);	/* it could not be counted */
		errno = saved;
		return nfd;
	}
	if ((s->ticket = gated ? gate.admit(nfd, gate.arg) : -1) < 0 &&
	    gated) {
		free(s);
		return refuse(nfd);
	}
	s->tcp = getsockopt(nfd, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
	    (dom == AF_INET || dom == AF_INET6);
	s->deadline = now_ms() + write_wait;
	/* an entry left means nfd was closed behind our back */
	sio_free(__atomic_exchange_n(p, s, __ATOMIC_ACQ_REL));
	errno = saved;
	return nfd;
}

/* sio_close - close(2), and the descriptor's buffers are freed */
int
sio_close(int fd)
{
	struct sio **p = slot(fd, 0);

	if (p != NULL)
		sio_free(__atomic_exchange_n(p, NULL, __ATOMIC_ACQ_REL));
	return (int)syscall(SYS_close, fd);
}

/* sio_read - from the buffer when it holds bytes, else one read(2) */
ssize_t
sio_read(int fd, void *buf, size_t n)
{
	struct sio *s = sio_of(fd);
	size_t	k;
	ssize_t	r;

	if (s != NULL && s->expired && s->off == s->len)
		return 0;
	if (s == NULL || n == 0 || !SOCKIO_FAST)
		return sys_read(fd, buf, n, s);
	if (s->off == s->len) {
		s->ready = 0;
		if (n >= SIO_BUF)
			return sys_read(fd, buf, n, s);
		if ((r = sys_read(fd, s->data, SIO_BUF, s)) <= 0)
			return r;
		s->off = 0;
		s->len = (size_t)r;
	} else
		__atomic_add_fetch(&n_served, 1, __ATOMIC_RELAXED);
	k = s->len - s->off < n ? s->len - s->off : n;
	memcpy(buf, s->data + s->off, k);
	s->off += k;
	return (ssize_t)k;
}

/* sys_poll - poll(2) */
static int
sys_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct timespec ts;

	ts.tv_sec = timeout / 1000;
	ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
	return (int)syscall(SYS_ppoll, fds, nfds, timeout < 0 ? NULL : &ts,
	    NULL, (size_t)8);
}

/* ready_now - the events of p that a buffer answers without a system
 * call: readable with bytes buffered, writable always */
static short
ready_now(const struct pollfd *p)
{
	struct sio *s = sio_of(p->fd);

	if (s == NULL)
		return 0;
	if ((p->events & POLLIN) && s->expired)
		return POLLIN;
	if (!SOCKIO_FAST)
		return 0;
	if ((p->events & POLLIN) && (s->off < s->len || s->ready))
		return POLLIN;
	if (p->events == POLLOUT)
		return POLLOUT;
	return 0;
}

/* expire - mark the connections among fds that waited for input past
 * their deadline; the timeout for poll(2), shortened to the next one */
static int
expire(struct pollfd *fds, nfds_t nfds, int timeout)
{
	long long now = now_ms(), left;
	struct sio *s;
	nfds_t	i;

	for (i = 0; i < nfds; i++) {
		if (!(fds[i].events & POLLIN) ||
		    (s = sio_of(fds[i].fd)) == NULL || s->expired)
			continue;
		if ((left = s->deadline - now) <= 0)
			s->expired = 1;
		else if (timeout < 0 || left < timeout)
			timeout = (int)left;
	}
	return timeout;
}

/* answered - how many of fds a buffer (or a time-out) answers now; with
 * fill, their revents are set */
static int
answered(struct pollfd *fds, nfds_t nfds, int fill)
{
	nfds_t	i;
	int	ready = 0;

	for (i = 0; i < nfds; i++)
		if (ready_now(&fds[i]))
			ready++;
	for (i = 0; fill && ready > 0 && i < nfds; i++)
		fds[i].revents = ready_now(&fds[i]);
	return ready;
}

/* sio_poll - at once where a buffer answers, else poll(2); a connection
 * silent past the time-out is readable, and reads find its end */
int
sio_poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
	struct sio *s;
	nfds_t	i;
	int	ready;

	if (tick_fn != NULL && nfds == 1 && fds[0].fd == tick_lfd &&
	    (ready = tick_fn()) >= 0 && (timeout < 0 || ready < timeout))
		timeout = ready;	/* libmilter polls again at once */
	if (nfds == 1 && timeout > 0 && timeout < SIO_LINGER &&
	    fds[0].events == POLLIN && sio_of(fds[0].fd) != NULL)
		timeout = SIO_LINGER;	/* a worker's wait for the next command */
	timeout = expire(fds, nfds, timeout);
	if ((ready = answered(fds, nfds, 1)) > 0)
		return ready;
	if ((ready = sys_poll(fds, nfds, timeout)) < 0)
		return ready;
	if (ready == 0) {
		(void)expire(fds, nfds, -1);
		return answered(fds, nfds, 1);
	}
	/* a connection stays readable until read() reads it: libmilter's
	 * second poll before its read() is answered here */
	for (i = 0; i < nfds; i++)
		if ((fds[i].revents & POLLIN) &&
		    (s = sio_of(fds[i].fd)) != NULL)
			s->ready = 1;
	return ready;
}

/* send_all - all of iov[0..n) with sendmsg(2), waiting in poll(2) for
 * room up to write_wait ms; the bytes sent, or -1 */
static ssize_t
send_all(int fd, struct iovec *iov, int n)
{
	struct msghdr mh;
	struct pollfd pf;
	ssize_t	r, total = 0;

	while (n > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		__atomic_add_fetch(&n_sends, 1, __ATOMIC_RELAXED);
		r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pf.fd = fd;
			pf.events = POLLOUT;
			if ((r = sys_poll(&pf, 1, write_wait)) == 0)
				errno = ETIMEDOUT;
			if (r <= 0 && errno != EINTR)
				return -1;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		total += r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return total;
}

/* is_change - iov is one whole milter packet that changes a header */
static int
is_change(const struct iovec *iov, int n, size_t total)
{
	const unsigned char *h = iov[0].iov_base;
	unsigned long len;

	if (n < 1 || iov[0].iov_len != 5)
		return 0;
	len = (unsigned long)h[0] << 24 | (unsigned long)h[1] << 16 |
	    (unsigned long)h[2] << 8 | h[3];
	return len + 4 == total &&
	    (h[4] == 'i' || h[4] == 'm' || h[4] == 'h');
}

/* hold - keep packet iov[0..n) of total bytes for the next send; 0, or
 * -1 when it is not a header change or does not fit */
static int
hold(struct sio *s, const struct iovec *iov, int n, size_t total)
{
	size_t	cap = s->cap ? s->cap : 1024;
	unsigned char *p;
	int	i;

	if (!is_change(iov, n, total) || s->nheld + total > SIO_HOLD)
		return -1;
	while (cap < s->nheld + total)
		cap *= 2;
	if (cap != s->cap) {
		if ((p = realloc(s->held, cap)) == NULL)
			return -1;
		s->held = p;
		s->cap = cap;
	}
	for (i = 0; i < n; i++) {
		memcpy(s->held + s->nheld, iov[i].iov_base, iov[i].iov_len);
		s->nheld += iov[i].iov_len;
	}
	__atomic_add_fetch(&n_held, 1, __ATOMIC_RELAXED);
	return 0;
}

/* sio_writev - header changes kept, sent with the next packet, before
 * it, however many vectors it has */
ssize_t
sio_writev(int fd, const struct iovec *iov, int n)
{
	struct sio *s = sio_of(fd);
	struct iovec v0[16], *v = v0;
	size_t	total = 0;
	ssize_t	r;
	int	i;

	if (s == NULL || n < 1)
		return (ssize_t)syscall(SYS_writev, fd, iov, n);
	if (n > SIO_IOV) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (SOCKIO_FAST && hold(s, iov, n, total) == 0)
		return (ssize_t)total;
	if (n + 1 > (int)(sizeof(v0) / sizeof(v0[0])) &&
	    (v = malloc((size_t)(n + 1) * sizeof(*v))) == NULL)
		return -1;
	v[0].iov_base = s->held;
	v[0].iov_len = s->nheld;
	memcpy(v + 1, iov, (size_t)n * sizeof(*iov));
	r = send_all(fd, v, n + 1);
	if (v != v0)
		free(v);
	s->nheld = 0;			/* the buffer stays for the next */
	s->deadline = now_ms() + write_wait;	/* the MTA's turn again */
	return r < 0 ? -1 : (ssize_t)total;
}

/* sockio_stats - system calls made and saved */
void
sockio_stats(struct sockio_stats *st)
{
	st->reads = __atomic_load_n(&n_reads, __ATOMIC_RELAXED);
	st->served = __atomic_load_n(&n_served, __ATOMIC_RELAXED);
	st->sends = __atomic_load_n(&n_sends, __ATOMIC_RELAXED);
	st->held = __atomic_load_n(&n_held, __ATOMIC_RELAXED);
}

/* sockio_gate - connections accepted on lfd go through g first */
void
sockio_gate(int lfd, const struct sockio_gate *g)
{
	gate = *g;
	gate_lfd = lfd;
}

/* sockio_tick - listener lfd's poll() calls tick first (sockio.h) */
void
sockio_tick(int lfd, int (*tick)(void))
{
	tick_fn = tick;
	tick_lfd = lfd;
}

/* sockio_reserve - open the spare descriptor; 0, or -1 */
int
sockio_reserve(void)
{
	if (spare < 0)
		spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return spare < 0 ? -1 : 0;
}

/* sockio_set_timeout - writes wait for the MTA up to secs seconds */
void
sockio_set_timeout(int secs)
{
	write_wait = secs > 0 && secs <= 86400 ? secs * 1000 : WRITE_WAIT;
}
