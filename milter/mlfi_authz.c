/*
 * mlfi_authz.c - sender authorization at end of header, the milter side
 *
 * SYNOPSIS
 *	mlfi_authz(ctx, c, &r)	1 when the message ends here (r its verdict)
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
 */
#include <stdio.h>
#include <string.h>

#include "authz.h"
#include "mlfi.h"

#define AUTHZ_REPLY	"sender not authorized to sign for this From domain"

/* mlfi_authz - check the sender; 1 and *r when the message is done */
int
mlfi_authz(SMFICTX *ctx, struct conn *c, sfsistat *r)
{
	struct msg *m = c->m;
	const struct conf *cf = m->live->conf;
	struct authz_in in;
	struct authz_out out;
	enum conf_on on;
	char	line[1200];
	size_t	n;

	in.login = mlfi_macro(ctx, "{auth_authen}");
	in.envfrom = mlfi_macro(ctx, "{mail_addr}");
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
	snprintf(line, sizeof(line), "%s: %s %s \"%s\" (%s); %s",
	    on == CONF_ON_UNAUTHORIZED ? "not authorized" : "authorization "
	    "unknown", out.sender, on == CONF_ON_UNAUTHORIZED ? "may not "
	    "sign for" : "signing for", out.fromdom, out.rule,
	    conf_action_name(conf_action(cf, on)));
	*r = mlfi_finish(c, mlfi_act(ctx, m, on, on == CONF_ON_UNAUTHORIZED ?
	    AUTHZ_REPLY : "sender authorization database unavailable"), line);
	return 1;
}
