/*
 * test_sig.c - unit tests of dkimcore/sig.c: DKIM-Signature values
 * (RFC 6376 §3.5) and the checks that need the clock (dk_sig_check)
 *
 * The signatures of RFC 6376 Appendix A.2 and RFC 8463 Appendix A.3 are
 * in t/data/sig/ (found under $top_srcdir, default "."). Other cases are
 * built from a good signature with one tag replaced, by with().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"
#include "tap.h"

#define BH256	"2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8="
#define BH160	"qUqP5cyxm6YcTAhz05Hph5gvu9M="
#define BVAL	"AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB"
#define NOW	1700000000LL

static char why[256];

/*
 * check_result - the result dk_sig_check's cause gives, the cause's
 * token kept in cause_seen
 */
static const char *cause_seen;

static enum dkim_result
check_result(const struct dk_sig *sig, time_t now, char *w, size_t wlen)
{
	enum dkim_cause c = dk_sig_check(sig, now, w, wlen);

	cause_seen = dkim_cause_name(c);
	return dkim_cause_result(c);
}

/* The tags of a good signature, in order; with() replaces one of them. */
static const char *const good[][2] = {
	{ "v", "v=1" },
	{ "a", "a=rsa-sha256" },
	{ "c", "c=relaxed/relaxed" },
	{ "d", "d=example.com" },
	{ "s", "s=sel" },
	{ "h", "h=from:to:subject" },
	{ "bh", "bh=" BH256 },
	{ "b", "b=" BVAL },
};

/*
 * with - parse the good signature with tag name's spec replaced by spec
 * ("" drops it; spec may hold several tags). Returns dk_sig_parse().
 */
static int
with(struct dk_sig *sig, const char *name, const char *spec)
{
	static char buf[4096];
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *s = strcmp(good[i][0], name) == 0 ? spec :
		    good[i][1];

		if (*s != '\0')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
			    o ? "; " : "", s);
	}
	why[0] = '\0';
	return dk_sig_parse(sig, buf, o, why, sizeof(why));
}

/* refused - with() fails with reason want; one test point */
static void
refused(const char *name, const char *spec, const char *want,
    const char *proves)
{
	struct dk_sig sig;

	if (with(&sig, name, spec) == 0)
		ok(0, proves);
	else
		is_str(why, want, proves);
	dk_sig_clear(&sig);
}

/* accepted - with() succeeds; one test point */
static void
accepted(const char *name, const char *spec, const char *proves)
{
	struct dk_sig sig;

	if (!ok(with(&sig, name, spec) == 0, proves))
		printf("#   why: %s\n", why);
	dk_sig_clear(&sig);
}

/* data_read - t/data/sig/NAME, optionally with CRLF line ends */
static char *
data_read(const char *name, int crlf, size_t *len)
{
	const char *top = getenv("top_srcdir");
	char	 path[1024], *buf;
	size_t	 o = 0;
	FILE	*fp;
	int	 c;

	snprintf(path, sizeof(path), "%s/t/data/sig/%s", top ? top : ".",
	    name);
	if ((fp = fopen(path, "r")) == NULL || (buf = malloc(8192)) == NULL)
		return NULL;
	while ((c = getc(fp)) != EOF && o < 8190) {
		if (c == '\n' && crlf)
			buf[o++] = '\r';
		buf[o++] = (char)c;
	}
	fclose(fp);
	buf[o] = '\0';
	*len = o;
	return buf;
}

