/*
 * test_taglist.c - unit tests of dkimcore/taglist.c: RFC 6376 §3.2
 * tag-lists, colon lists, and the checks of domain and selector names
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"
#include "tap.h"

/* tag_eq - 1 when tag is name=value */
static int
tag_eq(const struct dk_tag *t, const char *name, const char *val)
{
	return dk_tag_is(t, name) && t->vlen == strlen(val) &&
	    memcmp(t->val, val, t->vlen) == 0;
}

/* walk - parse all of s; the number of tags, or -1 on error (*why set) */
static int
walk(const char *s, size_t len, struct dk_tag *tags, int max,
    const char **why)
{
	const char *cp = s;
	int	 n = 0, r;

	*why = NULL;
	while ((r = dk_tag_next(&cp, s + len, &tags[n], why)) == 1)
		if (++n == max)
			break;
	return r < 0 ? -1 : n;
}

/* test_basic - well-formed lists */
static void
test_basic(void)
{
	struct dk_tag t[8];
	const char *why, *s;

	s = "v=1; a=rsa-sha256";
	is_int(walk(s, strlen(s), t, 8, &why), 2, "two tags are found");
	ok(tag_eq(&t[0], "v", "1") && tag_eq(&t[1], "a", "rsa-sha256"),
	    "names and values point at the right bytes");

	s = " v = 1 ;\r\n\ta =\tx ; ";
	is_int(walk(s, strlen(s), t, 8, &why), 2,
	    "FWS around '=' and ';' is allowed");
	ok(tag_eq(&t[0], "v", "1") && tag_eq(&t[1], "a", "x"),
	    "values are trimmed of FWS on both sides");

	s = "b=abc\r\n def ghi;x=1";
	is_int(walk(s, strlen(s), t, 8, &why), 2, "FWS inside a value is allowed");
	ok(tag_eq(&t[0], "b", "abc\r\n def ghi"),
	    "a value keeps its inner FWS, byte for byte");

	s = "a=1\n 2";
	is_int(walk(s, strlen(s), t, 8, &why), 1,
	    "a bare LF fold counts as a line break");

	s = "a=1;";
	is_int(walk(s, strlen(s), t, 8, &why), 1, "a trailing ';' is allowed");
	s = "a=1;\r\n";
	is_int(walk(s, strlen(s), t, 8, &why), 1,
	    "a final line end after the list is allowed");

	s = "a=;b=2";
	is_int(walk(s, strlen(s), t, 8, &why), 2, "an empty value is allowed");
	ok(t[0].vlen == 0 && tag_eq(&t[1], "b", "2"),
	    "the empty value has length 0");

	s = "bh=abc==; z=a|b=c";
	is_int(walk(s, strlen(s), t, 8, &why), 2,
	    "'=' and '|' are value characters");
	ok(tag_eq(&t[0], "bh", "abc==") && tag_eq(&t[1], "z", "a|b=c"),
	    "base64 padding stays in the value");

	s = "A_9=x";
	is_int(walk(s, strlen(s), t, 8, &why), 1,
	    "digits and '_' are allowed in a tag name after a letter");
	is_int(walk("", 0, t, 8, &why), 0, "an empty list has no tags");
	is_int(walk(" \t ", 3, t, 8, &why), 0, "a list of only FWS has no tags");
}

