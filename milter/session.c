/*
 * session.c - a connection's messages, from MAIL FROM to the verdict
 *
 * SYNOPSIS
 *	see session.h
 *
 * CONTRACT
 *	Each event hands what it got to dkimcore and decides what the
 *	message means: signing or verifying (mode.c), the author and the
 *	signers (author.c, the SigningTable), sender authorization
 *	(session_authz.c), the verdict and the edits (session_eom.c). An
 *	internal error becomes one log line and the configured On-* action;
 *	a message is never lost on dkimd's own failure unless configured to.
 *	Per-message state (struct msg) lives from MAIL FROM to its log line
 *	and holds one reference to the configuration in force, so a reload
 *	never changes the rules under a message.
 *
 *	Verification removes every Authentication-Results field that claims
 *	our authserv-id, counting them as they came in; the list of their
 *	indexes grows with the header block, up to a ceiling (MIN_OURS, or
 *	one per 16 bytes of MaximumHeaderBytes), past which the message is
 *	refused for now (session_eom.c).
 *	No libmilter header is included here.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dset.h"
#include "hosts.h"
#include "logjson.h"
#include "metrics.h"
#include "session.h"

#define MIN_OURS	4096	/* forged A-R fields always removable */

static pthread_mutex_t inflight_lock = PTHREAD_MUTEX_INITIALIZER;
static int inflight;

/* session_inflight - messages between MAIL FROM and their end, now */
int
session_inflight(void)
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
	size_t	i;

	if (m == NULL)
		return;
	count(-1);
	if (m->live != NULL)
		table_release(m->live->conf->signtab, m->signers,
		    m->nsigners);
	dkim_msg_free(m->dm);
	dkim_msg_free(m->check);
	live_put(m->live);
	for (i = 0; i < m->nins; i++)
		free(m->ins[i]);
	free(m->ours);
	free(m);
}

/* out_reset - nothing to do yet: the message goes on */
static void
out_reset(struct session_out *out)
{
	out->done = 0;
	out->verdict = SESSION_CONTINUE;
	out->rcode = out->xcode = out->text = NULL;
	out->del = NULL;
	out->ndel = 0;
	out->ndelsig = 0;
	out->nins = 0;
	out->best_effort = 0;
	out->outcome = "";
	out->warn[0] = '\0';
	out->log[0] = '\0';
}

