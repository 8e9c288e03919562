/*
 * sign.c - dkimtool sign: add DKIM-Signature fields to a message
 *
 * SYNOPSIS
 *	dkimtool sign -d DOMAIN -s SELECTOR -k KEYFILE
 *		[-a rsa-sha256|ed25519-sha256] [-c HEADER/BODY] [-i IDENTITY]
 *		[-x SECONDS] [-d ... -s ... -k ...] [FILE]
 *
 * CONTRACT
 *	Each -d starts one signature (at most SIGN_MAX); -s, -k, -i and the
 *	options after it belong to it. -a, -c and -x given before the first
 *	-d are defaults for every signature. -a only checks that the key is
 *	of that type: the engine signs with the algorithm of the key.
 *
 *	The message (FILE or stdin) is read once: the header block is kept
 *	(bounded, see msgin.c), the body goes to the engine in chunks and
 *	is replayed from the file when it can seek, else from a temporary
 *	file, so memory never holds the whole body. Output on stdout: the
 *	new DKIM-Signature fields, in the order made, with the line ends of
 *	the input (LF-only input gets LF folding), then the input unchanged.
 *	Nothing is written to stdout when signing fails.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dkim.h"
#include "tool.h"

#define SIGN_MAX	16	/* signatures per run */

struct sign_group {
	const char *domain;
	const char *selector;
	const char *keyfile;
	const char *identity;
	const char *alg;
	const char *canon;
	const char *expire;
	dkim_key *key;
};

struct sign_run {
	struct sign_group defaults;
	struct sign_group g[SIGN_MAX];
	size_t	ng;
};

/* sign_canon - parse c= ("relaxed", "simple/relaxed", ...); 0 or -1 */
static int
sign_canon(const char *s, enum dkim_canon *hc, enum dkim_canon *bc)
{
	const char *slash = strchr(s, '/');
	size_t	 hlen = slash ? (size_t)(slash - s) : strlen(s);

	if (hlen == 6 && strncmp(s, "simple", 6) == 0)
		*hc = DKIM_CANON_SIMPLE;
	else if (hlen == 7 && strncmp(s, "relaxed", 7) == 0)
		*hc = DKIM_CANON_RELAXED;
	else
		return -1;
	/* RFC 6376 §3.5: a missing body part means simple */
	if (slash == NULL || strcmp(slash + 1, "simple") == 0)
		*bc = DKIM_CANON_SIMPLE;
	else if (strcmp(slash + 1, "relaxed") == 0)
		*bc = DKIM_CANON_RELAXED;
	else
		return -1;
	return 0;
}

/* sign_alg - the key algorithm that -a names; DKIM_ALG_UNKNOWN if none */
static enum dkim_alg
sign_alg(const char *s)
{
	if (strcmp(s, "rsa-sha256") == 0)
		return DKIM_ALG_RSA_SHA256;
	if (strcmp(s, "ed25519-sha256") == 0)
		return DKIM_ALG_ED25519_SHA256;
	return DKIM_ALG_UNKNOWN;
}

/* sign_options - parse the command line into run; an exit status or -1 */
static int
sign_options(struct sign_run *run, int argc, char **argv)
{
	struct sign_group *g = &run->defaults;
	int	 c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":a:c:d:i:k:s:x:")) != -1) {
		switch (c) {
		case 'd':
			if (run->ng == SIGN_MAX)
				return tool_usage("at most %d signatures",
				    SIGN_MAX);
			g = &run->g[run->ng++];
			*g = run->defaults;
			g->domain = optarg;
			break;
		case 'a':
			g->alg = optarg;
			break;
		case 'c':
			g->canon = optarg;
			break;
		case 'x':
			g->expire = optarg;
			break;
		case 'i':
		case 'k':
		case 's':
			if (g == &run->defaults)
				return tool_usage("-%c needs a -d before it",
				    c);
			if (c == 'i')
				g->identity = optarg;
			else if (c == 'k')
				g->keyfile = optarg;
			else
				g->selector = optarg;
			break;
		default:
			return tool_badopt("sign", c, argv);
		}
	}
	if (run->ng == 0)
		return tool_usage("sign needs -d DOMAIN -s SELECTOR "
		    "-k KEYFILE");
	if (argc - optind > 1)
		return tool_usage("sign: more than one FILE");
	return -1;
}

/* sign_spec - check group g and fill spec from it; an exit status or -1 */
static int
sign_spec(struct sign_group *g, struct dkim_signspec *spec)
{
	char	 err[256], *end;
	long	 x;

	memset(spec, 0, sizeof(*spec));
	if (g->selector == NULL || g->keyfile == NULL)
		return tool_usage("-d %s needs -s SELECTOR and -k KEYFILE",
		    g->domain);
	if (g->canon != NULL) {
		if (sign_canon(g->canon, &spec->hcanon, &spec->bcanon) < 0)
			return tool_usage("-c %s: use simple or relaxed, "
			    "as HEADER/BODY", g->canon);
		spec->canon_set = 1;
	}
	if (g->alg != NULL && sign_alg(g->alg) == DKIM_ALG_UNKNOWN)
		return tool_usage("-a %s: use rsa-sha256 or ed25519-sha256",
		    g->alg);
	if (g->expire != NULL) {
		errno = 0;
		x = strtol(g->expire, &end, 10);
		if (errno != 0 || *end != '\0' || end == g->expire || x <= 0)
			return tool_usage("-x %s: not a positive number of "
			    "seconds", g->expire);
		spec->expire_secs = x;
	}
	if ((g->key = dkim_key_load_file(g->keyfile, err, sizeof(err))) ==
	    NULL) {
		tool_err("%s: %s", g->keyfile, err);
		return TOOL_EX_FAIL;
	}
	if (g->alg != NULL && dkim_key_alg(g->key) != sign_alg(g->alg)) {
		tool_err("-a %s: %s is a %s key", g->alg, g->keyfile,
		    dkim_alg_name(dkim_key_alg(g->key)));
		return TOOL_EX_FAIL;
	}
	spec->domain = g->domain;
	spec->selector = g->selector;
	spec->identity = g->identity;
	spec->key = g->key;
	return -1;
}

