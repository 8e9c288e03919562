/*
 * session_authz.c - sender authorization at end of header
 *
 * SYNOPSIS
 *	session_authz(s, mac, so)	1 when the message ends here (so)
 *
 * CONTRACT
 *	authz.c decides whether the sender ({auth_authen}, or {mail_addr}
 *	with SenderAuthorizationEnvelope) may sign for the From domain of a
 *	message dkimd would sign. A refusal is one log line (sender, From
 *	domain, the rule) and the On-Unauthorized action; a database that
 *	cannot answer takes On-KeyNotFound, as the SigningTable's does.
 *	Either way nothing is signed. The SMTP reply text is fixed: no byte
 *	of the message goes back to the client. With LogWhy, the rule that
 *	allowed a checked sender joins the reason of the message's line.
 *	No libmilter header is included here.
 */
#include <stdio.h>
#include <string.h>

#include "authz.h"
#include "metrics.h"
#include "session.h"

#define AUTHZ_REPLY	"sender not authorized to sign for this From domain"

/* session_authz - check the sender; 1 and so when the message is done */
int
session_authz(struct session *s, const struct session_mac *mac,
    struct session_out *so)
{
	struct msg *m = s->m;
	const struct conf *cf = m->live->conf;
	struct authz_in in;
	struct authz_out out;
	enum conf_on on;
	size_t	n;

	in.login = session_get(mac, "{auth_authen}");
	in.envfrom = session_get(mac, "{mail_addr}");
	in.from = m->from;
	switch (authz_check(cf, &in, &out)) {
	case AUTHZ_ALLOW:
		n = strlen(m->why);
		if (cf->logwhy && out.sender[0] && n < sizeof(m->why))
			snprintf(m->why + n, sizeof(m->why) - n,
			    "; %.70s: %.80s", out.sender, out.rule);
		return 0;
	case AUTHZ_REFUSE:
		on = CONF_ON_UNAUTHORIZED;
		break;
	default:
		on = CONF_ON_KEYNOTFOUND;
		break;
	}
	m->unsigned_why = on == CONF_ON_UNAUTHORIZED ?
	    METRICS_UNS_UNAUTHORIZED : METRICS_UNS_AUTHZ_DOWN;
	snprintf(m->outcome, sizeof(m->outcome), "%s: %s %s \"%s\" (%s); %s",
	    on == CONF_ON_UNAUTHORIZED ? "not authorized" : "authorization "
	    "unknown", out.sender, on == CONF_ON_UNAUTHORIZED ? "may not "
	    "sign for" : "signing for", out.fromdom, out.rule,
	    conf_action_name(conf_action(cf, on)));
	session_act(m, so, on, on == CONF_ON_UNAUTHORIZED ? AUTHZ_REPLY :
	    "sender authorization database unavailable");
	so->outcome = m->outcome;
	return 1;
}
