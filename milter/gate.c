/*
 * gate.c - only the MTA talks to dkimd, and never with every descriptor
 *
 * With the default Socket inet:8891@127.0.0.1 any local user can
 * connect, say {daemon_name} ORIGINATING and have mail signed for every
 * domain of the SigningTable. So each connection is looked at before
 * libmilter sees it (sockio.c calls gate_admit() from sio_accept()): the
 * peer's user (peer.c) must be in SocketUsers, a remote peer's address
 * in SocketPeers. Refused connections are closed at once and cost
 * neither a thread nor a descriptor for longer than the look-up.
 *
 * Caps: connections are counted per peer user when the kernel knows
 * the user (every local peer: Postfix connects from 127.0.0.1 like any
 * local process, but as user postfix) and per address otherwise, and in
 * total. A peer at its cap has the next connection closed; the others
 * are not touched. The counts live in slots[], one per user or address
 * with connections; a ticket is a slot's index.
 *
 * Logging: a refused user once per user, and the first connection
 * served for each user (up to NLOGGED users, then rate-limited); caps,
 * unknown peers and failed look-ups at most once per GATE_LOG_SECS,
 * with how many went unlogged since.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gate.h"
#include "hosts.h"
#include "live.h"
#include "log.h"
#include "peer.h"
#include "sockio.h"

#define NLOGGED		256	/* refused users remembered */

enum kind {
	K_FREE = 0,
	K_UID,
	K_ADDR
};

struct slot {
	enum kind kind;
	unsigned char key[16];	/* uid, or address as IPv6 */
	unsigned n;		/* connections open */
};

struct ratelog {
	time_t	last;		/* when a line was last written */
	unsigned long quiet;	/* events not logged since */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot *slots;
static size_t nslots;
static long total;			/* connections open */
static uid_t logged[NLOGGED];		/* refused users already logged */
static size_t nlogged;
static uid_t served[NLOGGED];		/* admitted users already logged */
static size_t nserved;
static struct ratelog rl_cap, rl_fail, rl_peer, rl_user, rl_shed,
	    rl_served;

/* rate_ok - 1 when the event may be logged now, with *quiet the
 * number of events not logged before it; call under the lock */
static int
rate_ok(struct ratelog *r, unsigned long *quiet)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (r->last != 0 && ts.tv_sec - r->last < GATE_LOG_SECS) {
		r->quiet++;
		return 0;
	}
	r->last = ts.tv_sec ? ts.tv_sec : 1;
	*quiet = r->quiet;
	r->quiet = 0;
	return 1;
}

/* rate_log - one line for event class r, or none when too soon */
static void
rate_log(struct ratelog *r, const char *what, const char *detail)
{
	unsigned long quiet = 0;
	int	now;

	pthread_mutex_lock(&lock);
	now = rate_ok(r, &quiet);
	pthread_mutex_unlock(&lock);
	if (now && quiet)
		log_warn("%s%s (and %lu more in the last %d s)", what, detail,
		    quiet, GATE_LOG_SECS);
	else if (now)
		log_warn("%s%s", what, detail);
}

/* first_time - 1 the first time uid is seen in set v of *n (or, when
 * the set is full, when the rate r allows); call under the lock */
static int
first_time(uid_t *v, size_t *n, uid_t uid, struct ratelog *r,
    unsigned long *quiet)
{
	size_t	i;

	*quiet = 0;
	for (i = 0; i < *n; i++)
		if (v[i] == uid)
			return 0;
	if (*n < NLOGGED) {
		v[(*n)++] = uid;
		return 1;
	}
	return rate_ok(r, quiet);
}

/* first_refusal - 1 the first time uid is refused (or when the memory
 * is full and the rate allows) */
static int
first_refusal(uid_t uid, unsigned long *quiet)
{
	int	r;

	pthread_mutex_lock(&lock);
	r = first_time(logged, &nlogged, uid, &rl_user, quiet);
	pthread_mutex_unlock(&lock);
	return r;
}

/* user_name - the name of uid, or "?" */
static const char *
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd pw, *pp = NULL;
	char	tmp[1024];

	(void)getpwuid_r(uid, &pw, tmp, sizeof(tmp), &pp);
	snprintf(buf, len, "%s", pp != NULL ? pp->pw_name : "?");
	return buf;
}

/* note_served - log the first connection served for uid */
static void
note_served(uid_t uid, const char *addr)
{
	unsigned long quiet;
	char	name[256];
	int	r;

	pthread_mutex_lock(&lock);
	r = first_time(served, &nserved, uid, &rl_served, &quiet);
	pthread_mutex_unlock(&lock);
	if (r)
		log_info("serving user %s (uid %lu) over %s, in SocketUsers",
		    user_name(uid, name, sizeof(name)), (unsigned long)uid,
		    addr);
}

/* refuse_user - log (once) that uid's connection from addr is refused */
static void
refuse_user(uid_t uid, const char *addr)
{
	char	name[256];
	unsigned long quiet;

	if (!first_refusal(uid, &quiet))
		return;
	log_warn("refused a connection from user %s (uid %lu) over %s: not "
	    "in SocketUsers; further ones from this user are not logged%s",
	    user_name(uid, name, sizeof(name)), (unsigned long)uid, addr,
	    quiet ? " (other users were refused meanwhile)" : "");
}

