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
	return done_testing();
}