/* test_rfc6376 - the RFC 6376 A.2 signature, LF and CRLF */
static void
test_rfc6376(int crlf)
{
	struct dk_sig sig;
	char	*v, *blanked;
	size_t	 len;

	if ((v = data_read("rfc6376-a2.txt", crlf, &len)) == NULL) {
		ok(0, "rfc6376-a2.txt can be read");
		return;
	}
	if (!ok(dk_sig_parse(&sig, v, len, why, sizeof(why)) == 0, crlf ?
	    "RFC 6376 A.2 signature parses with CRLF folding" :
	    "RFC 6376 A.2 signature parses with LF folding"))
		printf("#   why: %s\n", why);
	ok(sig.alg == DKIM_ALG_RSA_SHA256 && strcmp(sig.alg_name,
	    "rsa-sha256") == 0, "A.2: a=rsa-sha256");
	ok(sig.hcanon == DKIM_CANON_SIMPLE && sig.bcanon == DKIM_CANON_SIMPLE,
	    "A.2: c=simple/simple");
	ok(strcmp(sig.domain, "example.com") == 0 &&
	    strcmp(sig.selector, "brisbane") == 0, "A.2: d= and s=");
	is_str(sig.identity, "joe@football.example.com",
	    "A.2: i= in a subdomain of d= is kept");
	ok(sig.nh == 6 && strcmp(sig.hnames[0], "Received") == 0 &&
	    strcmp(sig.hnames[5], "Message-ID") == 0,
	    "A.2: h= names as written, FWS around colons dropped");
	ok(sig.bhlen == 32 && sig.blen == 128, "A.2: bh= 32 bytes, b= 128");
	is_str(sig.bprefix, "AuUoFEfD", "A.2: b= prefix for header.b");
	ok(sig.l == -1 && sig.t == -1 && sig.x == -1, "A.2: no l=, t=, x=");
	is_int(check_result(&sig, (time_t)NOW, why, sizeof(why)),
	    DKIM_RES_NONE, "A.2: passes the clock and policy checks");

	/* §3.7: blanking b='s value keeps everything around it */
	blanked = malloc(len + 1);
	memcpy(blanked, v, sig.b_off);
	strcpy(blanked + sig.b_off, v + sig.b_off + sig.b_len);
	ok(strstr(blanked, "\n      b=;") != NULL && strncmp(v + sig.b_off,
	    "AuUo", 4) == 0 && strncmp(v + sig.b_off + sig.b_len - 4,
	    "bU4=", 4) == 0, "A.2: b_off/b_len cover exactly b='s value");
	free(blanked);
	dk_sig_clear(&sig);
	free(v);
}

/* test_rfc8463 - both RFC 8463 signatures */
static void
test_rfc8463(void)
{
	struct dk_sig sig;
	char	*v;
	size_t	 len;

	if ((v = data_read("rfc8463-ed25519.txt", 1, &len)) == NULL) {
		ok(0, "rfc8463-ed25519.txt can be read");
		return;
	}
	is_int(dk_sig_parse(&sig, v, len, why, sizeof(why)), 0,
	    "RFC 8463 ed25519-sha256 signature parses");
	ok(sig.alg == DKIM_ALG_ED25519_SHA256 && sig.blen == 64,
	    "8463: a=ed25519-sha256 with a 64-byte b=");
	ok(sig.hcanon == DKIM_CANON_RELAXED && sig.bcanon == DKIM_CANON_RELAXED,
	    "8463: c=relaxed/relaxed");
	ok(sig.t == 1528637909 && sig.nh == 8, "8463: t= and 8 h= names "
	    "(oversigned names kept)");
	is_str(sig.identity, "@football.example.com",
	    "8463: i= with an empty local-part");
	is_int(check_result(&sig, (time_t)NOW, why, sizeof(why)),
	    DKIM_RES_NONE, "8463: t= in the past is fine");
	dk_sig_clear(&sig);
	free(v);

	if ((v = data_read("rfc8463-rsa.txt", 0, &len)) == NULL) {
		ok(0, "rfc8463-rsa.txt can be read");
		return;
	}
	is_int(dk_sig_parse(&sig, v, len, why, sizeof(why)), 0,
	    "RFC 8463 rsa-sha256 signature parses");
	ok(sig.alg == DKIM_ALG_RSA_SHA256 && strcmp(sig.selector, "test") == 0,
	    "8463: second signature is rsa-sha256, s=test");
	dk_sig_clear(&sig);
	free(v);
}