/* key16 - the address of sa as 16 bytes, IPv4 as IPv4-mapped */
static void
key16(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa->sa_family == AF_INET) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)(const void *)
		    sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr, 16);
}

/* take - count one more connection for key; its slot, -1 when a cap is
 * reached (*which says which) */
static int
take(enum kind kind, const unsigned char key[16], long max, long perpeer,
    const char **which)
{
	struct slot *v;
	size_t	i, fr = nslots;
	int	r = -1;

	pthread_mutex_lock(&lock);
	*which = "MaxConnections";
	if (total >= max)
		goto out;
	for (i = 0; i < nslots; i++) {
		if (slots[i].kind == kind && memcmp(slots[i].key, key, 16) == 0)
			break;
		if (slots[i].kind == K_FREE && fr == nslots)
			fr = i;
	}
	if (i == nslots && (i = fr) == nslots) {
		if ((v = realloc(slots, (nslots + 1) * sizeof(*v))) == NULL) {
			*which = "memory";
			goto out;
		}
		slots = v;
		nslots++;
		memset(&slots[i], 0, sizeof(slots[i]));
	}
	*which = "MaxConnectionsPerPeer";
	if (slots[i].n >= (unsigned long)perpeer)
		goto out;
	slots[i].kind = kind;
	memcpy(slots[i].key, key, 16);
	slots[i].n++;
	total++;
	r = (int)i;
out:
	pthread_mutex_unlock(&lock);
	return r;
}

/* gate_admit - a ticket for connection fd, or -1 to refuse it */
int
gate_admit(int fd, const struct conf *c)
{
	struct peer p;
	unsigned char key[16];
	char	why[256], addr[64], who[128];
	const char *which;
	int	t;

	if (peer_identify(fd, &p, why, sizeof(why)) < 0 &&
	    !(c->sock_anyuser && peer_is_loopback((struct sockaddr *)&p.addr))) {
		rate_log(&rl_fail, "refused a connection: ", why);
		return -1;
	}
	peer_addr_text((struct sockaddr *)&p.addr, addr, sizeof(addr));
	memset(key, 0, sizeof(key));
	if (!p.has_uid && c->sock_anyuser &&
	    peer_is_loopback((struct sockaddr *)&p.addr)) {
		/* SocketUsers *: a loopback peer the kernel cannot name */
		key16((struct sockaddr *)&p.addr, key);
		t = take(K_ADDR, key, c->maxconns, c->maxconnsperpeer, &which);
		snprintf(who, sizeof(who), ": from %s", addr);
	} else if (p.has_uid) {
		if (!conf_socket_user(c, p.uid)) {
			refuse_user(p.uid, addr);
			return -1;
		}
		memcpy(key, &p.uid, sizeof(p.uid));
		t = take(K_UID, key, c->maxconns, c->maxconnsperpeer, &which);
		snprintf(who, sizeof(who), ": uid %lu over %s",
		    (unsigned long)p.uid, addr);
	} else {
		if (!hosts_match(c->sockpeers, (struct sockaddr *)&p.addr)) {
			snprintf(who, sizeof(who), "%s: not in SocketPeers",
			    addr);
			rate_log(&rl_peer, "refused a connection from ", who);
			return -1;
		}
		key16((struct sockaddr *)&p.addr, key);
		t = take(K_ADDR, key, c->maxconns, c->maxconnsperpeer, &which);
		snprintf(who, sizeof(who), ": from %s", addr);
	}
	if (t < 0) {
		snprintf(why, sizeof(why), "%s reached%s", which, who);
		rate_log(&rl_cap, "refused a connection: ", why);
	} else if (p.has_uid)
		note_served(p.uid, addr);
	return t;
}

/* gate_release - the connection of ticket t has closed */
void
gate_release(int t)
{
	pthread_mutex_lock(&lock);
	if (t >= 0 && (size_t)t < nslots && slots[t].n > 0) {
		if (--slots[t].n == 0)
			slots[t].kind = K_FREE;
		total--;
	}
	pthread_mutex_unlock(&lock);
}

/* admit_cb - sockio's admit(): the decision under the configuration in
 * force */
static int
admit_cb(int fd, void *arg)
{
	struct live *l;
	int	t;

	(void)arg;
	if ((l = live_get()) == NULL)
		return -1;
	t = gate_admit(fd, l->conf);
	live_put(l);
	return t;
}

/* release_cb - sockio's release() */
static void
release_cb(int t, void *arg)
{
	(void)arg;
	gate_release(t);
}

/* shed_cb - sockio's shed(): out of descriptors */
static void
shed_cb(int shed, void *arg)
{
	(void)arg;
	rate_log(&rl_shed, "out of descriptors: ", shed ?
	    "closed a waiting connection at once" :
	    "could not even shed a connection; pausing the listener");
}

/* gate_install - gate the connections of listener lfd */
void
gate_install(int lfd)
{
	struct sockio_gate g;

	g.admit = admit_cb;
	g.release = release_cb;
	g.shed = shed_cb;
	g.arg = NULL;
	sockio_gate(lfd, &g);
}
