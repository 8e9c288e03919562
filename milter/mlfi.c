/*
 * mlfi.c - the libmilter callbacks: thin adapters over the session
 *
 * SYNOPSIS
 *	mlfi_desc	the struct smfiDesc that main.c registers
 *	mlfi_inflight()	messages in flight now (for a clean stop)
 *
 * CONTRACT
 *	Each callback hands what it got to one session call (session.h),
 *	which decides what the message means, and carries out what the
 *	session answers with smfi_* calls: the header edits (deletions
 *	highest index first: the MTA renumbers after each one,
 *	CVE-2022-48521), the reply, the log line. What is a protocol
 *	detail stays here: the SMFIP_* options negotiated, the macros asked
 *	for, and the verdict held for the next command that has a reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "mlfi.h"

/* mlfi_inflight - messages between MAIL FROM and their end, now */
int
mlfi_inflight(void)
{
	return session_inflight();
}

/* mlfi_conn - this connection's state, made on first use */
static struct conn *
mlfi_conn(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
		metrics_conn(1);
	}
	return c;
}

/* macro - a macro's value for the session (struct session_mac) */
static const char *
macro(void *ctx, const char *name)
{
	return smfi_getsymval((SMFICTX *)ctx, (char *)name);
}

/* sfsis - the libmilter answer for a session verdict */
static sfsistat
sfsis(enum session_verdict v)
{
	switch (v) {
	case SESSION_ACCEPT:
		return SMFIS_ACCEPT;
	case SESSION_REJECT:
		return SMFIS_REJECT;
	case SESSION_TEMPFAIL:
		return SMFIS_TEMPFAIL;
	case SESSION_DISCARD:
		return SMFIS_DISCARD;
	case SESSION_CONTINUE:
		break;
	}
	return SMFIS_CONTINUE;
}

/*
 * carry - carry out what the session answered: when the message ends,
 * its edits (a refused one ends them), the reply, the log line
 */
static sfsistat
carry(SMFICTX *ctx, struct conn *c, struct session_out *out)
{
	char	what[64];
	size_t	i;

	if (!out->done)
		return SMFIS_CONTINUE;
	if (out->warn[0])
		log_warn("%s", out->warn);
	for (i = out->ndel; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)AR_NAME, (int)out->del[i - 1],
		    NULL) != MI_SUCCESS) {
			session_refused(&c->s, out,
			    "remove Authentication-Results");
			goto reply;
		}
	for (i = out->ndelsig; i > 0; i--)
		if (smfi_chgheader(ctx, (char *)SIG_NAME, (int)i, NULL) !=
		    MI_SUCCESS) {
			session_refused(&c->s, out, "remove DKIM-Signature");
			goto reply;
		}
	for (i = 0; i < out->nins; i++)
		if (smfi_insheader(ctx, 0, (char *)out->ins[i].name,
		    out->ins[i].value) != MI_SUCCESS) {
			snprintf(what, sizeof(what), "insert %s",
			    out->ins[i].name);
			session_refused(&c->s, out, what);
			break;
		}
reply:
	if (out->rcode != NULL)
		smfi_setreply(ctx, (char *)out->rcode, (char *)out->xcode,
		    (char *)out->text);
	session_finish(&c->s, out);
	if (out->log[0])
		log_info("%s", out->log);
	return sfsis(out->verdict);
}

/*
 * mlfi_hold - r as the answer to a command of stage (an SMFIP_NR_* flag):
 * when the MTA expects no reply there, a verdict other than continue is
 * kept for the next command that has one. A reply text set with
 * smfi_setreply() stays with the context until a reject or tempfail
 * sends it, so it goes out with the held verdict.
 */
static sfsistat
mlfi_hold(struct conn *c, unsigned long stage, sfsistat r)
{
	if (c == NULL || !(c->nr & stage))
		return r;
	if (r != SMFIS_CONTINUE && r != SMFIS_NOREPLY &&
	    c->held == SMFIS_CONTINUE)
		c->held = r;		/* the first verdict stands */
	return SMFIS_NOREPLY;
}

/* mlfi_release - the held verdict, once; SMFIS_CONTINUE when none */
static sfsistat
mlfi_release(struct conn *c)
{
	sfsistat r = c->held;

	c->held = SMFIS_CONTINUE;
	return r;
}