/* test_syntax_errors - lists that are not tag-lists */
static void
test_syntax_errors(void)
{
	static const char nul[] = "a=1\0; b=2";
	struct dk_tag t[8];
	const char *why, *s;

	s = "a=1;;b=2";
	ok(walk(s, strlen(s), t, 8, &why) < 0 && why != NULL,
	    "an empty tag-spec (';;') is an error with a reason");
	s = ";a=1";
	ok(walk(s, strlen(s), t, 8, &why) < 0, "a leading ';' is an error");
	s = "1a=x";
	ok(walk(s, strlen(s), t, 8, &why) < 0,
	    "a tag name starting with a digit is an error");
	s = "a-b=x";
	ok(walk(s, strlen(s), t, 8, &why) < 0, "'-' in a tag name is an error");
	s = "abc";
	ok(walk(s, strlen(s), t, 8, &why) < 0, "a tag without '=' is an error");
	s = "a b=1";
	ok(walk(s, strlen(s), t, 8, &why) < 0,
	    "whitespace inside a tag name is an error");
	ok(walk(nul, sizeof(nul) - 1, t, 8, &why) < 0,
	    "a NUL byte in a value is an error");
	s = "a=1\x01";
	ok(walk(s, strlen(s), t, 8, &why) < 0,
	    "a control byte in a value is an error");
	s = "a=caf\xc3\xa9";
	ok(walk(s, strlen(s), t, 8, &why) < 0,
	    "an 8-bit byte in a value is an error");
	s = "a=1\r\nb=2";
	ok(walk(s, strlen(s), t, 8, &why) < 0,
	    "a line break not followed by WSP is an error");
	s = "a=1\rb=2";
	ok(walk(s, strlen(s), t, 8, &why) < 0, "a bare CR is an error");
	s = "a=x y\x7f";
	ok(walk(s, strlen(s), t, 8, &why) < 0, "DEL in a value is an error");
}

/* test_tag_is - names match exactly and case-sensitively */
static void
test_tag_is(void)
{
	struct dk_tag t;
	const char *why, *s = "bh=x";

	walk(s, strlen(s), &t, 1, &why);
	ok(dk_tag_is(&t, "bh"), "dk_tag_is matches the exact name");
	ok(!dk_tag_is(&t, "b"), "dk_tag_is does not match a prefix");
	ok(!dk_tag_is(&t, "bhx"), "dk_tag_is does not match a longer name");
	ok(!dk_tag_is(&t, "BH"), "dk_tag_is is case-sensitive (§3.2)");
}

/* test_split - whole lists, duplicates and the ceiling */
static void
test_split(void)
{
	struct dk_tag t[DK_TAGS_MAX];
	char	 why[128], big[DK_TAGS_MAX * 8 + 16];
	size_t	 n, i, o = 0;
	const char *s;

	s = "a=1; b=2; c=3";
	is_int(dk_tag_split(s, strlen(s), t, DK_TAGS_MAX, &n, why,
	    sizeof(why)), 0, "dk_tag_split accepts a good list");
	is_int(n, 3, "and counts its tags");
	s = "a=1; b=2; a=3";
	is_int(dk_tag_split(s, strlen(s), t, DK_TAGS_MAX, &n, why,
	    sizeof(why)), -1, "a repeated tag is refused");
	is_str(why, "duplicate tag a", "the reason names the repeated tag");
	is_int(n, 2, "the tags before the duplicate are still counted");
	s = "a=1; A=2";
	is_int(dk_tag_split(s, strlen(s), t, DK_TAGS_MAX, &n, why,
	    sizeof(why)), 0, "names differing in case are different tags");
	s = "a=1; b=2; ;";
	is_int(dk_tag_split(s, strlen(s), t, DK_TAGS_MAX, &n, why,
	    sizeof(why)), -1, "a syntax error is reported by dk_tag_split");
	ok(strncmp(why, "tag-list syntax: ", 17) == 0 && n == 2,
	    "it says so and keeps the tags before the error");
	for (i = 0; i <= DK_TAGS_MAX; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, "t%zu=1;", i);
	is_int(dk_tag_split(big, o, t, DK_TAGS_MAX, &n, why, sizeof(why)), -1,
	    "more tags than the ceiling are refused");
	is_str(why, "too many tags", "with the reason \"too many tags\"");
}

