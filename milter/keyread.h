/*
 * keyread.h - private key files, read safely (keyread.c)
 *
 * A key file is opened once, without following a symbolic link, and
 * what is checked (owner, mode, folders) is what is read.
 */
#ifndef KEYREAD_H
#define KEYREAD_H

#include <stddef.h>
#include <sys/types.h>

#include "dkim.h"

/*
 * table_key_read - read the private key in file path through one
 * descriptor: neither the file nor its folder may be a symbolic link;
 * with safe_uid != (uid_t)-1 (RequireSafeKeys) the file must be a
 * regular file of root, safe_uid or the running user that group and
 * others may neither read nor write, in a folder of one of them that
 * group and others may not write. NULL with why (no key text in it).
 */
#define TABLE_KEY_MAX		65536	/* bytes of a key file */
dkim_key *table_key_read(const char *path, uid_t safe_uid, char *why,
	    size_t whylen);

/*
 * table_key_read_below - the same, with every folder after the first
 * rootlen bytes of path (a '%' path: from the first folder the From
 * domain names) opened without following a link and checked like the
 * key's own folder
 */
dkim_key *table_key_read_below(const char *path, size_t rootlen,
	    uid_t safe_uid, char *why, size_t whylen);

/* table_key_safe - 0 when path may hold a private key; else -1, why */
int	table_key_safe(const char *path, uid_t safe_uid, char *why,
	    size_t whylen);

#endif /* KEYREAD_H */
