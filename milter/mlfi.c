/*
 * mlfi.c - the libmilter callbacks: a thin adapter over dkimcore
 *
 * SYNOPSIS
 *	mlfi_desc	the struct smfiDesc that main.c registers
 *	mlfi_inflight()	messages in flight now (for a clean stop)
 *
 * CONTRACT
 *	Each callback hands what it got to one dkimcore call, turns an error
 *	into one log line and the configured On-* action, and never lets a
 *	message be lost on dkimd's own failure unless configured to.
 *	Per-connection state (struct conn) lives from negotiation to close;
 *	per-message state (struct msg) from MAIL FROM to end of message or
 *	abort, and holds one reference to the configuration in force, so a
 *	reload never changes the rules under a message.
 *
 *	Verification removes every Authentication-Results field that claims
 *	our authserv-id, counting them as they came in and deleting from the
 *	highest index down: Postfix renumbers after each deletion, and
 *	deleting upwards would skip fields (CVE-2022-48521).
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "live.h"
#include "log.h"
#include "mlfi.h"
#include "mode.h"
#include "table.h"

#define MIN_OURS	4096	/* forged A-R fields always removable */

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static int inflight;

/* mlfi_inflight - messages between MAIL FROM and their end, now */
int
mlfi_inflight(void)
{
	int	n;

	pthread_mutex_lock(&inflight_lock);
	n = inflight;
	pthread_mutex_unlock(&inflight_lock);
	return n;
}

/* count - add d to the number of messages in flight */
static void
count(int d)
{
	pthread_mutex_lock(&inflight_lock);
	inflight += d;
	pthread_mutex_unlock(&inflight_lock);
}

/* msg_free - end a message's state; NULL is a no-op */
static void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	count(-1);
	if (m->live != NULL)
		table_release(m->live->conf->signtab, m->signers,
		    m->nsigners);
	dkim_msg_free(m->dm);
	dkim_msg_free(m->check);
	live_put(m->live);
	free(m->ours);
	free(m);
}

/* mlfi_conn - this connection's state, made on first use */
struct conn *
mlfi_conn(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL) {
		if (smfi_setpriv(ctx, c) != MI_SUCCESS) {
			free(c);
			return NULL;
		}
	}
	return c;
}

/* mlfi_macro - a macro's value, or NULL */
const char *
mlfi_macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && *v != '\0' ? v : NULL;
}

/* elapsed_ms - milliseconds since t0 */
static long
elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	    (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* mlfi_fail - record an internal error (the first one wins) */
void
mlfi_fail(struct msg *m, const char *what, const char *why)
{
	if (m->failed)
		return;
	m->failed = 1;
	snprintf(m->err, sizeof(m->err), "%s: %s", what, why ? why : "?");
}

/* mlfi_act - take the action configured for situation on */
sfsistat
mlfi_act(SMFICTX *ctx, struct msg *m, enum conf_on on, const char *what)
{
	enum conf_action a = conf_action(m->live->conf, on);

	switch (a) {
	case CONF_ACT_TEMPFAIL:
		smfi_setreply(ctx, "451", "4.7.5", (char *)what);
		return SMFIS_TEMPFAIL;
	case CONF_ACT_REJECT:
		smfi_setreply(ctx, "550", "5.7.1", (char *)what);
		return SMFIS_REJECT;
	case CONF_ACT_DISCARD:
		return SMFIS_DISCARD;
	case CONF_ACT_ACCEPT:
		break;
	}
	return SMFIS_ACCEPT;
}

/* mlfi_finish - log the message's one line, free its state, return r */
sfsistat
mlfi_finish(struct conn *c, sfsistat r, const char *outcome)
{
	struct msg *m = c->m;

	log_info("%s: %s (%s): %s; %ld ms", m->qid[0] ? m->qid : "NOQUEUE",
	    m->mode == MODE_SIGN ? "sign" : m->mode == MODE_VERIFY ?
	    "verify" : "pass", m->why, outcome, elapsed_ms(&m->t0));
	msg_free(m);
	c->m = NULL;
	return r;
}

/* mlfi_internal - log an internal error and take On-InternalError */
sfsistat
mlfi_internal(SMFICTX *ctx, struct conn *c)
{
	struct msg *m = c->m;
	enum conf_action a = conf_action(m->live->conf, CONF_ON_INTERNALERROR);
	char	out[400];
	sfsistat r;

	r = mlfi_act(ctx, m, CONF_ON_INTERNALERROR, "internal error");
	snprintf(out, sizeof(out), "internal error: %s; %s", m->err,
	    conf_action_name(a));
	return mlfi_finish(c, r, out);
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
sfsistat
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
 * the MTA has no such step, so old MTAs work the same.
 */
static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct conn *c = mlfi_conn(ctx);
	unsigned long want = SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN |
	    SMFIP_NODATA | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
	    SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_EOH | SMFIP_NR_BODY;

	(void)f2;
	(void)f3;
	if (c == NULL)
		return SMFIS_REJECT;
	if ((f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS)) !=
	    (SMFIF_ADDHDRS | SMFIF_CHGHDRS))
		log_warn("MTA does not allow adding and changing headers");
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_SETSYMLIST);
	*pf1 = f1 & want;
	*pf2 = 0;
	*pf3 = 0;
	c->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	c->nr = *pf1 & (SMFIP_NR_HDR | SMFIP_NR_CONN | SMFIP_NR_MAIL |
	    SMFIP_NR_EOH | SMFIP_NR_BODY);
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT,
		    (char *)"j {daemon_name} {client_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM,
		    (char *)"i {auth_authen} {auth_type} {daemon_name} "
		    "{mail_addr}");
		smfi_setsymlist(ctx, SMFIM_EOH, (char *)"i");
		smfi_setsymlist(ctx, SMFIM_EOM, (char *)"i");
	}
	return SMFIS_CONTINUE;
}

