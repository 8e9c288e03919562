/*
 * log.h - dkimd's logging: syslog, and stderr in the foreground
 *
 * SYNOPSIS
 *	log_open(ident, facility, use_syslog, use_stderr)
 *	log_info(fmt, ...) log_warn(fmt, ...) log_err(fmt, ...)
 *
 * CONTRACT
 *	Safe to call from any thread. Before log_open(), lines go to stderr.
 *	Only the daemon logs; libdkimconf and dkimcore return reasons.
 */
#ifndef LOG_H
#define LOG_H

void	log_open(const char *ident, const char *facility, int use_syslog,
	    int use_stderr);
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* log_report - a conf_report_fn that logs (arg unused) */
void	log_report(void *arg, int warn, const char *msg);

#endif /* LOG_H */