/* test_list - colon-separated lists */
static void
test_list(void)
{
	const char *s = " From : to:\r\n\tSubject ::x", *cp = s, *item;
	const char *want[] = { "From", "to", "Subject", "", "x" };
	size_t	 ilen, i = 0;
	int	 good = 1;

	while (dk_list_next(&cp, s + strlen(s), &item, &ilen)) {
		if (i >= 5 || ilen != strlen(want[i]) ||
		    memcmp(item, want[i], ilen) != 0)
			good = 0;
		i++;
	}
	ok(good && i == 5, "a colon list yields its items trimmed of FWS, "
	    "empty ones included");
	ok(cp == NULL, "the cursor ends as NULL");
	s = "";
	cp = s;
	i = 0;
	while (dk_list_next(&cp, s, &item, &ilen))
		i++;
	is_int(i, 1, "an empty list is one empty item");
}

/* test_domains - dk_domain_valid */
static void
test_domains(void)
{
	char	 name[300];

#define D(s)	dk_domain_valid((s), strlen(s))
	ok(D("example.com"), "example.com is a valid domain");
	ok(D("football.example.com"), "a subdomain is valid");
	ok(!D("a"), "a single label is no domain-name (RFC 6376 3.5)");
	ok(D("x-y.example"), "a hyphen inside a label is valid");
	ok(D("_x.example.com"), "an underscore in a label is tolerated");
	ok(D("123.example"), "all-digit labels are valid");
	ok(D("xn--bcher-kva.example"), "an IDN A-label ('--' inside) is valid");
	ok(!D(""), "the empty name is invalid");
	ok(!D("example.com."), "a trailing dot is invalid in d=");
	ok(!D(".example.com"), "a leading dot is invalid");
	ok(!D("a..b"), "an empty label is invalid");
	ok(!D("-a.example"), "a label starting with '-' is invalid");
	ok(!D("a-.example"), "a label ending with '-' is invalid");
	ok(!D("example.com-"), "a name ending with '-' is invalid");
	ok(!D("exa mple.com"), "a space is invalid");
	ok(!D("example.com(x)"), "'(' is invalid");
	ok(!D("ex@mple.com"), "'@' is invalid");
	ok(!D("ex\xc3\xa4mple.com"), "8-bit bytes (U-labels) are invalid");
	ok(!dk_domain_valid("exa\0mple.com", 12), "a NUL is invalid");
	memset(name, 'a', 63);
	strcpy(name + 63, ".com");
	ok(D(name), "a label of 63 characters is valid");
	memset(name, 'a', 64);
	strcpy(name + 64, ".com");
	ok(!D(name), "a label of 64 characters is invalid");
	memset(name, 'a', 253);
	for (int i = 63; i < 253; i += 64)
		name[i] = '.';
	name[253] = '\0';
	ok(D(name), "a name of 253 characters is valid");
	name[253] = 'a';
	name[254] = '\0';
	ok(!D(name), "a name of 254 characters is invalid");
#undef D
}

/* test_selectors - dk_selector_valid */
static void
test_selectors(void)
{
#define S(s)	dk_selector_valid((s), strlen(s))
	ok(S("brisbane"), "brisbane is a valid selector");
	ok(S("2024-01._sel.sub"), "dotted selectors with '-', '_' are valid");
	ok(!S(""), "the empty selector is invalid");
	ok(!S("a b"), "a space in a selector is invalid");
	ok(!S("sel."), "a trailing dot in a selector is invalid");
	ok(!S("sel/x"), "'/' in a selector is invalid");
#undef S
	ok(dkim_name_valid("example") && dkim_name_valid("s-1._x.example.com"),
	    "dkim_name_valid: one label or more, '-' and '_' inside labels");
	ok(!dkim_name_valid("-x.example") && !dkim_name_valid("x-.example") &&
	    !dkim_name_valid("../evil") && !dkim_name_valid(""),
	    "dkim_name_valid refuses '-' at a label's edge, '/', the empty name");
}

int
main(void)
{
	plan_lazy();
	test_basic();
	test_syntax_errors();
	test_tag_is();
	test_split();
	test_list();
	test_domains();
	test_selectors();
	return done_testing();
}
