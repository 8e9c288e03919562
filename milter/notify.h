/*
 * notify.h - tell systemd (Type=notify) what dkimd is doing
 *
 * SYNOPSIS
 *	notify_send(state)	"READY=1", "RELOADING=1", "STOPPING=1"
 *	notify_watchdog()	ping every WATCHDOG_USEC / 2 from now on
 *	notify_tick()		the listener's turn to ping (sockio_tick)
 *
 * CONTRACT
 *	The sd_notify(3) protocol: one datagram to the unix socket named by
 *	$NOTIFY_SOCKET (a leading '@' names an abstract socket). Without
 *	$NOTIFY_SOCKET every call does nothing. notify_watchdog() turns
 *	the pings on only when $WATCHDOG_USEC is set (and $WATCHDOG_PID, if
 *	set, is our pid); it returns 0. notify_tick() pings when one is
 *	due, only while a configuration is in force, so a dkimd that
 *	cannot take a message is restarted; it returns the ms until the
 *	next ping, or -1 without a watchdog.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

void	notify_send(const char *state);
int	notify_watchdog(void);
int	notify_tick(void);

#endif /* NOTIFY_H */
