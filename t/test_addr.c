/*
 * test_addr.c - the author parser (dkimcore/addr.c): mailbox-lists as
 * RFC 5322 reads them, the attacks that a lenient reader lets through,
 * the ceilings, and the author rule shared by signer and verifier.
 *
 * The named mailbox-list cases are in t/data/addr/mailbox-list.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "dk.h"
#include "tap.h"

#define CASES	"t/data/addr/mailbox-list.txt"

/* unescape - C escapes of s (\r \n \t \\ \xNN) undone in place; length */
static size_t
unescape(char *s)
{
	char	*o = s, *p = s;

	while (*p) {
		if (*p != '\\' || p[1] == '\0') {
			*o++ = *p++;
			continue;
		}
		p++;
		switch (*p) {
		case 'r': *o++ = '\r'; p++; break;
		case 'n': *o++ = '\n'; p++; break;
		case 't': *o++ = '\t'; p++; break;
		case 'x':
			*o++ = (char)strtol((char[]){ p[1], p[2], 0 }, NULL,
			    16);
			p += 3;
			break;
		default: *o++ = *p++; break;
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* address - "local@domain" of mb into a static buffer */
static const char *
address(const struct dkim_mailbox *mb)
{
	static char out[DKIM_LOCAL_MAX + DKIM_DOMAIN_MAX + 2];

	snprintf(out, sizeof(out), "%s@%s", mb->local, mb->domain);
	return out;
}

/* run_case - one line of the cases file */
static void
run_case(char *line)
{
	char	*name = line, *value, *expect, why[200], label[700], want[300];
	struct dkim_mailbox mb[2];
	size_t	vlen;
	int	n, wn;

	if ((value = strchr(name, '\t')) == NULL ||
	    (expect = strchr(value + 1, '\t')) == NULL) {
		ok(0, "a case line has three fields");
		return;
	}
	*value++ = '\0';
	*expect++ = '\0';
	vlen = unescape(value);
	unescape(expect);
	why[0] = '\0';
	memset(mb, 0, sizeof(mb));
	n = dkim_mailbox_list(value, vlen, mb, 2, why, sizeof(why));
	if (expect[0] == '=') {
		wn = atoi(expect + 1);
		snprintf(want, sizeof(want), "%s", strchr(expect, ' ') + 1);
		snprintf(label, sizeof(label), "%s: %d mailbox(es), the first "
		    "%s", name, wn, want);
		ok(n == wn && strcmp(address(&mb[0]), want) == 0, label);
		if (n != wn)
			printf("#   got %d (%s)\n", n, why);
		else if (strcmp(address(&mb[0]), want) != 0)
			printf("#   got %s\n", address(&mb[0]));
	} else {
		snprintf(label, sizeof(label), "%s: refused (%s)", name,
		    expect + 2);
		ok(n == -1 && strstr(why, expect + 2) != NULL, label);
		if (n != -1 || strstr(why, expect + 2) == NULL)
			printf("#   got %d, '%s'\n", n, why);
	}
}

/* named_cases - every case of the file */
static void
named_cases(void)
{
	FILE	*fp = fopen(CASES, "r");
	char	line[4096];
	size_t	len;
	int	count = 0;

	if (!ok(fp != NULL, "cases file " CASES " opens"))
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strlen(line);
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		run_case(line);
		count++;
	}
	fclose(fp);
	ok(count >= 60, "at least 60 named cases ran");
}

/* repeat - a malloc()ed string of pre, n copies of unit, post */
static char *
repeat(const char *pre, const char *unit, size_t n, const char *post)
{
	size_t	lp = strlen(pre), lu = strlen(unit), lq = strlen(post), i;
	char	*s = malloc(lp + lu * n + lq + 1);

	if (s == NULL)
		abort();
	memcpy(s, pre, lp);
	for (i = 0; i < n; i++)
		memcpy(s + lp + i * lu, unit, lu);
	memcpy(s + lp + n * lu, post, lq + 1);
	return s;
}

/* ceilings - nesting, value length, local-part length, many mailboxes */
static void
ceilings(void)
{
	struct dkim_mailbox mb;
	char	why[200], *s, *t;
	int	n;

	s = repeat(" ", "(", DKIM_COMMENT_DEPTH, "");
	t = repeat(s, ")", DKIM_COMMENT_DEPTH, " a@example.com");
	ok(dkim_mailbox_list(t, strlen(t), &mb, 1, why, sizeof(why)) == 1,
	    "comments nested 32 deep are read");
	free(s);
	free(t);
	s = repeat(" ", "(", DKIM_COMMENT_DEPTH + 1, "");
	t = repeat(s, ")", DKIM_COMMENT_DEPTH + 1, " a@example.com");
	ok(dkim_mailbox_list(t, strlen(t), &mb, 1, why, sizeof(why)) == -1 &&
	    strstr(why, "nested too deep") != NULL,
	    "comments nested 33 deep are refused");
	free(s);
	free(t);
	s = repeat(" ", "(", 100000, "");
	ok(dkim_mailbox_list(s, strlen(s), &mb, 1, why, sizeof(why)) == -1 &&
	    strstr(why, "longer than") != NULL,
	    "a 100,000-byte value is refused before parsing");
	free(s);
	s = repeat(" ", "a", DKIM_LOCAL_MAX, "@example.com");
	ok(dkim_mailbox_list(s, strlen(s), &mb, 1, why, sizeof(why)) == 1 &&
	    strlen(mb.local) == DKIM_LOCAL_MAX,
	    "a local-part of DKIM_LOCAL_MAX bytes is kept whole");
	free(s);
	s = repeat(" ", "a", DKIM_LOCAL_MAX + 1, "@example.com");
	ok(dkim_mailbox_list(s, strlen(s), &mb, 1, why, sizeof(why)) == -1 &&
	    strstr(why, "too long") != NULL,
	    "a longer local-part is refused, not truncated");
	free(s);
	s = repeat(" \"", "a b", DKIM_LOCAL_MAX / 3, "\"@example.com");
	ok(dkim_mailbox_list(s, strlen(s), &mb, 1, why, sizeof(why)) == -1 &&
	    strstr(why, "too long") != NULL,
	    "a quoted local-part over the ceiling with its quotes is refused");
	free(s);
	s = repeat(" a@example.com", ", a@example.com", 1000, "");
	n = dkim_mailbox_list(s, strlen(s), &mb, 1, why, sizeof(why));
	ok(n == 1001 && strcmp(address(&mb), "a@example.com") == 0,
	    "1001 mailboxes are counted, the first kept");
	free(s);
	ok(dkim_mailbox_list(" a@example.com", 14, NULL, 0, NULL, 0) == 1,
	    "no room for mailboxes and no why buffer: still counted");
	ok(dkim_mailbox_list(" a@example.com, b@", 18, NULL, 0, NULL, 0) ==
	    -1, "no why buffer: still refused");
	ok(dkim_mailbox_list(" a@example.com", 3, &mb, 1, why, sizeof(why)) ==
	    -1, "the length is obeyed: ' a@' is no mailbox");
}

/* the author rule's cases: fields "Name", "value", ..., NULL */
struct acase {
	const char *name;		/* what the case proves */
	enum dkim_author_status want;
	const char *cause;		/* dk_author_rule's, as its token */
	const char *text;		/* the address, or part of why */
	const char *fields[9];
};

static const struct acase acases[] = {
	{ "one From, one mailbox: ok", DKIM_AUTHOR_OK, "none", "a@example.com",
	    { "From", " A <a@example.com>", "To", " b@example.org" } },
	{ "two From fields (names in any case): not one author",
	    DKIM_AUTHOR_FIELDS, "from_count", "2 From fields",
	    { "From", " a@example.com", "FROM", " b@example.com" } },
	{ "'From :' is From", DKIM_AUTHOR_OK, "none", "a@example.com",
	    { "From ", " a@example.com" } },
	{ "no From: no author", DKIM_AUTHOR_FIELDS,
	    "from_count", "0 From fields",
	    { "Subject", " x" } },
	{ "several From mailboxes without Sender: refused, says why",
	    DKIM_AUTHOR_BAD,
	    "sender_count", "From has 2 mailboxes and 0 Sender fields",
	    { "From", " a@example.com, b@example.org" } },
	{ "several From mailboxes with one Sender: the Sender decides",
	    DKIM_AUTHOR_OK, "none", "b@example.org",
	    { "From", " a@example.com, b@example.org",
	    "Sender", " <b@example.org>" } },
	{ "several From mailboxes and two Sender fields: refused",
	    DKIM_AUTHOR_BAD, "sender_count", "2 Sender fields",
	    { "From", " a@example.com, b@example.org",
	    "Sender", " b@example.org", "Sender", " a@example.com" } },
	{ "a Sender with two mailboxes decides nothing", DKIM_AUTHOR_BAD,
	    "sender_mailboxes", "Sender has 2 mailboxes",
	    { "From", " a@example.com, b@example.org",
	    "Sender", " b@example.org, a@example.com" } },
	{ "a Sender that does not parse decides nothing", DKIM_AUTHOR_BAD,
	    "sender_syntax", "Sender does not parse",
	    { "From", " a@example.com, b@example.org",
	    "Sender", " b@example.org@victim.example" } },
	{ "one From mailbox: the Sender is not consulted", DKIM_AUTHOR_OK,
	    "none", "a@example.com",
	    { "From", " a@example.com", "Sender", " garbage" } },
	{ "an empty From value: refused", DKIM_AUTHOR_BAD, "from_syntax",
	    "From does not parse: empty", { "From", "" } },
	{ "a From of folding only: refused", DKIM_AUTHOR_BAD,
	    "from_syntax", "empty",
	    { "From", " \r\n " } },
	{ "a first line that begins with white space: refused",
	    DKIM_AUTHOR_BAD,
	    "header_leading_wsp", "header begins with white space",
	    { " X-Junk", " From: a@victim.example",
	    "From", " b@example.com" } },
	{ "' From:' above 'From:' is no second From, still refused",
	    DKIM_AUTHOR_BAD,
	    "header_leading_wsp", "header begins with white space",
	    { " From", " a@victim.example", "From", " b@example.com" } },
	{ "'(\\) <a@victim.example>) b@example.com' is b@example.com",
	    DKIM_AUTHOR_OK, "none", "b@example.com",
	    { "From", " (\\) <a@victim.example>) b@example.com" } },
	{ "a group in From: refused", DKIM_AUTHOR_BAD,
	    "from_syntax", "group syntax",
	    { "From", " Undisclosed recipients:;" } },
};

/* author_rule - which messages have an author a signature can vouch for */
static void
author_rule(void)
{
	const struct acase *c;
	const struct dkim_mailbox *mb;
	struct dkim_author au;
	enum dkim_author_status st;
	const char *cause;
	char	why[200], name[300];
	size_t	i, k;

	for (i = 0; i < sizeof(acases) / sizeof(acases[0]); i++) {
		c = &acases[i];
		dkim_author_init(&au);
		for (k = 0; c->fields[k]; k += 2)
			dkim_author_field(&au, c->fields[k],
			    strlen(c->fields[k]), c->fields[k + 1],
			    strlen(c->fields[k + 1]));
		why[0] = '\0';
		st = dkim_author_check(&au, &mb, why, sizeof(why));
		if (!ok(st == c->want && (st == DKIM_AUTHOR_OK ?
		    strcmp(address(mb), c->text) == 0 :
		    strstr(why, c->text) != NULL && mb == NULL), c->name))
			printf("#   got %d, '%s'\n", st, st == DKIM_AUTHOR_OK ?
			    address(mb) : why);
		cause = dkim_cause_name(dk_author_rule(&au, NULL, NULL, 0));
		snprintf(name, sizeof(name), "%s: cause %s", c->name,
		    c->cause);
		if (!ok(strcmp(cause, c->cause) == 0, name))
			printf("#   got cause %s\n", cause);
	}
}

int
main(void)
{
	plan_lazy();
	named_cases();
	ceilings();
	author_rule();
	return done_testing();
}
