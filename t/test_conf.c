/*
 * test_conf.c - the keyword table, parser and defaults (conf.c, sock.c)
 *
 * Configurations without keys (Mode v) keep this test free of key files;
 * tables and keys are covered by test_table.c and t/it-conftest.sh.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "sock.h"
#include "tap.h"
#include "util.h"

#ifndef DATA
#define DATA "t/data/milter"
#endif

static char msgs[4096];
static int nerr, nwarn;

static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	if (warn)
		nwarn++;
	else
		nerr++;
	strncat(msgs, msg, sizeof(msgs) - strlen(msgs) - 2);
	strcat(msgs, "\n");
}

static void
reset(void)
{
	msgs[0] = '\0';
	nerr = nwarn = 0;
}

static void
test_defaults(void)
{
	struct conf *c = conf_defaults();
	size_t	i;
	int	names_ok = 1;

	ok(c != NULL, "defaults: every default passes its own parser");
	is_str(c->socket, "inet:8891@127.0.0.1", "defaults: Socket is loopback only");
	is_str(c->mta[0], "ORIGINATING", "defaults: MTA is ORIGINATING");
	ok(c->mta[1] == NULL, "defaults: MTA has one entry");
	is_str(c->canonicalization, "relaxed/relaxed", "defaults: Canonicalization relaxed/relaxed");
	is_int(c->minkeybits, 1024, "defaults: MinimumKeyBits 1024");
	is_int(c->dnstimeout, 5, "defaults: DNSTimeout 5");
	is_int(c->maxsigs, 8, "defaults: MaximumSignaturesToVerify 8");
	is_int(c->requiresafekeys, 1, "defaults: RequireSafeKeys yes");
	is_int(c->signauthenticated, 1, "defaults: SignAuthenticated yes");
	is_str(c->mode, "sv", "defaults: Mode sv");
	is_str(c->syslogfacility, "mail", "defaults: SyslogFacility mail");
	ok(c->internalhosts == NULL, "defaults: InternalHosts empty (loopback not trusted)");
	is_int(conf_action(c, CONF_ON_BADSIGNATURE), CONF_ACT_ACCEPT,
	    "defaults: every On-* is accept");
	conf_free(c);
	conf_free(NULL);
	for (i = 0; i < conf_keyword_count(); i++) {
		const struct conf_keyword_info *k = conf_keyword_get(i);

		if (k == NULL || k->doc == NULL || *k->doc == '\0')
			names_ok = 0;
	}
	ok(names_ok && conf_keyword_get(conf_keyword_count()) == NULL,
	    "keyword table: every keyword has one line of doc");
}

static void
test_good(void)
{
	struct conf *c;

	reset();
	c = conf_load(DATA "/good.conf", report, NULL);
	ok(c != NULL, "good.conf loads");
	if (c == NULL) {
		printf("# %s", msgs);
		return;
	}
	is_int(nerr, 0, "good.conf: no errors");
	is_int(nwarn, 1, "good.conf: one warning");
	ok(strstr(msgs, "good.conf:15: warning: OpenDKIM keyword \"BodyLengthDB\" "
	    "is not implemented by dkimd; ignored") != NULL,
	    "unimplemented OpenDKIM keyword: warning with file and line");
	ok(c->verify && !c->sign, "Mode v: verify only");
	is_str(c->authservid, "mx.example.net", "AuthservID as given");
	ok(conf_mta_match(c, "SUBMISSION") && conf_mta_match(c, "MSA") &&
	    !conf_mta_match(c, "submission") && !conf_mta_match(c, NULL),
	    "MTA: a list split at commas and spaces, compared exactly");
	ok(c->hcanon == DKIM_CANON_SIMPLE && c->bcanon == DKIM_CANON_SIMPLE,
	    "keywords compared without case; \"simple\" means simple/simple");
	is_int(conf_action(c, CONF_ON_BADSIGNATURE), CONF_ACT_REJECT,
	    "On-BadSignature as given");
	is_int(conf_action(c, CONF_ON_DNSERROR), CONF_ACT_TEMPFAIL,
	    "an On-* not given takes On-Default");
	is_int(c->umask, 07, "UMask read in octal");
	is_int(c->dnstimeout, 7, "DNSTimeout as given");
	is_int(c->maxheaderbytes, 65536,
	    "MaximumHeaders (OpenDKIM's name) sets MaximumHeaderBytes");
	ok(c->signheaders && strcmp(c->signheaders[2], "Subject") == 0 &&
	    c->signheaders[3] == NULL, "SignHeaders: a list of three");
	ok(!c->requiresafekeys && c->logwhy, "booleans: false and 1");
	is_str(conf_action_name(CONF_ACT_DISCARD), "discard", "action names");
	conf_free(c);
}

static void
test_bad(void)
{
	reset();
	ok(conf_load(DATA "/bad.conf", report, NULL) == NULL, "bad.conf is refused");
	is_int(nerr, 7, "bad.conf: one error per bad line, the parser goes on");
	ok(strstr(msgs, "bad.conf:2: Mode: \"sx\": expected s, v or sv") != NULL,
	    "error: bad Mode, with file and line");
	ok(strstr(msgs, "bad.conf:3: unknown keyword \"NoSuchThing\"") != NULL,
	    "error: unknown keyword, with file and line");
	ok(strstr(msgs, "bad.conf:4: DNSTimeout: \"0\": expected a number from 1 to 300")
	    != NULL, "error: number below its bound, bounds named");
	ok(strstr(msgs, "bad.conf:5: On-DNSError: \"bounce\"") != NULL,
	    "error: unknown action");
	ok(strstr(msgs, "bad.conf:6: Syslog: \"perhaps\": expected yes or no") != NULL,
	    "error: bad boolean");
	ok(strstr(msgs, "bad.conf:7: UMask") != NULL, "error: UMask 999 is not octal");
	ok(strstr(msgs, "bad.conf:8: SyslogFacility") != NULL, "error: unknown facility");
	reset();
	ok(conf_load(DATA "/nonexistent.conf", report, NULL) == NULL &&
	    strstr(msgs, "cannot open") != NULL, "error: a missing file");
}

/*
 * test_durations - KeyRetention, KeyRotationAge, DNSUpdateWait: a number
 * of seconds with an optional unit, defaults 7d, 180d and 10m; anything
 * else (an unknown unit, a sign, more than ten years) is an error
 */
