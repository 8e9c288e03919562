/*
 * session_eom.c - end of message: the signatures to insert, or the
 * verdict and the Authentication-Results edits
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
 * On a daemon of ARCSealMTA (conf_arc_seal) verifying then seals: a new
 * ARC set (RFC 8617 §5.1) made with ARCKey goes on top, ARC-Seal
 * topmost. Its ARC-Authentication-Results carries only what dkimd found
 * itself (dkim= of each signature, arc= of the chain, smtp.remote-ip):
 * an Authentication-Results field naming our authserv-id that reaches
 * a milter cannot be told from one the sender forged, so every one is
 * removed (above) and none is copied. A chain that may not be continued
 * (sealed cv=fail before, or DKIM_ARC_MAX sets: the engine refuses) is
 * delivered unsealed, and the log line says why.
 *
 * The edits are listed in struct session_out (session.h); mlfi.c carries
 * them out. No libmilter header is included here.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "metrics.h"
#include "onmap.h"
#include "session.h"

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

/* session_insert - list field name: value for insertion at the top; the
 * message owns the copy */
int
session_insert(struct msg *m, struct session_out *out, int leadspc,
    const char *name, const char *value)
{
	char	*v;

	if (out->nins >= SESSION_MAX_INS || m->nins >= SESSION_MAX_INS ||
	    (v = to_lf(value, leadspc)) == NULL)
		return -1;
	m->ins[m->nins++] = v;
	out->ins[out->nins].name = name;
	out->ins[out->nins++].value = v;
	return 0;
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

/* safe_qid - the MTA's queue id with only its letters, digits and
 * ".-_" ("NOQUEUE" when none is left), so no byte of it can end a
 * quoted string or start another field */
static void
safe_qid(const struct msg *m, char *qid, size_t len)
{
	size_t	i, o = 0;

	for (i = 0; m->qid[i] != '\0' && o + 1 < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.-_", m->qid[i]) != NULL)
			qid[o++] = m->qid[i];
	qid[o] = '\0';
	if (o == 0)
		snprintf(qid, len, "NOQUEUE");
}

/*
 * software - SoftwareHeader, OpenDKIM's meaning: one DKIM-Filter field
 * naming the product, its version, our AuthservID (a checked token) and
 * the queue id (safe_qid); 0 or -1
 */
static int
software(struct msg *m, struct session_out *out, int leadspc)
{
	char	v[400], qid[64];

	if (!m->live->conf->softwareheader)
		return 0;
	safe_qid(m, qid, sizeof(qid));
	snprintf(v, sizeof(v), " dkimd v%s %s %s", PACKAGE_VERSION,
	    m->live->conf->authservid, qid);
	return session_insert(m, out, leadspc, "DKIM-Filter", v);
}

/*
 * ar_value - our Authentication-Results value; with AuthservIDWithJobID
 * (OpenDKIM's meaning) its authserv-id is "AuthservID/queue-id", quoted
 * because '/' may not stand in a token (RFC 8601 §2.2, RFC 2045 value).
 * dkim_ar_is_ours() stops at the '/', so forgeries of this form are
 * removed as ours. NULL when out of memory.
 */
static char *
ar_value(const struct msg *m, const char *client)
{
	const struct conf *cf = m->live->conf;
	char	*ar, *v, qid[64];
	size_t	skip = 1 + strlen(cf->authservid), n;

	if ((ar = dkim_ar_value_client(m->dm, cf->authservid, client)) ==
	    NULL || !cf->authservidjobid || strlen(ar) < skip)
		return ar;
	safe_qid(m, qid, sizeof(qid));
	n = strlen(cf->authservid) + strlen(qid) + strlen(ar + skip) + 8;
	if ((v = malloc(n)) != NULL)
		snprintf(v, n, " \"%s/%s\"%s", cf->authservid, qid, ar + skip);
	free(ar);
	return v;
}

/* eom_sign - the signatures made, to insert */
static void
eom_sign(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	char	*o1 = m->outcome;
	size_t	n, o = 0, olen = 1024;

	if (m->check != NULL && dkim_eom(m->check) != DKIM_OK)
		snprintf(out->warn, sizeof(out->warn), "%s: checking existing "
		    "signatures: %s", m->qid, dkim_msg_error(m->check));
	o1[0] = '\0';
	for (n = 0; n < dkim_sig_count(m->dm) && n < m->nsigners; n++) {
		const struct signer *sg = &m->signers[n];
		const char *alg = dkim_alg_name(dkim_key_alg(sg->key->key));
		int	skip = already_signed(m, sg->domain, sg->key->selector);

		if (!skip && session_insert(m, out, s->leadspc,
		    "DKIM-Signature", dkim_sig_header(m->dm, n)) < 0) {
			session_fail(m, "insert DKIM-Signature", "out of memory");
			out->nins = 0;
			session_internal(s, out);
			return;
		}
		if (!skip)
			metrics_signature(dkim_key_alg(sg->key->key));
		if (o < olen)
			o += (size_t)snprintf(o1 + o, olen - o,
			    "%sd=%s s=%s a=%s %s", n ? ", " : "", sg->domain,
			    sg->key->selector, alg, skip ? "already signed" :
			    "signed");
	}
	if (m->live->conf->removeoldsigs && m->nsig > 0) {
		out->ndelsig = m->nsig;
		if (o < olen)
			snprintf(o1 + o, olen - o, "; removed %zu old "
			    "DKIM-Signature", m->nsig);
	}
	if (software(m, out, s->leadspc) < 0) {
		session_fail(m, "insert DKIM-Filter", "out of memory");
		out->nins = 0;
		out->ndelsig = 0;
		session_internal(s, out);
		return;
	}
	session_end(out, SESSION_CONTINUE, o1);
}

/* done_list - the indexes removed, in order (for LogWhy) */
static void
done_list(const struct msg *m, char *done, size_t donelen)
{
	size_t	i, o = 0;

	done[0] = '\0';
	for (i = m->nours; i > 0 && o < donelen; i--)
		o += (size_t)snprintf(done + o, donelen - o, " #%zu",
		    m->ours[i - 1]);
}

/* strip_ours - list the forged Authentication-Results for removal */
static void
strip_ours(const struct msg *m, struct session_out *out)
{
	out->del = m->ours;
	out->ndel = m->nours;
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

/*
 * arc_summary - "; arc=pass|fail (reason)" after the signatures, for
 * the log, when the message has ARC fields
 */
static void
arc_summary(const dkim_msg *dm, char *out, size_t outlen)
{
	const struct dkim_arcresult *a = dkim_arc_get(dm);
	size_t	o = strlen(out);

	if (a->result != DKIM_ARC_NONE && o < outlen)
		snprintf(out + o, outlen - o, "; arc=%s%s%s%s",
		    dkim_arc_result_name(a->result), a->reason[0] ? " (" : "",
		    a->reason, a->reason[0] ? ")" : "");
}

/*
 * arc_seal - the new ARC set, listed for insertion AAR, AMS, AS (each
 * goes on top, so the ARC-Seal ends topmost); what happened is appended
 * to the outcome o1. Out of memory, the message goes on unsealed, never
 * with part of a set.
 */
static void
arc_seal(struct session *s, struct session_out *out, char *o1, size_t olen)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	const struct dkim_arcresult *a;
	struct dkim_arcspec sp;
	const char *why = "out of memory";
	char	*ar, *f[3] = { NULL, NULL, NULL };
	size_t	o = strlen(o1), n0 = out->nins;
	int	i;

	if ((ar = dkim_ar_value_client(m->dm, cf->authservid,
	    s->client[0] ? s->client : NULL)) == NULL)
		goto fail;
	memset(&sp, 0, sizeof(sp));
	sp.domain = cf->arc_key->domain;
	sp.selector = cf->arc_key->selector;
	sp.key = cf->arc_key->key;
	sp.authres = ar[0] == ' ' ? ar + 1 : ar;
	if (dkim_arc_seal(m->dm, &sp, f) != DKIM_OK) {
		why = dkim_msg_error(m->dm);
		goto fail;
	}
	for (i = 2; i >= 0; i--)
		if (session_insert(m, out, s->leadspc, dkim_arc_field_name(i),
		    f[i]) < 0)
			goto fail;
	a = dkim_arc_get(m->dm);
	if (o < olen)
		snprintf(o1 + o, olen - o, "; ARC-sealed i=%u cv=%s d=%s s=%s",
		    a->instances + 1, a->result == DKIM_ARC_PASS ? "pass" :
		    a->result == DKIM_ARC_NONE ? "none" : "fail", sp.domain,
		    sp.selector);
	goto done;
fail:
	out->nins = n0;
	if (o < olen)
		snprintf(o1 + o, olen - o, "; not ARC-sealed (%s)", why);
done:
	for (i = 0; i < 3; i++)
		free(f[i]);
	free(ar);
}

/* eom_verify - report the results, take the configured action */
static void
eom_verify(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	enum conf_on on = onmap_message(m->dm);
	enum conf_action a = on == CONF_ON_MAX ? CONF_ACT_ACCEPT :
	    conf_action(cf, on);
	char	*o1 = m->outcome, done[200], *ar;
	size_t	o, olen = sizeof(m->outcome), i;

	if (m->external[0])
		snprintf(out->warn, sizeof(out->warn), "%s: external host %s "
		    "(not in ExternalIgnoreList)", m->qid[0] ? m->qid :
		    "NOQUEUE", m->external);
	for (i = 0; i < dkim_result_count(m->dm); i++)
		metrics_sigresult(dkim_result_get(m->dm, i)->cause);
	summary(m->dm, 1, o1, olen);
	arc_summary(m->dm, o1, olen);
	o = strlen(o1);
	if (a != CONF_ACT_ACCEPT) {
		snprintf(o1 + o, olen - o, "; %s", conf_action_name(a));
		session_act(m, out, on, "DKIM verification failed");
		out->outcome = o1;
		return;
	}
	strip_ours(m, out);	/* first: they go even on an error below */
	if (dkim_result_count(m->dm) == 0 && !cf->alwaysaddar &&
	    (dkim_arc_get(m->dm) == NULL ||
	    dkim_arc_get(m->dm)->result == DKIM_ARC_NONE))
		goto done;	/* AlwaysAddARHeader no: none for unsigned */
	/* arc= gets smtp.remote-ip (RFC 8617 §8.1) when the MTA said it */
	if ((ar = ar_value(m, s->client[0] ? s->client : NULL)) == NULL) {
		session_fail(m, "Authentication-Results", "out of memory");
		session_internal(s, out);
		return;
	}
	if (session_insert(m, out, s->leadspc, AR_NAME, ar) < 0) {
		free(ar);
		session_fail(m, "insert Authentication-Results",
		    "out of memory");
		session_internal(s, out);
		return;
	}
	free(ar);
done:
	if (software(m, out, s->leadspc) < 0) {
		session_fail(m, "insert DKIM-Filter", "out of memory");
		session_internal(s, out);
		return;
	}
	if (m->seal)
		arc_seal(s, out, o1, olen);
	o = strlen(o1);
	done_list(m, done, sizeof(done));
	if (m->nours > 0 && o < olen)
		snprintf(o1 + o, olen - o, "; removed %zu forged "
		    "Authentication-Results%s", m->nours, cf->logwhy ? done : "");
	session_end(out, SESSION_CONTINUE, o1);
}

/* verify_failed - after an internal error, still strip forged fields
 * and say temperror, as well as the MTA lets us */
static void
verify_failed(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	char	ar[600];

	if (conf_action(cf, CONF_ON_INTERNALERROR) == CONF_ACT_ACCEPT) {
		snprintf(ar, sizeof(ar), " %s; dkim=temperror (internal error)",
		    cf->authservid);
		strip_ours(m, out);
		(void)session_insert(m, out, s->leadspc, AR_NAME, ar);
		out->best_effort = 1;
	}
	session_internal(s, out);
}

/* too_many - forged Authentication-Results beyond what can be removed:
 * delivering some of them would pass a forgery on, so the message is
 * refused for now, whatever On-InternalError says */
static void
too_many(struct msg *m, struct session_out *out)
{
	out->rcode = "451";
	out->xcode = "4.7.0";
	out->text = "too many Authentication-Results fields";
	snprintf(m->outcome, sizeof(m->outcome), "more than %zu forged "
	    "Authentication-Results; tempfail", m->nours);
	session_end(out, SESSION_TEMPFAIL, m->outcome);
}

/* session_eom_do - the end of a message in progress */
void
session_eom_do(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;

	if (m->ar_overflow && m->mode == MODE_VERIFY) {
		too_many(m, out);
		return;
	}
	if (m->exempt) {
		strip_ours(m, out);
		session_end(out, SESSION_CONTINUE, m->outcome);
		return;
	}
	if (!m->failed && dkim_eom(m->dm) != DKIM_OK)
		session_fail(m, "eom", dkim_msg_error(m->dm));
	if (m->failed) {
		if (m->mode == MODE_VERIFY)
			verify_failed(s, out);
		else
			session_internal(s, out);
		return;
	}
	if (m->mode == MODE_SIGN)
		eom_sign(s, out);
	else
		eom_verify(s, out);
}
