/*
 * notify.c - the sd_notify(3) datagram protocol, without libsystemd
 *
 * systemd reads "KEY=VALUE" lines from a unix datagram socket whose path
 * it passes in $NOTIFY_SOCKET. The socket is opened once per message (a
 * handful a day, plus the watchdog pings), and a failure is ignored: a
 * supervisor that stops listening must not stop the milter.
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

/* pinger - WATCHDOG=1 every half period while a configuration is in
 * force */
static void *
pinger(void *arg)
{
	unsigned long half = *(unsigned long *)arg;
	struct timespec ts = { (time_t)(half / 1000000),
	    (long)(half % 1000000) * 1000 };
	struct live *l;

	free(arg);
	for (;;) {
		if ((l = live_get()) != NULL) {
			live_put(l);
			notify_send("WATCHDOG=1");
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* notify_watchdog - start pinging when systemd asked for it */
int
notify_watchdog(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long *half;
	char	*end;

	if (us == NULL || getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	if ((half = malloc(sizeof(*half))) == NULL)
		return -1;
	*half = strtoul(us, &end, 10) / 2;
	if (*end != '\0' || *half == 0) {
		free(half);
		return 0;
	}
	if (util_thread(pinger, half) < 0) {
		free(half);
		return -1;
	}
	return 0;
}