static void
test_durations(void)
{
	struct conf *c = conf_defaults();
	long	 s = -1;

	ok(c != NULL && strcmp(c->keyretention, "7d") == 0 &&
	    strcmp(c->keyrotationage, "180d") == 0 &&
	    strcmp(c->dnsupdatewait, "10m") == 0,
	    "defaults: KeyRetention 7d, KeyRotationAge 180d, DNSUpdateWait 10m");
	conf_free(c);
	ok(util_duration("7d", &s) == 0 && s == 604800, "7d is 604800 s");
	ok(util_duration("90", &s) == 0 && s == 90, "a bare number is seconds");
	ok(util_duration("2w", &s) == 0 && s == 1209600, "2w is two weeks");
	ok(util_duration("d", &s) < 0 && util_duration("7dd", &s) < 0 &&
	    util_duration("-1s", &s) < 0 && util_duration("", &s) < 0,
	    "no number, two units, a sign, empty: refused");
	ok(util_duration("9999999999w", &s) < 0,
	    "a duration that would overflow is refused");
	reset();
	ok(conf_load(DATA "/bad-duration.conf", report, NULL) == NULL &&
	    nerr == 3 && strstr(msgs, "bad-duration.conf:1: KeyRetention") !=
	    NULL, "bad durations are errors with file and line");
}

/*
 * test_verdict - AuthservID is refused unless a token (a ';', quote, '/'
 * or ',' in it would garble our field and the removal of forged ones);
 * UnsignedBodyContent is pass or policy, policy by default
 */
static void
test_verdict(void)
{
	struct conf *c;

	reset();
	ok(conf_load(DATA "/verdict-bad.conf", report, NULL) == NULL,
	    "verdict-bad.conf is refused");
	is_int(nerr, 5, "verdict-bad.conf: an error for each bad "
	    "AuthservID and for UnsignedBodyContent maybe");
	ok(strstr(msgs, "verdict-bad.conf:3: AuthservID: "
	    "\"mx.example.net;dkim=pass\": expected a token") != NULL,
	    "AuthservID with ';': refused, with file and line");
	ok(strstr(msgs, "verdict-bad.conf:7: UnsignedBodyContent: \"maybe\": "
	    "expected pass or policy") != NULL,
	    "UnsignedBodyContent maybe: refused");
	reset();
	c = conf_load(DATA "/good.conf", report, NULL);
	ok(c != NULL && !c->unsigned_ok && strcmp(c->unsignedbody,
	    "policy") == 0, "UnsignedBodyContent: policy by default");
	conf_free(c);
	c = conf_load(DATA "/verdict-good.conf", report, NULL);
	ok(c != NULL && c->unsigned_ok, "UnsignedBodyContent Pass: pass "
	    "(no case)");
	ok(c != NULL && strcmp(c->authservid, "MX-1.example.net") == 0,
	    "AuthservID: a token with '-' and '.' loads");
	conf_free(c);
}

