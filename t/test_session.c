/*
 * test_session.c - the session layer (milter/session.c) driven directly,
 * with no daemon and no DNS: keys are served by a key source in memory.
 * Signing chooses the signers and lists one DKIM-Signature to insert at
 * the top, in LF form, that verifies; mail without a key passes
 * unsigned; a From with two authors and a sender not authorized for the
 * From domain are refused with the configured action and nothing is
 * signed. Verifying lists our Authentication-Results and the indexes of
 * the forged ones to remove (the attacker's fields go, a foreign one
 * stays), maps results to On-* actions, and an edit the MTA refuses
 * turns into On-InternalError; after an internal error while verifying,
 * forged fields are still removed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"
#include "tap.h"
/* msgutil.h's helpers are static; this program uses some of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include "msgutil.h"
#pragma GCC diagnostic pop

#ifndef SRCDIR
#define SRCDIR "."
#endif

static char dir[] = "/tmp/test_session.XXXXXX";
static struct records rec;

/* the edits run() saw listed, before the session ended */
static struct {
	size_t	nins, ndel;
	char	name[64];		/* the first insertion's */
	char	value[4096];
} got;

/* the macros of one event: NAME VALUE pairs, NULL-terminated */
struct macs {
	const char *kv[12];
};

/* mac_get - a struct session_mac over struct macs */
static const char *
mac_get(void *arg, const char *name)
{
	const struct macs *m = arg;
	size_t	i;

	for (i = 0; m->kv[i] != NULL; i += 2)
		if (strcmp(m->kv[i], name) == 0)
			return m->kv[i + 1];
	return NULL;
}

/* report - conf_load()'s problems, as TAP comments */
static void
report(void *arg, int warn, const char *msg)
{
	(void)arg;
	printf("# %s%s\n", warn ? "warning: " : "", msg);
}