/*
 * mlfi_negotiate - ask for exact header bytes and fewer round trips
 *
 * SMFIP_NR_HDR saves a round trip (two context switches) per header;
 * NR_CONN, NR_MAIL and NR_EOH save three more a message, which leaves
 * the body chunks and end of message as the only commands answered. A
 * verdict reached at MAIL or end of header is held (mlfi_hold) and given
 * at the next reply. Over TCP a command with no reply would make the
 * MTA's next small write wait for our delayed ACK (+40 ms a message);
 * sockio.c acknowledges every read at once, so the saving holds there
 * too. With SMFIP_NR_BODY the MTA streams the body without waiting:
 * a 10 MB message takes 20% less CPU and half the time, at the price of
 * SMFIS_SKIP (a skip is a reply: an unsigned message's body is read,
 * not hashed) and of ~0.4 MB more at 16 connections streaming at once
 * (each libmilter worker holds a 64 KB chunk).
 * libmilter offers every NR_ step and answers "continue" for us where
 * the MTA has no such step, so old MTAs work the same. RCPT is asked
 * for only when the configuration in force has DontSignMailTo, and then
 * without a reply (SMFIP_NR_RCPT): one small write per recipient, no
 * round trip.
 */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = mlfi_conn(ctx);
	struct live *l;
	char	mail[1024];
	unsigned long want = SMFIP_NOHELO | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
	    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | SMFIP_NR_EOH |
	    SMFIP_NR_BODY;

	(void)f2;
	(void)f3;
	if (c == NULL)
		return SMFIS_REJECT;
	snprintf(mail, sizeof(mail), "i {auth_authen} {auth_type} "
	    "{daemon_name} {mail_addr}");
	if ((l = live_get()) != NULL) {
		if (l->conf->dontsignto == NULL)
			want |= SMFIP_NORCPT;
		mode_macros(l->conf, mail, sizeof(mail));
		live_put(l);
	}
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS))
		log_warn("MTA does not allow adding and changing headers");
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	c->s.leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->s.rcpt = (*pf1 & SMFIP_NORCPT) == 0;
	c->nr = *pf1 & (SMFIP_NR_HDR | SMFIP_NR_CONN | SMFIP_NR_MAIL |
	    SMFIP_NR_RCPT | SMFIP_NR_EOH | SMFIP_NR_BODY);
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT,
		    (char *)"j {daemon_name} {client_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM, mail);
		smfi_setsymlist(ctx, SMFIM_EOH, (char *)"i");
		smfi_setsymlist(ctx, SMFIM_EOM, (char *)"i");
	}
	return SMFIS_CONTINUE;
}

/* do_connect - the client address and the daemon name */
static sfsistat
do_connect(SMFICTX *ctx, struct sockaddr *sa)
{
	struct conn *c = mlfi_conn(ctx);
	struct session_mac mac = { macro, ctx };

	if (c == NULL)
		return SMFIS_ACCEPT;	/* no memory: pass the mail on */
	session_connect(&c->s, sa, &mac);
	return SMFIS_CONTINUE;
}

/* do_envfrom - start a message */
static sfsistat
do_envfrom(SMFICTX *ctx, struct conn *c)
{
	struct session_mac mac = { macro, ctx };
	struct session_out out;

	if (c == NULL)
		return SMFIS_ACCEPT;
	session_envfrom(&c->s, &mac, &out);
	return carry(ctx, c, &out);
}

/* do_eoh - end of header */
static sfsistat
do_eoh(SMFICTX *ctx, struct conn *c)
{
	struct session_mac mac = { macro, ctx };
	struct session_out out;

	if (c == NULL)
		return SMFIS_ACCEPT;
	session_eoh(&c->s, &mac, &out);
	return carry(ctx, c, &out);
}

/* mlfi_connect, mlfi_envfrom, mlfi_eoh - answered or held (mlfi_hold) */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	(void)host;
	return mlfi_hold(mlfi_conn(ctx), SMFIP_NR_CONN, do_connect(ctx, sa));
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);

	(void)argv;
	if (c != NULL)
		c->held = SMFIS_CONTINUE;
	return mlfi_hold(c, SMFIP_NR_MAIL, do_envfrom(ctx, c));
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);

	return mlfi_hold(c, SMFIP_NR_EOH, do_eoh(ctx, c));
}

/* mlfi_envrcpt - one recipient (DontSignMailTo); a verdict held from MAIL
 * stays held: given here it would apply to this recipient only */
static sfsistat
mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);

	if (c != NULL && argv != NULL)
		session_rcpt(&c->s, argv[0]);
	return mlfi_hold(c, SMFIP_NR_RCPT, SMFIS_CONTINUE);
}

/* mlfi_header - one header field, as received */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = mlfi_conn(ctx);

	if (c != NULL)
		session_header(&c->s, name, value);
	return mlfi_hold(c, SMFIP_NR_HDR, SMFIS_CONTINUE);
}

/* mlfi_body - a chunk of body, streamed into the engine; with
 * SMFIP_NR_BODY there is no reply, and a held verdict waits for the end */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = mlfi_conn(ctx);

	if (c != NULL)
		session_body(&c->s, buf, len);
	if (c != NULL && !(c->nr & SMFIP_NR_BODY))
		return mlfi_release(c);	/* a held verdict, or continue */
	return mlfi_hold(c, SMFIP_NR_BODY, SMFIS_CONTINUE);
}

/* mlfi_eom - end of message: a held verdict, or the session's */
static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);
	struct session_mac mac = { macro, ctx };
	struct session_out out;

	if (c != NULL && c->held != SMFIS_CONTINUE)
		return mlfi_release(c);
	if (c == NULL)
		return SMFIS_CONTINUE;
	session_eom(&c->s, &mac, &out);
	return carry(ctx, c, &out);
}

/* mlfi_abort - the message ends without end of message */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct session_out out;

	if (c == NULL)
		return SMFIS_CONTINUE;
	c->held = SMFIS_CONTINUE;
	session_abort(&c->s, &out, "aborted");
	if (out.log[0])
		log_info("%s", out.log);
	return SMFIS_CONTINUE;
}

/* mlfi_close - the connection ends */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	struct session_out out;

	if (c == NULL)
		return SMFIS_CONTINUE;
	session_abort(&c->s, &out, "connection closed mid-message");
	if (out.log[0])
		log_info("%s", out.log);
	smfi_setpriv(ctx, NULL);
	free(c);
	metrics_conn(-1);
	return SMFIS_CONTINUE;
}

struct smfiDesc mlfi_desc = {
	.xxfi_name = (char *)"dkimd",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
