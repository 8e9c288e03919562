/*
 * quickack.c - acknowledge the MTA's TCP segments at once
 *
 * SYNOPSIS
 *	quickack_enable()	after the inet listener is open
 *	read()			libmilter's reads come through here
 *
 * Over TCP the milter protocol is a ping-pong of small writes. When the
 * MTA sends a command that gets no reply (a macro packet, a header with
 * SMFIP_NR_HDR) and then another, its second small write waits, under
 * Nagle's algorithm, for the ACK of the first, and Linux delays that
 * ACK by up to 40 ms: three such waits cost a message over 100 ms while
 * the CPU idles. TCP_QUICKACK after each read sends the ACK at once.
 * It is not sticky (the kernel may go back to delayed ACKs), so it is
 * set after every read.
 *
 * libmilter gives no handle on its connections, but it reads through
 * read(3) by way of the dynamic linker, so dkimd defines read() itself:
 * the system call, then the socket option. Reads of files and unix
 * sockets pay nothing when the listener is not inet (the flag is off),
 * and one failed setsockopt() otherwise, at start-up and reload only.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <unistd.h>

#include "quickack.h"

static volatile int quickack_on;

/* quickack_enable - from now on, acknowledge at once after each read */
void
quickack_enable(void)
{
	quickack_on = 1;
}

/* read - read(2), then an immediate ACK when reading from TCP */
ssize_t
read(int fd, void *buf, size_t n)
{
	ssize_t r = (ssize_t)syscall(SYS_read, fd, buf, n);
	int	saved, one = 1;

	if (r > 0 && quickack_on) {
		saved = errno;
		(void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		    sizeof(one));
		errno = saved;
	}
	return r;
}
