/*
 * keyread.c - a private key file, checked and read through one descriptor
 *
 * SYNOPSIS
 *	table_key_read(path, safe_uid, why, whylen)
 *	table_key_read_below(path, rootlen, safe_uid, why, whylen)
 *	table_key_safe(path, safe_uid, why, whylen)
 *
 * CONTRACT
 *	See keyread.h. Used by the KeyTable (table.c), '%' key paths
 *	(keypct.c) and database key tables (db.c); it calls none of them.
 *	The key text is wiped before its buffer is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "keyread.h"

/*
 * owner_ok - 0 when st may hold a private key (folder NULL) or be a
 * folder on its path (folder "" for the key's own, else its name) under
 * RequireSafeKeys: owned by root, safe_uid or the running user, not
 * writable by group or others, and a key not readable by them; else -1,
 * why.
 */
static int
owner_ok(const struct stat *st, uid_t safe_uid, const char *folder,
    char *why, size_t whylen)
{
	mode_t	bad = S_IWGRP | S_IWOTH;
	char	what[300];

	if (folder == NULL)
		bad |= S_IRGRP | S_IROTH;
	if (folder == NULL)
		what[0] = '\0';
	else if (*folder == '\0')
		snprintf(what, sizeof(what), "its folder ");
	else
		snprintf(what, sizeof(what), "folder \"%s\" on its path ",
		    folder);
	if ((st->st_mode & bad) && folder == NULL) {
		snprintf(why, whylen, "unsafe permissions %04o (group or others "
		    "may read or write it; chmod 600, or RequireSafeKeys no)",
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (st->st_mode & bad) {
		snprintf(why, whylen, "%smay be written by group or others "
		    "(mode %04o), who could put another key in its place; chmod "
		    "go-w", what, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	if (st->st_uid != 0 && st->st_uid != safe_uid &&
	    st->st_uid != geteuid()) {
		snprintf(why, whylen, "%s%sowned by uid %lu, neither root nor "
		    "the user dkimd runs as", what, folder ? "is " : "",
		    (unsigned long)st->st_uid);
		return -1;
	}
	return 0;
}

/* table_key_safe - 0 when path may hold a private key; else -1, why */
int
table_key_safe(const char *path, uid_t safe_uid, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -1;
	}
	if (safe_uid == (uid_t)-1)
		return 0;
	return owner_ok(&st, safe_uid, NULL, why, whylen);
}

/*
 * folder_walk - open, below the first rootlen bytes of path (opened as
 * they are: the administrator's), each folder down to the key's own
 * with O_NOFOLLOW, checking each under RequireSafeKeys, so that no one
 * but root or dkimd's user can have put a link or a folder of its own
 * on the way. flen is the length of the key's folder in path. Returns
 * the descriptor of the key's folder, or -1 with why.
 */
static int
folder_walk(const char *path, size_t rootlen, size_t flen, uid_t safe_uid,
    char *why, size_t whylen)
{
	const char *p, *q;
	char	part[4096];
	struct stat st;
	int	dfd, nfd, e;

	snprintf(part, sizeof(part), "%.*s", (int)rootlen, path);
	if ((dfd = open(rootlen ? part : path[0] == '/' ? "/" : ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	for (p = path + rootlen; p < path + flen; p = q) {
		for (; p < path + flen && *p == '/'; p++)
			;
		for (q = p; q < path + flen && *q != '/'; q++)
			;
		if (q == p)
			break;
		snprintf(part, sizeof(part), "%.*s", (int)(q - p), p);
		nfd = openat(dfd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		e = errno;
		close(dfd);
		errno = e;
		if ((dfd = nfd) < 0) {
			if (errno != ELOOP && errno != ENOTDIR)
				snprintf(why, whylen, "%s", strerror(errno));
			else if (q == path + flen)
				snprintf(why, whylen, "its folder is a symbolic "
				    "link or not a folder (name the real one)");
			else
				snprintf(why, whylen, "folder \"%s\" on its path "
				    "is a symbolic link or not a folder (name "
				    "the real one)", part);
			return -1;
		}
		if (safe_uid != (uid_t)-1 && (fstat(dfd, &st) < 0 ||
		    owner_ok(&st, safe_uid, q == path + flen ? "" : part, why,
		    whylen) < 0))
			goto fail;
	}
	if (rootlen == flen && safe_uid != (uid_t)-1 && (fstat(dfd, &st) < 0 ||
	    owner_ok(&st, safe_uid, "", why, whylen) < 0))
		goto fail;		/* the key's folder is the root */
	return dfd;
fail:
	close(dfd);
	return -1;
}

/*
 * key_open - open the key file path for reading, once, so that what is
 * checked is what is read: the folders below the first rootlen bytes
 * down to the key's own are opened one by one (folder_walk()); then the
 * file is opened relative to its folder with O_NOFOLLOW (a link planted
 * where the key should be is refused, not followed) and O_NONBLOCK (a
 * FIFO cannot hold the open), and fstat() of that descriptor is
 * checked. Returns the descriptor, or -1 with why.
 */
static int
key_open(const char *path, size_t rootlen, uid_t safe_uid, char *why,
    size_t whylen)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 :
	    path;
	size_t	flen = slash ? (size_t)(slash - path) : 0;
	struct stat st;
	int	dfd, fd = -1;

	if (flen >= 4096) {
		snprintf(why, whylen, "path too long");
		return -1;
	}
	if (rootlen > flen)
		rootlen = flen;
	if ((dfd = folder_walk(path, rootlen, flen, safe_uid, why,
	    whylen)) < 0)
		return -1;
	if ((fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "%s", errno == ELOOP ? "a symbolic link "
		    "(name the key file itself)" : strerror(errno));
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto fail;
	}
	if (safe_uid != (uid_t)-1 && owner_ok(&st, safe_uid, NULL, why,
	    whylen) < 0)
		goto fail;
	close(dfd);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return -1;
}

/*
 * table_key_read - the private key in file path, checked and read
 * through one descriptor (key_open()); the folders below the parent of
 * its own are not checked. NULL with why.
 */
dkim_key *
table_key_read(const char *path, uid_t safe_uid, char *why, size_t whylen)
{
	const char *slash = strrchr(path, '/');
	size_t	rootlen = 0;

	/* the root: everything up to the last '/' of the key's folder */
	if (slash != NULL) {
		for (rootlen = (size_t)(slash - path); rootlen > 0 &&
		    path[rootlen - 1] != '/'; rootlen--)
			;
		if (rootlen > 0)
			rootlen--;
	}
	return table_key_read_below(path, rootlen, safe_uid, why, whylen);
}

/*
 * table_key_read_below - table_key_read() with every folder below the
 * first rootlen bytes of path opened without following links and, under
 * RequireSafeKeys, checked
 */
dkim_key *
table_key_read_below(const char *path, size_t rootlen, uid_t safe_uid,
    char *why, size_t whylen)
{
	dkim_key *key = NULL;
	char	*buf;
	size_t	n = 0;
	ssize_t	r;
	int	fd;

	if ((fd = key_open(path, rootlen, safe_uid, why, whylen)) < 0)
		return NULL;
	if ((buf = malloc(TABLE_KEY_MAX + 1)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	while (n <= TABLE_KEY_MAX && ((r = read(fd, buf + n,
	    TABLE_KEY_MAX + 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	if (n > TABLE_KEY_MAX)
		snprintf(why, whylen, "not a PEM private key: over %d bytes",
		    TABLE_KEY_MAX);
	else if (r < 0)
		snprintf(why, whylen, "cannot read it: %s", strerror(errno));
	else
		key = dkim_key_load_pem(buf, n, why, whylen);
	OPENSSL_cleanse(buf, TABLE_KEY_MAX + 1);
	free(buf);
out:
	close(fd);
	return key;
}
