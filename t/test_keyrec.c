/*
 * test_keyrec.c - unit tests of dkimcore/keyrec.c (RFC 6376 §3.6.1)
 *
 * The records of RFC 6376 Appendix A.2 and RFC 8463 Appendix A are in
 * t/data/keyrec/rfc-records.txt; the records that must be refused, with
 * the reason expected and what each proves, in t/data/keyrec/cases.txt.
 * Data files are found under $top_srcdir (default ".").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"
#include "tap.h"

#define ED_P	"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static char why[256];

/* data_open - open t/data/keyrec/NAME under $top_srcdir */
static FILE *
data_open(const char *name)
{
	const char *top = getenv("top_srcdir");
	char	 path[1024];

	snprintf(path, sizeof(path), "%s/t/data/keyrec/%s",
	    top ? top : ".", name);
	return fopen(path, "r");
}

/* parse - dk_keyrec_parse on a C string */
static int
parse(struct dk_keyrec *kr, const char *txt)
{
	why[0] = '\0';
	return dk_keyrec_parse(kr, txt, strlen(txt), why, sizeof(why));
}

/* test_rfc_records - every published test record parses */
static void
test_rfc_records(void)
{
	static const struct {
		const char *name;
		enum dk_ktype ktype;
		size_t	 plen;
	} want[] = {
		{ "brisbane._domainkey.example.com", DK_KTYPE_RSA, 162 },
		{ "brisbane._domainkey.football.example.com",
		    DK_KTYPE_ED25519, 32 },
		{ "test._domainkey.football.example.com", DK_KTYPE_RSA, 162 },
	};
	struct dk_keyrec kr;
	char	 line[2048], msg[300], *sp;
	size_t	 i = 0;
	FILE	*fp;

	if ((fp = data_open("rfc-records.txt")) == NULL) {
		ok(0, "rfc-records.txt can be opened");
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL && i < 3) {
		line[strcspn(line, "\r\n")] = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp++ = '\0';
		is_str(line, want[i].name, "RFC records come in file order");
		snprintf(msg, sizeof(msg), "RFC record %.200s parses", line);
		is_int(parse(&kr, sp), 0, msg);
		snprintf(msg, sizeof(msg), "RFC record %.200s: key type and "
		    "decoded key length", line);
		ok(kr.ktype == want[i].ktype && kr.plen == want[i].plen &&
		    kr.p != NULL && !kr.revoked, msg);
		dk_keyrec_clear(&kr);
		i++;
	}
	fclose(fp);
	is_int(i, 3, "all three RFC test records were read");
}

/* test_refused - each case of cases.txt fails with its reason */
static void
test_refused(void)
{
	struct dk_keyrec kr;
	char	 line[2048], *rec, *name;
	FILE	*fp;
	int	 n = 0;

	if ((fp = data_open("cases.txt")) == NULL) {
		ok(0, "cases.txt can be opened");
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((rec = strchr(line, '\t')) == NULL ||
		    (name = strchr(rec + 1, '\t')) == NULL) {
			ok(0, "cases.txt line has three fields");
			continue;
		}
		*rec++ = '\0';
		*name++ = '\0';
		if (parse(&kr, rec) == 0)
			ok(0, name);
		else
			is_str(why, line, name);
		dk_keyrec_clear(&kr);
		n++;
	}
	fclose(fp);
	ok(n >= 15, "cases.txt holds the refused records");
}

/* test_defaults - what an absent tag means */
static void
test_defaults(void)
{
	struct dk_keyrec kr;

	is_int(parse(&kr, "p=" ED_P), 0, "a record of p= alone parses");
	ok(kr.ktype == DK_KTYPE_RSA, "k= absent means rsa");
	is_int(kr.hashes, DK_HASH_SHA1 | DK_HASH_SHA256,
	    "h= absent allows every hash");
	ok(!kr.testing && !kr.strict && !kr.revoked,
	    "no flags, not revoked by default");
	dk_keyrec_clear(&kr);
}

/* test_hashes - h= */
static void
test_hashes(void)
{
	struct dk_keyrec kr;

	parse(&kr, "v=DKIM1; h=sha256; p=" ED_P);
	is_int(kr.hashes, DK_HASH_SHA256, "h=sha256 allows sha256 only");
	dk_keyrec_clear(&kr);
	parse(&kr, "v=DKIM1; h = sha1 :\r\n sha256 ; p=" ED_P);
	is_int(kr.hashes, DK_HASH_SHA1 | DK_HASH_SHA256,
	    "h= list with FWS around colons");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; h=sha512:sha256; p=" ED_P), 0,
	    "an unknown hash in h= is ignored");
	is_int(kr.hashes, DK_HASH_SHA256, "and the known one is kept");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; h=sha512; p=" ED_P), 0,
	    "h= with only unknown hashes parses");
	is_int(kr.hashes, 0, "but allows no hash at all");
	dk_keyrec_clear(&kr);
}

/* test_flags_services - t= and s= */
static void
test_flags_services(void)
{
	struct dk_keyrec kr;

	parse(&kr, "v=DKIM1; t=y; p=" ED_P);
	ok(kr.testing && !kr.strict, "t=y sets testing only");
	dk_keyrec_clear(&kr);
	parse(&kr, "v=DKIM1; t=s; p=" ED_P);
	ok(!kr.testing && kr.strict, "t=s sets strict only");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; t=y:s:x; p=" ED_P), 0,
	    "unknown t= flags are ignored");
	ok(kr.testing && kr.strict, "t=y:s:x sets both known flags");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; s=email; p=" ED_P), 0, "s=email accepted");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; s=*; p=" ED_P), 0, "s=* accepted");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; s=web : email; p=" ED_P), 0,
	    "s= list that includes email accepted");
	dk_keyrec_clear(&kr);
}

