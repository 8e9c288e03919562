/*
 * msgin.c - read an RFC 5322 message from a stream for dkimtool
 *
 * SYNOPSIS
 *	msgin_read_header(&mi, fp, err, errlen);
 *	while (msgin_body(&mi, buf, sizeof(buf), &n) == 0 && n > 0)
 *		...;
 *	msgin_free(&mi);
 *
 * CONTRACT
 *	The header block is read line by line into mi.hdr, byte for byte,
 *	so that a signer can write it out unchanged; mi.fields locate each
 *	field (continuation lines, those starting with SP or HTAB, belong
 *	to the field above). Lines end in LF or CRLF. The header ends at
 *	the first empty line, which stays in mi.hdr; a message without an
 *	empty line is all header. More than MSGIN_HEADER_MAX bytes of header
 *	is an error.
 *
 *	A line in the header that is not a field (no "name:" at its start,
 *	or a continuation line with no field above it) ends the header and
 *	is the first line of the body, as Postfix's cleanup treats it; so
 *	what dkimtool verifies is what dkimd, behind Postfix, would see.
 *	Such a line is kept at the end of mi.hdr (from mi.body_off on) and
 *	handed out first by msgin_body().
 *
 *	The body is never held whole: msgin_body() reads it in chunks.
 *
 * OWNERSHIP
 *	mi owns hdr and fields; the FILE stays the caller's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* msgin_grow - make room for one more header byte; -1 over the ceiling */
static int
msgin_grow(struct msgin *mi)
{
	char	*p;
	size_t	 ncap;

	if (mi->hlen < mi->hcap)
		return 0;
	if (mi->hcap >= MSGIN_HEADER_MAX)
		return -1;
	ncap = mi->hcap ? mi->hcap * 2 : 4096;
	if (ncap > MSGIN_HEADER_MAX)
		ncap = MSGIN_HEADER_MAX;
	if ((p = realloc(mi->hdr, ncap)) == NULL)
		return -1;
	mi->hdr = p;
	mi->hcap = ncap;
	return 0;
}

/*
 * msgin_line - append one line, line end included, to mi->hdr. Returns 1
 * when a line was read, 0 at end of input, -1 over the ceiling or on a
 * read error.
 */
static int
msgin_line(struct msgin *mi)
{
	int	 c;
	size_t	 start = mi->hlen;

	while ((c = getc(mi->fp)) != EOF) {
		if (msgin_grow(mi) < 0)
			return -1;
		mi->hdr[mi->hlen++] = (char)c;
		if (c == '\n')
			return 1;
	}
	if (ferror(mi->fp))
		return -1;
	return mi->hlen > start;
}

/* msgin_eol - the length of the line end of line (0, 1 LF, 2 CRLF) */
static size_t
msgin_eol(const char *line, size_t len)
{
	if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n')
		return 2;
	if (len >= 1 && line[len - 1] == '\n')
		return 1;
	return 0;
}

/*
 * msgin_is_field - 1 when line starts a header field: a name of printable
 * characters other than ':' (RFC 5322 §2.2 ftext), optional WSP (the
 * obsolete syntax of §4.5.2), then ':'.
 */
static int
msgin_is_field(const char *line, size_t len)
{
	size_t	 i = 0;

	while (i < len && line[i] >= 33 && line[i] <= 126 && line[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	return i < len && line[i] == ':';
}

/* msgin_add_field - record a new field starting at off */
static int
msgin_add_field(struct msgin *mi, size_t off)
{
	struct msgin_field *p;
	size_t	 ncap;

	if (mi->nfields == mi->fcap) {
		ncap = mi->fcap ? mi->fcap * 2 : 32;
		p = realloc(mi->fields, ncap * sizeof(*p));
		if (p == NULL)
			return -1;
		mi->fields = p;
		mi->fcap = ncap;
	}
	mi->fields[mi->nfields].off = off;
	mi->fields[mi->nfields].len = 0;
	mi->nfields++;
	return 0;
}

/*
 * msgin_read_header - read the header block of the message on fp.
 * Returns 0, or -1 with a reason in err.
 */
int
msgin_read_header(struct msgin *mi, FILE *fp, char *err, size_t errlen)
{
	const char *line;
	size_t	 start, len, eol;
	int	 rc;

	memset(mi, 0, sizeof(*mi));
	mi->fp = fp;
	for (;;) {
		start = mi->hlen;
		if ((rc = msgin_line(mi)) < 0)
			goto fail;
		if (rc == 0)
			break;
		line = mi->hdr + start;
		len = mi->hlen - start;
		eol = msgin_eol(line, len);
		if (start == 0)
			mi->lf_only = eol == 1;
		if (len == eol && eol > 0) {
			/* the empty line: header done, body follows */
			mi->body_off = mi->hlen;
			mi->body_pos = mi->hlen;
			return 0;
		}
		if (line[0] == ' ' || line[0] == '\t') {
			if (mi->nfields == 0)
				goto body;
		} else if (!msgin_is_field(line, len)) {
			goto body;
		} else if (msgin_add_field(mi, start) < 0) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		mi->fields[mi->nfields - 1].len = mi->hlen - eol -
		    mi->fields[mi->nfields - 1].off;
	}
	/* end of input without an empty line: all header */
	mi->body_off = mi->body_pos = mi->hlen;
	return 0;

body:
	mi->body_off = mi->body_pos = start;
	return 0;

fail:
	if (ferror(fp))
		snprintf(err, errlen, "read error");
	else if (mi->hcap >= MSGIN_HEADER_MAX) {
		mi->overflow = 1;
		snprintf(err, errlen, "header block larger than %d bytes",
		    MSGIN_HEADER_MAX);
	}
	else
		snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * msgin_body - the next chunk of body, at most size bytes, into buf;
 * *n = 0 at the end. Returns 0, or -1 on a read error.
 */
int
msgin_body(struct msgin *mi, char *buf, size_t size, size_t *n)
{
	size_t	 left = mi->hlen - mi->body_pos;

	if (left > 0) {
		if (left > size)
			left = size;
		memcpy(buf, mi->hdr + mi->body_pos, left);
		mi->body_pos += left;
		*n = left;
		return 0;
	}
	*n = fread(buf, 1, size, mi->fp);
	if (*n == 0 && ferror(mi->fp))
		return -1;
	return 0;
}

/* msgin_free - release what mi holds (not its FILE); NULL is fine */
void
msgin_free(struct msgin *mi)
{
	if (mi == NULL)
		return;
	free(mi->hdr);
	free(mi->fields);
	mi->hdr = NULL;
	mi->fields = NULL;
	mi->hlen = mi->hcap = mi->nfields = mi->fcap = 0;
}
