/*
 * hostile.h - hostile-input case files for t/test_hostile.c: reading
 * them, and checking what the engine made of them
 *
 *	case_load(&c, &records, "NAME.eml")	directives, records, fills
 *	case_free(&c)
 *	ar_check(ar, &c)			NULL when the AR value is
 *						well formed for c's results
 *	results_text(), expect_text()		"pass fail ..." strings
 *	causes_text()				"pass body_hash ..." the
 *						same way, of the causes
 *	check(cond, name, todo)			ok(), or a TAP TODO
 *
 * The file format is in t/data/hostile/README. Everything here is
 * static and meant for that one test program; a case owns its strings
 * until case_free().
 */
#ifndef HOSTILE_H
#define HOSTILE_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "tap.h"
#include "msgutil.h"

#ifndef HOSTILE_DIR
#define HOSTILE_DIR "t/data/hostile"
#endif

#define MAX_EXPECT	16
#define MAX_FILLS	4

/* One case file, parsed. */
struct hcase {
	char	name[128];
	char	*expect[MAX_EXPECT];
	size_t	nexpect;
	char	cause[512];	/* "" or the expected causes, as results_text */
	int	sign;
	char	key[256];
	char	domain[256];
	char	selector[256];
	char	todo[256];	/* "" or why the engine differs (known) */
	char	ar_has[4][200];	/* texts the AR value must hold */
	char	ar_lacks[4][200];	/* texts it must not hold */
	int	unsigned_ok;	/* "# unsigned-body: pass" */
	char	*msg;		/* the message, fills expanded */
	size_t	len;
};

/* ---- case files --------------------------------------------------- */

/* find - the first n-byte needle in hay[0..len), or NULL */
static char *
find(const char *hay, size_t len, const char *needle, size_t n)
{
	const char *p = hay, *end = hay + len;

	while (n && (size_t)(end - p) >= n &&
	    (p = memchr(p, needle[0], (size_t)(end - p - (ptrdiff_t)n + 1)))) {
		if (memcmp(p, needle, n) == 0)
			return (char *)p;
		p++;
	}
	return NULL;
}

