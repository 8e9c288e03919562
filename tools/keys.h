/*
 * keys.h - what keydb.c (key, rotate, activate), keyimport.c (import)
 *	and keyfile.c (rotate, activate on files) share
 *
 * keydb_q() runs one statement and prints the error; keydb_insert() adds
 * a dkim_keys row (the key loaded first, to check it and find its
 * algorithm) and one dkim_signing row per pattern; keydb_readpem() reads
 * a key file (malloc()ed, at most KEYDB_PEM_MAX bytes). Each returns -1
 * (NULL) after printing why.
 */
#ifndef KEYS_H
#define KEYS_H

#include "db.h"

#define KEYDB_PATTERNS	16		/* -p per key add */
#define KEYDB_PEM_MAX	(64 * 1024)	/* bytes of a key file stored inline */

struct keydb_opts {
	const char *cmd;
	const char *uri, *conf, *domain, *selector, *keyfile, *name;
	const char *alg, *identity, *state, *keytable, *signtable, *amavis;
	const char *pattern[KEYDB_PATTERNS];
	int	npattern, generate, inline_pem;
	unsigned bits;
	long	grace;
	int	autorun;		/* rotate --auto: quiet, no revoke */
	int	all, force;		/* rotate --auto --all, --force */
};

/* A key as rotate --auto sees it (keyfile_keys, keydb_keys). */
enum rot_state { ROT_OTHER, ROT_ACTIVE, ROT_PUBLISHED, ROT_RETIRED,
    ROT_REVOKED };

#define ROT_KEYS_MAX	256		/* keys of one table looked at */

struct rot_key {
	char	name[256], domain[256], selector[64], alg[16];
	enum rot_state state;
	long long until;		/* retired: published until; revoked:
					   deleted from DNS at (0: never) */
	long long created;		/* Unix time (files: their mtime) */
	char	*record;		/* public record (malloc()ed), or NULL */
};

struct rot_keys {
	struct rot_key k[ROT_KEYS_MAX];
	size_t	n;
};

extern const char keydb_sql_ins_rule[];

int	keydb_q(struct db *, const char *sql, const char *const *p, int np,
	    db_row_fn fn, void *arg);
int	keydb_insert(struct db *, const char *name, const char *domain,
	    const char *selector, const char *pem, const char *path,
	    const char *state, const char *const *patterns, int np,
	    const char *identity);
char	*keydb_readpem(const char *path);
int	keydb_import(struct db *, const struct keydb_opts *);

/* keydb_genpem - a new key, NUL-terminated PEM (malloc()ed), or NULL */
char	*keydb_genpem(const char *alg, unsigned bits);
/* keydb_record - print the zone-file record of a key (PEM or file) */
int	keydb_record(const char *pem, const char *path, const char *domain,
	    const char *selector);

/* keys_public_record - the DNS record of a key, PEM or file (malloc()ed) */
char	*keys_public_record(const char *pem, const char *path);

/* rotate and activate -c on file tables (keyfile.c) */
int	keyfile_rotate(const struct keydb_opts *);
int	keyfile_activate(const struct keydb_opts *);

/* rotate --auto's view of the tables: files (keyfile.c), database */
int	keyfile_keys(const char *conf, const char *domain, struct rot_keys *);
int	keyfile_mark(const char *conf, const char *name, enum rot_state,
	    long long until);
struct db *keydb_open(const struct keydb_opts *);
int	keydb_files(const char *conf);
int	keydb_rotate(struct db *, struct keydb_opts *);
int	keydb_activate(struct db *, const struct keydb_opts *);
int	keydb_keys(struct db *, const char *domain, struct rot_keys *);
int	keydb_mark(struct db *, const char *name, enum rot_state,
	    long long until);

/* rotate --auto, key list on file tables, dates (rotate.c) */
int	rotate_auto(struct keydb_opts *);
int	rotate_list(const struct keydb_opts *);
void	keys_print_dates(long long created, long long until);

#endif /* KEYS_H */
