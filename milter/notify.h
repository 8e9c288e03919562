/*
 * notify.h - tell systemd (Type=notify) what dkimd is doing
 *
 * SYNOPSIS
 *	notify_send(state)	"READY=1", "RELOADING=1", "STOPPING=1"
 *	notify_watchdog()	ping every WATCHDOG_USEC / 2 from a thread
 *
 * CONTRACT
 *	The sd_notify(3) protocol: one datagram to the unix socket named by
 *	$NOTIFY_SOCKET (a leading '@' names an abstract socket). Without
 *	$NOTIFY_SOCKET every call does nothing. notify_watchdog() starts
 *	the pinging thread only when $WATCHDOG_USEC is set (and
 *	$WATCHDOG_PID, if set, is our pid); it pings only while a
 *	configuration is in force, so a dkimd that cannot take a message
 *	is restarted. Returns 0, or -1 when the thread cannot start.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

void	notify_send(const char *state);
int	notify_watchdog(void);

#endif /* NOTIFY_H */