/* unescape - \r \n \t \0 \\ \xHH in place; returns the new length */
static size_t
unescape(char *s)
{
	char *w = s, *r, hex[3] = { 0 };

	for (r = s; *r; r++) {
		if (*r != '\\' || r[1] == '\0') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case 'r':
			*w++ = '\r';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 't':
			*w++ = '\t';
			break;
		case '0':
			*w++ = '\0';
			break;
		case 'x':
			if (r[1] && r[2]) {
				memcpy(hex, r + 1, 2);
				*w++ = (char)strtoul(hex, NULL, 16);
				r += 2;
			}
			break;
		default:
			*w++ = *r;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* expand - replace tok in c->msg by text repeated count times */
static int
expand(struct hcase *c, const char *tok, unsigned long count, char *text)
{
	size_t tl = strlen(tok), xl = unescape(text), n, off;
	char *p = find(c->msg, c->len, tok, tl), *out;

	if (p == NULL || count > 10000000 || (xl && count > SIZE_MAX / xl))
		return -1;
	n = c->len - tl + xl * count;
	if ((out = malloc(n + 1)) == NULL)
		return -1;
	off = (size_t)(p - c->msg);
	memcpy(out, c->msg, off);
	for (n = off; count-- > 0; n += xl)
		memcpy(out + n, text, xl);
	memcpy(out + n, p + tl, c->len - off - tl);
	n += c->len - off - tl;
	out[n] = '\0';
	free(c->msg);
	c->msg = out;
	c->len = n;
	return 0;
}

/* directive - one "# name: value" line of a case */
static int
directive(struct hcase *c, struct records *r, char *line, char **fills,
    size_t *nfills)
{
	char *v, *sp, *save = NULL, *w;

	if (strncmp(line, "# ", 2) != 0 || (v = strstr(line, ": ")) == NULL)
		return 0;
	*v = '\0';
	v += 2;
	line += 2;
	if (strcmp(line, "expect") == 0) {
		for (w = strtok_r(v, " ", &save); w && c->nexpect < MAX_EXPECT;
		    w = strtok_r(NULL, " ", &save))
			c->expect[c->nexpect++] = strdup(w);
	} else if (strcmp(line, "records") == 0 &&
	    (sp = strchr(v, ' ')) != NULL) {
		*sp = '\0';
		records_add(r, v, sp + 1, 0);
	} else if (strcmp(line, "records-fail") == 0 &&
	    (sp = strchr(v, ' ')) != NULL) {
		*sp++ = '\0';
		records_add(r, v, "", strcmp(sp, "tempfail") == 0 ?
		    DKIM_DNS_TEMPFAIL : strcmp(sp, "bad") == 0 ? DKIM_DNS_BAD :
		    DKIM_DNS_NOKEY);
	} else if (strcmp(line, "mode") == 0)
		c->sign = strcmp(v, "sign") == 0;
	else if (strcmp(line, "key") == 0)
		snprintf(c->key, sizeof(c->key), "%s/%s", HOSTILE_DIR, v);
	else if (strcmp(line, "signer") == 0 &&
	    (sp = strchr(v, ' ')) != NULL) {
		*sp = '\0';
		snprintf(c->domain, sizeof(c->domain), "%s", v);
		snprintf(c->selector, sizeof(c->selector), "%s", sp + 1);
	} else if (strcmp(line, "todo") == 0)
		snprintf(c->todo, sizeof(c->todo), "%s", v);
	else if (strcmp(line, "ar-has") == 0 || strcmp(line, "ar-lacks") == 0) {
		char (*slot)[200] = line[3] == 'h' ? c->ar_has : c->ar_lacks;
		size_t i;

		for (i = 0; i < 4 && slot[i][0]; i++)
			;
		if (i < 4)
			snprintf(slot[i], sizeof(slot[i]), "%s", v);
	} else if (strcmp(line, "cause") == 0)
		snprintf(c->cause, sizeof(c->cause), "%s", v);
	else if (strcmp(line, "unsigned-body") == 0)
		c->unsigned_ok = strcmp(v, "pass") == 0;
	else if (strcmp(line, "fill") == 0 && *nfills < MAX_FILLS)
		fills[(*nfills)++] = strdup(v);
	return 0;
}

/* case_load - read one case file; its records go into r */
static int
case_load(struct hcase *c, struct records *r, const char *file)
{
	char path[512], *buf, *p, *eol, *fills[MAX_FILLS], *tok, *cnt;
	size_t len, nfills = 0, i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%.*s", (int)(strlen(file) - 4),
	    file);
	snprintf(path, sizeof(path), "%s/%s", HOSTILE_DIR, file);
	if ((buf = slurp(path, &len)) == NULL)
		return -1;
	for (p = buf; p < buf + len && *p == '#'; p = eol + 1) {
		if ((eol = memchr(p, '\n', (size_t)(buf + len - p))) == NULL)
			break;
		*eol = '\0';
		if (eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		directive(c, r, p, fills, &nfills);
	}
	c->len = (size_t)(buf + len - p);
	if ((c->msg = malloc(c->len + 1)) == NULL)
		rc = -1;
	else {
		memcpy(c->msg, p, c->len);
		c->msg[c->len] = '\0';
	}
	for (i = 0; i < nfills; i++) {
		tok = strtok_r(fills[i], " ", &p);
		cnt = strtok_r(NULL, " ", &p);
		if (rc == 0 && (tok == NULL || cnt == NULL || p == NULL ||
		    expand(c, tok, strtoul(cnt, NULL, 10), p) < 0))
			rc = -1;
		free(fills[i]);
	}
	free(buf);
	return rc;
}

/* case_free - release a case */
static void
case_free(struct hcase *c)
{
	size_t i;

	for (i = 0; i < c->nexpect; i++)
		free(c->expect[i]);
	free(c->msg);
	memset(c, 0, sizeof(*c));
}

/* ---- Authentication-Results checks -------------------------------- */

/*
 * ar_segment - check one "dkim=RESULT ..." resinfo: printable ASCII
 * only but for folds (CRLF WSP) between items, comments without '(' or
 * '\' inside, quoted strings closed, no ')' or ';' outside them. NULL
 * when good, else what is wrong.
 */
static const char *
ar_segment(const char *s, size_t n, const char *want)
{
	size_t i, wl = strlen(want);
	int comment = 0, quote = 0;

	if (n < 5 + wl || strncmp(s, "dkim=", 5) != 0 ||
	    strncmp(s + 5, want, wl) != 0 ||
	    (n > 5 + wl && s[5 + wl] != ' '))
		return "resinfo does not start with the expected dkim=RESULT";
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '\r' && !quote && !comment && i + 2 < n &&
		    s[i + 1] == '\n' && (s[i + 2] == '\t' || s[i + 2] == ' ')) {
			i += 2;		/* a fold between items */
			continue;
		}
		if (ch < 0x20 || ch > 0x7e)
			return "control, NUL or 8-bit byte in the value";
		if (quote) {
			if (ch == '\\' && i + 1 < n)
				i++;
			else if (ch == '"')
				quote = 0;
		} else if (comment) {
			if (ch == '(' || ch == '\\')
				return "'(' or '\\' inside a comment";
			if (ch == ')')
				comment = 0;
		} else if (ch == '(')
			comment = 1;
		else if (ch == '"')
			quote = 1;
		else if (ch == ')' || ch == ';')
			return "')' or ';' outside a comment or quotes";
	}
	return comment || quote ? "unterminated comment or quote" : NULL;
}

