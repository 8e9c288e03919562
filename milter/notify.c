/*
 * notify.c - the sd_notify(3) datagram protocol, without libsystemd
 *
 * systemd reads "KEY=VALUE" lines from a unix datagram socket whose path
 * it passes in $NOTIFY_SOCKET. The socket is opened once per message (a
 * handful a day, plus the watchdog pings), and a failure is ignored: a
 * supervisor that stops listening must not stop the milter.
 *
 * The watchdog pings come from the thread that accepts the MTA's
 * connections (libmilter's listener, through sockio's tick), not from a
 * thread of their own: a listener that hangs, or a process stopped,
 * stops them, and systemd restarts dkimd.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dk.h"
#include "live.h"
#include "notify.h"
#include "util.h"

/* notify_send - one state message to $NOTIFY_SOCKET, if any */
void
notify_send(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un su;
	size_t	n;
	int	fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(su.sun_path))
		return;
	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	memcpy(su.sun_path, path, n);
	if (su.sun_path[0] == '@')
		su.sun_path[0] = '\0';		/* abstract namespace */
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	(void)sendto(fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&su, (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + n));
	close(fd);
}

static long half_ms;		/* half the watchdog period; 0: none */
static long next_ms;		/* when the next ping is due */

/* notify_watchdog - ping from now on when systemd asked for it */
int
notify_watchdog(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long half;
	char	*end;

	if (us == NULL || getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	half = strtoul(us, &end, 10) / 2000;
	if (*end != '\0' || half == 0)
		return 0;
	__atomic_store_n(&half_ms, half > 3600000 ? 3600000L : (long)half,
	    __ATOMIC_RELAXED);
	return 0;
}

/*
 * notify_tick - called by the listener before it waits for the MTA's
 * next connection: WATCHDOG=1 when one is due and a configuration is in
 * force. Returns the ms until the next is due (the listener waits no
 * longer), or -1 without a watchdog. Only the listener thread calls it.
 */
int
notify_tick(void)
{
	long	half = __atomic_load_n(&half_ms, __ATOMIC_RELAXED), now;
	struct live *l;

	if (half == 0)
		return -1;
	now = (long)dk_now_ms();
	if (now >= next_ms) {
		if ((l = live_get()) != NULL) {
			live_put(l);
			notify_send("WATCHDOG=1");
		}
		next_ms = now + half;
	}
	return (int)(next_ms - now);
}
