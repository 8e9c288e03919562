/*
 * dkimtool - dkimd's DKIM engine from the command line
 *
 * SYNOPSIS
 *	dkimtool genkey -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]
 *		[-D DIR] [-f]
 *	dkimtool sign -d DOMAIN -s SELECTOR -k KEYFILE [-a ALG] [-c CANON]
 *		[-i IDENTITY] [-x SECONDS] [-d ... -s ... -k ...] [FILE]
 *	dkimtool verify [--nameserver HOST[:PORT]] [--authserv-id ID]
 *		[--timeout MS] [FILE]
 *	dkimtool showkeys -c FILE
 *	dkimtool testkeys -c FILE [--nameserver HOST[:PORT]] [--timeout MS]
 *	dkimtool migrate [--no-check] OPENDKIM.CONF
 *
 * CONTRACT
 *	tool_feed_header() and tool_feed_body() stream a message into the
 *	engine for sign and verify alike.
 *	Each sub-command lives in its own file (genkey.c, sign.c, verify.c,
 *	keys.c)
 *	and returns the exit status: 0 success, 1 failure, 2 usage error,
 *	75 (verify) temporary DNS failure and no signature passed. Every
 *	error is one line on stderr that starts with "dkimtool: ".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"
#include "tool.h"

static const char usage_text[] =
"usage: dkimtool genkey -d DOMAIN -s SELECTOR [-a rsa|ed25519] [-b BITS]\n"
"                       [-D DIR] [-f]\n"
"       dkimtool sign -d DOMAIN -s SELECTOR -k KEYFILE\n"
"                     [-a rsa-sha256|ed25519-sha256] [-c HEADER/BODY]\n"
"                     [-i IDENTITY] [-x SECONDS] [-d ... -s ... -k ...]\n"
"                     [FILE]\n"
"       dkimtool verify [--nameserver HOST[:PORT]] [--authserv-id ID]\n"
"                       [--timeout MS] [--unsigned-body pass|policy] [FILE]\n"
"       dkimtool showkeys -c FILE [-1] [-d DOMAIN]\n"
"       dkimtool testkeys -c FILE [-d DOMAIN] [--nameserver HOST[:PORT]]\n"
"                         [--timeout MS]\n"
"       dkimtool key add|list|disable|remove (--db URI | -c FILE) ...\n"
"       dkimtool import|rotate|activate (--db URI | -c FILE) ...\n"
"       dkimtool migrate [--no-check] OPENDKIM.CONF\n"
"\n"
"genkey  writes DIR/SELECTOR.private (PKCS#8 PEM, mode 0600) and\n"
"        DIR/SELECTOR.txt (the TXT record to publish) and prints the record;\n"
"        RSA 2048 bits by default (1024..4096); -f overwrites.\n"
"sign    writes the message (FILE or stdin) to stdout with DKIM-Signature\n"
"        fields on top; each -d starts another signature; -a, -c and -x\n"
"        given before the first -d apply to every signature.\n"
"verify  prints one Authentication-Results field for the message.\n"
"showkeys prints the TXT records to publish for the keys of a dkimd.conf\n"
"        (-1: one line each, for a web DNS editor);\n"
"testkeys checks that DNS publishes them: \"NAME => pass\" or\n"
"        \"NAME => fail (why)\".\n"
"key, import, rotate, activate manage keys in a database table\n"
"        (sqlite:/path, mysql://..., postgresql://...): see dkimtool(1).\n"
"migrate writes a dkimd.conf for an opendkim.conf on stdout and one line\n"
"        per keyword on stderr; exit 1 when something changes for mail.\n"
"\n"
"Exit status: 0 success (verify: a signature passed), 1 failure (verify:\n"
"none passed; testkeys: a key is missing or wrong), 2 usage error,\n"
"75 temporary DNS failure (verify, testkeys).\n";

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

/* main - dispatch to the sub-command */
int
main(int argc, char **argv)
{
	if (argc < 2)
		return tool_usage("no command given");
	if (strcmp(argv[1], "genkey") == 0)
		return genkey_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "sign") == 0)
		return sign_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return verify_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "showkeys") == 0 ||
	    strcmp(argv[1], "testkeys") == 0)
		return keys_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "key") == 0 || strcmp(argv[1], "import") == 0 ||
	    strcmp(argv[1], "rotate") == 0 || strcmp(argv[1], "activate") == 0)
		return keydb_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "migrate") == 0)
		return migrate_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(usage_text, stdout);
		return TOOL_EX_OK;
	}
	return tool_usage("unknown command: %s", argv[1]);
}
