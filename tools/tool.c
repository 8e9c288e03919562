/*
 * tool.c - what dkimtool's sub-commands share
 *
 * SYNOPSIS
 *	tool_err(fmt, ...)		"dkimtool: ..." on stderr
 *	tool_usage(fmt, ...)		the same, pointing at --help; returns 2
 *	tool_badopt(cmd, c, argv)	the usage error for a bad option
 *	tool_timeout(s, &ms)		a --timeout argument
 *	tool_open_input(argc, argv, optind, &name)	FILE or stdin
 *	tool_feed_header(), tool_feed_body()	a message into the engine
 *
 * CONTRACT
 *	Every error is one line on stderr that starts with "dkimtool: ".
 *	dkimtool.c (the dispatcher) and the sub-commands call these; these
 *	call none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"
#include "tool.h"

/* tool_vmsg - print "dkimtool: ", the message and tail on stderr */
static void
tool_vmsg(const char *fmt, va_list ap, const char *tail)
{
	fputs("dkimtool: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(tail, stderr);
}

/* tool_err - print "dkimtool: ..." on stderr */
void
tool_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tool_vmsg(fmt, ap, "\n");
	va_end(ap);
}

/* tool_usage - print a usage error, one line; returns 2 */
int
tool_usage(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tool_vmsg(fmt, ap, " (dkimtool --help for usage)\n");
	va_end(ap);
	return TOOL_EX_USAGE;
}

/*
 * tool_conf_errors - a conf_report_fn that prints a configuration's
 * errors, not its warnings: for a command that needs the configuration
 * to load and says only why it did not
 */
void
tool_conf_errors(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (!warn)
		tool_err("%s", msg);
}

/*
 * tool_badopt - the usage error for what getopt() returned as '?' or ':'
 * (with opterr = 0 and a leading ':' in the option string)
 */
int
tool_badopt(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return tool_usage("%s: option -%c needs a value", cmd, optopt);
	if (optopt != 0)
		return tool_usage("%s: unknown option -%c", cmd, optopt);
	return tool_usage("%s: unknown option %s", cmd, argv[optind - 1]);
}

/*
 * tool_timeout - parse a DNS timeout in milliseconds (1 to 10 minutes)
 * into *ms; -1 after printing a usage error
 */
int
tool_timeout(const char *s, unsigned *ms)
{
	unsigned long v;
	char	*end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v == 0 ||
	    v > TOOL_TIMEOUT_MAX) {
		tool_usage("--timeout %s: milliseconds, 1 to %d", s,
		    TOOL_TIMEOUT_MAX);
		return -1;
	}
	*ms = (unsigned)v;
	return 0;
}

/*
 * tool_open_input - the message file named by the one operand left after
 * the options, or stdin when there is none (or it is "-"). Returns NULL
 * after printing why; *name is for messages.
 */
FILE *
tool_open_input(int argc, char **argv, int optind, const char **name)
{
	FILE	*fp;

	*name = "stdin";
	if (optind >= argc || strcmp(argv[optind], "-") == 0)
		return stdin;
	*name = argv[optind];
	if ((fp = fopen(argv[optind], "rb")) == NULL)
		tool_err("%s: %s", argv[optind], strerror(errno));
	return fp;
}

/* tool_engine_err - print why the engine refused the message; -1 */
static int
tool_engine_err(const dkim_msg *msg, const char *name)
{
	tool_err("%s: %s", name, dkim_msg_error(msg));
	return -1;
}

/*
 * tool_feed_header - read the header block of fp into mi and give its
 * fields to msg, then end the header. Returns 0, or -1 after printing why.
 */
int
tool_feed_header(dkim_msg *msg, struct msgin *mi, FILE *fp, const char *name)
{
	char	 err[256];
	size_t	 i;

	if (msgin_read_header(mi, fp, err, sizeof(err)) < 0) {
		tool_err("%s: %s", name, err);
		return -1;
	}
	for (i = 0; i < mi->nfields; i++)
		if (dkim_header_field(msg, mi->hdr + mi->fields[i].off,
		    mi->fields[i].len) != DKIM_OK)
			return tool_engine_err(msg, name);
	if (dkim_eoh(msg) != DKIM_OK)
		return tool_engine_err(msg, name);
	return 0;
}

/*
 * tool_feed_body - give the body to msg in chunks (of buf, MSGIN_CHUNK
 * bytes), a copy of each to spool unless it is NULL, then end the
 * message. Returns 0, or -1 after printing why.
 */
int
tool_feed_body(dkim_msg *msg, struct msgin *mi, const char *name, char *buf,
    FILE *spool)
{
	size_t	 n;

	for (;;) {
		if (msgin_body(mi, buf, MSGIN_CHUNK, &n) < 0) {
			tool_err("%s: read error", name);
			return -1;
		}
		if (n == 0)
			break;
		if (dkim_body(msg, buf, n) != DKIM_OK)
			return tool_engine_err(msg, name);
		if (spool != NULL && fwrite(buf, 1, n, spool) != n) {
			tool_err("temporary file: %s", strerror(errno));
			return -1;
		}
	}
	if (dkim_eom(msg) != DKIM_OK)
		return tool_engine_err(msg, name);
	return 0;
}