/* do_connect - remember the client address and the daemon name */
static sfsistat
do_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct conn *c = mlfi_conn(ctx);
	const char *v;

	(void)host;
	if (c == NULL)
		return SMFIS_ACCEPT;	/* no memory: pass the mail on */
	c->have_sa = 0;
	if (sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6)) {
		memcpy(&c->sa, sa, sa->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		c->have_sa = 1;
	}
	if ((v = mlfi_macro(ctx, "{client_addr}")) != NULL)
		snprintf(c->client, sizeof(c->client), "%s", v);
	if ((v = mlfi_macro(ctx, "{daemon_name}")) != NULL)
		snprintf(c->daemon, sizeof(c->daemon), "%s", v);
	return SMFIS_CONTINUE;
}

/* msg_start - a new message: configuration, decision, engine state */
static int
msg_start(SMFICTX *ctx, struct conn *c, struct msg *m)
{
	struct mode_in in;
	const char *v;

	if ((v = mlfi_macro(ctx, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	if ((v = mlfi_macro(ctx, "{daemon_name}")) != NULL)
		snprintf(c->daemon, sizeof(c->daemon), "%s", v);
	memset(&in, 0, sizeof(in));
	in.daemon_name = c->daemon[0] ? c->daemon : NULL;
	in.auth_authen = mlfi_macro(ctx, "{auth_authen}");
	in.auth_type = mlfi_macro(ctx, "{auth_type}");
	in.client = c->have_sa ? (struct sockaddr *)&c->sa : NULL;
	in.client_text = c->client[0] ? c->client : NULL;
	m->mode = mode_choose(m->live->conf, &in, m->why, sizeof(m->why));
	author_init(&m->author);
	if (m->mode == MODE_NONE)
		return 0;
	m->dm = dkim_msg_new(m->live->ctx, m->mode == MODE_SIGN ?
	    DKIM_MODE_SIGN : DKIM_MODE_VERIFY);
	if (m->mode == MODE_SIGN)
		m->check = dkim_msg_new(m->live->ctx, DKIM_MODE_VERIFY);
	if (m->dm == NULL || (m->mode == MODE_SIGN && m->check == NULL))
		return -1;
	return 0;
}

/* do_envfrom - start a message */
static sfsistat
do_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);
	struct msg *m;

	(void)argv;
	if (c == NULL)
		return SMFIS_ACCEPT;
	msg_free(c->m);
	c->m = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return SMFIS_ACCEPT;	/* logged nowhere: no memory to */
	count(1);
	clock_gettime(CLOCK_MONOTONIC, &m->t0);
	c->m = m;
	if ((m->live = live_get()) == NULL)
		return mlfi_finish(c, SMFIS_ACCEPT, "no configuration");
	if (msg_start(ctx, c, m) < 0) {
		mlfi_fail(m, "start", "out of memory");
		return mlfi_internal(ctx, c);
	}
	if (m->mode == MODE_NONE)
		return mlfi_finish(c, SMFIS_ACCEPT, "passed unchanged");
	return SMFIS_CONTINUE;
}

/* remember_ours - note the index of a forged Authentication-Results; the
 * list grows with the header block, at most one entry per 16 bytes of
 * MaximumHeaderBytes (and never below MIN_OURS entries) */
static void
remember_ours(struct msg *m)
{
	size_t	max = (size_t)m->live->conf->maxheaderbytes / 16, na;
	size_t	*nv;

	if (max < MIN_OURS)
		max = MIN_OURS;
	if (m->nours == m->aours) {
		na = m->aours ? m->aours * 2 : 8;
		if (na > max)
			na = max;
		if (m->nours >= na ||
		    (nv = realloc(m->ours, na * sizeof(*nv))) == NULL) {
			m->ar_overflow = 1;
			return;
		}
		m->ours = nv;
		m->aours = na;
	}
	m->ours[m->nours++] = m->ar_n;
}

/* note_header - what the milter itself needs from a field */
static void
note_header(struct msg *m, const char *name, const char *value)
{
	if (strcasecmp(name, AR_NAME) == 0) {
		m->ar_n++;
		if (m->mode == MODE_VERIFY && dkim_ar_is_ours(value,
		    strlen(value), m->live->conf->authservid))
			remember_ours(m);
	} else if (strcasecmp(name, "DKIM-Signature") == 0)
		m->has_sig = 1;
	if (m->mode == MODE_SIGN)
		author_field(&m->author, m->live->conf->senderheaders, name,
		    value);
}

/* feed - one field into the engine; without SMFIP_HDR_LEADSPC the MTA
 * dropped the space after the colon, which simple canonicalization
 * needs back (RFC 5322 writers put one there) */
static int
feed(struct msg *m, dkim_msg *dm, const char *name, const char *value,
    int leadspc)
{
	size_t	n = strlen(value);
	char	*v;
	int	r;

	if (leadspc)
		r = dkim_header(dm, name, strlen(name), value, n);
	else {
		if ((v = malloc(n + 2)) == NULL) {
			mlfi_fail(m, "header", "out of memory");
			return -1;
		}
		v[0] = ' ';
		memcpy(v + 1, value, n + 1);
		r = dkim_header(dm, name, strlen(name), v, n + 1);
		free(v);
	}
	if (r != DKIM_OK) {
		mlfi_fail(m, "header", dkim_msg_error(dm));
		return -1;
	}
	return 0;
}

/* mlfi_header - one header field, as received */
static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = mlfi_conn(ctx);
	struct msg *m = c ? c->m : NULL;
	sfsistat ok = mlfi_hold(c, SMFIP_NR_HDR, SMFIS_CONTINUE);

	if (m == NULL || m->failed)
		return ok;
	note_header(m, name, value);
	if (feed(m, m->dm, name, value, c->leadspc) == 0 && m->check != NULL)
		(void)feed(m, m->check, name, value, c->leadspc);
	return ok;
}

