/*
 * test_mode.c - the per-message sign-or-verify decision (mode.c)
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dset.h"
#include "hosts.h"
#include "mode.h"
#include "tap.h"

static enum mode_choice
choose(const struct conf *c, const char *daemon, const char *auth,
    const char *addr, char *why)
{
	struct mode_in in;

	memset(&in, 0, sizeof(in));
	in.daemon_name = daemon;
	in.auth_authen = auth;
	in.client_text = addr;
	return mode_choose(c, &in, why, 160);
}

/* getm - the macros of test_macrolist: {daemon_name} MSA, {x} "" */
static const char *
getm(void *arg, const char *name)
{
	(void)arg;
	return strcmp(name, "{daemon_name}") == 0 ? "MSA" : NULL;
}

/* test_macrolist - MacroList: the names asked for and the decision */
static void
test_macrolist(void)
{
	struct conf *c = conf_defaults();
	struct mode_in in;
	char	why[160], buf[64] = "i";

	c->sign = c->verify = 1;
	c->macros = dset_load("MacroList", "daemon_name=MTA|MSA, {x}, j",
	    NULL, NULL);
	mode_macros(c, buf, sizeof(buf));
	is_str(buf, "i {daemon_name} j {x}",
	    "MacroList: names asked for in braces, one letter bare");
	strcpy(buf, "i");
	mode_macros(c, buf, 20);
	is_str(buf, "i {daemon_name} j",
	    "MacroList: names that do not fit are not cut in half");
	memset(&in, 0, sizeof(in));
	in.macro = getm;
	ok(mode_choose(c, &in, why, sizeof(why)) == MODE_SIGN &&
	    strcmp(why, "MacroList {daemon_name}=MSA") == 0,
	    "MacroList: a listed value signs, and why");
	dset_free(c->macros);
	c->macros = dset_load("MacroList", "daemon_name=MSAX|msa", NULL, NULL);
	ok(mode_choose(c, &in, why, sizeof(why)) == MODE_VERIFY,
	    "MacroList: other values, a longer one and another case, do not");
	conf_free(c);
}

int
main(void)
{
	struct conf *c = conf_defaults();
	char	why[160];

	plan_lazy();
	c->sign = c->verify = 1;
	ok(choose(c, "ORIGINATING", NULL, "127.0.0.1", why) == MODE_SIGN &&
	    strcmp(why, "MTA ORIGINATING") == 0, "sign: {daemon_name} in MTA, and why");
	ok(choose(c, "originating", NULL, NULL, why) == MODE_VERIFY,
	    "verify: MTA names are compared exactly");
	ok(choose(c, NULL, NULL, "127.0.0.1", why) == MODE_VERIFY,
	    "verify: loopback alone is not trusted");
	ok(choose(c, "smtpd", "alice", NULL, why) == MODE_SIGN &&
	    strstr(why, "alice") != NULL, "sign: authenticated sender, named in why");
	c->signauthenticated = 0;
	ok(choose(c, "smtpd", "alice", NULL, why) == MODE_VERIFY,
	    "verify: SignAuthenticated no ignores authentication");
	c->internal = hosts_load("10.0.0.0/8", NULL, NULL);
	ok(choose(c, NULL, NULL, "10.2.3.4", why) == MODE_SIGN,
	    "sign: client in InternalHosts");
	ok(choose(c, NULL, NULL, "11.2.3.4", why) == MODE_VERIFY,
	    "verify: client outside InternalHosts");
	c->peers = hosts_load("10.9.0.0/16, 192.0.2.7", NULL, NULL);
	ok(choose(c, "ORIGINATING", "alice", "10.9.1.1", why) == MODE_NONE &&
	    strcmp(why, "PeerList 10.9.1.1") == 0,
	    "PeerList: a listed client's mail is neither signed nor verified");
	ok(choose(c, NULL, NULL, "192.0.2.7", why) == MODE_NONE,
	    "PeerList: not verified either");
	ok(choose(c, NULL, NULL, "192.0.2.8", why) == MODE_VERIFY &&
	    choose(c, NULL, NULL, "10.2.3.4", why) == MODE_SIGN,
	    "PeerList: clients outside it are verified or signed as before");
	hosts_free(c->peers);
	c->peers = NULL;
	c->sign = 0;
	ok(choose(c, "ORIGINATING", NULL, NULL, why) == MODE_VERIFY,
	    "Mode v: ORIGINATING mail is verified, never signed");
	c->verify = 0;
	ok(choose(c, NULL, NULL, NULL, why) == MODE_NONE, "Mode without v: nothing to do");
	c->sign = 1;
	ok(choose(c, "ORIGINATING", NULL, NULL, why) == MODE_SIGN, "Mode s: signs");
	conf_free(c);
	test_macrolist();
	return done_testing();
}
