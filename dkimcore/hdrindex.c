/*
 * hdrindex.c - a message's header fields, found by name and hashed
 *
 * SYNOPSIS
 *	dk_field_is(m, f, name, nlen)	is field f named name?
 *	dk_hash_field(m, md, canon, f, scratch)	one field into a hash
 *	dk_hash_headers(m, md, canon, names, n, scratch)
 *					the fields h= selects (RFC 6376 §5.4.2)
 *
 * CONTRACT
 *	Fields live in the message's arena (msg.c keeps them). The index by
 *	name hash is built on the first selection and kept with the message,
 *	which frees it. scratch is the caller's, reused for each field.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

/* dk_field_is - 1 when field f is named name (case-insensitive) */
int
dk_field_is(const dkim_msg *m, const struct dk_field *f, const char *name,
    size_t nlen)
{
	return f->klen == nlen &&
	    strncasecmp(m->arena.data + f->name, name, nlen) == 0;
}

/* dk_hash_field - feed one field, canonicalized, to md */
int
dk_hash_field(dkim_msg *m, EVP_MD_CTX *md, enum dkim_canon c,
    const struct dk_field *f, struct dk_buf *scratch)
{
	scratch->len = 0;
	if (dk_canon_header(c, m->arena.data + f->name, f->nlen,
	    m->arena.data + f->value, f->vlen, scratch) < 0)
		return -1;
	return EVP_DigestUpdate(md, scratch->data, scratch->len) == 1 ? 0 : -1;
}

/* index_slot - the slot of the name hash h in the field index */
static size_t
index_slot(const dkim_msg *m, uint32_t h)
{
	size_t slot = h & (m->isize - 1);

	while (m->index[slot] && m->fields[m->index[slot] - 1].hash != h)
		slot = (slot + 1) & (m->isize - 1);
	return slot;
}

/*
 * build_index - index the fields by name hash, once per message: for
 * each hash the lowest field, and from each field the next one up with
 * the same hash (1-based indices; 0 ends a chain). Selection then costs
 * the length of h= plus the fields of the names it lists, not their
 * product.
 */
static int
build_index(dkim_msg *m)
{
	size_t i, size = 16, slot;

	if (m->index)
		return 0;
	while (size < m->nfields * 2)
		size <<= 1;
	if ((m->index = calloc(size, sizeof(*m->index))) == NULL ||
	    (m->above = calloc(m->nfields + 1, sizeof(*m->above))) == NULL)
		return -1;
	m->isize = size;
	for (i = 0; i < m->nfields; i++) {
		slot = index_slot(m, m->fields[i].hash);
		m->above[i] = m->index[slot];
		m->index[slot] = i + 1;
	}
	return 0;
}

/*
 * dk_hash_headers - feed md the fields that names[] select, each name
 * taking the lowest field of that name not yet taken (§5.4.2); a name
 * with no field left contributes nothing (that is how oversigning
 * works). next[i] is where the search for names[i] goes on when the
 * same name comes again.
 */
int
dk_hash_headers(dkim_msg *m, EVP_MD_CTX *md, enum dkim_canon c,
    char *const *names, size_t nnames, struct dk_buf *scratch)
{
	size_t *next, i, j, k, nl;
	uint32_t h;
	int rc = -1, seen;

	if (nnames == 0)
		return 0;
	if (build_index(m) < 0 ||
	    (next = malloc(nnames * sizeof(*next))) == NULL)
		return -1;
	for (i = 0; i < nnames; i++) {
		nl = strlen(names[i]);
		h = dk_name_hash(names[i], nl);
		for (j = i, seen = 0; j-- > 0;)
			if (strcasecmp(names[j], names[i]) == 0) {
				seen = 1;
				break;
			}
		k = seen ? next[j] : m->index[index_slot(m, h)];
		while (k && !dk_field_is(m, &m->fields[k - 1], names[i], nl))
			k = m->above[k - 1];
		next[i] = k ? m->above[k - 1] : 0;
		if (k && dk_hash_field(m, md, c, &m->fields[k - 1],
		    scratch) < 0)
			goto fail;
	}
	rc = 0;
fail:
	free(next);
	return rc;
}