/* test_required - each required tag (§3.5) */
static void
test_required(void)
{
	accepted("", "", "the good signature parses");
	refused("v", "", "missing tag v=", "v= is required");
	refused("a", "", "missing tag a=", "a= is required");
	refused("b", "", "missing tag b=", "b= is required");
	refused("bh", "", "missing tag bh=", "bh= is required");
	refused("d", "", "missing tag d=", "d= is required");
	refused("h", "", "missing tag h=", "h= is required");
	refused("s", "", "missing tag s=", "s= is required");
	accepted("c", "", "c= is optional");
	accepted("c", "c=relaxed/relaxed; foo=bar; q7=x",
	    "unknown tags are ignored");
}

/* test_values - the values of v=, a=, c=, q= */
static void
test_values(void)
{
	struct dk_sig sig;

	refused("v", "v=2", "unsupported version (v= is not 1)",
	    "v=2 is refused");
	refused("v", "v=1.0", "unsupported version (v= is not 1)",
	    "v=1.0 is refused");
	refused("a", "a=rsa-sha512", "unknown algorithm rsa-sha512",
	    "an unknown algorithm is refused and named");
	ok(with(&sig, "a", "a=rsa-sha512") < 0 && sig.unknown_alg,
	    "... and marked unknown_alg, for its cause alg_unknown");
	dk_sig_clear(&sig);
	ok(with(&sig, "v", "v=2") < 0 && !sig.unknown_alg,
	    "another refusal (v=2) is not marked unknown_alg");
	dk_sig_clear(&sig);
	with(&sig, "a", "a=RSA-SHA256");
	ok(sig.alg == DKIM_ALG_RSA_SHA256 &&
	    strcmp(sig.alg_name, "rsa-sha256") == 0,
	    "a= matches without regard to case and is reported lower-cased");
	dk_sig_clear(&sig);
	with(&sig, "a", "a=ed25519-sha256-and-a-very-long-tail-beyond-32");
	is_int(strlen(sig.alg_name), 31, "alg_name is truncated to its field");
	dk_sig_clear(&sig);

	with(&sig, "c", "c=relaxed");
	ok(sig.hcanon == DKIM_CANON_RELAXED && sig.bcanon == DKIM_CANON_SIMPLE,
	    "c=relaxed means relaxed/simple");
	dk_sig_clear(&sig);
	with(&sig, "c", "c=simple/relaxed");
	ok(sig.hcanon == DKIM_CANON_SIMPLE && sig.bcanon == DKIM_CANON_RELAXED,
	    "c=simple/relaxed");
	dk_sig_clear(&sig);
	with(&sig, "c", "");
	ok(sig.hcanon == DKIM_CANON_SIMPLE && sig.bcanon == DKIM_CANON_SIMPLE,
	    "no c= means simple/simple");
	dk_sig_clear(&sig);
	refused("c", "c=fancy", "unknown canonicalization",
	    "an unknown canonicalization is refused");
	refused("c", "c=relaxed/", "unknown canonicalization",
	    "c= with an empty body part is refused");
	refused("c", "c=relaxed/relaxed/simple", "unknown canonicalization",
	    "c= with three parts is refused");

	accepted("c", "q=dns/txt", "q=dns/txt is accepted");
	accepted("c", "q=foo/bar : dns/txt", "q= listing dns/txt among others");
	refused("c", "q=dns", "q= does not include dns/txt",
	    "q= without dns/txt is refused");
}

