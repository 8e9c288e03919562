/*
 * eom.c - end of message: insert signatures, or judge and report
 *
 * Signing inserts each DKIM-Signature the engine made at the top, its
 * CRLF folding turned into the LF that the MTA expects, and skips a
 * signature that the message already carries and that verifies (a
 * message signed by us once is not signed twice).
 *
 * Verifying removes the Authentication-Results fields that claim our
 * authserv-id, highest index first (CVE-2022-48521: the MTA renumbers
 * after each deletion), inserts ours at the top, and maps the results
 * to the On-* situations (onmap.c, by the engine's causes only): no
 * signature, a temporary DNS failure, a key not found, a bad signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "mlfi.h"
#include "onmap.h"

/* to_lf - a copy of v with CRLF made LF, without the leading space
 * unless keep_space (SMFIP_HDR_LEADSPC); NULL when out of memory */
static char *
to_lf(const char *v, int keep_space)
{
	char	*out, *o;

	if (!keep_space && *v == ' ')
		v++;
	if ((out = malloc(strlen(v) + 1)) == NULL)
		return NULL;
	for (o = out; *v; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))
			*o++ = *v;
	*o = '\0';
	return out;
}

/* insert - insert field name: value at the top */
static int
insert(SMFICTX *ctx, struct conn *c, const char *name, const char *value)
{
	char	*v;
	int	r;

	if ((v = to_lf(value, c->leadspc)) == NULL)
		return -1;
	r = smfi_insheader(ctx, 0, (char *)name, v);
	free(v);
	return r == MI_SUCCESS ? 0 : -1;
}

/* already_signed - the message carries a passing signature d=, s= */
static int
already_signed(const struct msg *m, const char *d, const char *s)
{
	const struct dkim_sigresult *r;
	size_t	i;

	for (i = 0; m->check != NULL && i < dkim_result_count(m->check); i++) {
		r = dkim_result_get(m->check, i);
		if (r->result == DKIM_RES_PASS && strcasecmp(r->domain, d) == 0 &&
		    strcasecmp(r->selector, s) == 0)
			return 1;
	}
	return 0;
}

/* eom_sign - insert the signatures made */
static sfsistat
eom_sign(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->m;
	char	out[1024];
	size_t	n, o = 0;

	if (m->check != NULL && dkim_eom(m->check) != DKIM_OK)
		log_warn("%s: checking existing signatures: %s", m->qid,
		    dkim_msg_error(m->check));
	out[0] = '\0';
	for (n = 0; n < dkim_sig_count(m->dm) && n < m->nsigners; n++) {
		const struct signer *s = &m->signers[n];
		const char *alg = dkim_alg_name(dkim_key_alg(s->key->key));
		int	skip = already_signed(m, s->domain, s->key->selector);

		if (!skip && insert(ctx, c, "DKIM-Signature",
		    dkim_sig_header(m->dm, n)) < 0) {
			mlfi_fail(m, "insert DKIM-Signature", "MTA refused");
			return mlfi_internal(ctx, c);
		}
		if (o < sizeof(out))
			o += (size_t)snprintf(out + o, sizeof(out) - o,
			    "%sd=%s s=%s a=%s %s", n ? ", " : "", s->domain,
			    s->key->selector, alg, skip ? "already signed" :
			    "signed");
	}
	return mlfi_finish(c, SMFIS_CONTINUE, out);
}

/* strip_ours - remove forged Authentication-Results, highest index
 * first; the indexes removed, in order, go to done (for LogWhy) */
static int
strip_ours(SMFICTX *ctx, struct msg *m, char *done, size_t donelen)
{
	size_t	i, o = 0;

	done[0] = '\0';
	for (i = m->nours; i > 0; i--) {
		if (smfi_chgheader(ctx, (char *)AR_NAME, (int)m->ours[i - 1],
		    NULL) != MI_SUCCESS)
			return -1;
		if (o < donelen)
			o += (size_t)snprintf(done + o, donelen - o, " #%zu",
			    m->ours[i - 1]);
	}
	return 0;
}

/*
 * summary - one "d= s= a= result (reason) cause=token" item per
 * signature, for the log; the reason with LogWhy, the cause (a token of
 * the engine, dkim_cause_name) unless it passed
 */
