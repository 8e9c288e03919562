/*
 * peer.c - the user behind a milter connection: SO_PEERCRED, inet_diag
 *
 * A unix socket tells its peer's credentials itself (SO_PEERCRED). A TCP
 * connection from this host has its other end in the same kernel: the
 * socket whose local address and port are our connection's remote ones,
 * and whose remote ones are our local ones. NETLINK_SOCK_DIAG answers
 * an exact look-up of that 4-tuple (SOCK_DIAG_BY_FAMILY with one
 * struct inet_diag_req_v2, no NLM_F_DUMP) with one struct inet_diag_msg
 * whose idiag_uid is the user that created the socket; ss(8) shows the
 * same as "uid:". The look-up needs no privilege.
 *
 * Only an ESTABLISHED peer counts: a socket its owner has already
 * closed may survive as a time-wait entry, which the kernel reports
 * with uid 0, and nobody may pass for root that way. A peer found in
 * another state is refused, not taken for a remote one: a local user
 * who half-closes (shutdown(SHUT_WR)) before dkimd looks could still
 * read the reply, and would otherwise be judged by its address
 * (SocketPeers) instead of its user.
 *
 * IPv4-mapped IPv6 addresses (a v4 client of an inet6 listener) are
 * looked up as the IPv4 socket they are; an answer about an IPv6
 * socket with mapped addresses (a dual-stack client) matches as well.
 */
#define _GNU_SOURCE	/* struct ucred */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"

#define NL_WAIT_MS	1000	/* the kernel answers at once; a ceiling */

static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;
static int nl_fd = -1;		/* NETLINK_SOCK_DIAG, kept open */
static unsigned nl_seq;

/* nl_open - the shared netlink socket, opened on first use; -1 */
static int
nl_open(void)
{
	struct timeval tv = {NL_WAIT_MS / 1000, (NL_WAIT_MS % 1000) * 1000};

	if (nl_fd >= 0)
		return nl_fd;
	nl_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG);
	if (nl_fd >= 0)
		(void)setsockopt(nl_fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
		    sizeof(tv));
	return nl_fd;
}

/* to16 - an address of a diag id as 16 bytes, IPv4 as IPv4-mapped */
static void
to16(int family, const __be32 a[4], unsigned char out[16])
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a, 4);
	} else
		memcpy(out, a, 16);
}

/* same_id - the answer (of family fam) is about the socket asked for */
static int
same_id(int fam, const struct inet_diag_sockid *a, int qfam,
    const struct inet_diag_sockid *q)
{
	unsigned char as[16], ad[16], qs[16], qd[16];

	to16(fam, a->idiag_src, as);
	to16(fam, a->idiag_dst, ad);
	to16(qfam, q->idiag_src, qs);
	to16(qfam, q->idiag_dst, qd);
	return a->idiag_sport == q->idiag_sport &&
	    a->idiag_dport == q->idiag_dport &&
	    memcmp(as, qs, 16) == 0 && memcmp(ad, qd, 16) == 0;
}

/* nl_answer - read the answer to request seq; 0 with *msg, 1 when the
 * kernel has no such socket, -1 on error */
static int
nl_answer(int fd, unsigned seq, struct inet_diag_msg *msg, char *why,
    size_t whylen)
{
	union {
		struct nlmsghdr h;
		char	b[8192];
	} u;
	struct nlmsghdr *h;
	struct nlmsgerr *e;
	ssize_t	n;
	int	tries, len;

	for (tries = 0; tries < 4; tries++) {
		if ((n = recv(fd, u.b, sizeof(u.b), 0)) < 0) {
			snprintf(why, whylen, "netlink: %s", strerror(errno));
			return -1;
		}
		len = (int)n;
		for (h = &u.h; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != seq)
				continue;	/* a late answer to a late ask */
			if (h->nlmsg_type == NLMSG_ERROR) {
				e = NLMSG_DATA(h);
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
				    e->error == -ENOENT)
					return 1;
				snprintf(why, whylen, "netlink: %s",
				    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) ?
				    strerror(-e->error) : "short error");
				return -1;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*msg))) {
				memcpy(msg, NLMSG_DATA(h), sizeof(*msg));
				return 0;
			}
		}
	}
	snprintf(why, whylen, "netlink: no answer");
	return -1;
}

/* diag_uid - owner of the local TCP socket with id; 0, 1 when there is
 * none on this host, -1 on error or when it is not established */
static int
diag_uid(int family, const struct inet_diag_sockid *id, uid_t *uid,
    char *why, size_t whylen)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req;
	struct sockaddr_nl kern;
	struct inet_diag_msg msg;
	int	fd, r;

	memset(&req, 0, sizeof(req));
	memset(&kern, 0, sizeof(kern));
	kern.nl_family = AF_NETLINK;
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.h.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (unsigned char)family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	req.r.id = *id;
	pthread_mutex_lock(&nl_lock);
	req.h.nlmsg_seq = ++nl_seq;
	if ((fd = nl_open()) < 0) {
		snprintf(why, whylen, "netlink socket: %s", strerror(errno));
		r = -1;
	} else if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kern,
	    sizeof(kern)) < 0) {
		snprintf(why, whylen, "netlink: %s", strerror(errno));
		r = -1;
	} else
		r = nl_answer(fd, req.h.nlmsg_seq, &msg, why, whylen);
	pthread_mutex_unlock(&nl_lock);
	if (r != 0)
		return r;
	if (!same_id(msg.idiag_family, &msg.id, family, id)) {
		snprintf(why, whylen, "netlink: answer about another socket");
		return -1;
	}
	if (msg.idiag_state != TCP_ESTABLISHED) {
		/* a local peer all the same: never taken for a remote one */
		snprintf(why, whylen, "local peer not established (TCP state "
		    "%u)", (unsigned)msg.idiag_state);
		return -1;
	}
	*uid = (uid_t)msg.idiag_uid;
	return 0;
}

