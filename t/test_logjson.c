/*
 * test_logjson.c - LogFormat json (logjson.c) gives valid JSON for any
 * bytes a sender can put in a log line: quotes, backslashes, control
 * characters, malformed UTF-8 (overlong forms, surrogates, truncated
 * sequences), values far over the buffer, and 20,000 random strings.
 * Validity is checked by a JSON reader written here that decodes UTF-8
 * with the C library (mbrtowc in C.UTF-8), not with logjson.c's code.
 */
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "logjson.h"
#include "tap.h"

/* json_string - skip one JSON string at *p (RFC 8259 §7); 0 if invalid */
static int
json_string(const char **p)
{
	const char *s = *p;
	mbstate_t st;
	size_t	n;
	int	i;

	if (*s++ != '"')
		return 0;
	while (*s != '"') {
		if ((unsigned char)*s < 0x20)
			return 0;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (i = 1; i <= 4; i++)
					if (strchr("0123456789abcdefABCDEF",
					    s[i]) == NULL || s[i] == '\0')
						return 0;
				s += 5;
			} else if (*s && strchr("\"\\/bfnrt", *s))
				s++;
			else
				return 0;
			continue;
		}
		memset(&st, 0, sizeof(st));
		n = mbrtowc(NULL, s, MB_LEN_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			return 0;
		s += n;
	}
	*p = s + 1;
	return 1;
}

/* json_valid - text is one object of string members and a number */
static int
json_valid(const char *t)
{
	if (*t++ != '{')
		return 0;
	for (;;) {
		if (!json_string(&t) || *t++ != ':')
			return 0;
		if (*t == '"') {
			if (!json_string(&t))
				return 0;
		} else {
			if (*t == '-')
				t++;
			if (*t < '0' || *t > '9')
				return 0;
			while (*t >= '0' && *t <= '9')
				t++;
		}
		if (*t == '}')
			return t[1] == '\0';
		if (*t++ != ',')
			return 0;
	}
}

int
main(void)
{
	static const char *hostile[] = {
		"plain", "quote \" and backslash \\", "tab\tnl\ncr\rnul-less\x01",
		"caf\xc3\xa9 ok", "overlong \xc0\xaf", "surrogate \xed\xa0\x80",
		"cut \xe2\x82", "high \xf5\x80\x80\x80", "lone \x80\xbf",
		"max \xf4\x8f\xbf\xbf", "above \xf4\x90\x80\x80", "\xff\xfe",
	};
	char	out[2048], big[8192], rnd[300];
	size_t	i, j, n;
	int	bad = 0;

	plan_lazy();
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
		ok(0, "the C.UTF-8 locale is there to check UTF-8 with");
		return done_testing();
	}
	ok(json_valid("{\"a\":\"\u00e9\",\"ms\":1}") &&
	    !json_valid("{\"a\":\"\xed\xa0\x80\",\"ms\":1}") &&
	    !json_valid("{\"a\":\"\xc0\xaf\",\"ms\":1}") &&
	    !json_valid("{\"a\":\"\n\",\"ms\":1}") &&
	    !json_valid("{\"a\":\"\\x\",\"ms\":1}") &&
	    !json_valid("{\"a\":\"b\",\"ms\":1"),
	    "the checker itself refuses surrogates, overlong forms, raw "
	    "control characters, bad escapes and an open object");
	n = logjson_message(out, sizeof(out), "Q1", "verify", "why",
	    "d=a.example pass", 12);
	ok(strcmp(out, "{\"qid\":\"Q1\",\"mode\":\"verify\",\"why\":\"why\","
	    "\"outcome\":\"d=a.example pass\",\"ms\":12}") == 0 &&
	    n == strlen(out), "a plain line is the object expected");
	logjson_message(out, sizeof(out), "q", "sign", "a\"b\\c\n", "x", 1);
	ok(strstr(out, "\"why\":\"a\\\"b\\\\c\\u000a\"") != NULL,
	    "quote, backslash and LF are escaped");
	logjson_message(out, sizeof(out), "q", "sign", "\xed\xa0\x80", "x", 1);
	ok(strstr(out, "\"why\":\"\\ufffd\\ufffd\\ufffd\"") != NULL,
	    "a UTF-16 surrogate in UTF-8 becomes U+FFFD, byte by byte");
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		logjson_message(out, sizeof(out), hostile[i], "verify",
		    hostile[i], hostile[i], -5);
		if (!json_valid(out)) {
			bad++;
			printf("# invalid: %s\n", out);
		}
	}
	ok(bad == 0, "hostile strings give valid JSON");
	memset(big, '"', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = logjson_message(out, sizeof(out), big, big, big, big, 1);
	ok(json_valid(out) && n < sizeof(out) && strstr(out, ",\"ms\":1}"),
	    "8 KB of quotes in every field: cut, and still one valid object");
	for (i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)(i % 3 == 0 ? 0xe2 : i % 3 == 1 ? 0x82 : 0xac);
	n = logjson_message(out, LOGJSON_MIN, big, big, big, big, 1);
	ok(json_valid(out) && n < LOGJSON_MIN,
	    "a multibyte value cut at the smallest buffer is cut whole");
	srand(14);
	bad = 0;
	for (i = 0; i < 20000; i++) {
		n = (size_t)(rand() % (int)(sizeof(rnd) - 1));
		for (j = 0; j < n; j++)
			rnd[j] = (char)(rand() % 255 + 1);
		rnd[n] = '\0';
		logjson_message(out, LOGJSON_MIN + (size_t)(rand() % 600),
		    rnd, "verify", rnd + n / 2, rnd, (long)i);
		if (!json_valid(out) && bad++ < 3)
			printf("# invalid: %s\n", out);
	}
	ok(bad == 0, "20,000 random byte strings give valid JSON");
	logjson_message(out, 10, "q", "m", "w", "o", 1);
	ok(out[0] == '\0', "a buffer under LOGJSON_MIN gets an empty string");
	return done_testing();
}
