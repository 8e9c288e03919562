/*
 * logjson.h - a message's log line as one JSON object (LogFormat json)
 *
 * SYNOPSIS
 *	logjson_message(out, outlen, qid, mode, why, outcome, ms)
 *
 * CONTRACT
 *	Writes {"qid":...,"mode":...,"why":...,"outcome":...,"ms":N} into
 *	out (outlen >= LOGJSON_MIN) and returns its length. The strings
 *	may hold any bytes (they carry text from mail): '"', '\' and
 *	control characters are escaped, bytes that are not well-formed
 *	UTF-8 become U+FFFD, and a value that does not fit is cut on a
 *	character boundary, so the result is valid JSON (RFC 8259) for any
 *	input.
 */
#ifndef LOGJSON_H
#define LOGJSON_H

#include <stddef.h>

#define LOGJSON_MIN	128

size_t	logjson_message(char *out, size_t outlen, const char *qid,
	    const char *mode, const char *why, const char *outcome, long ms);

#endif /* LOGJSON_H */