static void
summary(const dkim_msg *dm, int logwhy, char *out, size_t outlen)
{
	const struct dkim_sigresult *r;
	size_t	i, o = 0, n = dkim_result_count(dm);
	int	pass;

	snprintf(out, outlen, "no signature");
	for (i = 0; i < n && o < outlen; i++) {
		r = dkim_result_get(dm, i);
		pass = r->cause == DKIM_CAUSE_PASS;
		o += (size_t)snprintf(out + o, outlen - o,
		    "%sd=%s s=%s a=%s %s%s%s%s%s%s",
		    i ? ", " : "", r->domain[0] ? r->domain : "-",
		    r->selector[0] ? r->selector : "-",
		    r->alg_name[0] ? r->alg_name : "-",
		    dkim_result_name(r->result),
		    logwhy && r->reason[0] ? " (" : "",
		    logwhy ? r->reason : "", logwhy && r->reason[0] ? ")" : "",
		    pass ? "" : " cause=",
		    pass ? "" : dkim_cause_name(r->cause));
	}
}

/* eom_verify - report the results, take the configured action */
static sfsistat
eom_verify(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->m;
	const struct conf *cf = m->live->conf;
	enum conf_on on = onmap_message(m->dm);
	enum conf_action a = on == CONF_ON_MAX ? CONF_ACT_ACCEPT :
	    conf_action(cf, on);
	char	out[1500], done[200], *ar;
	size_t	o;

	summary(m->dm, 1, out, sizeof(out));
	o = strlen(out);
	if (a != CONF_ACT_ACCEPT) {
		snprintf(out + o, sizeof(out) - o, "; %s", conf_action_name(a));
		return mlfi_finish(c, mlfi_act(ctx, m, on, "DKIM verification "
		    "failed"), out);
	}
	if (strip_ours(ctx, m, done, sizeof(done)) < 0) {
		mlfi_fail(m, "remove Authentication-Results", "MTA refused");
		return mlfi_internal(ctx, c);
	}
	if ((ar = dkim_ar_value(m->dm, cf->authservid)) == NULL) {
		mlfi_fail(m, "Authentication-Results", "out of memory");
		return mlfi_internal(ctx, c);
	}
	if (insert(ctx, c, AR_NAME, ar) < 0) {
		free(ar);
		mlfi_fail(m, "insert Authentication-Results", "MTA refused");
		return mlfi_internal(ctx, c);
	}
	free(ar);
	if (m->nours > 0 && o < sizeof(out))
		snprintf(out + o, sizeof(out) - o, "; removed %zu forged "
		    "Authentication-Results%s", m->nours, cf->logwhy ? done : "");
	return mlfi_finish(c, SMFIS_CONTINUE, out);
}

/* verify_failed - after an internal error, still strip forged fields */
static sfsistat
verify_failed(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->m;
	const struct conf *cf = m->live->conf;
	char	ar[600], done[200];

	if (conf_action(cf, CONF_ON_INTERNALERROR) == CONF_ACT_ACCEPT &&
	    strip_ours(ctx, m, done, sizeof(done)) == 0) {
		snprintf(ar, sizeof(ar), " %s; dkim=temperror (internal error)",
		    cf->authservid);
		(void)insert(ctx, c, AR_NAME, ar);
	}
	return mlfi_internal(ctx, c);
}

/* too_many - forged Authentication-Results beyond what can be removed:
 * delivering some of them would pass a forgery on, so the message is
 * refused for now, whatever On-InternalError says */
static sfsistat
too_many(SMFICTX *ctx, struct conn *c)
{
	char	out[200];

	smfi_setreply(ctx, "451", "4.7.0",
	    (char *)"too many Authentication-Results fields");
	snprintf(out, sizeof(out), "more than %zu forged "
	    "Authentication-Results; tempfail", c->m->nours);
	return mlfi_finish(c, SMFIS_TEMPFAIL, out);
}

/* mlfi_eom - end of message */
sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);
	struct msg *m = c ? c->m : NULL;
	const char *v;

	if (c != NULL && c->held != SMFIS_CONTINUE)
		return mlfi_release(c);
	if (m == NULL)
		return SMFIS_CONTINUE;
	if ((v = mlfi_macro(ctx, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	if (m->ar_overflow)
		return too_many(ctx, c);
	if (!m->failed && dkim_eom(m->dm) != DKIM_OK)
		mlfi_fail(m, "eom", dkim_msg_error(m->dm));
	if (m->failed)
		return m->mode == MODE_VERIFY ? verify_failed(ctx, c) :
		    mlfi_internal(ctx, c);
	return m->mode == MODE_SIGN ? eom_sign(ctx, c) : eom_verify(ctx, c);
}
