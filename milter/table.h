/*
 * table.h - OpenDKIM-style data sets: KeyTable and SigningTable
 *
 * SYNOPSIS
 *	table_load_keys(spec, safe_uid, report, arg)	a KeyTable, keys loaded
 *	table_load_signing(spec, report, arg)		a SigningTable
 *	table_link(signtab, keytab, report, arg)	resolve key names
 *	table_signers(signtab, addr, out, max, multiple)
 *	table_release(signtab, out, n)			after the message
 *	table_free(t)
 *
 * CONTRACT
 *	A data set is named "file:/path", "refile:/path" or a bare path
 *	(same as file:). Lines hold a key, white space and a value; '#'
 *	starts a comment; blank lines are skipped.
 *
 *	KeyTable lines: "NAME DOMAIN:SELECTOR:KEYPATH". DOMAIN may be "%",
 *	the From domain at signing time. Every key is read once, here, with
 *	table_key_read() (keyread.h); a '%' in KEYPATH stands for the From domain,
 *	and those keys are read on first use instead (keypct.h); with safe_uid != (uid_t)-1, a key file that
 *	group or others may read or write, or that belongs to neither root
 *	nor safe_uid (nor the running user), is refused (RequireSafeKeys).
 *
 *	SigningTable lines: "PATTERN KEYNAME [IDENTITY]". For file: tables
 *	the From address user@host is looked up as OpenDKIM does
 *	(opendkim.conf(5)): user@host, host, user@.parent for each parent
 *	domain, .parent for each parent domain, user@*, *. For refile:
 *	tables the patterns are shell-style wildcards ('*' only), tried in
 *	file order. Matching is case-insensitive. Only the first match
 *	counts unless MultipleSignatures is set; then every match counts,
 *	in that order. A '%' in IDENTITY is the From domain.
 *
 *	A data set may also be a database ("sqlite:/path", "mysql://...",
 *	"postgresql://...", see db.h): then the table holds no entries, the
 *	SigningTable's lookups go to the database (its KeyTable must be a
 *	database too, the same one), and the signers' keys are lent until
 *	table_release().
 *
 *	Problems are reported as "FILE:LINE: what" through report(); the
 *	loaders return NULL when there was any error.
 *
 * OWNERSHIP
 *	A table owns its entries and keys. struct signer borrows its entry
 *	from the table; it is valid while the table lives.
 */
#ifndef TABLE_H
#define TABLE_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"
#include "dkim.h"

#define TABLE_MAX_LINE		4096	/* longer lines are an error */
#define TABLE_MAX_ENTRIES	100000	/* entries per table */

struct keytab_entry {
	char	*name;
	char	*domain;		/* "%": the From domain */
	char	*selector;
	char	*keypath;
	dkim_key *key;			/* one reference; NULL with pct */
	struct keypct *pct;		/* '%' in keypath: keys per domain */
	int	inline_key;		/* the key was in the table itself */
	long long not_before;		/* a database row's; 0: unknown */
	long long not_after;
	const char *file;		/* borrowed from the table */
	int	line;
};

struct db;
struct keypct;

struct signtab_entry {
	char	*pattern;		/* lower case */
	char	*keyname;
	char	*identity;		/* NULL when none */
	struct keytab_entry *key;	/* set by table_link() */
	int	line;
};

struct table {
	char	*file;			/* path without the file:/refile: */
	int	wildcard;		/* refile: */
	int	is_keys;		/* a KeyTable */
	size_t	n;
	struct keytab_entry *keys;	/* is_keys */
	struct signtab_entry *signs;	/* !is_keys */
	struct db *db;			/* a database table (db.h), or NULL */
};

/* One signature to make, from table_signers(). */
struct signer {
	const struct keytab_entry *key;	/* borrowed */
	char	domain[256];		/* d=, '%' replaced */
	char	identity[512];		/* i=, "" for none */
};

struct table *table_load_keys(const char *spec, uid_t safe_uid,
	    conf_report_fn report, void *arg);
struct table *table_load_signing(const char *spec, conf_report_fn report,
	    void *arg);
int	table_link(struct table *signtab, const struct table *keytab,
	    conf_report_fn report, void *arg);
int	table_keyload(const struct table *t, struct keytab_entry *e,
	    uid_t safe_uid, conf_report_fn report, void *arg);
const struct keytab_entry *table_key(const struct table *keytab,
	    const char *name);
size_t	table_signers(const struct table *signtab, const char *addr,
	    struct signer *out, size_t max, int multiple);
void	table_free(struct table *);

/*
 * table_signers_down - table_signers(), and *down set to 1 when a database
 * table could not answer (no signer then means "unknown", not "none")
 */
size_t	table_signers_down(const struct table *, const char *addr,
	    struct signer *out, size_t max, int multiple, int *down);

/* table_db_error - why a database table last failed, into buf ("": none) */
void	table_db_error(const struct table *, char *buf, size_t size);

/*
 * table_release - give back what table_signers() lent out[0..n) (keys of
 * a database table, reference counted); a no-op for file tables
 */
void	table_release(const struct table *, struct signer *out, size_t n);

/* table_spec - split "file:/p", "refile:/p" or "/p"; returns the path */
const char *table_spec(const char *spec, int *wildcard);

/* table_wildmatch - 1 when s matches pattern ('*' any run), ignoring case */
int	table_wildmatch(const char *pattern, const char *s);

#endif /* TABLE_H */