/* setup - a key folder of our own, with the test key */
static int
setup(void)
{
	char	path[128], *key;
	int	fd;
	ssize_t	n;

	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/key", dir);
	if ((key = slurp(SRCDIR "/t/data/db/ed25519.pem", NULL)) == NULL ||
	    (fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		free(key);
		return -1;
	}
	n = (ssize_t)strlen(key);
	if (write(fd, key, (size_t)n) != n) {
		close(fd);
		free(key);
		return -1;
	}
	free(key);
	return close(fd);
}

/* cleanup - remove what setup() made */
static void
cleanup(void)
{
	char	path[128];

	snprintf(path, sizeof(path), "%s/key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/authz", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/conf", dir);
	unlink(path);
	rmdir(dir);
}

/*
 * install - a configuration (KeyFile, Selector s, Domain a.example,
 * AuthservID mx.test, then extra) made current, keys served from rec;
 * 0 or -1
 */
static int
install(const char *extra)
{
	char	path[128], text[1024], why[256];
	struct conf *c;
	struct live *l;
	FILE	*f;

	snprintf(path, sizeof(path), "%s/conf", dir);
	snprintf(text, sizeof(text), "KeyFile %s/key\nSelector s\n"
	    "Domain a.example\nAuthservID mx.test\nNameservers 127.0.0.1\n"
	    "LogWhy yes\n%s", dir, extra);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(text, f);
	if (fclose(f) != 0 || (c = conf_load(path, report, NULL)) == NULL)
		return -1;
	if ((l = live_new(c, why, sizeof(why))) == NULL) {
		printf("# %s\n", why);
		return -1;
	}
	dkim_ctx_set_keysource(l->ctx, records_source, &rec);
	live_install(l);
	return 0;
}

/*
 * run - one message (CRLF text) through a fresh session: envfrom with
 * mac, its fields, end of header, the body, end of message; the first
 * event that ends the message fills out (its stage in *stage: "envfrom",
 * "eoh" or "eom"). The edits are not carried out; refuse, when not
 * NULL, is the edit to report refused. The session is finished.
 */
static void
run(const char *msg, struct macs *mac, struct session_out *out,
    const char **stage, const char *refuse)
{
	struct session s;
	struct session_mac sm = { mac_get, mac };
	char	*copy = strdup(msg), *p = copy, *eol, *colon, *next;

	memset(&s, 0, sizeof(s));
	s.leadspc = 1;
	session_connect(&s, NULL, &sm);
	*stage = "envfrom";
	session_envfrom(&s, &sm, out);
	if (out->done)
		goto end;
	/* the header, unfolded fields with their CRLF folding kept */
	while (p != NULL && strncmp(p, "\r\n", 2) != 0) {
		eol = strstr(p, "\r\n");
		while (eol != NULL && (eol[2] == ' ' || eol[2] == '\t'))
			eol = strstr(eol + 2, "\r\n");
		if (eol == NULL || (colon = strchr(p, ':')) == NULL ||
		    colon > eol)
			break;
		*colon = '\0';
		*eol = '\0';
		next = eol + 2;
		session_header(&s, p, colon + 1);
		p = next;
	}
	*stage = "eoh";
	session_eoh(&s, &sm, out);
	if (out->done)
		goto end;
	if (p != NULL && strncmp(p, "\r\n", 2) == 0)
		session_body(&s, (const unsigned char *)p + 2, strlen(p + 2));
	*stage = "eom";
	session_eom(&s, &sm, out);
	if (refuse != NULL)
		session_refused(&s, out, refuse);
end:
	got.nins = out->nins;
	got.ndel = out->ndel;
	snprintf(got.name, sizeof(got.name), "%s", out->nins ?
	    out->ins[0].name : "");
	snprintf(got.value, sizeof(got.value), "%s", out->nins ?
	    out->ins[0].value : "");
	session_finish(&s, out);
	printf("# %s: %s\n", *stage, out->log);
	free(copy);
}

static const char signme[] = "From: Joe <joe@a.example>\r\n"
    "To: ann@b.example\r\nSubject: hello\r\n\r\nHi.\r\n";

/* the macros of a message from the ORIGINATING daemon (MTA keyword) */
static struct macs orig = { { "{daemon_name}", "ORIGINATING", "i", "QID1",
    NULL } };
/* the macros of a message from the internet */
static struct macs inbound = { { "{daemon_name}", "MX", "i", "QID2",
    NULL } };

/*
 * arc_cases - ARCKey must name a KeyTable key of one domain; a sealing
 * daemon's verified message gets A-R, then AAR, AMS, AS listed (each
 * inserted on top: ARC-Seal ends topmost); another daemon's gets none
 */
static void
arc_cases(void)
{
	static struct macs other = { { "{daemon_name}", "MX2", "i", "QID3",
	    NULL } };
	struct session_out out;
	const char *stage;
	char	tab[512], kt[160], st[160];
	FILE	*f;
	int	ok_kt;

	ok(install("ARCSealMTA MX\nARCKey default\n") < 0,
	    "ARCKey: KeyFile's key (domain %) is refused at load");
	snprintf(kt, sizeof(kt), "%s/keytab", dir);
	snprintf(st, sizeof(st), "%s/signtab", dir);
	ok_kt = (f = fopen(kt, "w")) != NULL &&
	    fprintf(f, "arc a.example:s:%s/key\n", dir) > 0 && fclose(f) == 0 &&
	    (f = fopen(st, "w")) != NULL &&
	    fputs("*@a.example arc\n", f) >= 0 && fclose(f) == 0;
	snprintf(tab, sizeof(tab), "KeyTable %s\nSigningTable %s\n"
	    "ARCSealMTA MX\nARCKey nosuch\n", kt, st);
	ok(ok_kt && install(tab) < 0, "ARCKey: a name not in the KeyTable "
	    "is refused at load");
	snprintf(tab, sizeof(tab), "KeyTable %s\nSigningTable %s\n"
	    "ARCSealMTA MX\nARCKey arc\n", kt, st);
	if (!ok_kt || install(tab) < 0) {
		ok(0, "configuration for sealing");
		goto out;
	}
	run(signme, &inbound, &out, &stage, NULL);
	ok(got.nins == 4 && strcmp(out.ins[0].name, AR_NAME) == 0 &&
	    strcmp(out.ins[1].name, "ARC-Authentication-Results") == 0 &&
	    strcmp(out.ins[2].name, "ARC-Message-Signature") == 0 &&
	    strcmp(out.ins[3].name, "ARC-Seal") == 0 &&
	    strstr(out.log, "ARC-sealed i=1 cv=none d=a.example s=s") != NULL,
	    "seal: A-R, AAR, AMS, AS listed, so ARC-Seal ends on top");
	run(signme, &other, &out, &stage, NULL);
	ok(got.nins == 1 && strstr(out.log, "verify (daemon MX2)") != NULL &&
	    strstr(out.log, "ARC-sealed") == NULL,
	    "seal: a daemon not in ARCSealMTA seals nothing");
out:
	unlink(kt);
	unlink(st);
}

/* sign_cases - the signers chosen, and the signature listed */
static void
sign_cases(void)
{
	struct session_out out;
	const char *stage;
	char	*vmsg, *ar;
	size_t	len;

	if (install("") < 0) {
		ok(0, "configuration for signing");
		return;
	}
	run(signme, &orig, &out, &stage, NULL);
	ok(strcmp(stage, "eom") == 0 && out.verdict == SESSION_CONTINUE,
	    "sign: a message of ours reaches end of message, continue");
	ok(got.nins == 1 && strcmp(got.name, "DKIM-Signature") == 0,
	    "sign: one DKIM-Signature listed for insertion at the top");
	ok(got.ndel == 0, "sign: nothing deleted");
	ok(got.nins == 1 && strstr(got.value, "d=a.example") != NULL &&
	    strstr(got.value, "s=s;") != NULL,
	    "sign: the signer chosen is the KeyFile's, d=a.example s=s");
	ok(got.nins == 1 && strchr(got.value, '\r') == NULL,
	    "sign: the value has LF line ends, as the MTA wants");
	ok(strstr(out.log, "QID1: sign (MTA ORIGINATING): d=a.example s=s "
	    "a=ed25519-sha256 signed") != NULL, "sign: the log line says "
	    "who signed and why");
	/* the signature verifies (a key record served from memory) */
	len = strlen(signme) + (got.nins ? strlen(got.value) : 0) + 64;
	vmsg = malloc(len);
	ar = NULL;
	if (vmsg != NULL && got.nins == 1) {
		char	*o = vmsg, *v;

		o += sprintf(o, "DKIM-Signature:");
		for (v = got.value; *v; v++) {
			if (*v == '\n')
				*o++ = '\r';
			*o++ = *v;
		}
		sprintf(o, "\r\n%s", signme);
		run(vmsg, &inbound, &out, &stage, NULL);
		ar = got.nins == 1 ? got.value : NULL;
		ok(ar != NULL && strstr(ar, "mx.test") != NULL &&
		    strstr(ar, "dkim=pass") != NULL && strstr(ar,
		    "header.d=a.example") != NULL,
		    "sign: the signature listed verifies (dkim=pass)");
	} else
		ok(0, "sign: the signature listed verifies (dkim=pass)");
	free(vmsg);

	run("From: x@other.example\r\nSubject: s\r\n\r\nHi.\r\n", &orig,
	    &out, &stage, NULL);
	ok(strcmp(stage, "eom") == 0 && out.verdict == SESSION_CONTINUE &&
	    strcmp(got.name, "DKIM-Signature") != 0 && strstr(out.log,
	    "QID1: verify (MTA ORIGINATING; "
	    "no key for \"x@other.example\", verified instead): no "
	    "signature") != NULL,
	    "sign: no key for the From domain (Mode sv): verified instead, "
	    "and the log says so");

	run("From: joe@a.example\r\nFrom: ceo@b.example\r\nSubject: s\r\n"
	    "\r\nHi.\r\n", &orig, &out, &stage, NULL);
	ok(strcmp(stage, "eoh") == 0 && out.verdict == SESSION_ACCEPT &&
	    got.nins == 0 && strstr(out.log, "not signed: ") != NULL,
	    "attack: a second From is not signed (On-BadAuthor default: "
	    "accept)");

	run(signme, &orig, &out, &stage, "insert DKIM-Signature");
	ok(out.verdict == SESSION_ACCEPT && got.nins == 0 &&
	    strstr(out.log, "internal error: insert DKIM-Signature: MTA "
	    "refused") != NULL, "sign: an insertion the MTA refused is an "
	    "internal error, On-InternalError (accept)");
}

/* policy_cases - On-BadAuthor and sender authorization refuse */
static void
policy_cases(void)
{
	struct session_out out;
	const char *stage;
	char	text[512], path[128];
	FILE	*f;
	struct macs login = { { "{daemon_name}", "MSA", "{auth_authen}",
	    "mallory@evil.example", "i", "QID3", NULL } };
	struct macs alice = { { "{daemon_name}", "MSA", "{auth_authen}",
	    "alice@a.example", "i", "QID4", NULL } };

	if (install("On-BadAuthor reject\n") < 0) {
		ok(0, "configuration with On-BadAuthor reject");
		return;
	}
	run("From: joe@a.example\r\nFrom: ceo@b.example\r\nSubject: s\r\n"
	    "\r\nHi.\r\n", &orig, &out, &stage, NULL);
	ok(strcmp(stage, "eoh") == 0 && out.verdict == SESSION_REJECT &&
	    out.rcode && strcmp(out.rcode, "550") == 0 && out.xcode &&
	    strcmp(out.xcode, "5.7.1") == 0 && got.nins == 0,
	    "attack: two From fields, On-BadAuthor reject: 550 5.7.1, "
	    "nothing signed");

	snprintf(path, sizeof(path), "%s/authz", dir);
	if ((f = fopen(path, "w")) == NULL || fputs("alice@a.example "
	    "a.example\n", f) < 0 || fclose(f) != 0) {
		ok(0, "authorization file written");
		return;
	}
	snprintf(text, sizeof(text), "SenderAuthorization file:%s\n"
	    "On-Unauthorized reject\n", path);
	if (install(text) < 0) {
		ok(0, "configuration with SenderAuthorization");
		return;
	}
	run(signme, &login, &out, &stage, NULL);
	ok(strcmp(stage, "eoh") == 0 && out.verdict == SESSION_REJECT &&
	    out.rcode && strcmp(out.rcode, "550") == 0 && out.xcode &&
	    strcmp(out.xcode, "5.7.1") == 0 && got.nins == 0 &&
	    strstr(out.log, "not authorized") != NULL,
	    "attack: a login not authorized for the From domain: 550 5.7.1, "
	    "nothing signed");
	ok(out.text != NULL && strstr(out.text, "a.example") == NULL &&
	    strstr(out.text, "mallory") == NULL, "authz: the reply text "
	    "carries no byte of the message or login");
	run(signme, &alice, &out, &stage, NULL);
	ok(strcmp(stage, "eom") == 0 && got.nins == 1 &&
	    strstr(out.log, "signed") != NULL,
	    "authz: the authorized login's mail is signed");
}

/* verify_cases - A-R listed, forged ones removed, On-* actions */
static void
verify_cases(void)
{
	struct session_out out;
	const char *stage;
	static const char forged[] =
	    "Authentication-Results: mx.test; dkim=pass header.d=bank.example\r\n"
	    "Authentication-Results: other.test; dkim=none\r\n"
	    "Authentication-Results: MX.TEST; spf=pass\r\n"
	    "From: ceo@bank.example\r\nSubject: s\r\n\r\nHi.\r\n";

	if (install("") < 0) {
		ok(0, "configuration for verifying");
		return;
	}
	run(forged, &inbound, &out, &stage, NULL);
	ok(strcmp(stage, "eom") == 0 && out.verdict == SESSION_CONTINUE &&
	    got.nins == 1 && strcmp(got.name, AR_NAME) == 0 &&
	    strstr(got.value, "mx.test; dkim=none") != NULL,
	    "verify: our Authentication-Results listed (dkim=none)");
	ok(got.ndel == 2 && strstr(out.log, "removed 2 forged "
	    "Authentication-Results #3 #1") != NULL,
	    "attack: forged fields claiming mx.test (#1, #3) logged removed, "
	    "highest first; other.test's (#2) stays");

	/* the deletion list itself, before the session ends */
	{
		struct session s;
		struct session_mac sm = { mac_get, &inbound };

		memset(&s, 0, sizeof(s));
		s.leadspc = 1;
		session_envfrom(&s, &sm, &out);
		session_header(&s, AR_NAME, " mx.test; dkim=pass");
		session_header(&s, AR_NAME, " other.test; dkim=none");
		session_header(&s, AR_NAME, " mx.test; spf=pass");
		session_header(&s, "From", " ceo@bank.example");
		session_eoh(&s, &sm, &out);
		session_body(&s, (const unsigned char *)"Hi.\r\n", 5);
		session_eom(&s, &sm, &out);
		ok(out.ndel == 2 && out.del[0] == 1 && out.del[1] == 3,
		    "attack: deletions listed at indexes 1 and 3 (carried out "
		    "from the end: 3, then 1)");
		session_finish(&s, &out);
	}

	if (install("On-NoSignature reject\n") < 0) {
		ok(0, "configuration with On-NoSignature reject");
		return;
	}
	run(forged, &inbound, &out, &stage, NULL);
	ok(out.verdict == SESSION_REJECT && out.rcode &&
	    strcmp(out.rcode, "550") == 0 && got.nins == 0 &&
	    strstr(out.log, "no signature; reject") != NULL,
	    "verify: On-NoSignature reject: 550, nothing inserted");

	if (install("On-NoSignature tempfail\n") < 0) {
		ok(0, "configuration with On-NoSignature tempfail");
		return;
	}
	run(forged, &inbound, &out, &stage, NULL);
	ok(out.verdict == SESSION_TEMPFAIL && out.rcode &&
	    strcmp(out.rcode, "451") == 0 && out.xcode &&
	    strcmp(out.xcode, "4.7.5") == 0,
	    "verify: On-NoSignature tempfail: 451 4.7.5");

	if (install("") < 0)
		return;
	run(forged, &inbound, &out, &stage, "remove Authentication-Results");
	ok(out.verdict == SESSION_ACCEPT && strstr(out.log, "internal error: "
	    "remove Authentication-Results: MTA refused") != NULL,
	    "verify: a deletion the MTA refused is On-InternalError");
}

/*
 * failed_cases - an internal error while verifying (injected with
 * session_fail(), as an engine error would be recorded): forged fields
 * are still listed for removal and a temperror inserted, as well as the
 * MTA lets us
 */
static void
failed_cases(void)
{
	struct session s;
	struct session_mac sm = { mac_get, &inbound };
	struct session_out out;

	if (install("") < 0) {
		ok(0, "configuration for verifying");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.leadspc = 1;
	session_envfrom(&s, &sm, &out);
	session_header(&s, AR_NAME, " mx.test; dkim=pass");
	session_header(&s, "From", " ceo@bank.example");
	session_eoh(&s, &sm, &out);
	session_body(&s, (const unsigned char *)"Hi.\r\n", 5);
	if (s.m != NULL)
		session_fail(s.m, "body", "injected");
	session_eom(&s, &sm, &out);
	ok(out.done && out.verdict == SESSION_ACCEPT && out.best_effort &&
	    out.ndel == 1 && out.del[0] == 1 && out.nins == 1 &&
	    strstr(out.ins[0].value, "mx.test; dkim=temperror") != NULL,
	    "attack: after an internal error the forged field is still "
	    "listed for removal, and a temperror inserted");
	session_refused(&s, &out, "remove Authentication-Results");
	ok(out.verdict == SESSION_ACCEPT && out.best_effort,
	    "failed: a refused best-effort edit changes nothing");
	session_finish(&s, &out);
	printf("# eom: %s\n", out.log);
	ok(strstr(out.log, "internal error: body: injected; accept") != NULL,
	    "failed: logged as an internal error, On-InternalError accept");
}

/*
 * relay_cases - Mode sv, OpenDKIM's rule: mail chosen for signing whose
 * From has no key is verified (forged A-R removed, ours inserted); the
 * paths that refuse to sign keep their outcomes
 */
static void
relay_cases(void)
{
	struct session_out out;
	const char *stage;

	if (install("AlwaysAddARHeader yes\n") < 0) {
		ok(0, "configuration with AlwaysAddARHeader");
		return;
	}
	run("Authentication-Results: mx.test; dkim=pass header.d=other."
	    "example\r\nFrom: x@other.example\r\nSubject: s\r\n\r\nHi.\r\n",
	    &orig, &out, &stage, NULL);
	ok(strcmp(stage, "eom") == 0 && out.verdict == SESSION_CONTINUE &&
	    got.nins == 1 && strcmp(got.name, "Authentication-Results") == 0 &&
	    strstr(got.value, "mx.test; dkim=none") != NULL,
	    "relay: internal mail with no key gets our Authentication-Results");
	ok(got.ndel == 1, "relay: attack: the forged dkim=pass claiming our "
	    "authserv-id is removed from internal mail with no key");
	run(signme, &orig, &out, &stage, NULL);
	ok(got.nins == 1 && strcmp(got.name, "DKIM-Signature") == 0 &&
	    got.ndel == 0, "relay: internal mail with a key is signed, no "
	    "Authentication-Results added");
	run("From: joe@a.example\r\nFrom: ceo@other.example\r\nSubject: s"
	    "\r\n\r\nHi.\r\n", &orig, &out, &stage, NULL);
	ok(strcmp(stage, "eoh") == 0 && out.verdict == SESSION_ACCEPT &&
	    got.nins == 0 && strstr(out.log, "sign (MTA ORIGINATING): not "
	    "signed: ") != NULL,
	    "relay: a bad author still takes On-BadAuthor, not verification");
	if (install("Mode s\nAlwaysAddARHeader yes\n") < 0) {
		ok(0, "configuration with Mode s");
		return;
	}
	run("From: x@other.example\r\nSubject: s\r\n\r\nHi.\r\n", &orig,
	    &out, &stage, NULL);
	ok(strcmp(stage, "eoh") == 0 && out.verdict == SESSION_ACCEPT &&
	    got.nins == 0 && strstr(out.log, "no key for \"x@other.example\"; "
	    "passed unsigned") != NULL,
	    "Mode s: no key for the From domain: accepted unsigned at eoh");
}

/* mode_cases - Mode s: mail from outside passes unchanged */
static void
mode_cases(void)
{
	struct session_out out;
	const char *stage;

	if (install("Mode s\n") < 0) {
		ok(0, "configuration with Mode s");
		return;
	}
	run(signme, &inbound, &out, &stage, NULL);
	ok(strcmp(stage, "envfrom") == 0 && out.verdict == SESSION_ACCEPT &&
	    strstr(out.log, "passed unchanged") != NULL,
	    "Mode s: mail from outside passes unchanged at MAIL FROM");
	ok(session_inflight() == 0, "no message left in flight");
}

int
main(void)
{
	char	*key = NULL, *txt = NULL, err[128];
	dkim_key *k;

	if (setup() < 0) {
		ok(0, "key folder made");
		return done_testing();
	}
	if ((k = dkim_key_load_file(SRCDIR "/t/data/db/ed25519.pem", err,
	    sizeof(err))) != NULL && (txt = dkim_key_public_record(k)) != NULL)
		records_add(&rec, "s._domainkey.a.example", txt, 0);
	dkim_key_free(k);
	free(txt);
	free(key);
	sign_cases();
	policy_cases();
	verify_cases();
	failed_cases();
	relay_cases();
	mode_cases();
	arc_cases();
	live_shutdown();
	records_free(&rec);
	cleanup();
	return done_testing();
}
