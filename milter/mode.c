/*
 * mode.c - decide per message whether dkimd signs or verifies it
 *
 * The inputs are what the MTA told us in macros and the connection's
 * address; the rules are in mode.h. Kept apart from the callbacks so the
 * decision can be read, and tested, on its own.
 */
#include <stdio.h>
#include <string.h>

#include "dset.h"
#include "hosts.h"
#include "mode.h"

/* macro_name - MacroList's name as the MTA sends it: "{name}" unless it
 * has braces already or is one letter (Sendmail's "i", "j") */
static void
macro_name(const char *k, char *out, size_t len)
{
	if (k[0] == '{' || strlen(k) == 1)
		snprintf(out, len, "%s", k);
	else
		snprintf(out, len, "{%s}", k);
}

/* value_in - 1 when v is one of the '|'-separated values (exactly) */
static int
value_in(const char *vals, const char *v)
{
	size_t	n = strlen(v), l;

	for (;;) {
		l = strcspn(vals, "|");
		if (l == n && strncmp(vals, v, n) == 0)
			return 1;
		if (vals[l] == '\0')
			return 0;
		vals += l + 1;
	}
}

/* macro_match - the first MacroList macro that says sign, or -1 */
static long
macro_match(const struct conf *c, const struct mode_in *in, char *name,
    size_t len, const char **val)
{
	const char *vals;
	size_t	i;

	for (i = 0; in->macro != NULL && i < dset_count(c->macros); i++) {
		macro_name(dset_key(c->macros, i), name, len);
		if ((*val = in->macro(in->macro_arg, name)) == NULL)
			continue;
		vals = dset_value(c->macros, i);
		if (vals == NULL || value_in(vals, *val))
			return (long)i;
	}
	return -1;
}

/* mode_macros - append the MacroList macro names that fit in buf */
void
mode_macros(const struct conf *c, char *buf, size_t len)
{
	char	name[80];
	size_t	i, o = strlen(buf);

	for (i = 0; i < dset_count(c->macros); i++) {
		macro_name(dset_key(c->macros, i), name, sizeof(name));
		if (o + 1 + strlen(name) + 1 > len)
			return;
		o += (size_t)snprintf(buf + o, len - o, " %s", name);
	}
}

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
	char	name[80];
	const char *val;

	if (client_in(c->peers, in)) {
		snprintf(why, whylen, "PeerList %s",
		    in->client_text ? in->client_text : "");
		return MODE_NONE;
	}
	if (c->sign && conf_mta_match(c, in->daemon_name)) {
		snprintf(why, whylen, "MTA %s", in->daemon_name);
		return MODE_SIGN;
	}
	if (c->sign && macro_match(c, in, name, sizeof(name), &val) >= 0) {
		snprintf(why, whylen, "MacroList %s=%.60s", name, val);
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
