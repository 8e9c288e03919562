/*
 * peer.h - who is at the other end of an accepted milter connection
 *
 * SYNOPSIS
 *	peer_identify(fd, peer, why, whylen)
 *	peer_selftest(why, whylen)
 *	peer_is_loopback(sa)
 *
 * CONTRACT
 *	peer_identify() fills *peer for the connected socket fd:
 *	its address (AF_UNIX, AF_INET or AF_INET6, as getpeername()
 *	says) and, when the kernel knows it, the user id that owns the
 *	other end (has_uid set):
 *	  - unix socket: SO_PEERCRED, the credentials at connect();
 *	  - TCP: the socket with the mirror 4-tuple, found through
 *	    NETLINK_SOCK_DIAG (inet_diag) when it lives on this host and
 *	    is ESTABLISHED; its owner is the user that created it.
 *	A TCP peer that is not on this host has no uid. Returns 0, or -1
 *	with a reason (getpeername failed, the netlink exchange failed,
 *	a loopback peer that the kernel does not know).
 *	Thread-safe; one netlink socket is kept open and shared under a
 *	lock, so the lookup still works after dkimd drops root.
 *	peer_selftest() identifies a loopback connection of its own: 0
 *	when the kernel can name TCP peers at all (a kernel without
 *	inet_diag answers every look-up "no such socket").
 */
#ifndef PEER_H
#define PEER_H

#include <sys/socket.h>
#include <sys/types.h>
#include <stddef.h>

struct peer {
	struct sockaddr_storage addr;	/* getpeername(); AF_UNIX for unix */
	int	has_uid;		/* uid is known */
	uid_t	uid;			/* owner of the peer socket */
	pid_t	pid;			/* unix socket only, else 0 */
};

int	peer_identify(int fd, struct peer *, char *why, size_t whylen);
int	peer_selftest(char *why, size_t whylen);
int	peer_is_loopback(const struct sockaddr *sa);
void	peer_addr_text(const struct sockaddr *sa, char *out, size_t outlen);

#endif /* PEER_H */