/* identity_within - 1 when identity's domain is d or below it */
static int
identity_within(const char *identity, const char *d)
{
	const char *at = strrchr(identity, '@');
	size_t	il, dl = strlen(d);

	if (at == NULL)
		return 0;
	at++;
	il = strlen(at);
	return (il == dl && strcasecmp(at, d) == 0) ||
	    (il > dl && at[il - dl - 1] == '.' && strcasecmp(at + il - dl, d)
	    == 0);
}

/*
 * add_signers - the SigningTable's signers for the From address; 1 when
 * there are none because a database table did not answer
 */
static int
add_signers(struct msg *m)
{
	const struct conf *cf = m->live->conf;
	struct dkim_signspec sp;
	size_t	i;
	int	down;

	m->nsigners = table_signers_down(cf->signtab, m->from, m->signers,
	    sizeof(m->signers) / sizeof(m->signers[0]),
	    cf->multiplesignatures, &down);
	if (m->nsigners == 0 && down)
		return 1;
	for (i = 0; i < m->nsigners; i++) {
		struct signer *s = &m->signers[i];

		memset(&sp, 0, sizeof(sp));
		sp.domain = s->domain;
		sp.selector = s->key->selector;
		sp.key = s->key->key;
		sp.identity = s->identity[0] && identity_within(s->identity,
		    s->domain) ? s->identity : NULL;
		sp.hcanon = cf->hcanon;
		sp.bcanon = cf->bcanon;
		sp.canon_set = 1;
		sp.headers = (const char *const *)cf->signheaders;
		sp.oversign = (const char *const *)cf->oversignheaders;
		sp.expire_secs = cf->signaturettl;
		if (dkim_msg_add_signer(m->dm, &sp) != DKIM_OK) {
			mlfi_fail(m, "signer", dkim_msg_error(m->dm));
			return -1;
		}
	}
	return 0;
}

/*
 * bad_author - mail to sign names no author that a verifier could pass
 * (author.h): not signed, one log line with why, On-BadAuthor
 */
static sfsistat
bad_author(SMFICTX *ctx, struct conn *c, const char *why)
{
	struct msg *m = c->m;
	char	out[400];

	snprintf(out, sizeof(out), "not signed: %s; %s", why,
	    conf_action_name(conf_action(m->live->conf, CONF_ON_BADAUTHOR)));
	return mlfi_finish(c, mlfi_act(ctx, m, CONF_ON_BADAUTHOR,
	    "From does not name one valid author"), out);
}

