/*
 * log.c - syslog and stderr output for the daemon
 *
 * One formatted line goes to syslog (LOG_MAIL unless SyslogFacility says
 * otherwise) and, in the foreground, to stderr with the level in front.
 * stderr lines are written with one write() each so that threads do not
 * interleave within a line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static int use_syslog;
static int use_stderr = 1;

static const struct {
	const char *name;
	int	value;
} facilities[] = {
	{"mail", LOG_MAIL}, {"daemon", LOG_DAEMON}, {"user", LOG_USER},
	{"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},
	{"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},
	{"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

/* log_open - choose where lines go */
void
log_open(const char *ident, const char *facility, int sys, int err)
{
	size_t	i;
	int	fac = LOG_MAIL;

	for (i = 0; facility && i < sizeof(facilities) / sizeof(facilities[0]);
	    i++)
		if (strcasecmp(facility, facilities[i].name) == 0)
			fac = facilities[i].value;
	use_syslog = sys;
	use_stderr = err;
	if (sys)
		openlog(ident, LOG_PID | LOG_NDELAY, fac);
}

/* vlog - one line at priority prio */
static void
vlog(int prio, const char *level, const char *fmt, va_list ap)
{
	char	line[2048];
	int	n;

	n = snprintf(line, sizeof(line), "dkimd: %s: ", level);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (use_syslog)
		syslog(prio, "%s", line + n);
	if (use_stderr) {
		strcat(line, "\n");
		if (write(STDERR_FILENO, line, strlen(line)) < 0)
			return;
	}
}

/* log_info - an informational line (one per message, start, stop) */
void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, "info", fmt, ap);
	va_end(ap);
}

/* log_warn - something went wrong but work goes on */
void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, "warning", fmt, ap);
	va_end(ap);
}

/* log_err - an error */
void
log_err(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "error", fmt, ap);
	va_end(ap);
}

/* log_report - a conf_report_fn that logs the configuration's problems */
void
log_report(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (warn)
		log_warn("%s", msg);
	else
		log_err("%s", msg);
}
