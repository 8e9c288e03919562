/*
 * nullmilter - a libmilter filter that speaks as dkimd speaks and does no DKIM
 *
 *	nullmilter -p SOCKET [-n]	(in the foreground until SIGTERM)
 *
 * The floor under dkimd in bench/bench-postfix.sh: what Postfix pays for
 * any milter built on libmilter, with dkimd's conversation and none of its
 * work. It negotiates the protocol steps dkimd negotiates (mlfi.c: no HELO,
 * DATA or unknown; no reply to connect, MAIL, RCPT, headers, end of header
 * or body chunks; header values with their leading space; no RCPT at all),
 * asks for the same macros, and at the end of each message inserts one
 * field at the top, 600 bytes like an RSA-2048 DKIM-Signature, as dkimd
 * does. It reads nothing it is sent and keeps no state; -n inserts no
 * field. Each end of message is counted, and the count is written to
 * stderr at exit ("nullmilter: N messages"), so that a benchmark can prove
 * every message went through it.
 *
 * Built twice (Makefile.am): nullmilter on the system's libmilter as any
 * milter would link it, and nullmilter-sio (NULLMILTER_SIO) on dkimd's
 * confined copy of libmilter with milter/sockio.c under it, so that the
 * two tell libmilter's own cost from what dkimd's socket layer saves.
 */

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#ifdef NULLMILTER_SIO
int	main_sigwait(const sigset_t *, int *);

/* main_sigwait - the confined libmilter's sigwait(): the C library's */
int
main_sigwait(const sigset_t *set, int *sig)
{
	return sigwait(set, sig);
}
#endif

static char	 field[600];
static int	 nofield;
static unsigned long count;

/* nm_negotiate - dkimd's protocol steps and macros (milter/mlfi.c) */
static sfsistat
nm_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
	    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_EOH |
	    SMFIP_NR_BODY | SMFIP_NORCPT;

	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT,
		    (char *)"j {daemon_name} {client_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, (char *)"i {auth_authen} "
		    "{auth_type} {daemon_name} {mail_addr}");
		smfi_setsymlist(ctx, SMFIM_EOH, (char *)"i");
		smfi_setsymlist(ctx, SMFIM_EOM, (char *)"i");
	}
	return SMFIS_CONTINUE;
}

/* nm_connect, nm_envfrom, nm_header, nm_eoh, nm_body - nothing to do */
static sfsistat
nm_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
nm_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

/* nm_eom - one field inserted at the top, as a signer would */
static sfsistat
nm_eom(SMFICTX *ctx)
{
	__atomic_add_fetch(&count, 1, __ATOMIC_RELAXED);
	if (!nofield && smfi_insheader(ctx, 0, (char *)"DKIM-Signature",
	    field) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc;
	const char *sock = NULL;
	int	ch, r;
	size_t	i, n;

	while ((ch = getopt(argc, argv, "np:")) != -1) {
		switch (ch) {
		case 'n':
			nofield = 1;
			break;
		case 'p':
			sock = optarg;
			break;
		default:
			sock = NULL;
			optind = argc + 1;
			break;
		}
	}
	if (sock == NULL || optind != argc) {
		fprintf(stderr, "usage: nullmilter -p SOCKET [-n]\n");
		return 2;
	}
	/* a DKIM-Signature's shape: tags, then b= folded every 70 */
	n = (size_t)snprintf(field, sizeof(field), " v=1; a=rsa-sha256; "
	    "c=relaxed/relaxed; d=example.com; s=bench;\r\n\tb=");
	for (i = 0; n + 74 < sizeof(field); i++) {
		memset(field + n, "AZaz09+/"[i % 8], 70);
		memcpy(field + n + 70, "\r\n\t", 3);
		n += 73;
	}
	field[n - 3] = '\0';

	memset(&desc, 0, sizeof(desc));
	desc.xxfi_name = (char *)"nullmilter";
	desc.xxfi_version = SMFI_VERSION;
	desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS;
	desc.xxfi_connect = nm_connect;
	desc.xxfi_envfrom = nm_envfrom;
	desc.xxfi_header = nm_header;
	desc.xxfi_eoh = nm_eoh;
	desc.xxfi_body = nm_body;
	desc.xxfi_eom = nm_eom;
	desc.xxfi_negotiate = nm_negotiate;
	if (smfi_setconn((char *)sock) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		fprintf(stderr, "nullmilter: cannot use %s\n", sock);
		return 1;
	}
	r = smfi_main();
	fprintf(stderr, "nullmilter: %lu messages\n", count);
	return r == MI_SUCCESS ? 0 : 1;
}