/* tcp_owner - the owner of the other end of TCP connection fd, when it
 * is on this host; 0, 1 when it is not, -1 on error */
static int
tcp_owner(int fd, const struct sockaddr_storage *remote, uid_t *uid,
    char *why, size_t whylen)
{
	struct inet_diag_sockid id;
	struct sockaddr_storage local;
	const struct sockaddr_in6 *r6, *l6;
	socklen_t len = sizeof(local);

	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0) {
		snprintf(why, whylen, "getsockname: %s", strerror(errno));
		return -1;
	}
	memset(&id, 0, sizeof(id));
	id.idiag_cookie[0] = id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	/* the peer's socket: its source is our remote end */
	if (remote->ss_family == AF_INET) {
		const struct sockaddr_in *r = (const void *)remote;
		const struct sockaddr_in *l = (const void *)&local;

		id.idiag_sport = r->sin_port;
		id.idiag_dport = l->sin_port;
		memcpy(id.idiag_src, &r->sin_addr, 4);
		memcpy(id.idiag_dst, &l->sin_addr, 4);
		return diag_uid(AF_INET, &id, uid, why, whylen);
	}
	r6 = (const void *)remote;
	l6 = (const void *)&local;
	id.idiag_sport = r6->sin6_port;
	id.idiag_dport = l6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&r6->sin6_addr) &&
	    IN6_IS_ADDR_V4MAPPED(&l6->sin6_addr)) {
		/* a v4 client of an inet6 listener: an IPv4 socket */
		memcpy(id.idiag_src, r6->sin6_addr.s6_addr + 12, 4);
		memcpy(id.idiag_dst, l6->sin6_addr.s6_addr + 12, 4);
		return diag_uid(AF_INET, &id, uid, why, whylen);
	}
	memcpy(id.idiag_src, &r6->sin6_addr, 16);
	memcpy(id.idiag_dst, &l6->sin6_addr, 16);
	return diag_uid(AF_INET6, &id, uid, why, whylen);
}

/* peer_identify - address and, when the kernel knows it, owner of fd's
 * other end */
int
peer_identify(int fd, struct peer *p, char *why, size_t whylen)
{
	struct ucred cred;
	socklen_t len = sizeof(p->addr);
	int	r;

	memset(p, 0, sizeof(*p));
	if (getpeername(fd, (struct sockaddr *)&p->addr, &len) < 0) {
		snprintf(why, whylen, "getpeername: %s", strerror(errno));
		return -1;
	}
	if (p->addr.ss_family == AF_UNIX) {
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			snprintf(why, whylen, "SO_PEERCRED: %s",
			    strerror(errno));
			return -1;
		}
		p->has_uid = 1;
		p->uid = cred.uid;
		p->pid = cred.pid;
		return 0;
	}
	if (p->addr.ss_family != AF_INET && p->addr.ss_family != AF_INET6) {
		snprintf(why, whylen, "address family %d",
		    (int)p->addr.ss_family);
		return -1;
	}
	if ((r = tcp_owner(fd, &p->addr, &p->uid, why, whylen)) < 0)
		return -1;
	p->has_uid = r == 0;
	if (!p->has_uid && peer_is_loopback((struct sockaddr *)&p->addr)) {
		snprintf(why, whylen, "loopback peer not found by inet_diag "
		    "(closed, or in another network namespace)");
		return -1;
	}
	return 0;
}

/* peer_is_loopback - 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 */
int
peer_is_loopback(const struct sockaddr *sa)
{
	const struct in6_addr *a6;

	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)
		    ->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family != AF_INET6)
		return 0;
	a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a6) ||
	    (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

/* peer_addr_text - "127.0.0.1", "::1" or "unix" */
void
peer_addr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
	const void *a;

	if (sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else {
		snprintf(out, outlen, "unix");
		return;
	}
	if (inet_ntop(sa->sa_family, a, out, (socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/* loop_pair - a TCP connection of our own over 127.0.0.1: *l the
 * listener, *c the client, *a the accepted end; 0, or -1 */
static int
loop_pair(int *l, int *c, int *a)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	*c = *a = -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((*l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(*l, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(*l, 1) < 0 ||
	    getsockname(*l, (struct sockaddr *)&sin, &len) < 0 ||
	    (*c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(*c, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    (*a = accept(*l, NULL, NULL)) < 0)
		return -1;
	return 0;
}

/* peer_selftest - 0 when the kernel names the owner of a loopback TCP
 * connection of our own (inet_diag is there and answers); -1 with a
 * reason. Also loads the kernel's tcp_diag module on first use, while
 * dkimd may still be root: afterwards "no such socket" means just that,
 * and not "no inet_diag here". */
int
peer_selftest(char *why, size_t whylen)
{
	struct peer p;
	int	l, c, a, r = -1;

	if (loop_pair(&l, &c, &a) < 0)
		snprintf(why, whylen, "a loopback connection: %s",
		    strerror(errno));
	else if (peer_identify(a, &p, why, whylen) < 0)
		;				/* why says why */
	else if (!p.has_uid || p.uid != geteuid())
		snprintf(why, whylen, "inet_diag did not name our own user");
	else
		r = 0;
	if (a >= 0)
		close(a);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return r;
}
