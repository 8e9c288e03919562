/*
 * addr.c - the address of a From: field, for the SigningTable lookup
 *
 * A small RFC 5322 reader, not a validator: it finds the first mailbox
 * of the field, either the angle-addr after a display name or a bare
 * addr-spec, skipping comments and quoted display names, and drops
 * white space and quotes from what it keeps. Anything stranger gives
 * an address no SigningTable line matches, which means "not signed".
 */
#include <ctype.h>
#include <stddef.h>

#include "addr.h"

/* addr_from - the first address of a From: value (see addr.h) */
void
addr_from(const char *v, char *out, size_t outlen)
{
	const char *s = NULL, *p;
	int	quoted = 0, depth = 0;
	size_t	n = 0;

	if (outlen == 0)
		return;
	for (p = v; *p; p++) {
		if (quoted) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '"')
				quoted = 0;
		} else if (*p == '"')
			quoted = 1;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '<' && depth == 0) {
			s = p + 1;
			break;
		}
	}
	if (s == NULL)
		s = v;
	for (depth = 0, quoted = 0; *s; s++) {
		if (quoted) {
			if (*s == '"') {
				quoted = 0;
				continue;
			}
			if (*s == '\\' && s[1])
				s++;
		} else if (*s == '"') {
			quoted = 1;
			continue;
		} else if (*s == '(') {
			depth++;
			continue;
		} else if (*s == ')' && depth > 0) {
			depth--;
			continue;
		} else if (depth > 0)
			continue;
		else if (*s == '>' || *s == ',')
			break;
		if (!isspace((unsigned char)*s) && n + 1 < outlen)
			out[n++] = *s;
	}
	out[n] = '\0';
}