/* session_get - a macro's value, or NULL */
const char *
session_get(const struct session_mac *mac, const char *name)
{
	const char *v;

	if (mac == NULL || mac->get == NULL)
		return NULL;
	v = mac->get(mac->arg, name);
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

/* session_fail - record an internal error (the first one wins) */
void
session_fail(struct msg *m, const char *what, const char *why)
{
	if (m->failed)
		return;
	m->failed = 1;
	snprintf(m->err, sizeof(m->err), "%s: %s", what, why ? why : "?");
}

/* session_end - the message ends with verdict v; outcome for the log */
void
session_end(struct session_out *out, enum session_verdict v,
    const char *outcome)
{
	out->done = 1;
	out->verdict = v;
	out->outcome = outcome;
}

/* session_act - end with the action configured for situation on; text
 * is the reply of a reject or tempfail */
void
session_act(struct msg *m, struct session_out *out, enum conf_on on,
    const char *text)
{
	enum session_verdict v = SESSION_ACCEPT;

	switch (conf_action(m->live->conf, on)) {
	case CONF_ACT_TEMPFAIL:
		out->rcode = "451";
		out->xcode = "4.7.5";
		out->text = text;
		v = SESSION_TEMPFAIL;
		break;
	case CONF_ACT_REJECT:
		out->rcode = "550";
		out->xcode = "5.7.1";
		out->text = text;
		v = SESSION_REJECT;
		break;
	case CONF_ACT_DISCARD:
		v = SESSION_DISCARD;
		break;
	case CONF_ACT_ACCEPT:
		break;
	}
	out->done = 1;
	out->verdict = v;
}

/* session_internal - an internal error: one line, On-InternalError */
void
session_internal(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	enum conf_action a = conf_action(m->live->conf, CONF_ON_INTERNALERROR);

	session_act(m, out, CONF_ON_INTERNALERROR, "internal error");
	snprintf(m->outcome, sizeof(m->outcome), "internal error: %s; %s",
	    m->err, conf_action_name(a));
	out->outcome = m->outcome;
}

/* session_refused - the MTA refused an edit of out (what): the edits
 * stop and the message takes On-InternalError */
void
session_refused(struct session *s, struct session_out *out,
    const char *what)
{
	if (s->m == NULL || out->best_effort)
		return;
	session_fail(s->m, what, "MTA refused");
	out->nins = 0;
	out->ndel = 0;
	out->ndelsig = 0;
	session_internal(s, out);
}

/* count_message - the message's outcome class, for metrics.c */
static void
count_message(const struct msg *m, const struct session_out *out, long ms)
{
	enum metrics_mode mode = m->mode == MODE_SIGN ? METRICS_MODE_SIGN :
	    m->mode == MODE_VERIFY ? METRICS_MODE_VERIFY : METRICS_MODE_PASS;
	enum metrics_outcome o;

	if (m->aborted)
		o = METRICS_OUT_ABORTED;
	else if (out->verdict == SESSION_TEMPFAIL)
		o = METRICS_OUT_TEMPFAIL;
	else if (out->verdict == SESSION_REJECT)
		o = METRICS_OUT_REJECT;
	else if (out->verdict == SESSION_DISCARD)
		o = METRICS_OUT_DISCARD;
	else if (m->failed)
		o = METRICS_OUT_ERROR;
	else if (mode == METRICS_MODE_PASS)
		o = METRICS_OUT_UNCHANGED;
	else if (mode == METRICS_MODE_VERIFY)
		o = METRICS_OUT_VERIFIED;
	else
		o = out->verdict == SESSION_CONTINUE ? METRICS_OUT_SIGNED :
		    METRICS_OUT_UNSIGNED;
	metrics_message(mode, o, ms);
	if (mode == METRICS_MODE_SIGN && o != METRICS_OUT_SIGNED &&
	    o != METRICS_OUT_ABORTED)
		metrics_unsigned(m->failed || m->unsigned_why < 0 ?
		    METRICS_UNS_INTERNAL :
		    (enum metrics_unsigned)m->unsigned_why);
}

/* session_finish - the message's one log line in out->log; its state
 * is freed */
void
session_finish(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	long	ms;

	if (m == NULL)
		return;
	ms = elapsed_ms(&m->t0);
	count_message(m, out, ms);
	if (m->live != NULL &&
	    strcasecmp(m->live->conf->logformat, "json") == 0)
		(void)logjson_message(out->log, sizeof(out->log),
		    m->qid[0] ? m->qid : "NOQUEUE", m->mode == MODE_SIGN ?
		    "sign" : m->mode == MODE_VERIFY ? "verify" : "pass",
		    m->why, out->outcome, ms);
	else
		snprintf(out->log, sizeof(out->log), "%s: %s (%s): %s; %ld ms",
		    m->qid[0] ? m->qid : "NOQUEUE", m->mode == MODE_SIGN ?
		    "sign" : m->mode == MODE_VERIFY ? "verify" : "pass",
		    m->why, out->outcome, ms);
	out->nins = 0;
	out->ndel = 0;
	out->ndelsig = 0;
	msg_free(m);
	s->m = NULL;
}

/* session_abort - the message ends without end of message (outcome) */
void
session_abort(struct session *s, struct session_out *out,
    const char *outcome)
{
	out_reset(out);
	if (s->m == NULL)
		return;
	s->m->aborted = 1;
	session_end(out, SESSION_CONTINUE, outcome);
	session_finish(s, out);
}

/* session_connect - remember the client address and the daemon name */
void
session_connect(struct session *s, const struct sockaddr *sa,
    const struct session_mac *mac)
{
	const char *v;

	s->have_sa = 0;
	if (sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6)) {
		memcpy(&s->sa, sa, sa->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
		s->have_sa = 1;
	}
	if ((v = session_get(mac, "{client_addr}")) != NULL)
		snprintf(s->client, sizeof(s->client), "%s", v);
	if ((v = session_get(mac, "{daemon_name}")) != NULL)
		snprintf(s->daemon, sizeof(s->daemon), "%s", v);
}

/* macro_get - a macro for mode_choose() (MacroList) */
static const char *
macro_get(void *arg, const char *name)
{
	return session_get(arg, name);
}

/* msg_start - a new message: configuration, decision, engine state */
static int
msg_start(struct session *s, struct msg *m, const struct session_mac *mac)
{
	struct mode_in in;
	const char *v;

	if ((v = session_get(mac, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	if ((v = session_get(mac, "{daemon_name}")) != NULL)
		snprintf(s->daemon, sizeof(s->daemon), "%s", v);
	memset(&in, 0, sizeof(in));
	in.daemon_name = s->daemon[0] ? s->daemon : NULL;
	in.auth_authen = session_get(mac, "{auth_authen}");
	in.auth_type = session_get(mac, "{auth_type}");
	in.client = s->have_sa ? (struct sockaddr *)&s->sa : NULL;
	in.client_text = s->client[0] ? s->client : NULL;
	in.macro = macro_get;
	in.macro_arg = (void *)(uintptr_t)mac;
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

/* session_envfrom - start a message (a message in progress ends) */
void
session_envfrom(struct session *s, const struct session_mac *mac,
    struct session_out *out)
{
	struct msg *m;

	out_reset(out);
	msg_free(s->m);
	s->m = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		/* logged nowhere: no memory to */
		session_end(out, SESSION_ACCEPT, "out of memory");
		return;
	}
	count(1);
	m->unsigned_why = -1;
	clock_gettime(CLOCK_MONOTONIC, &m->t0);
	s->m = m;
	if ((m->live = live_get()) == NULL) {
		session_end(out, SESSION_ACCEPT, "no configuration");
		return;
	}
	if (msg_start(s, m, mac) < 0) {
		session_fail(m, "start", "out of memory");
		session_internal(s, out);
		return;
	}
	if (m->mode == MODE_NONE)
		session_end(out, SESSION_ACCEPT, "passed unchanged");
}

/*
 * session_rcpt - one envelope recipient ("<user@host>" or bare): with
 * DontSignMailTo, OpenDKIM's meaning, one listed recipient is enough for
 * the message not to be signed (the first is kept for the log line).
 * Never signing is the side that fails safe: a sender who adds a listed
 * recipient loses only its own signature; on a connection whose MTA
 * does not send recipients (it began before a reload added the keyword)
 * nothing is signed. Nothing is kept per recipient.
 */
void
session_rcpt(struct session *s, const char *addr)
{
	struct msg *m = s->m;
	char	a[256];
	size_t	n;

	if (m == NULL || m->mode != MODE_SIGN || m->nosign_rcpt[0] ||
	    m->live->conf->dontsignto == NULL || addr == NULL)
		return;
	while (*addr == ' ' || *addr == '<')
		addr++;
	n = strcspn(addr, ">");
	if (n == 0 || n >= sizeof(a))
		return;
	memcpy(a, addr, n);
	a[n] = '\0';
	if (dset_find(m->live->conf->dontsignto, a, NULL))
		snprintf(m->nosign_rcpt, sizeof(m->nosign_rcpt), "%s", a);
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

/* external_watch - 1 when inbound mail's author is checked against
 * the SigningTable (external()): only a file table, so that no From a
 * remote sender writes becomes a database query */
static int
external_watch(const struct conf *cf)
{
	return cf->sign && cf->signtab != NULL && cf->signtab->db == NULL;
}

/*
 * The fields whose number RFC 5322 §3.6 fixes: the first min of them
 * must come exactly once, the others at most once (RequiredHeaders).
 */
static const char *const counted[] = {
	"From", "Date", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID",
	"In-Reply-To", "References", "Subject"
};
#define COUNTED_MIN	2

/* count_field - one more of a counted field (saturating) */
static void
count_field(struct msg *m, const char *name)
{
	size_t	i;

	for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		if (strcasecmp(name, counted[i]) == 0 && m->counts[i] < 2)
			m->counts[i]++;
}

/* bad_counts - the first field whose count breaks RFC 5322 §3.6, or NULL */
static const char *
bad_counts(const struct msg *m)
{
	size_t	i;

	for (i = 0; i < sizeof(counted) / sizeof(counted[0]); i++)
		if (m->counts[i] > 1 || (i < COUNTED_MIN && m->counts[i] == 0))
			return counted[i];
	return NULL;
}

/*
 * required - RequiredHeaders, OpenDKIM's meaning: mail whose header
 * field counts break RFC 5322 §3.6 is rejected (a second From or
 * Subject is how one message shows two faces); 1 when it is
 */
static int
required(struct msg *m, struct session_out *out)
{
	const char *f;

	if (!m->live->conf->requiredheaders || (f = bad_counts(m)) == NULL)
		return 0;
	snprintf(m->outcome, sizeof(m->outcome), "rejected: %s field count "
	    "breaks RFC 5322 section 3.6 (RequiredHeaders)", f);
	out->rcode = "550";
	out->xcode = "5.6.0";
	out->text = "header field counts break RFC 5322 section 3.6";
	session_end(out, SESSION_REJECT, m->outcome);
	return 1;
}

/* note_header - what the session itself needs from a field */
static void
note_header(struct msg *m, const char *name, const char *value)
{
	count_field(m, name);
	if (strcasecmp(name, AR_NAME) == 0) {
		m->ar_n++;
		/* chosen for signing, it may yet be verified (verify_instead) */
		if ((m->mode == MODE_VERIFY || m->live->conf->verify) &&
		    dkim_ar_is_ours(value, strlen(value),
		    m->live->conf->authservid))
			remember_ours(m);
	} else if (strcasecmp(name, SIG_NAME) == 0) {
		m->has_sig = 1;
		m->nsig++;
	}
	if (m->mode == MODE_SIGN || m->live->conf->exempt != NULL ||
	    external_watch(m->live->conf))
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
			session_fail(m, "header", "out of memory");
			return -1;
		}
		v[0] = ' ';
		memcpy(v + 1, value, n + 1);
		r = dkim_header(dm, name, strlen(name), v, n + 1);
		free(v);
	}
	if (r != DKIM_OK) {
		session_fail(m, "header", dkim_msg_error(dm));
		return -1;
	}
	return 0;
}

/* session_header - one header field, as received */
void
session_header(struct session *s, const char *name, const char *value)
{
	struct msg *m = s->m;

	if (m == NULL || m->failed)
		return;
	note_header(m, name, value);
	if (feed(m, m->dm, name, value, s->leadspc) == 0 && m->check != NULL)
		(void)feed(m, m->check, name, value, s->leadspc);
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
	metrics_lookup(m->nsigners > 0 ? METRICS_LOOKUP_FOUND : down ?
	    METRICS_LOOKUP_DOWN : METRICS_LOOKUP_NONE);
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
		sp.max_body = cf->maxsignedbytes;
		if (dkim_msg_add_signer(m->dm, &sp) != DKIM_OK) {
			session_fail(m, "signer", dkim_msg_error(m->dm));
			return -1;
		}
	}
	return 0;
}

/*
 * bad_author - mail to sign names no author that a verifier could pass
 * (author.h): not signed, one log line with why, On-BadAuthor
 */
static void
bad_author(struct msg *m, struct session_out *out, const char *why)
{
	m->unsigned_why = METRICS_UNS_BAD_AUTHOR;
	snprintf(m->outcome, sizeof(m->outcome), "not signed: %s; %s", why,
	    conf_action_name(conf_action(m->live->conf, CONF_ON_BADAUTHOR)));
	session_act(m, out, CONF_ON_BADAUTHOR,
	    "From does not name one valid author");
	out->outcome = m->outcome;
}

/*
 * verify_instead - mail chosen for signing whose From has no signer,
 * with Mode "sv": verified, as OpenDKIM does, so that a content filter
 * re-injecting inbound mail from a trusted address keeps its verdict.
 * The signature checker, fed the same header, becomes the verifier;
 * the forged Authentication-Results noted since MAIL are removed at the
 * end like any verified message's. The message counts as verified in
 * the metrics (its lookup as "none"); why says both reasons. Returns 0.
 */
static int
verify_instead(struct msg *m)
{
	size_t	n = strlen(m->why);

	if (n < sizeof(m->why))
		snprintf(m->why + n, sizeof(m->why) - n, "; no key for "
		    "\"%.60s\", verified instead", m->from);
	m->mode = MODE_VERIFY;
	dkim_msg_free(m->dm);
	m->dm = m->check;
	m->check = NULL;
	return 0;
}

/* eoh_sign - choose the author and the signers; 0 to go on */
static int
eoh_sign(struct session *s, const struct session_mac *mac,
    struct session_out *out)
{
	struct msg *m = s->m;
	char	why[128], awhy[200];
	int	down;

	if (m->nosign_rcpt[0] || (m->live->conf->dontsignto != NULL &&
	    !s->rcpt)) {
		snprintf(m->outcome, sizeof(m->outcome), "DontSignMailTo "
		    "<%s>: passed unsigned", m->nosign_rcpt[0] ?
		    m->nosign_rcpt : "recipients not sent on this connection");
		session_end(out, SESSION_ACCEPT, m->outcome);
		return -1;
	}
	if (author_choose(&m->author, m->live->conf->senderheaders,
	    m->from, sizeof(m->from), awhy, sizeof(awhy)) < 0) {
		bad_author(m, out, awhy);
		return -1;
	}
	if (session_authz(s, mac, out))
		return -1;
	if ((down = add_signers(m)) < 0) {
		session_internal(s, out);
		return -1;
	}
	if (down) {
		m->unsigned_why = METRICS_UNS_KEY_DB_DOWN;
		table_db_error(m->live->conf->signtab, why, sizeof(why));
		snprintf(m->outcome, sizeof(m->outcome), "key database "
		    "unavailable for \"%s\" (%.100s); %s", m->from, why,
		    conf_action_name(conf_action(m->live->conf,
		    CONF_ON_KEYNOTFOUND)));
		session_act(m, out, CONF_ON_KEYNOTFOUND,
		    "key database unavailable");
		out->outcome = m->outcome;
		return -1;
	}
	if (m->nsigners == 0 && m->live->conf->verify)
		return verify_instead(m);
	if (m->nsigners == 0) {
		m->unsigned_why = METRICS_UNS_NO_KEY;
		snprintf(m->outcome, sizeof(m->outcome), "no key for \"%s\"; "
		    "passed unsigned", m->from);
		session_end(out, SESSION_ACCEPT, m->outcome);
		return -1;
	}
	/* RemoveOldSignatures: ours are made whatever is there */
	if (!m->has_sig || m->live->conf->removeoldsigs) {
		dkim_msg_free(m->check);
		m->check = NULL;
	} else if (dkim_eoh(m->check) != DKIM_OK) {
		session_fail(m, "eoh", dkim_msg_error(m->check));
		session_internal(s, out);
		return -1;
	}
	return 0;
}

/*
 * exempt - ExemptDomains, OpenDKIM's meaning: mail whose author domain
 * (as author_choose() reads it, SenderHeaders included) is in the set is
 * neither signed nor verified; 1 when it is. The domain is compared
 * exactly, without case: a From that does not parse, or names a
 * subdomain, is not exempt. Verified mail that carries Authentication-
 * Results claiming our authserv-id still has them removed at the end
 * (m->exempt), so an exempt From cannot carry a forgery through.
 */
static int
exempt(struct session *s, struct session_out *out)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	char	why[200];
	const char *at;

	if (cf->exempt == NULL || author_choose(&m->author, cf->senderheaders,
	    m->from, sizeof(m->from), why, sizeof(why)) < 0 ||
	    (at = strrchr(m->from, '@')) == NULL ||
	    !dset_find(cf->exempt, at + 1, NULL))
		return 0;
	snprintf(m->outcome, sizeof(m->outcome), "ExemptDomains %s: %s",
	    at + 1, m->mode == MODE_VERIFY && m->nours ? "only forged Authentication-Results removed" :
	    "passed unchanged");
	if (m->mode == MODE_SIGN || (m->nours == 0 && !m->ar_overflow)) {
		session_end(out, SESSION_ACCEPT, m->outcome);
		return 1;
	}
	m->exempt = 1;		/* session_eom_do() removes them */
	dkim_msg_free(m->dm);
	m->dm = NULL;
	return 1;
}

/*
 * external - verified mail from a client that is not in
 * ExternalIgnoreList whose author domain (author_choose) is one the
 * SigningTable signs for: OpenDKIM's notice that an external host sent
 * mail as one of our domains, logged as a line of its own at the end
 * (session_eom.c). The mail is verified as any other.
 */
static void
external(struct session *s)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	struct signer sg[1];
	char	why[200];
	const char *at;
	size_t	n;

	if (m->mode != MODE_VERIFY || !external_watch(cf) ||
	    (cf->exignore != NULL && (s->have_sa ?
	    hosts_match(cf->exignore, (struct sockaddr *)&s->sa) :
	    hosts_match_text(cf->exignore, s->client))) ||
	    author_choose(&m->author, cf->senderheaders, m->from,
	    sizeof(m->from), why, sizeof(why)) < 0 ||
	    (at = strrchr(m->from, '@')) == NULL)
		return;
	n = table_signers(cf->signtab, m->from, sg, 1, 0);
	table_release(cf->signtab, sg, n);
	if (n > 0)
		snprintf(m->external, sizeof(m->external), "%.64s sent as %.80s",
		    s->client[0] ? s->client : "(unknown)", at + 1);
}

