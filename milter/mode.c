/*
 * mode.c - decide per message whether dkimd signs or verifies it
 *
 * The inputs are what the MTA told us in macros and the connection's
 * address; the rules are in mode.h. Kept apart from the callbacks so the
 * decision can be read, and tested, on its own.
 */
#include <stdio.h>

#include "hosts.h"
#include "mode.h"

/* client_in - the client is in hosts h (InternalHosts, PeerList) */
static int
client_in(const struct hosts *h, const struct mode_in *in)
{
	if (h == NULL)
		return 0;
	if (in->client != NULL)
		return hosts_match(h, in->client);
	return hosts_match_text(h, in->client_text);
}

/* mode_choose - sign, verify or neither, and why */
enum mode_choice
mode_choose(const struct conf *c, const struct mode_in *in, char *why,
    size_t whylen)
{
	if (client_in(c->peers, in)) {
		snprintf(why, whylen, "PeerList %s",
		    in->client_text ? in->client_text : "");
		return MODE_NONE;
	}
	if (c->sign && conf_mta_match(c, in->daemon_name)) {
		snprintf(why, whylen, "MTA %s", in->daemon_name);
		return MODE_SIGN;
	}
	if (c->sign && c->signauthenticated &&
	    ((in->auth_authen != NULL && *in->auth_authen != '\0') ||
	    (in->auth_type != NULL && *in->auth_type != '\0'))) {
		snprintf(why, whylen, "authenticated as %s",
		    in->auth_authen && *in->auth_authen ? in->auth_authen :
		    "(unknown)");
		return MODE_SIGN;
	}
	if (c->sign && client_in(c->internal, in)) {
		snprintf(why, whylen, "internal host %s",
		    in->client_text ? in->client_text : "");
		return MODE_SIGN;
	}
	if (c->verify) {
		snprintf(why, whylen, "%s%s", in->daemon_name ? "daemon " :
		    "no daemon name", in->daemon_name ? in->daemon_name : "");
		return MODE_VERIFY;
	}
	snprintf(why, whylen, "Mode %s does not verify", c->mode);
	return MODE_NONE;
}
