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
 *	dkimtool arc-seal -d DOMAIN -s SELECTOR -k KEYFILE --authserv-id ID
 *		[--nameserver HOST[:PORT]] [--timeout MS] [FILE]
 *	dkimtool showkeys -c FILE
 *	dkimtool testkeys -c FILE [--nameserver HOST[:PORT]] [--timeout MS]
 *	dkimtool migrate [--no-check] OPENDKIM.CONF
 *
 * CONTRACT
 *	The helpers the sub-commands share (tool_err, tool_feed_header, ...)
 *	live in tool.c. Each sub-command lives in its own file (genkey.c, sign.c, verify.c,
 *	keys.c)
 *	and returns the exit status: 0 success, 1 failure, 2 usage error,
 *	75 (verify) temporary DNS failure and no signature passed. Every
 *	error is one line on stderr that starts with "dkimtool: ".
 */
#include <stdio.h>
#include <string.h>

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
"       dkimtool arc-seal -d DOMAIN -s SELECTOR -k KEYFILE --authserv-id ID\n"
"                         [--nameserver HOST[:PORT]] [--timeout MS] [FILE]\n"
"       dkimtool showkeys -c FILE [-1] [-d DOMAIN]\n"
"       dkimtool testkeys -c FILE [-d DOMAIN] [--nameserver HOST[:PORT]]\n"
"                         [--timeout MS]\n"
"       dkimtool key add|list|disable|remove (--db URI | -c FILE) ...\n"
"       dkimtool import|rotate|activate (--db URI | -c FILE) ...\n"
"       dkimtool rotate -c FILE (-d DOMAIN --auto | --all) [--force]\n"
"       dkimtool migrate [--no-check] OPENDKIM.CONF\n"
"\n"
"genkey  writes DIR/SELECTOR.private (PKCS#8 PEM, mode 0600) and\n"
"        DIR/SELECTOR.txt (the TXT record to publish) and prints the record;\n"
"        RSA 2048 bits by default (1024..4096); -f overwrites.\n"
"sign    writes the message (FILE or stdin) to stdout with DKIM-Signature\n"
"        fields on top; each -d starts another signature; -a, -c and -x\n"
"        given before the first -d apply to every signature.\n"
"verify  prints one Authentication-Results field for the message (with\n"
"        arc= when it has ARC fields).\n"
"arc-seal verifies the message, then writes it with a new ARC set on top\n"
"        (ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results).\n"
"showkeys prints the TXT records to publish for the keys of a dkimd.conf\n"
"        (-1: one line each, for a web DNS editor);\n"
"testkeys checks that DNS publishes them: \"NAME => pass\" or\n"
"        \"NAME => fail (why)\".\n"
"key, import, rotate, activate manage keys in a database table\n"
"        (sqlite:/path, mysql://..., postgresql://...): see dkimtool(1).\n"
"rotate --auto takes a domain's keys one step further in their life\n"
"        cycle: new key, DNS UPDATE, active once every server has it,\n"
"        then retired, revoked and deleted (dkimtool(1), ROTATION).\n"
"migrate writes a dkimd.conf for an opendkim.conf on stdout and one line\n"
"        per keyword on stderr; exit 1 when something changes for mail.\n"
"\n"
"Exit status: 0 success (verify: a signature passed), 1 failure (verify:\n"
"none passed; testkeys: a key is missing or wrong), 2 usage error,\n"
"75 temporary DNS failure (verify, testkeys).\n";

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
	if (strcmp(argv[1], "arc-seal") == 0)
		return arcseal_main(argc - 1, argv + 1);
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