static void
test_sock(void)
{
	struct sock_spec sp;
	char	why[256];

	ok(sock_parse("inet:8891@127.0.0.1", &sp, why, sizeof(why)) == 0 &&
	    sp.kind == SOCK_INET && sp.port == 8891 &&
	    strcmp(sp.host, "127.0.0.1") == 0, "socket: inet:PORT@HOST");
	ok(sock_parse("inet:8891", &sp, why, sizeof(why)) == 0 && sp.host[0] == '\0',
	    "socket: inet:PORT without host");
	ok(sock_parse("inet6:8891@[::1]", &sp, why, sizeof(why)) == 0 &&
	    sp.kind == SOCK_INET6, "socket: inet6 with a bracketed address");
	ok(sock_parse("unix:/run/dkimd/dkimd.sock", &sp, why, sizeof(why)) == 0 &&
	    sp.kind == SOCK_UNIX, "socket: unix:/path");
	ok(sock_parse("local:/run/x.sock", &sp, why, sizeof(why)) == 0,
	    "socket: local:/path (OpenDKIM's spelling)");
	ok(sock_parse("inet:0@127.0.0.1", &sp, why, sizeof(why)) < 0, "socket: port 0 refused");
	ok(sock_parse("inet:65536", &sp, why, sizeof(why)) < 0, "socket: port 65536 refused");
	ok(sock_parse("inet:88x@h", &sp, why, sizeof(why)) < 0, "socket: junk after port refused");
	ok(sock_parse("inet:25@", &sp, why, sizeof(why)) < 0, "socket: empty host refused");
	ok(sock_parse("inet:25@a b", &sp, why, sizeof(why)) < 0, "socket: space in host refused");
	ok(sock_parse("unix:rel", &sp, why, sizeof(why)) < 0, "socket: relative path refused");
	ok(sock_parse("tcp:25", &sp, why, sizeof(why)) < 0, "socket: unknown kind refused");
}

/*
 * Every opendkim.conf(5) keyword has one class; the implemented ones are
 * exactly those in dkimd's own table, so a keyword cannot be both
 * "implemented" and ignored
 */
static void
test_opendkim_table(void)
{
	const struct conf_opendkim_info *o;
	size_t	i, j, n[4] = {0, 0, 0, 0};
	int	same = 1, noted = 1;

	for (i = 0; (o = conf_opendkim_get(i)) != NULL; i++) {
		int	ours = 0;

		for (j = 0; j < conf_keyword_count(); j++)
			if (strcasecmp(conf_keyword_get(j)->name, o->name) == 0)
				ours = 1;
		if (strcasecmp(o->name, "Include") == 0)
			ours = 1;	/* a directive, not a setting */
		if (ours != (o->cls == ODK_IMPLEMENTED)) {
			printf("# %s: class %s, dkimd keyword: %d\n", o->name,
			    o->class_name, ours);
			same = 0;
		}
		if (o->note == NULL || *o->note == '\0')
			noted = 0;
		n[o->cls]++;
	}
	printf("# OpenDKIM keywords: %zu implemented, %zu accepted, %zu "
	    "not supported, %zu refused\n", n[ODK_IMPLEMENTED],
	    n[ODK_ACCEPTED], n[ODK_UNSUPPORTED], n[ODK_REFUSED]);
	ok(same, "OpenDKIM table: implemented exactly when a dkimd keyword");
	ok(noted, "OpenDKIM table: every row says what dkimd does, or why");
	ok(i >= 135, "OpenDKIM table: every opendkim.conf(5) keyword");
}

