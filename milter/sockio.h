/*
 * sockio.h - buffered reads on the MTA's connections (sockio.c)
 *
 * sockio.c defines sio_accept(), sio_close(), sio_read(), sio_poll() and
 * sio_writev(), which libmilter's renamed references call (only
 * libmilter's: see Makefile.am, libmilter-sio.a); only descriptors that
 * sio_accept() returned are buffered.
 *
 *	sockio_gate(lfd, gate)		decide on lfd's connections: admit()
 *					returns a ticket >= 0 to serve one
 *					(release(ticket) when it closes) or
 *					-1 to refuse it (closed at once)
 *	sockio_reserve()		open the spare descriptor that lets
 *					accept() shed a connection at EMFILE
 *	sockio_set_timeout(secs)	how long a write waits for the MTA
 *
 * A refused or shed connection makes accept() fail with ECONNABORTED,
 * which libmilter's listener takes as "nothing to serve" and goes back
 * to poll(). The callbacks run on the thread that calls accept() or
 * close(); they must not call either.
 */
#ifndef SOCKIO_H
#define SOCKIO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>

struct sockio_stats {
	unsigned long reads;	/* read(2) calls on accepted connections */
	unsigned long served;	/* reads answered from a buffer */
	unsigned long sends;	/* sendmsg(2) calls */
	unsigned long held;	/* header changes sent with a later packet */
};

struct sockio_gate {
	int	(*admit)(int fd, void *arg);	/* ticket >= 0, or -1 */
	void	(*release)(int ticket, void *arg);
	void	(*shed)(int shed, void *arg);	/* EMFILE/ENFILE: shed is 1
						   when a connection was
						   taken and closed */
	void	*arg;
};

/*
 * sockio_tick - the poll() of listener lfd calls tick() before it waits
 * and waits no longer than the ms tick() returns (-1: no limit); for
 * work that must be done by the thread serving the MTA (the watchdog)
 */
void	sockio_tick(int lfd, int (*tick)(void));

int	sio_accept(int, struct sockaddr *, socklen_t *);
int	sio_close(int);
ssize_t	sio_read(int, void *, size_t);
int	sio_poll(struct pollfd *, nfds_t, int);
ssize_t	sio_writev(int, const struct iovec *, int);

void	sockio_stats(struct sockio_stats *);
void	sockio_gate(int lfd, const struct sockio_gate *);
int	sockio_reserve(void);
void	sockio_set_timeout(int secs);

#endif /* SOCKIO_H */