/* test_names - d=, s= and what a report still gets on errors */
static void
test_names(void)
{
	static const char nul[] = "v=1; s=sel; d=exa\0mple.com; a=rsa-sha256";
	struct dk_sig sig;

	ok(dk_sig_parse(&sig, nul, sizeof(nul) - 1, why, sizeof(why)) < 0,
	    "a NUL in d= is refused");
	ok(sig.domain[0] == '\0' && strcmp(sig.selector, "sel") == 0,
	    "after a NUL in d=, domain stays empty, s= before it is kept");
	dk_sig_clear(&sig);
	refused("d", "d=example.com(x)", "invalid d= domain",
	    "'(' in d= is refused");
	with(&sig, "d", "d=example.com(x)");
	ok(sig.domain[0] == '\0' && strcmp(sig.selector, "sel") == 0 &&
	    strcmp(sig.bprefix, "AuUoFEfD") == 0,
	    "an invalid d= is never copied, s= and b prefix are kept");
	dk_sig_clear(&sig);
	refused("d", "d=example.com.", "invalid d= domain",
	    "a trailing dot in d= is refused");
	refused("d", "d=", "invalid d= domain", "an empty d= is refused");
	refused("s", "s=se l", "invalid s= selector",
	    "a space inside s= is refused");
	with(&sig, "s", "s=se l");
	ok(sig.selector[0] == '\0' && strcmp(sig.domain, "example.com") == 0,
	    "an invalid s= is never copied, d= is kept");
	dk_sig_clear(&sig);
	refused("d", "d=example.com; d=evil.example",
	    "duplicate tag d", "a repeated d= is refused");
	with(&sig, "d", "d=example.com; d=evil.example");
	is_str(sig.domain, "example.com",
	    "after a repeated d=, the report names the first one");
	dk_sig_clear(&sig);
	refused("v", "v=1; v=1", "duplicate tag v",
	    "even identical repeated tags are refused");
}

/* test_hlist - h= */
static void
test_hlist(void)
{
	struct dk_sig sig;

	refused("h", "h=to:subject", "h= does not include From",
	    "h= without From is refused");
	accepted("h", "h=FROM", "From is found in any case");
	with(&sig, "h", "h= from :\r\n\tto : from ");
	ok(sig.nh == 3 && strcmp(sig.hnames[0], "from") == 0 &&
	    strcmp(sig.hnames[2], "from") == 0,
	    "h= with FWS around colons; repeated names kept in order");
	dk_sig_clear(&sig);
	refused("h", "h=from::to", "h= has an invalid field name",
	    "an empty name in h= is refused");
	refused("h", "h=from:", "h= has an invalid field name",
	    "a trailing colon in h= is refused");
	refused("h", "h=from:x y", "h= has an invalid field name",
	    "a space inside an h= name is refused");
	accepted("h", "h=from:X-Mailer:List-Id:x_y.z",
	    "h= names may hold any printable character but ':'");
}

/* test_identity - i= against d= */
static void
test_identity(void)
{
	accepted("s", "s=sel; i=@example.com", "i= equal to d= is accepted");
	accepted("s", "s=sel; i=user@Sub.EXAMPLE.com",
	    "i= in a subdomain of d=, in another case, is accepted");
	refused("s", "s=sel; i=@evil.com",
	    "i= domain is not d= or a subdomain of it",
	    "i= outside d= is refused");
	refused("s", "s=sel; i=@notexample.com",
	    "i= domain is not d= or a subdomain of it",
	    "i= that only ends with d='s text is refused");
	refused("s", "s=sel; i=@com", "i= has an invalid domain",
	    "i= at a parent of d= (a single label) is refused");
	refused("s", "s=sel; i=user", "i= has no @", "i= without @ is refused");
	refused("s", "s=sel; i=user@", "i= has an invalid domain",
	    "i= with an empty domain is refused");
}

/* decoded - with() succeeds and i= decodes to want; one test point */
static void
decoded(const char *spec, const char *want, const char *proves)
{
	struct dk_sig sig;

	if (with(&sig, "s", spec) != 0) {
		ok(0, proves);
		printf("#   why: %s\n", why);
	} else
		is_str(sig.identity, want, proves);
	dk_sig_clear(&sig);
}

/*
 * test_identity_qp - i= is dkim-quoted-printable (RFC 6376 §2.11): it is
 * decoded before the check against d=, and a bad escape is refused
 * without leaving half-decoded text behind
 */
