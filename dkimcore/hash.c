/*
 * hash.c - the engine's one hash for tables (FNV-1a), not cryptographic
 *
 * SYNOPSIS
 *	dk_name_hash(name, len)	FNV-1a of name, ASCII letters folded
 *
 * CONTRACT
 *	Used for header field names (hdrindex.c) and DNS names (the cache
 *	and the query tables of dns.c and dnsloop.c). Case is folded, so
 *	names that compare equal without regard to case hash alike. It is
 *	not keyed, so mail can choose colliding names: the tables that use
 *	it are bounded in size (the header ceiling, KeyCacheBytes, the
 *	limit on queries in flight), which bounds a chain too.
 */
#include <stddef.h>
#include <stdint.h>

#include "dk.h"

/* dk_name_hash - a case-insensitive FNV-1a of a name */
uint32_t
dk_name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h;
}
