/*
 * buf.c - growable byte buffer with a ceiling
 *
 * SYNOPSIS
 *	struct dk_buf b = { 0 };	b.max = 65536;	(0: SIZE_MAX/2)
 *	dk_buf_append(&b, p, n);	dk_buf_addstr(&b, s);
 *	dk_buf_printf(&b, fmt, ...);	dk_buf_free(&b);
 *	dk_strlcpy(dst, src, size);	dk_why(why, whylen, fmt, ...);
 *
 * CONTRACT
 *	A buffer starts zeroed (apart from max) and owns b->data, which is
 *	NUL-terminated whenever it is not NULL. An append that would take
 *	len past the ceiling, or that runs out of memory, fails with -1 and
 *	leaves the buffer as it was. dk_buf_free() releases the memory and
 *	leaves an empty buffer with the same ceiling; it accepts NULL.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dk.h"

#define DK_BUF_MINCAP	64

/* buf_ceiling - the effective ceiling of a buffer */
static size_t
buf_ceiling(const struct dk_buf *b)
{
	return b->max == 0 ? SIZE_MAX / 2 : b->max;
}

/* buf_reserve - make room for n more bytes and a NUL; 0 or -1 */
static int
buf_reserve(struct dk_buf *b, size_t n)
{
	size_t	 need, ncap;
	char	*nd;

	if (n > buf_ceiling(b) || b->len > buf_ceiling(b) - n)
		return -1;
	need = b->len + n + 1;
	if (b->data != NULL && need <= b->cap)
		return 0;
	ncap = b->cap < DK_BUF_MINCAP ? DK_BUF_MINCAP : b->cap;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 4 ? need : ncap * 2;
	if (ncap > buf_ceiling(b) + 1)
		ncap = buf_ceiling(b) + 1;
	if ((nd = realloc(b->data, ncap)) == NULL)
		return -1;
	if (b->data == NULL)
		nd[0] = '\0';
	b->data = nd;
	b->cap = ncap;
	return 0;
}

/* dk_buf_append - add n bytes; -1 when over the ceiling or out of memory */
int
dk_buf_append(struct dk_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* dk_buf_addstr - add a NUL-terminated string */
int
dk_buf_addstr(struct dk_buf *b, const char *s)
{
	return dk_buf_append(b, s, strlen(s));
}

/* dk_buf_printf - add formatted text; -1 over the ceiling or on error */
int
dk_buf_printf(struct dk_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[256];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return dk_buf_append(b, small, (size_t)n);
	if (buf_reserve(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->data[b->len] = '\0';
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

/* dk_buf_free - release the memory; the buffer is empty and reusable */
void
dk_buf_free(struct dk_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

/* dk_strlcpy - bounded copy, always terminated; returns strlen(src) */
size_t
dk_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	 len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* dk_why - format a reason for the caller, if it asked for one */
void
dk_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