/*
 * ar_longest_line - the longest line of "Authentication-Results:" ar,
 * line end excluded
 */
static size_t
ar_longest_line(const char *ar)
{
	size_t len = strlen("Authentication-Results:"), max = 0;

	for (; *ar; ar++) {
		if (*ar == '\r' || *ar == '\n') {
			max = len > max ? len : max;
			len = 0;
		} else
			len++;
	}
	return len > max ? len : max;
}

/*
 * ar_check - ar is " mx.example.org" then one ";CRLF TAB resinfo" per
 * result (or "; dkim=none"); no other CR or LF anywhere.
 */
static const char *
ar_check(const char *ar, const struct hcase *c)
{
	static const char id[] = " mx.example.org";
	const char *p, *next, *why;
	size_t i;

	if (ar == NULL)
		return "no Authentication-Results value";
	if (ar_longest_line(ar) > 998)
		return "a line longer than 998 characters (RFC 5322 2.1.1)";
	if (strncmp(ar, id, sizeof(id) - 1) != 0)
		return "does not start with the authserv-id";
	p = ar + sizeof(id) - 1;
	if (c->nexpect == 1 && strcmp(c->expect[0], "none") == 0)
		return strcmp(p, "; dkim=none") == 0 ? NULL :
		    "not \"; dkim=none\"";
	for (i = 0; i < c->nexpect; i++) {
		if (strncmp(p, ";\r\n\t", 4) != 0)
			return "a resinfo is not on a line of its own";
		p += 4;
		next = strstr(p, ";\r\n\t");
		if (next == NULL)
			next = p + strlen(p);
		if ((why = ar_segment(p, (size_t)(next - p), c->expect[i])))
			return why;
		p = next;
	}
	if (*p)
		return "more resinfos than results";
	for (i = 0; i < 4; i++) {
		if (c->ar_has[i][0] && strstr(ar, c->ar_has[i]) == NULL)
			return "a text of an ar-has line is missing";
		if (c->ar_lacks[i][0] && strstr(ar, c->ar_lacks[i]) != NULL)
			return "a text of an ar-lacks line is there";
	}
	return NULL;
}

/* ---- results and Authentication-Results ------------------------- */

/*
 * check - ok(), except that a failure of a case with a todo is printed
 * as a TAP TODO, which prove(1) and automake's driver do not count
 */
static int
check(int cond, const char *name, const char *todo)
{
	if (cond || todo == NULL || *todo == '\0')
		return ok(cond, name);
	printf("not ok %d - %s # TODO %s\n", ++tap_n, name, todo);
	return 0;
}

/* results_text - "pass fail ..." of a verified message, into out */
static void
results_text(const dkim_msg *m, char *out, size_t size)
{
	size_t i, n = dkim_result_count(m), o = 0;

	out[0] = '\0';
	if (n == 0)
		snprintf(out, size, "none");
	for (i = 0; i < n && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "",
		    dkim_result_name(dkim_result_get(m, i)->result));
}

/*
 * causes_text - "pass body_hash ..." of a verified message, into out;
 * a cause whose result is not the one reported is written "MISMATCH"
 */
static void
causes_text(const dkim_msg *m, char *out, size_t size)
{
	const struct dkim_sigresult *r;
	size_t i, n = dkim_result_count(m), o = 0;

	out[0] = '\0';
	if (n == 0)
		snprintf(out, size, "none");
	for (i = 0; i < n && o < size; i++) {
		r = dkim_result_get(m, i);
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "",
		    dkim_cause_result(r->cause) == r->result ?
		    dkim_cause_name(r->cause) : "MISMATCH");
	}
}

/* expect_text - the expected results as one string */
static void
expect_text(const struct hcase *c, char *out, size_t size)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < c->nexpect && o < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%s", i ? " " : "",
		    c->expect[i]);
}

/* reasons - print each signature's reason as a TAP diagnostic */
static void
reasons(const dkim_msg *m)
{
	size_t i;

	for (i = 0; i < dkim_result_count(m); i++)
		printf("#   sig %zu: %s (%s) cause=%s\n", i,
		    dkim_result_name(dkim_result_get(m, i)->result),
		    dkim_result_get(m, i)->reason,
		    dkim_cause_name(dkim_result_get(m, i)->cause));
}

/* diag_ar - print an AR value as a TAP diagnostic, line ends escaped */
static void
diag_ar(const char *why, const char *ar)
{
	printf("#   %s: ", why);
	for (; ar && *ar; ar++)
		if (*ar == '\r' || *ar == '\n' || *ar == '\t')
			printf("\\%c", *ar == '\r' ? 'r' :
			    *ar == '\n' ? 'n' : 't');
		else
			putchar(*ar);
	printf("%s\n", ar ? "" : "(null)");
}

#endif /* HOSTILE_H */