static void
test_identity_qp(void)
{
	struct dk_sig sig;

	decoded("s=sel; i=user=40example.com", "user@example.com",
	    "i=user=40example.com is user@example.com (=40 is '@')");
	decoded("s=sel; i=us=65r@sub=2Eexample.com", "user@sub.example.com",
	    "i= escapes in either case of hex, in the local-part and domain");
	decoded("s=sel; i=a=3Bb=20c@example.com", "a;b c@example.com",
	    "i= may decode to ';' and SP (the A-R writer keeps them out)");
	decoded("s=sel; i=jo\r\n e@example.com", "joe@example.com",
	    "FWS inside i= is dropped");
	refused("s", "s=sel; i=user=40evil.com",
	    "i= domain is not d= or a subdomain of it",
	    "i= whose decoded domain is outside d= is refused");
	refused("s", "s=sel; i=user@example.com=4",
	    "i= is not valid dkim-quoted-printable",
	    "i= ending in '=' and one hex digit is refused");
	refused("s", "s=sel; i=u=zzser@example.com",
	    "i= is not valid dkim-quoted-printable",
	    "i= with =zz (not hex) is refused");
	refused("s", "s=sel; i=u=00ser@example.com",
	    "i= is not valid dkim-quoted-printable",
	    "i= decoding to NUL is refused");
	refused("s", "s=sel; i=u=0D=0Aser@example.com",
	    "i= is not valid dkim-quoted-printable",
	    "i= decoding to CR LF is refused");
	refused("s", "s=sel; i=user=4example.com", "i= has no @",
	    "i=user=4example.com (=40 one digit short) is userNxample.com: "
	    "no '@', refused");
	with(&sig, "s", "s=sel; i=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=4");
	ok(sig.identity == NULL, "a refused i= is not kept half-decoded");
	dk_sig_clear(&sig);
}

/* test_numbers - l=, t=, x= */
static void
test_numbers(void)
{
	struct dk_sig sig;

	with(&sig, "s", "s=sel; l=123; t=100; x=200");
	ok(sig.l == 123 && sig.t == 100 && sig.x == 200, "l=, t=, x= values");
	dk_sig_clear(&sig);
	accepted("s", "s=sel; l=9223372036854775807",
	    "l= at LLONG_MAX is accepted");
	refused("s", "s=sel; l=9223372036854775808", "l= out of range",
	    "l= one above LLONG_MAX is refused");
	refused("s", "s=sel; l=99999999999999999999999999999999999999",
	    "l= out of range", "a huge l= is refused, not wrapped");
	refused("s", "s=sel; l=12a", "l= is not a number",
	    "l= with a letter is refused");
	refused("s", "s=sel; l=-1", "l= is not a number",
	    "a negative l= is refused");
	refused("s", "s=sel; l=", "l= is not a number", "an empty l= is refused");
	refused("s", "s=sel; t=99999999999999999999", "t= out of range",
	    "t= overflow is refused");
	refused("s", "s=sel; x=99999999999999999999", "x= out of range",
	    "x= overflow is refused");
}

/* blank - v with [b_off, b_off + b_len) removed, in a static buffer */
static const char *
blank(const char *v, const struct dk_sig *sig)
{
	static char out[512];

	snprintf(out, sizeof(out), "%.*s%s", (int)sig->b_off, v,
	    v + sig->b_off + sig->b_len);
	return out;
}

/* test_bspan - what the verifier blanks (§3.7) */
static void
test_bspan(void)
{
	static const char *const cases[][3] = {
		{ "v=1; b=" BVAL ";", "v=1; b=;",
		    "b= span: the value alone" },
		{ "v=1; b=\r\n\t" BVAL, "v=1; b=",
		    "b= span: a fold right after b= goes with the value" },
		{ "v=1; b = " BVAL " ; x_=1", "v=1; b = ; x_=1",
		    "b= span: FWS before '=' and after the value stays" },
		{ "v=1; b=AuUo\r\n FEfD", "v=1; b=",
		    "b= span: a fold inside the value goes with it" },
	};
	struct dk_sig sig;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dk_sig_parse(&sig, cases[i][0], strlen(cases[i][0]), why,
		    sizeof(why));
		is_str(blank(cases[i][0], &sig), cases[i][1], cases[i][2]);
		dk_sig_clear(&sig);
	}
}