/* tool_put_value - write a folded value, CRLF as LF when lf_only */
void
tool_put_value(const char *v, int lf_only)
{
	for (; *v != '\0'; v++) {
		if (lf_only && v[0] == '\r' && v[1] == '\n')
			continue;
		putchar(*v);
	}
}

/* sign_copy - copy the rest of fp to stdout; 0 or -1 */
static int
sign_copy(FILE *fp, char *buf)
{
	size_t	 n;

	while ((n = fread(buf, 1, MSGIN_CHUNK, fp)) > 0)
		if (fwrite(buf, 1, n, stdout) != n)
			return -1;
	return ferror(fp) ? -1 : 0;
}

/* sign_put - the DKIM-Signature fields made, for tool_rewrite() */
static int
sign_put(dkim_msg *msg, int lf_only, void *arg)
{
	size_t	 i;

	(void)arg;
	for (i = 0; i < dkim_sig_count(msg); i++) {
		fputs("DKIM-Signature:", stdout);
		tool_put_value(dkim_sig_header(msg, i), lf_only);
		fputs(lf_only ? "\n" : "\r\n", stdout);
	}
	return 0;
}

/*
 * tool_rewrite - feed the message to msg, then write what put() adds
 * (nothing is written when it returns -1) and the message; an exit
 * status. sign and arc-seal share it.
 */
int
tool_rewrite(dkim_msg *msg, FILE *fp, const char *name, char *buf,
    int (*put)(dkim_msg *, int lf_only, void *), void *arg)
{
	struct msgin mi;
	struct stat st;
	FILE	*spool = NULL;
	off_t	 body_at = -1;
	int	 status = TOOL_EX_FAIL;

	memset(&mi, 0, sizeof(mi));
	if (tool_feed_header(msg, &mi, fp, name) < 0)
		goto fail;
	/* replay the body from the file if it seeks, else from a copy */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode))
		body_at = ftello(fp);
	if (body_at < 0 && (spool = tmpfile()) == NULL) {
		tool_err("temporary file: %s", strerror(errno));
		goto fail;
	}
	if (tool_feed_body(msg, &mi, name, buf, spool) < 0)
		goto fail;

	if (put(msg, mi.lf_only, arg) < 0)
		goto fail;
	if (spool != NULL) {
		fwrite(mi.hdr, 1, mi.body_off, stdout);
		if (fflush(spool) != 0 || fseeko(spool, 0, SEEK_SET) < 0 ||
		    sign_copy(spool, buf) < 0) {
			tool_err("temporary file: %s", strerror(errno));
			goto fail;
		}
	} else {
		fwrite(mi.hdr, 1, mi.hlen, stdout);
		if (fseeko(fp, body_at, SEEK_SET) < 0 ||
		    sign_copy(fp, buf) < 0) {
			tool_err("%s: cannot read the body again", name);
			goto fail;
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		tool_err("stdout: %s", strerror(errno));
		goto fail;
	}
	status = TOOL_EX_OK;

fail:
	if (spool != NULL)
		fclose(spool);
	msgin_free(&mi);
	return status;
}

/* sign_main - dkimtool sign */
int
sign_main(int argc, char **argv)
{
	struct sign_run run;
	struct dkim_signspec spec;
	dkim_ctx *ctx = NULL;
	dkim_msg *msg = NULL;
	const char *name;
	char	*buf = NULL;
	FILE	*fp = NULL;
	size_t	 i;
	int	 status;

	memset(&run, 0, sizeof(run));
	if ((status = sign_options(&run, argc, argv)) >= 0)
		return status;
	status = TOOL_EX_FAIL;
	if ((ctx = dkim_ctx_new()) == NULL ||
	    (msg = dkim_msg_new(ctx, DKIM_MODE_SIGN)) == NULL ||
	    (buf = malloc(MSGIN_CHUNK)) == NULL) {
		tool_err("out of memory");
		goto fail;
	}
	for (i = 0; i < run.ng; i++) {
		if ((status = sign_spec(&run.g[i], &spec)) >= 0)
			goto fail;
		if (dkim_msg_add_signer(msg, &spec) != DKIM_OK) {
			tool_err("-d %s: %s", run.g[i].domain,
			    dkim_msg_error(msg));
			status = TOOL_EX_FAIL;
			goto fail;
		}
	}
	if ((fp = tool_open_input(argc, argv, optind, &name)) == NULL) {
		status = TOOL_EX_FAIL;
		goto fail;
	}
	status = tool_rewrite(msg, fp, name, buf, sign_put, NULL);

fail:
	if (fp != NULL && fp != stdin)
		fclose(fp);
	dkim_msg_free(msg);
	dkim_ctx_free(ctx);
	for (i = 0; i < run.ng; i++)
		dkim_key_free(run.g[i].key);
	free(buf);
	return status;
}