/* session_eoh - end of header: choose the signers, start key lookups */
void
session_eoh(struct session *s, const struct session_mac *mac,
    struct session_out *out)
{
	struct msg *m = s->m;
	const char *v;

	out_reset(out);
	if (m == NULL) {
		out->done = 1;		/* no message: nothing to log */
		out->verdict = SESSION_ACCEPT;
		return;
	}
	if (!m->qid[0] && (v = session_get(mac, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	if (m->failed) {
		if (m->mode != MODE_VERIFY)
			session_internal(s, out);
		return;
	}
	if (required(m, out) || exempt(s, out))
		return;
	external(s);
	if (m->mode == MODE_SIGN && eoh_sign(s, mac, out) < 0)
		return;
	if (m->mode == MODE_VERIFY && conf_arc_seal(m->live->conf,
	    s->daemon[0] ? s->daemon : NULL)) {
		if (dkim_arc_want_seal(m->dm) != DKIM_OK) {
			session_fail(m, "eoh", dkim_msg_error(m->dm));
			return;
		}
		m->seal = 1;
	}
	if (dkim_eoh(m->dm) != DKIM_OK) {
		session_fail(m, "eoh", dkim_msg_error(m->dm));
		if (m->mode != MODE_VERIFY)
			session_internal(s, out);
	}
}

/* session_body - a chunk of body, streamed into the engine */
void
session_body(struct session *s, const unsigned char *buf, size_t len)
{
	struct msg *m = s->m;

	if (m == NULL || m->failed || m->dm == NULL)
		return;
	if (dkim_body(m->dm, buf, len) != DKIM_OK)
		session_fail(m, "body", dkim_msg_error(m->dm));
	else if (m->check != NULL && dkim_body(m->check, buf, len) != DKIM_OK)
		session_fail(m, "body", dkim_msg_error(m->check));
}

/* session_eom - end of message: the verdict and the edits */
void
session_eom(struct session *s, const struct session_mac *mac,
    struct session_out *out)
{
	struct msg *m = s->m;
	const char *v;

	out_reset(out);
	if (m == NULL)
		return;
	if ((v = session_get(mac, "i")) != NULL)
		snprintf(m->qid, sizeof(m->qid), "%s", v);
	session_eom_do(s, out);
}
