/*
 * verify.c - dkimtool verify: check a message's DKIM signatures
 *
 * SYNOPSIS
 *	dkimtool verify [--nameserver HOST[:PORT]] [--authserv-id ID]
 *		[--timeout MS] [--unsigned-body pass|policy] [FILE]
 *
 * CONTRACT
 *	Reads the message (FILE or stdin) once, the body in chunks, lets the
 *	engine fetch the keys through its own resolver (the nameservers
 *	given, else /etc/resolv.conf) and prints one field,
 *	"Authentication-Results:" and the engine's value (RFC 8601), so that
 *	what dkimtool says is what dkimd would add. The authserv-id defaults
 *	to the host name. An l= that leaves body bytes unsigned is policy,
 *	as dkimd's default UnsignedBodyContent makes it, unless
 *	--unsigned-body pass. A header block over the reader's ceiling
 *	still gets a field, with the permerror dkimd reports for it.
 *	Exit status: 0 when a signature passes, 75 when none does and one
 *	got temperror, 1 otherwise (no signature included), 2 on usage
 *	errors (a --nameserver or --authserv-id that cannot be used
 *	among them).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkim.h"
#include "tool.h"

/* verify_status - the exit status for the results of msg */
static int
verify_status(const dkim_msg *msg)
{
	const struct dkim_sigresult *r;
	size_t	 i;
	int	 temp = 0;

	for (i = 0; i < dkim_result_count(msg); i++) {
		if ((r = dkim_result_get(msg, i)) == NULL)
			continue;
		if (r->result == DKIM_RES_PASS)
			return TOOL_EX_OK;
		if (r->result == DKIM_RES_TEMPERROR)
			temp = 1;
	}
	return temp ? TOOL_EX_TEMP : TOOL_EX_FAIL;
}

/*
 * verify_too_big - the field for a header block over MSGIN_HEADER_MAX:
 * nothing in it can be verified, the same permerror as dkimd's for a
 * header over MaximumHeaderBytes (the engine's overflow result)
 */
static int
verify_too_big(const char *authserv)
{
	printf("Authentication-Results: %s;\n\tdkim=permerror (header block "
	    "too large to verify)\n", authserv);
	if (fflush(stdout) != 0)
		tool_err("stdout: %s", strerror(errno));
	return TOOL_EX_FAIL;
}

/*
 * tool_verifier - a resolver (ns, timeout), a context using it, a
 * verifying message and a body buffer for cmd; -1 when made, else an
 * exit status after saying why (the caller frees what was made)
 */
int
tool_verifier(const char *cmd, const char *ns, unsigned timeout,
    dkim_resolver **res, dkim_ctx **ctx, dkim_msg **msg, char **buf)
{
	char	 err[256];

	if ((*res = dkim_resolver_new(ns, timeout, err, sizeof(err))) ==
	    NULL) {
		/* a server list we cannot use is the caller's mistake */
		if (ns != NULL && strcmp(err, "out of memory") != 0)
			return tool_usage("%s: --nameserver: %s", cmd, err);
		tool_err("resolver: %s", err);
		return TOOL_EX_FAIL;
	}
	if ((*ctx = dkim_ctx_new()) == NULL ||
	    (*msg = dkim_msg_new(*ctx, DKIM_MODE_VERIFY)) == NULL ||
	    (*buf = malloc(MSGIN_CHUNK)) == NULL) {
		tool_err("out of memory");
		return TOOL_EX_FAIL;
	}
	dkim_ctx_set_resolver(*ctx, *res);
	return -1;
}

/* verify_main - dkimtool verify */
int
verify_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "nameserver", required_argument, NULL, 'n' },
		{ "authserv-id", required_argument, NULL, 'A' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "unsigned-body", required_argument, NULL, 'U' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ns = NULL, *authserv = NULL, *name;
	char	 host[256], *ar = NULL, *buf = NULL;
	unsigned timeout = 0;
	dkim_resolver *res = NULL;
	dkim_ctx *ctx = NULL;
	dkim_msg *msg = NULL;
	FILE	*fp = NULL;
	struct msgin mi;
	int	 c, status = TOOL_EX_FAIL, unsigned_ok = 0;

	opterr = 0;
	memset(&mi, 0, sizeof(mi));
	while ((c = getopt_long(argc, argv, ":A:n:T:U:", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'n':
			ns = optarg;
			break;
		case 'A':
			authserv = optarg;
			break;
		case 'T':
			if (tool_timeout(optarg, &timeout) < 0)
				return TOOL_EX_USAGE;
			break;
		case 'U':
			if (strcmp(optarg, "pass") != 0 &&
			    strcmp(optarg, "policy") != 0)
				return tool_usage("verify: --unsigned-body: "
				    "expected pass or policy");
			unsigned_ok = strcmp(optarg, "pass") == 0;
			break;
		default:
			return tool_badopt("verify", c, argv);
		}
	}
	if (argc - optind > 1)
		return tool_usage("verify: more than one FILE");
	if (authserv == NULL) {
		if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		authserv = host;
	} else if (!dkim_authserv_id_valid(authserv))
		return tool_usage("verify: --authserv-id: not a token (no "
		    "space, control or 8-bit byte, nor any of "
		    "()<>@,;:\\\"/[]?=)");
	if ((c = tool_verifier("verify", ns, timeout, &res, &ctx, &msg,
	    &buf)) >= 0) {
		status = c;
		goto fail;
	}
	dkim_ctx_set_unsigned_body(ctx, unsigned_ok);
	if ((fp = tool_open_input(argc, argv, optind, &name)) == NULL)
		goto fail;
	if (tool_feed_header(msg, &mi, fp, name) < 0) {
		if (mi.overflow)
			status = verify_too_big(authserv);
		goto fail;
	}
	if (tool_feed_body(msg, &mi, name, buf, NULL) < 0)
		goto fail;
	if ((ar = dkim_ar_value(msg, authserv)) == NULL) {
		tool_err("out of memory");
		goto fail;
	}
	printf("Authentication-Results:%s\n", ar);
	if (fflush(stdout) != 0) {
		tool_err("stdout: %s", strerror(errno));
		goto fail;
	}
	status = verify_status(msg);

fail:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	msgin_free(&mi);
	free(ar);
	free(buf);
	dkim_msg_free(msg);
	dkim_ctx_free(ctx);
	dkim_resolver_free(res);
	return status;
}