/* test_base64 - b= and bh= */
static void
test_base64(void)
{
	struct dk_sig sig;

	refused("b", "b=", "b= is empty", "an empty b= is refused");
	with(&sig, "b", "b=");
	ok(strcmp(sig.domain, "example.com") == 0 && sig.bprefix[0] == '\0',
	    "after an empty b=, d= is still reported");
	dk_sig_clear(&sig);
	refused("b", "b=AuUo!EfD", "b= is not valid base64",
	    "a foreign character in b= is refused");
	refused("b", "b=AuUoFEf", "b= is not valid base64",
	    "truncated base64 in b= is refused");
	refused("b", "b=Au=oFEfD", "b= is not valid base64",
	    "padding in the middle of b= is refused");
	refused("bh", "bh=", "bh= is empty", "an empty bh= is refused");
	refused("bh", "bh=" BH160, "bh= has the wrong length",
	    "a 20-byte bh= with rsa-sha256 is refused");
	refused("bh", "bh=" BH256 BH256, "bh= is not valid base64",
	    "two base64 values run together are refused");
	with(&sig, "b", "b= Au Uo\r\n\tFE fD xTDk ");
	is_str(sig.bprefix, "AuUoFEfD", "the b prefix skips FWS inside b=");
	dk_sig_clear(&sig);
	test_bspan();
}

/* test_hostile - big and odd input */
static void
test_hostile(void)
{
	struct dk_sig sig;
	size_t	 n = 1024 * 1024, o;
	char	*big;

	big = malloc(n + 256);
	o = (size_t)snprintf(big, 256, "v=1; a=rsa-sha256; d=example.com; "
	    "s=sel; h=from; bh=%s; b=%s; z=", BH256, BVAL);
	memset(big + o, 'A', n);
	big[o + n] = '|';
	is_int(dk_sig_parse(&sig, big, o + n + 1, why, sizeof(why)), 0,
	    "a z= of 1 MiB parses (no fixed buffer)");
	dk_sig_clear(&sig);
	memset(big, 'h', n);
	memcpy(big, "h=from", 6);
	for (o = 6; o + 2 < n; o += 2)
		big[o] = ':';
	ok(dk_sig_parse(&sig, big, o, why, sizeof(why)) < 0 &&
	    strcmp(why, "h= is too long") == 0,
	    "an h= of half a million names is refused at its ceiling");
	dk_sig_clear(&sig);
	free(big);
	is_int(dk_sig_parse(&sig, NULL, 0, why, sizeof(why)), -1,
	    "a NULL value is an empty list, not a crash");
	is_str(why, "missing tag v=", "and lacks the required tags");
	dk_sig_clear(&sig);
	refused("v", "v=1;;", "tag-list syntax: tag name expected",
	    "an empty tag-spec in a signature is refused");
	refused("s", "s=sel; z=caf\xc3\xa9",
	    "tag-list syntax: invalid character in tag value",
	    "an 8-bit byte in a signature is refused");
	with(&sig, "d", "d=\texample.com\r\n\t");
	is_str(sig.domain, "example.com", "FWS around d='s value is dropped");
	dk_sig_clear(&sig);
}

