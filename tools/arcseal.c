/*
 * arcseal.c - dkimtool arc-seal: verify a message, then add an ARC set
 *
 * SYNOPSIS
 *	dkimtool arc-seal -d DOMAIN -s SELECTOR -k KEYFILE --authserv-id ID
 *		[--nameserver HOST[:PORT]] [--timeout MS] [FILE]
 *
 * CONTRACT
 *	The message (FILE or stdin) is verified as dkimtool verify does,
 *	keys through the resolver (the nameservers given, else
 *	/etc/resolv.conf); its results, the dkim= of each signature and
 *	the arc= of its chain, become this hop's ARC-Authentication-Results
 *	under ID. Then the ARC-Message-Signature and the ARC-Seal are made
 *	with KEYFILE as d=DOMAIN s=SELECTOR, and the message is written to
 *	stdout with the three fields on top (ARC-Seal first), in the line
 *	ends of the input, the rest unchanged (tool_rewrite in sign.c).
 *	Exit status: 0 sealed; 1 when it cannot be (a key that does not
 *	load, a chain already sealed cv=fail or of 50 sets: nothing is
 *	written); 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "tool.h"

struct arcseal_run {
	const char *domain;
	const char *selector;
	const char *keyfile;
	const char *authserv;
	const char *ns;
	unsigned timeout;
	dkim_key *key;
};

/* arcseal_put - verify's results into the AAR, then the new set */
static int
arcseal_put(dkim_msg *msg, int lf_only, void *arg)
{
	struct arcseal_run *run = arg;
	struct dkim_arcspec sp;
	char	*ar, *f[3];
	int	 i, rc = -1;

	if ((ar = dkim_ar_value(msg, run->authserv)) == NULL) {
		tool_err("out of memory");
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sp.domain = run->domain;
	sp.selector = run->selector;
	sp.key = run->key;
	sp.authres = ar + 1;	/* past the leading space */
	if (dkim_arc_seal(msg, &sp, f) != DKIM_OK) {
		tool_err("arc-seal: %s", dkim_msg_error(msg));
		goto out;
	}
	for (i = 0; i < 3; i++) {
		printf("%s:", dkim_arc_field_name(i));
		tool_put_value(f[i], lf_only);
		fputs(lf_only ? "\n" : "\r\n", stdout);
		free(f[i]);
	}
	rc = 0;
out:
	free(ar);
	return rc;
}

/* arcseal_options - parse the command line; -1, or an exit status */
static int
arcseal_options(struct arcseal_run *run, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nameserver", required_argument, NULL, 'n' },
		{ "authserv-id", required_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	int	 c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:s:k:A:n:T:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'd':
			run->domain = optarg;
			break;
		case 's':
			run->selector = optarg;
			break;
		case 'k':
			run->keyfile = optarg;
			break;
		case 'A':
			run->authserv = optarg;
			break;
		case 'n':
			run->ns = optarg;
			break;
		case 'T':
			if (tool_timeout(optarg, &run->timeout) < 0)
				return TOOL_EX_USAGE;
			break;
		default:
			return tool_badopt("arc-seal", c, argv);
		}
	}
	if (run->domain == NULL || run->selector == NULL ||
	    run->keyfile == NULL || run->authserv == NULL)
		return tool_usage("arc-seal: -d, -s, -k and --authserv-id "
		    "are needed");
	if (!dkim_authserv_id_valid(run->authserv))
		return tool_usage("arc-seal: --authserv-id: not a token");
	if (argc - optind > 1)
		return tool_usage("arc-seal: more than one FILE");
	return -1;
}

/* arcseal_main - dkimtool arc-seal */
int
arcseal_main(int argc, char **argv)
{
	struct arcseal_run run;
	dkim_resolver *res = NULL;
	dkim_ctx *ctx = NULL;
	dkim_msg *msg = NULL;
	const char *name;
	char	 err[256], *buf = NULL;
	FILE	*fp = NULL;
	int	 status;

	memset(&run, 0, sizeof(run));
	if ((status = arcseal_options(&run, argc, argv)) >= 0)
		return status;
	status = TOOL_EX_FAIL;
	if ((run.key = dkim_key_load_file(run.keyfile, err,
	    sizeof(err))) == NULL) {
		tool_err("%s: %s", run.keyfile, err);
		goto fail;
	}
	if ((status = tool_verifier("arc-seal", run.ns, run.timeout, &res,
	    &ctx, &msg, &buf)) >= 0)
		goto fail;
	status = TOOL_EX_FAIL;
	if (dkim_arc_want_seal(msg) != DKIM_OK ||
	    (fp = tool_open_input(argc, argv, optind, &name)) == NULL)
		goto fail;
	status = tool_rewrite(msg, fp, name, buf, arcseal_put, &run);
fail:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	free(buf);
	dkim_msg_free(msg);
	dkim_ctx_free(ctx);
	dkim_resolver_free(res);
	dkim_key_free(run.key);
	return status;
}
