/*
 * test_msgin.c - dkimtool's RFC 5322 stream reader (tools/msgin.c)
 *
 * Messages in t/data/msgin/, read from the top of the source tree. Each
 * case checks the fields found (folding kept, line end dropped), where the
 * body starts, the line-end style, and that the body comes back whole in
 * chunks of any size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "tool.h"

#define DATA	"t/data/msgin/"

/* field - field n of mi as a NUL-terminated copy (static buffer) */
static const char *
field(const struct msgin *mi, size_t n)
{
	static char buf[4096];
	size_t	 len;

	if (n >= mi->nfields)
		return NULL;
	len = mi->fields[n].len < sizeof(buf) - 1 ? mi->fields[n].len :
	    sizeof(buf) - 1;
	memcpy(buf, mi->hdr + mi->fields[n].off, len);
	buf[len] = '\0';
	return buf;
}

/* body - the whole body of mi, read in chunks of size bytes (static) */
static const char *
body(struct msgin *mi, size_t size)
{
	static char out[65536];
	char	 chunk[65536];
	size_t	 n, len = 0;

	while (msgin_body(mi, chunk, size, &n) == 0 && n > 0 &&
	    len + n < sizeof(out)) {
		memcpy(out + len, chunk, n);
		len += n;
	}
	out[len] = '\0';
	return out;
}

/* open_case - read the header of t/data/msgin/name into mi; the FILE */
static FILE *
open_case(const char *name, struct msgin *mi)
{
	char	 path[256], err[128];
	FILE	*fp;

	snprintf(path, sizeof(path), DATA "%s", name);
	if ((fp = fopen(path, "rb")) == NULL) {
		ok(0, path);
		return NULL;
	}
	err[0] = '\0';
	if (msgin_read_header(mi, fp, err, sizeof(err)) < 0) {
		ok(0, err);
		fclose(fp);
		return NULL;
	}
	return fp;
}

/* test_lf - an LF-only message with folded fields and a body */
static void
test_lf(void)
{
	struct msgin mi;
	FILE	*fp;

	if ((fp = open_case("lf.eml", &mi)) == NULL)
		return;
	is_int(mi.nfields, 3, "LF: three fields");
	is_str(field(&mi, 0), "From: a@example.org", "LF: the line end is "
	    "not part of a field");
	is_str(field(&mi, 1), "Subject: one\n two\n\tthree",
	    "LF: SP and HTAB continuation lines belong to the field");
	is_str(field(&mi, 2), "To: b@example.net", "LF: the last field");
	ok(mi.lf_only, "LF: the message is seen as LF-only");
	is_int(mi.body_off, mi.hlen, "LF: the empty line ends the header");
	is_str(body(&mi, 5), "body line 1\nbody line 2\n",
	    "LF: the body comes back whole in 5-byte chunks");
	msgin_free(&mi);
	fclose(fp);
}

/* test_crlf - a CRLF message: folding and the empty line kept */
static void
test_crlf(void)
{
	struct msgin mi;
	FILE	*fp;

	if ((fp = open_case("crlf.eml", &mi)) == NULL)
		return;
	is_int(mi.nfields, 2, "CRLF: two fields");
	is_str(field(&mi, 1), "Subject: one\r\n two",
	    "CRLF: folding kept byte for byte, final CRLF dropped");
	ok(!mi.lf_only, "CRLF: the message is seen as CRLF");
	ok(mi.hlen >= 2 && memcmp(mi.hdr + mi.hlen - 4, "\r\n\r\n", 4) == 0,
	    "CRLF: the empty line is kept in the header block");
	is_str(body(&mi, 65536), "body\r\n", "CRLF: the body");
	msgin_free(&mi);
	fclose(fp);
}

/* test_shapes - where the header ends in unusual messages */
static void
test_shapes(void)
{
	struct msgin mi;
	FILE	*fp;

	if ((fp = open_case("nobody.eml", &mi)) != NULL) {
		is_int(mi.nfields, 2, "no empty line: every line is a field");
		is_str(body(&mi, 100), "", "no empty line: the body is empty");
		msgin_free(&mi);
		fclose(fp);
	}
	if ((fp = open_case("nocolon.eml", &mi)) != NULL) {
		is_int(mi.nfields, 1,
		    "a line without a colon ends the header (as Postfix does)");
		is_str(body(&mi, 3), "This line has no colon\nSubject: x\n\n"
		    "body\n", "... and is the first line of the body");
		msgin_free(&mi);
		fclose(fp);
	}
	if ((fp = open_case("leadingws.eml", &mi)) != NULL) {
		is_int(mi.nfields, 0,
		    "a continuation line with no field above is body");
		is_int(mi.body_off, 0, "... the body starts at byte 0");
		msgin_free(&mi);
		fclose(fp);
	}
	if ((fp = open_case("obs.eml", &mi)) != NULL) {
		is_int(mi.nfields, 2,
		    "WSP before the colon is a field (RFC 5322 §4.5.2)");
		msgin_free(&mi);
		fclose(fp);
	}
	if ((fp = open_case("noeol.eml", &mi)) != NULL) {
		is_str(field(&mi, 1), "Subject: last line without LF",
		    "a last line without a line end is a whole field");
		msgin_free(&mi);
		fclose(fp);
	}
}

/* test_ceiling - a header block over MSGIN_HEADER_MAX is an error */
static void
test_ceiling(void)
{
	struct msgin mi;
	char	 err[128];
	FILE	*fp;
	size_t	 i;

	if ((fp = tmpfile()) == NULL) {
		ok(0, "tmpfile");
		return;
	}
	for (i = 0; i < MSGIN_HEADER_MAX / 64 + 1; i++)
		fprintf(fp, "X-Fill: %055zu\n", i);
	fputs("\nbody\n", fp);
	rewind(fp);
	err[0] = '\0';
	is_int(msgin_read_header(&mi, fp, err, sizeof(err)), -1,
	    "a header block over 1 MiB is refused");
	ok(strstr(err, "header") != NULL, "... with a reason about the header");
	msgin_free(&mi);
	msgin_free(&mi);
	ok(1, "msgin_free twice is harmless");
	msgin_free(NULL);
	ok(1, "msgin_free(NULL) is a no-op");
	fclose(fp);

	if ((fp = tmpfile()) == NULL)
		return;
	for (i = 0; i < MSGIN_HEADER_MAX / 64 - 2; i++)
		fprintf(fp, "X-Fill: %055zu\n", i);
	fputs("\nbody\n", fp);
	rewind(fp);
	is_int(msgin_read_header(&mi, fp, err, sizeof(err)), 0,
	    "a header block just under 1 MiB is read");
	is_int(mi.nfields, MSGIN_HEADER_MAX / 64 - 2, "... with every field");
	msgin_free(&mi);
	fclose(fp);
}

/* main - every case, TAP on stdout */
int
main(void)
{
	plan_lazy();
	test_lf();
	test_crlf();
	test_shapes();
	test_ceiling();
	return done_testing();
}