/* test_check - dk_sig_check */
static void
test_check(void)
{
	struct dk_sig sig;

	with(&sig, "s", "s=sel; t=1000; x=900");
	is_int(check_result(&sig, 950, why, sizeof(why)), DKIM_RES_PERMERROR,
	    "x= before t= is a permerror");
	is_str(cause_seen, "x_before_t", "x= before t=: cause x_before_t");
	is_str(why, "x= before t=", "with the reason \"x= before t=\"");
	dk_sig_clear(&sig);
	with(&sig, "s", "s=sel; t=1000; x=1000");
	is_int(check_result(&sig, 1000, why, sizeof(why)), DKIM_RES_PERMERROR,
	    "x= equal to t= is a permerror (§3.5: x must be greater)");
	dk_sig_clear(&sig);
	with(&sig, "s", "s=sel; t=1000; x=2000");
	is_int(check_result(&sig, 2000, why, sizeof(why)), DKIM_RES_NONE,
	    "a signature is good up to its x= second");
	is_int(check_result(&sig, 2001, why, sizeof(why)), DKIM_RES_PERMERROR,
	    "a signature after its x= is a permerror");
	is_str(why, "signature expired", "with the reason \"signature expired\"");
	is_str(cause_seen, "expired", "x= passed: cause expired");
	is_int(check_result(&sig, 700, why, sizeof(why)), DKIM_RES_NONE,
	    "t= up to 300 s ahead of our clock is tolerated");
	is_int(check_result(&sig, 699, why, sizeof(why)), DKIM_RES_PERMERROR,
	    "t= more than 300 s ahead is a permerror");
	is_str(why, "signature in the future",
	    "with the reason \"signature in the future\"");
	ok(dk_sig_check_drift(&sig, 100, 900, why, sizeof(why)) ==
	    DKIM_CAUSE_NONE, "ClockDrift 900: t= 900 s ahead is tolerated");
	ok(dk_sig_check_drift(&sig, 700, 0, why, sizeof(why)) ==
	    DKIM_CAUSE_FUTURE, "ClockDrift 0: t= 300 s ahead is in the future");
	ok(dk_sig_check_drift(&sig, 2001, 900, why, sizeof(why)) ==
	    DKIM_CAUSE_EXPIRED, "ClockDrift 900: x= gets no drift, expired");
	is_str(cause_seen, "future", "t= ahead: cause future");
	dk_sig_clear(&sig);

	with(&sig, "a", "a=rsa-sha1; bh=" BH160);
	ok(sig.alg == DKIM_ALG_RSA_SHA1, "rsa-sha1 with a 20-byte bh= parses");
	is_int(check_result(&sig, NOW, why, sizeof(why)), DKIM_RES_POLICY,
	    "rsa-sha1 is a policy result (RFC 8301)");
	is_str(why, "rsa-sha1 is not accepted (RFC 8301)",
	    "with a reason naming RFC 8301");
	is_str(cause_seen, "weak_alg", "rsa-sha1: cause weak_alg");
	dk_sig_clear(&sig);
	refused("a", "a=rsa-sha1", "bh= has the wrong length",
	    "rsa-sha1 with a 32-byte bh= is refused");

	memset(&sig, 0, sizeof(sig));
	sig.t = sig.x = -1;
	is_int(check_result(&sig, NOW, why, sizeof(why)), DKIM_RES_PERMERROR,
	    "an unknown algorithm is a permerror in dk_sig_check too");
	is_str(cause_seen, "alg_unknown", "unknown a=: cause alg_unknown");
}

/* test_clear - ownership */
static void
test_clear(void)
{
	struct dk_sig sig;

	dk_sig_clear(NULL);
	ok(1, "dk_sig_clear(NULL) does nothing");
	with(&sig, "s", "s=sel; i=@example.com");
	dk_sig_clear(&sig);
	ok(sig.hnames == NULL && sig.identity == NULL && sig.b == NULL &&
	    sig.nh == 0, "dk_sig_clear releases and forgets what it owned");
	dk_sig_clear(&sig);
	ok(1, "dk_sig_clear twice is safe");
	is_int(with(&sig, "", ""), 0, "a cleared signature can be parsed into");
	dk_sig_clear(&sig);
}

int
main(void)
{
	plan_lazy();
	test_rfc6376(0);
	test_rfc6376(1);
	test_rfc8463();
	test_required();
	test_values();
	test_names();
	test_hlist();
	test_identity();
	test_identity_qp();
	test_numbers();
	test_base64();
	test_hostile();
	test_check();
	test_clear();
	return done_testing();
}
