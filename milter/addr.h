/*
 * addr.h - the address of a From: field
 *
 * SYNOPSIS
 *	addr_from(value, out, outlen)
 *
 * CONTRACT
 *	value is a raw From: value (folding included). out receives the
 *	first mailbox's address, "local@domain" as written (comments,
 *	quotes and white space removed), truncated to outlen - 1 bytes;
 *	"" when there is none. Never reads past the NUL of value.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stddef.h>

void	addr_from(const char *value, char *out, size_t outlen);

#endif /* ADDR_H */
