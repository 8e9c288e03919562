/*
 * msgerr.c - why the last call on a message failed
 *
 * SYNOPSIS
 *	dk_msg_fail(m, fmt, ...)	record it, return DKIM_ERR
 *	dkim_msg_error(m)		read it
 *
 * CONTRACT
 *	The text lives in the message (truncated to its buffer) until the
 *	next failure or dkim_msg_free(). msg.c, sign.c and verify.c record;
 *	nothing here calls them back.
 */
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

/* dk_msg_fail - record why a call fails; returns DKIM_ERR */
int
dk_msg_fail(dkim_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	return DKIM_ERR;
}

/* dkim_msg_error - why the last call failed */
const char *
dkim_msg_error(const dkim_msg *m)
{
	return m->error;
}
