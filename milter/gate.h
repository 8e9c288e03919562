/*
 * gate.h - who may talk to the milter socket, and how many at once
 *
 * SYNOPSIS
 *	gate_install(lfd)	gate the connections of listener lfd
 *	gate_admit(fd, conf)	the decision on one connection (for tests)
 *	gate_release(ticket)
 *
 * CONTRACT
 *	A connection is served when its peer may ask for signatures and
 *	the caps leave room:
 *	  - a local peer (unix socket, or TCP whose other end the kernel
 *	    knows, see peer.h) must run as a user of SocketUsers;
 *	  - a remote peer's address must be in SocketPeers;
 *	  - at most MaxConnections at once, and MaxConnectionsPerPeer per
 *	    peer user (local) or per address (remote): the MTA's own user
 *	    is counted apart from an attacker on the same address.
 *	gate_admit() returns a ticket >= 0 that gate_release() gives
 *	back when the connection closes, or -1 (logged: a refused user
 *	once, caps and failures at most once per GATE_LOG_SECS with the
 *	number since). The configuration in force is read per connection,
 *	so a reload applies to the next one. Thread-safe.
 */
#ifndef GATE_H
#define GATE_H

#include "conf.h"

#define GATE_LOG_SECS	10

void	gate_install(int lfd);
int	gate_admit(int fd, const struct conf *);
void	gate_release(int ticket);

#endif /* GATE_H */
