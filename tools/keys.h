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

/* rotate and activate -c on file tables (keyfile.c) */
int	keyfile_rotate(const struct keydb_opts *);
int	keyfile_activate(const struct keydb_opts *);

#endif /* KEYS_H */