/* test_revoked_and_p - p= forms */
static void
test_revoked_and_p(void)
{
	struct dk_keyrec kr;

	is_int(parse(&kr, "v=DKIM1; k=rsa; p="), 0,
	    "empty p= is not a parse error");
	ok(kr.revoked && kr.p == NULL && kr.plen == 0,
	    "empty p= marks the key revoked");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; p= \t ;"), 0,
	    "p= of only whitespace, then ';', is revoked too");
	ok(kr.revoked, "whitespace-only p= is revoked");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcv "
	    "PapiMlrwIaaPcHURo="), 0, "p= with a space inside (joined TXT "
	    "strings) parses");
	is_int(kr.plen, 32, "and decodes the whole key");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; n=note; x_future=yes; p=" ED_P), 0,
	    "n= and unknown tags are ignored");
	dk_keyrec_clear(&kr);
	is_int(parse(&kr, "v=DKIM1; p=" ED_P ";"), 0,
	    "a trailing ';' is allowed");
	dk_keyrec_clear(&kr);
}

/* test_hostile - bytes no key record should have */
static void
test_hostile(void)
{
	static const char nul[] = "v=DKIM1; p=11qY\0AYKx";
	struct dk_keyrec kr;

	ok(dk_keyrec_parse(&kr, nul, sizeof(nul) - 1, why, sizeof(why)) < 0,
	    "a NUL inside p= is refused");
	dk_keyrec_clear(&kr);
	ok(parse(&kr, "v=DKIM1;\r\np=" ED_P) < 0,
	    "a line break not followed by whitespace is refused");
	dk_keyrec_clear(&kr);
	dk_keyrec_clear(NULL);
	ok(1, "dk_keyrec_clear(NULL) does nothing");
	memset(&kr, 0, sizeof(kr));
	dk_keyrec_clear(&kr);
	dk_keyrec_clear(&kr);
	ok(1, "dk_keyrec_clear twice on the same record is safe");
}

/* same_rec - 1 when a and b say the same thing */
static int
same_rec(const struct dk_keyrec *a, const struct dk_keyrec *b)
{
	return a->ktype == b->ktype && a->hashes == b->hashes &&
	    a->testing == b->testing && a->strict == b->strict &&
	    a->revoked == b->revoked && a->plen == b->plen &&
	    (a->plen == 0 || memcmp(a->p, b->p, a->plen) == 0);
}

/*
 * test_compact - the compact form parses to the same record, drops
 * notes, services and unknown tags, and a bad record has none
 */
static void
test_compact(void)
{
	static const struct {
		const char *rec, *want;
	} c[] = {
		{ "v=DKIM1; k=rsa; n=a note; s=email; p=AAAA",
		    "v=DKIM1; p=AAAA" },
		{ "k=ed25519; p=AAAA", "v=DKIM1; k=ed25519; p=AAAA" },
		{ "p=AA AA; h=sha256; x=unknown", "v=DKIM1; h=sha256; p=AAAA" },
		{ "h=sha1; p=AAAA", "v=DKIM1; h=sha1; p=AAAA" },
		{ "h=md5:sha512; p=AAAA", "v=DKIM1; h=none; p=AAAA" },
		{ "h=sha1:sha256; p=AAAA", "v=DKIM1; p=AAAA" },
		{ "t=y:s:z; p=AAAA", "v=DKIM1; t=y:s; p=AAAA" },
		{ "t=s; p=AAAA", "v=DKIM1; t=s; p=AAAA" },
		{ "t=y; p=AAAA", "v=DKIM1; t=y; p=AAAA" },
		{ "v=DKIM1; p=", "v=DKIM1; p=" },
		{ "s=*; p=\r\n AA\tAA", "v=DKIM1; p=AAAA" },
	};
	static const char *bad[] = {
		"v=DKIM2; p=AAAA", "k=dsa; p=AAAA", "s=other; p=AAAA",
		"n=no key", "p=A!AA", "p=AAAA; p=AAAA", "", "k=rsa; v=DKIM1; p=",
	};
	struct dk_keyrec a, b;
	char	 why[128], *out, rec[128], name[160];
	size_t	 i, j, k;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		/* the table spells CR, LF and TAB as \r, \n and \t */
		for (j = k = 0; c[i].rec[j] != '\0' && k < sizeof(rec) - 1;
		    j++) {
			if (c[i].rec[j] == '\\' && c[i].rec[j + 1] != '\0') {
				j++;
				rec[k++] = c[i].rec[j] == 'r' ? '\r' :
				    c[i].rec[j] == 'n' ? '\n' : '\t';
			} else
				rec[k++] = c[i].rec[j];
		}
		rec[k] = '\0';
		out = dk_keyrec_compact(rec, strlen(rec));
		snprintf(name, sizeof(name), "compact form of \"%s\"",
		    c[i].rec);
		is_str(out, c[i].want, name);
		ok(out != NULL && dk_keyrec_parse(&a, rec, strlen(rec), why,
		    sizeof(why)) == 0 && dk_keyrec_parse(&b, out, strlen(out),
		    why, sizeof(why)) == 0 && same_rec(&a, &b),
		    "... parses to the same record");
		if (out != NULL) {
			dk_keyrec_clear(&a);
			dk_keyrec_clear(&b);
		}
		free(out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = dk_keyrec_compact(bad[i], strlen(bad[i]));
		snprintf(name, sizeof(name), "no compact form for the bad "
		    "record \"%s\"", bad[i]);
		ok(out == NULL, name);
		free(out);
	}
}

int
main(void)
{
	plan_lazy();
	test_rfc_records();
	test_refused();
	test_defaults();
	test_hashes();
	test_flags_services();
	test_revoked_and_p();
	test_hostile();
	test_compact();
	return done_testing();
}