/* refused OpenDKIM keywords stop the load with FILE:LINE and why */
static void
test_opendkim_classes(void)
{
	struct conf *c;

	reset();
	ok(conf_load(DATA "/opendkim-classes.conf", report, NULL) == NULL,
	    "refused OpenDKIM keyword: the configuration does not load");
	is_int(nerr, 4, "refused: one error per refused keyword");
	ok(strstr(msgs, "opendkim-classes.conf:7: OpenDKIM keyword "
	    "\"FinalPolicyScript\" refused: ") != NULL,
	    "FinalPolicyScript refused with file and line (its decisions "
	    "would be lost)");
	ok(strstr(msgs, "opendkim-classes.conf:8: OpenDKIM keyword "
	    "\"RedirectFailuresTo\" refused: ") != NULL,
	    "RedirectFailuresTo refused: failed mail would be delivered");
	ok(strstr(msgs, "opendkim-classes.conf:9: OpenDKIM keyword "
	    "\"Quarantine\" refused: ") != NULL,
	    "Quarantine refused: failed mail would be delivered");
	ok(strstr(msgs, "opendkim-classes.conf:10: OpenDKIM keyword "
	    "\"SenderMacro\" refused: ") != NULL,
	    "SenderMacro refused: the signing domain would come from From");
	ok(strstr(msgs, "opendkim-classes.conf:3: info: OpenDKIM keyword "
	    "\"Background\" needs no setting in dkimd: dkimd detaches")
	    != NULL, "accepted keyword: an info line that says why");
	ok(strstr(msgs, "opendkim-classes.conf:6: warning: OpenDKIM keyword "
	    "\"Diagnostics\" is not implemented by dkimd; ignored: dkimd "
	    "does not add z=") != NULL,
	    "not supported: the warning says what dkimd does instead");

	reset();
	c = conf_load(DATA "/opendkim-accepted.conf", report, NULL);
	ok(c != NULL && nerr == 0 && nwarn == 3,
	    "accepted and not-supported keywords load, one line each");
	ok(strstr(msgs, "opendkim-accepted.conf:5: info: OpenDKIM keyword "
	    "\"SyslogSuccess\" needs no setting in dkimd: dkimd always logs")
	    != NULL, "SyslogSuccess: accepted, dkimd logs every message");
	conf_free(c);
}

/* test_seconds - the durations of KeyCheckInterval */
static void
test_seconds(void)
{
	static const struct {
		const char *v;
		int	rc;
		long	secs;
	} c[] = {
		{ "off", 0, 0 }, { "0", 0, 0 }, { "90", 0, 90 },
		{ "90s", 0, 90 }, { "10m", 0, 600 }, { "1h", 0, 3600 },
		{ "2d", 0, 172800 }, { "30d", 0, 2592000 }, { "31d", -1, 0 },
		{ "5x", -1, 0 }, { "1hh", -1, 0 }, { "-1", -1, 0 },
		{ "", -1, 0 }, { "h", -1, 0 },
		{ "99999999999999999999h", -1, 0 },
	};
	char	what[128];
	size_t	i;
	long	secs;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		secs = -7;
		snprintf(what, sizeof(what), "conf_seconds(\"%s\"): %s", c[i].v,
		    c[i].rc == 0 ? "accepted" : "refused");
		ok(conf_seconds(c[i].v, &secs) == c[i].rc &&
		    (c[i].rc < 0 || secs == c[i].secs), what);
	}
}

/* Include: read in place, errors as the included FILE:LINE, no loop */
static void
test_include(void)
{
	struct conf *c;

	reset();
	c = conf_load(DATA "/include-main.conf", report, NULL);
	ok(c != NULL && nerr == 0, "Include: the included file loads");
	ok(c != NULL && strcmp(c->authservid, "inc.example") == 0,
	    "Include: a keyword of the included file takes effect");
	ok(c != NULL && c->dnstimeout == 9,
	    "Include: read in place (a later line of the main file wins)");
	conf_free(c);

	reset();
	ok(conf_load(DATA "/include-bad.conf", report, NULL) == NULL,
	    "Include: an error in the included file stops the load");
	ok(strstr(msgs, "include-badsub.conf:3: DNSTimeout: \"0\"") != NULL,
	    "Include: the error names the included file and its line");

	reset();
	ok(conf_load(DATA "/include-loop-a.conf", report, NULL) == NULL,
	    "attack: an Include loop is refused, not followed for ever");
	ok(strstr(msgs, "include-loop-b.conf:2: Include "
	    "\"include-loop-a.conf\": a loop") != NULL,
	    "Include loop: FILE:LINE of the Include that closes the loop");

	reset();
	ok(conf_load(DATA "/include-deep.conf", report, NULL) == NULL &&
	    strstr(msgs, "include-deep-8.conf:2: Include "
	    "\"include-deep-9.conf\": more than 8 files deep") != NULL,
	    "attack: Include deeper than 8 files is refused at that line");

	reset();
	ok(conf_load(DATA "/include-fan.conf", report, NULL) == NULL &&
	    strstr(msgs, "include-fan.conf:35: Include") != NULL &&
	    strstr(msgs, "include-fan.conf:34:") == NULL,
	    "attack: more than 32 included files in all are refused");
}

int
main(void)
{
	plan_lazy();
	test_defaults();
	test_good();
	test_bad();
	test_verdict();
	test_durations();
	test_sock();
	test_opendkim_table();
	test_opendkim_classes();
	test_include();
	test_seconds();
	return done_testing();
}