/* do_eoh - end of header: choose the signers, start key lookups */
static sfsistat
do_eoh(SMFICTX *ctx)
{
	struct conn *c = mlfi_conn(ctx);
	struct msg *m = c ? c->m : NULL;
	char	out[700], why[128], awhy[200];
	const char *v;
	int	down;
	sfsistat r;

	if (m == NULL)
		return SMFIS_ACCEPT;
	if (!m->qid[0] && (v = mlfi_macro(ctx, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	if (m->failed)
		return m->mode == MODE_VERIFY ? SMFIS_CONTINUE :
		    mlfi_internal(ctx, c);
	if (m->mode == MODE_SIGN) {
		if (author_choose(&m->author, m->live->conf->senderheaders,
		    m->from, sizeof(m->from), awhy, sizeof(awhy)) < 0)
			return bad_author(ctx, c, awhy);
		if (mlfi_authz(ctx, c, &r))
			return r;
		if ((down = add_signers(m)) < 0)
			return mlfi_internal(ctx, c);
		if (down) {
			table_db_error(m->live->conf->signtab, why,
			    sizeof(why));
			snprintf(out, sizeof(out), "key database unavailable "
			    "for \"%s\" (%.100s); %s", m->from, why,
			    conf_action_name(conf_action(m->live->conf,
			    CONF_ON_KEYNOTFOUND)));
			return mlfi_finish(c, mlfi_act(ctx, m,
			    CONF_ON_KEYNOTFOUND, "key database unavailable"),
			    out);
		}
		if (m->nsigners == 0) {
			snprintf(out, sizeof(out), "no key for \"%s\"; passed "
			    "unsigned", m->from);
			return mlfi_finish(c, SMFIS_ACCEPT, out);
		}
		if (!m->has_sig) {
			dkim_msg_free(m->check);
			m->check = NULL;
		} else if (dkim_eoh(m->check) != DKIM_OK) {
			mlfi_fail(m, "eoh", dkim_msg_error(m->check));
			return mlfi_internal(ctx, c);
		}
	}
	if (dkim_eoh(m->dm) != DKIM_OK) {
		mlfi_fail(m, "eoh", dkim_msg_error(m->dm));
		return m->mode == MODE_VERIFY ? SMFIS_CONTINUE :
		    mlfi_internal(ctx, c);
	}
	return SMFIS_CONTINUE;
}

/* mlfi_connect, mlfi_envfrom, mlfi_eoh - answered or held (mlfi_hold) */
static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	return mlfi_hold(mlfi_conn(ctx), SMFIP_NR_CONN,
	    do_connect(ctx, host, sa));
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct conn *c = mlfi_conn(ctx);

	if (c != NULL)
		c->held = SMFIS_CONTINUE;
	return mlfi_hold(c, SMFIP_NR_MAIL, do_envfrom(ctx, argv));
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	return mlfi_hold(mlfi_conn(ctx), SMFIP_NR_EOH, do_eoh(ctx));
}

/* mlfi_body - a chunk of body, streamed into the engine; with
 * SMFIP_NR_BODY there is no reply, and a held verdict waits for the end */
static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = mlfi_conn(ctx);
	struct msg *m = c ? c->m : NULL;

	if (m != NULL && !m->failed) {
		if (dkim_body(m->dm, buf, len) != DKIM_OK)
			mlfi_fail(m, "body", dkim_msg_error(m->dm));
		else if (m->check != NULL &&
		    dkim_body(m->check, buf, len) != DKIM_OK)
			mlfi_fail(m, "body", dkim_msg_error(m->check));
	}
	if (c != NULL && !(c->nr & SMFIP_NR_BODY))
		return mlfi_release(c);	/* a held verdict, or continue */
	return mlfi_hold(c, SMFIP_NR_BODY, SMFIS_CONTINUE);
}

/* mlfi_abort - the message ends without end of message */
static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c != NULL)
		c->held = SMFIS_CONTINUE;
	if (c != NULL && c->m != NULL)
		return mlfi_finish(c, SMFIS_CONTINUE, "aborted");
	return SMFIS_CONTINUE;
}

/* mlfi_close - the connection ends */
static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);

	if (c == NULL)
		return SMFIS_CONTINUE;
	if (c->m != NULL)
		mlfi_finish(c, SMFIS_CONTINUE, "connection closed mid-message");
	smfi_setpriv(ctx, NULL);
	free(c);
	return SMFIS_CONTINUE;
}

struct smfiDesc mlfi_desc = {
	.xxfi_name = (char *)"dkimd",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS,
	.xxfi_connect = mlfi_connect,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
