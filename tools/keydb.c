/*
 * keydb.c - dkimtool key, import, rotate, activate: keys in a database
 *
 * SYNOPSIS
 *	dkimtool key add DB -d DOMAIN -s SELECTOR (-k KEYFILE [--inline] |
 *		--generate [-a rsa|ed25519] [-b BITS]) [-n NAME] [-p PATTERN]...
 *		[-i IDENTITY] [--state STATE]
 *	dkimtool key list DB [-d DOMAIN]
 *	dkimtool key disable|remove DB (-n NAME | -d DOMAIN -s SELECTOR)
 *	dkimtool import DB [-K KEYTABLE] [-S SIGNINGTABLE] [-A AMAVISCONF]
 *		[--inline]
 *	dkimtool rotate DB -d DOMAIN [-s SELECTOR] [-a ALG] [-b BITS]
 *	dkimtool activate DB -d DOMAIN [--grace SECONDS]
 *	where DB is --db URI, or -c DKIMD.CONF whose SigningTable is one
 *	(rotate and activate -c on file tables: keyfile.c)
 *
 *	With a name that lists several hosts (a primary and its replicas),
 *	every command but "key list" connects to the first host that takes
 *	writes (db.h, DB_RW), and fails saying so when only replicas answer.
 *
 * CONTRACT
 *	Rows follow the schema in etc/schema/. A key's name is, unless -n
 *	gives one, "SELECTOR._domainkey.DOMAIN"; "key add" adds a signing rule
 *	for each -p PATTERN (the domain when none is given). A key made
 *	with --generate is stored as PEM in the row and its DNS record is
 *	printed; -k stores the path (the PEM with --inline).
 *
 *	Rotation: "rotate" adds the next key of a domain under a new
 *	selector (default: "sYYYYMMDD" of today) in state "published" and
 *	prints its record; testkeys shows when DNS has it. "activate" makes
 *	the newest published key active, points the signing rules of the
 *	domain's active keys at it, and marks those "retired" until the
 *	grace period (default 7 days, --grace) is over; each step is one
 *	statement, so dkimd signs with the old or the new key throughout.
 *	At each "activate" (also with no key to switch to), retired keys
 *	past their grace become "revoked" and the record that revokes them
 *	(p= empty, RFC 6376 3.6.1) is printed.
 *
 *	"import" reads an OpenDKIM KeyTable and SigningTable (file: or
 *	refile: patterns "*@domain", "*", exact ones) and amavisd-new
 *	"dkim_key('domain', 'selector', 'path');" lines.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "table.h"
#include "tool.h"
#include "util.h"

#include "keys.h"

#define KEYDB_GRACE	(7 * 86400)	/* seconds a retired key stays */

static const char sql_ins_key[] =
    "INSERT INTO dkim_keys (name, domain, selector, algorithm, "
    "private_key, key_path, state, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const char keydb_sql_ins_rule[] =
    "INSERT INTO dkim_signing (pattern, key_name, identity) VALUES (?, ?, ?)";
static const char sql_list[] =
    "SELECT name, domain, selector, algorithm, state, not_after, created "
    "FROM dkim_keys ORDER BY domain, selector";
static const char sql_material[] =
    "SELECT private_key, key_path FROM dkim_keys WHERE name = ?";
static const char sql_rules_of[] =
    "SELECT pattern FROM dkim_signing WHERE key_name = ? ORDER BY id";
static const char sql_key_state[] =
    "SELECT state FROM dkim_keys WHERE name = ?";
static const char sql_set_state[] =
    "UPDATE dkim_keys SET state = ?, not_after = ? WHERE name = ?";
static const char sql_del_rules[] =
    "DELETE FROM dkim_signing WHERE key_name = ?";
static const char sql_del_key[] = "DELETE FROM dkim_keys WHERE name = ?";
static const char sql_of_domain[] =
    "SELECT name, selector, algorithm, state, not_after, created FROM "
    "dkim_keys WHERE domain = ? ORDER BY created, name";
static const char sql_move_rules[] =
    "UPDATE dkim_signing SET key_name = ? WHERE key_name = ?";

/* A dkim_keys row of one domain (sql_of_domain). */
struct keydb_row {
	char	name[256], selector[64], alg[16], state[16];
	long long not_after;
};

struct keydb_rows {
	struct keydb_row r[64];
	size_t	n;
};

/* keydb_q - db_query() that prints the error; 0 or -1 */
int
keydb_q(struct db *db, const char *sql, const char *const *p, int np,
    db_row_fn fn, void *arg)
{
	char	err[256];

	if (db_query(db, sql, p, np, fn, arg, err, sizeof(err)) < 0) {
		tool_err("%s", err);
		return -1;
	}
	return 0;
}

/* keydb_first - copy the first column of the first row into arg */
static int
keydb_first(void *arg, int ncols, const char *const *v)
{
	char	*buf = arg;

	if (ncols > 0 && buf[0] == '\0')
		snprintf(buf, 64, "%s", v[0] ? v[0] : "");
	return 0;
}

/* keydb_join - append the first column to arg, comma-separated (1 KB) */
static int
keydb_join(void *arg, int ncols, const char *const *v)
{
	char	*buf = arg;
	size_t	 n = strlen(buf);

	if (ncols > 0 && v[0] != NULL && n + strlen(v[0]) + 2 < 1024)
		snprintf(buf + n, 1024 - n, "%s%s", n ? "," : "", v[0]);
	return 0;
}

/* keydb_open - the database of --db or of the configuration's tables */
struct db *
keydb_open(const struct keydb_opts *o)
{
	struct conf *c = NULL;
	struct db *db;
	char	 err[256], name[512];
	const char *uri = o->uri;

	if (uri == NULL && o->conf != NULL) {
		if ((c = conf_load(o->conf, tool_conf_errors, NULL)) == NULL ||
		    c->signingtable == NULL || !db_is_uri(c->signingtable)) {
			tool_err("%s: no database SigningTable (or errors in "
			    "the configuration)", o->conf);
			conf_free(c);
			return NULL;
		}
		uri = c->signingtable;
	}
	if (uri == NULL) {
		tool_usage("%s: --db URI or -c FILE needed", o->cmd);
		return NULL;
	}
	/* writes go to a host that takes them (DB_RW: the primary of a
	 * replicated database); a list reads from any host */
	if ((db = db_open(uri, strcmp(o->cmd, "list") == 0 ? 0 : DB_RW,
	    (uid_t)-1, err, sizeof(err))) == NULL) {
		db_redact(uri, name, sizeof(name));	/* no password */
		tool_err("%s: %s", name, err);
	}
	conf_free(c);
	return db;
}

/* keydb_name - the key name of the options into buf; -1 after usage */
static int
keydb_name(const struct keydb_opts *o, char *buf, size_t size)
{
	if (o->name != NULL)
		snprintf(buf, size, "%s", o->name);
	else if (o->domain != NULL && o->selector != NULL)
		snprintf(buf, size, "%s._domainkey.%s", o->selector, o->domain);
	else {
		tool_usage("%s: -n NAME or -d DOMAIN -s SELECTOR needed",
		    o->cmd);
		return -1;
	}
	return 0;
}

/* keydb_readpem - the contents of a key file (malloc()ed), or NULL */
char *
keydb_readpem(const char *path)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		tool_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(KEYDB_PEM_MAX + 1)) == NULL) {
		fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, KEYDB_PEM_MAX + 1, fp);
	fclose(fp);
	if (n == 0 || n > KEYDB_PEM_MAX) {
		tool_err("%s: empty or over %d bytes", path, KEYDB_PEM_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* keydb_genpem - a new key as a NUL-terminated PEM (malloc()ed), or NULL */
char *
keydb_genpem(const char *alg, unsigned bits)
{
	char	*raw, *pem;
	size_t	 len;

	if ((raw = genkey_make(alg ? alg : "rsa", bits, &len)) == NULL)
		return NULL;
	if ((pem = malloc(len + 1)) != NULL) {
		memcpy(pem, raw, len);
		pem[len] = '\0';
	} else
		tool_err("out of memory");
	explicit_bzero(raw, len);
	free(raw);
	return pem;
}

/* keys_public_record - the DNS record of a key (PEM or path), or NULL */
char *
keys_public_record(const char *pem, const char *path)
{
	dkim_key *key;
	char	 err[256], *rec = NULL;

	key = pem ? dkim_key_load_pem(pem, strlen(pem), err, sizeof(err)) :
	    dkim_key_load_file(path, err, sizeof(err));
	if (key == NULL)
		tool_err("%s: %s", pem ? "key" : path, err);
	else if ((rec = dkim_key_public_record(key)) == NULL)
		tool_err("cannot make the public key record");
	dkim_key_free(key);
	return rec;
}

/* keydb_record - print the zone-file record of a key (PEM or path) */
int
keydb_record(const char *pem, const char *path, const char *domain,
    const char *selector)
{
	char	*rec, *zone = NULL;
	int	 rc = -1;

	if ((rec = keys_public_record(pem, path)) == NULL)
		return -1;
	if ((zone = tool_zone(domain, selector, rec)) == NULL)
		tool_err("cannot make the public key record");
	else {
		fputs(zone, stdout);
		rc = 0;
	}
	free(rec);
	free(zone);
	return rc;
}

/*
 * keydb_insert - one dkim_keys row and its signing rules; the key is
 * checked by loading it first. Returns 0 or -1 after printing why.
 */
int
keydb_insert(struct db *db, const char *name, const char *domain,
    const char *selector, const char *pem, const char *path,
    const char *state, const char *const *patterns, int np,
    const char *identity)
{
	dkim_key *key;
	char	 err[256], now[32], pat[600];
	const char *alg, *p[8];
	int	 i;

	key = pem ? dkim_key_load_pem(pem, strlen(pem), err, sizeof(err)) :
	    dkim_key_load_file(path, err, sizeof(err));
	if (key == NULL) {
		tool_err("%s: %s", pem ? name : path, err);
		return -1;
	}
	alg = dkim_key_alg(key) == DKIM_ALG_ED25519_SHA256 ? "ed25519" :
	    "rsa";
	dkim_key_free(key);
	snprintf(now, sizeof(now), "%lld", (long long)time(NULL));
	p[0] = name, p[1] = domain, p[2] = selector, p[3] = alg;
	p[4] = pem, p[5] = pem ? NULL : path, p[6] = state, p[7] = now;
	if (keydb_q(db, sql_ins_key, p, 8, NULL, NULL) < 0)
		return -1;
	for (i = 0; i < np; i++) {
		snprintf(pat, sizeof(pat), "%s", patterns[i]);
		util_lower(pat);	/* db.c compares them as stored */
		p[0] = pat, p[1] = name, p[2] = identity;
		if (keydb_q(db, keydb_sql_ins_rule, p, 3, NULL, NULL) < 0)
			return -1;
	}
	return 0;
}

/* keydb_add - dkimtool key add */
static int
keydb_add(struct db *db, struct keydb_opts *o)
{
	char	 name[512], *pem = NULL;
	int	 rc = TOOL_EX_FAIL;

	if (o->domain == NULL || o->selector == NULL ||
	    (o->keyfile == NULL) == !o->generate)
		return tool_usage("key add: -d, -s and one of -k or "
		    "--generate needed");
	if (keydb_name(o, name, sizeof(name)) < 0)
		return TOOL_EX_USAGE;
	if (o->npattern == 0)
		o->pattern[o->npattern++] = o->domain;
	if (o->generate && (pem = keydb_genpem(o->alg, o->bits)) == NULL)
		return TOOL_EX_FAIL;
	if (!o->generate && o->inline_pem &&
	    (pem = keydb_readpem(o->keyfile)) == NULL)
		return TOOL_EX_FAIL;
	if (keydb_insert(db, name, o->domain, o->selector, pem, o->keyfile,
	    o->state ? o->state : "active", o->pattern, o->npattern,
	    o->identity) == 0 && (!o->generate ||
	    keydb_record(pem, NULL, o->domain, o->selector) == 0))
		rc = TOOL_EX_OK;
	if (pem != NULL) {
		explicit_bzero(pem, strlen(pem));
		free(pem);
	}
	return rc;
}

/* keydb_list_row - print one key and its signing rules */
static int
keydb_list_row(void *arg, int ncols, const char *const *v)
{
	struct db *db = arg;
	char	 rules[1024] = "";
	const char *p[1] = { v[0] };

	if (ncols < 7)
		return 0;
	(void)keydb_q(db, sql_rules_of, p, 1, keydb_join, rules);
	printf("%s\t%s\t%s\t%s\t%s\t%s\t", v[0], v[1] ? v[1] : "",
	    v[2] ? v[2] : "", v[3] ? v[3] : "", v[4] ? v[4] : "",
	    rules[0] ? rules : "-");
	keys_print_dates(v[6] ? strtoll(v[6], NULL, 10) : 0,
	    v[5] ? strtoll(v[5], NULL, 10) : 0);
	return 0;
}

/* keydb_collect - rows of sql_list into a buffer, for printing after */
struct keydb_list {
	char	(*row)[7][256];
	size_t	n, max;
	const char *domain;
};

/* keydb_collect_row - keep one row of the listing (of the domain) */
static int
keydb_collect_row(void *arg, int ncols, const char *const *v)
{
	struct keydb_list *l = arg;
	void	*nr;
	int	 i;

	if (ncols < 7 || (l->domain && (v[1] == NULL ||
	    strcasecmp(v[1], l->domain) != 0)))
		return 0;
	if (l->n == l->max) {
		if (l->max >= TABLE_MAX_ENTRIES)
			return 0;
		l->max = l->max ? l->max * 2 : 64;
		if ((nr = realloc(l->row, l->max * sizeof(*l->row))) == NULL)
			return -1;
		l->row = nr;
	}
	for (i = 0; i < 7; i++)
		snprintf(l->row[l->n][i], 256, "%s", v[i] ? v[i] : "");
	l->n++;
	return 0;
}

/*
 * keydb_list - dkimtool key list: NAME DOMAIN SELECTOR ALG STATE RULES
 * CREATED UNTIL (UTC dates; UNTIL: retired, published until; revoked,
 * deleted from DNS at)
 */
static int
keydb_list(struct db *db, const struct keydb_opts *o)
{
	struct keydb_list l = { NULL, 0, 0, o->domain };
	const char *v[7];
	size_t	 i;
	int	 j, rc = TOOL_EX_FAIL;

	if (keydb_q(db, sql_list, NULL, 0, keydb_collect_row, &l) < 0)
		goto out;
	for (i = 0; i < l.n; i++) {
		for (j = 0; j < 7; j++)
			v[j] = l.row[i][j];
		keydb_list_row(db, 7, v);
	}
	rc = TOOL_EX_OK;
out:
	free(l.row);
	return rc;
}

/* keydb_state - set the state of key name (not_after too); must exist */
static int
keydb_state(struct db *db, const char *name, const char *state,
    long long not_after)
{
	char	 cur[64] = "", na[32];
	const char *p[3] = { name, NULL, NULL };

	if (keydb_q(db, sql_key_state, p, 1, keydb_first, cur) < 0)
		return -1;
	if (cur[0] == '\0') {
		tool_err("no key named %s", name);
		return -1;
	}
	snprintf(na, sizeof(na), "%lld", not_after);
	p[0] = state, p[1] = not_after ? na : NULL, p[2] = name;
	return keydb_q(db, sql_set_state, p, 3, NULL, NULL);
}

/* keydb_remove - dkimtool key remove: the key and its signing rules */
static int
keydb_remove(struct db *db, const struct keydb_opts *o)
{
	char	 name[512], cur[64] = "";
	const char *p[1] = { name };

	if (keydb_name(o, name, sizeof(name)) < 0)
		return TOOL_EX_USAGE;
	if (keydb_q(db, sql_key_state, p, 1, keydb_first, cur) < 0)
		return TOOL_EX_FAIL;
	if (cur[0] == '\0') {
		tool_err("no key named %s", name);
		return TOOL_EX_FAIL;
	}
	if (keydb_q(db, sql_del_rules, p, 1, NULL, NULL) < 0 ||
	    keydb_q(db, sql_del_key, p, 1, NULL, NULL) < 0)
		return TOOL_EX_FAIL;
	return TOOL_EX_OK;
}

/* keydb_domain_row - one row of sql_of_domain */
static int
keydb_domain_row(void *arg, int ncols, const char *const *v)
{
	struct keydb_rows *rs = arg;
	struct keydb_row *r;

	if (ncols < 5 || rs->n >= sizeof(rs->r) / sizeof(rs->r[0]))
		return 0;
	r = &rs->r[rs->n++];
	snprintf(r->name, sizeof(r->name), "%s", v[0] ? v[0] : "");
	snprintf(r->selector, sizeof(r->selector), "%s", v[1] ? v[1] : "");
	snprintf(r->alg, sizeof(r->alg), "%s", v[2] ? v[2] : "rsa");
	snprintf(r->state, sizeof(r->state), "%s", v[3] ? v[3] : "");
	r->not_after = v[4] ? strtoll(v[4], NULL, 10) : 0;
	return 0;
}

/* keydb_rotate - dkimtool rotate: the next key, state published */
int
keydb_rotate(struct db *db, struct keydb_opts *o)
{
	struct keydb_rows rs;
	char	 sel[64], name[512], *pem;
	const char *alg = o->alg, *p[1] = { o->domain };
	size_t	 i;
	time_t	 now = time(NULL);
	int	 rc;

	if (o->domain == NULL)
		return tool_usage("rotate: -d DOMAIN needed");
	memset(&rs, 0, sizeof(rs));
	if (keydb_q(db, sql_of_domain, p, 1, keydb_domain_row, &rs) < 0)
		return TOOL_EX_FAIL;
	for (i = 0; i < rs.n && alg == NULL; i++)
		if (strcmp(rs.r[i].state, "active") == 0)
			alg = rs.r[i].alg;
	if (o->selector != NULL)
		snprintf(sel, sizeof(sel), "%s", o->selector);
	else
		strftime(sel, sizeof(sel), "s%Y%m%d", gmtime(&now));
	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, o->domain);
	if ((pem = keydb_genpem(alg, o->bits)) == NULL)
		return TOOL_EX_FAIL;
	rc = keydb_insert(db, name, o->domain, sel, pem, NULL, "published",
	    NULL, 0, NULL) == 0 && keydb_record(pem, NULL, o->domain, sel) ==
	    0 ? TOOL_EX_OK : TOOL_EX_FAIL;
	explicit_bzero(pem, strlen(pem));
	free(pem);
	if (rc == TOOL_EX_OK && !o->autorun)
		printf("; %s is published, not yet signing: publish the "
		    "record, check with testkeys, then dkimtool activate -d "
		    "%s\n", name, o->domain);
	return rc;
}

/*
 * keydb_revoke_due - retired keys of rs past their grace become revoked;
 * the number revoked, or -1
 */
static int
keydb_revoke_due(struct db *db, const char *domain, struct keydb_rows *rs)
{
	time_t	 now = time(NULL);
	size_t	 i;
	char	*zone;
	int	 n = 0;

	for (i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].state, "retired") != 0 ||
		    rs->r[i].not_after > now)
			continue;
		if (keydb_state(db, rs->r[i].name, "revoked", 0) < 0)
			return -1;
		if ((zone = tool_zone(domain, rs->r[i].selector,
		    "v=DKIM1; p=")) == NULL)
			return -1;
		printf("; %s revoked: publish\n%s", rs->r[i].name, zone);
		free(zone);
		n++;
	}
	return n;
}

/*
 * keydb_successor - the published key of rs that replaces active row a:
 * the newest of a's algorithm, else the newest of any
 */
static struct keydb_row *
keydb_successor(struct keydb_rows *rs, const struct keydb_row *a)
{
	struct keydb_row *same = NULL, *any = NULL;
	size_t	 i;

	for (i = 0; i < rs->n; i++) {
		if (strcmp(rs->r[i].state, "published") != 0)
			continue;
		any = &rs->r[i];
		if (strcmp(rs->r[i].alg, a->alg) == 0)
			same = &rs->r[i];
	}
	return same ? same : any;
}

/*
 * keydb_activate - dkimtool activate: each active key of the domain gives
 * way to the newest published key of its algorithm (else the newest)
 */
int
keydb_activate(struct db *db, const struct keydb_opts *o)
{
	struct keydb_rows rs;
	struct keydb_row *rep, *newest = NULL;
	const char *p[2];
	long long until = (long long)time(NULL) + o->grace;
	size_t	 i, nact;
	int	 n, chosen = 0;

	if (o->domain == NULL)
		return tool_usage("activate: -d DOMAIN needed");
	memset(&rs, 0, sizeof(rs));
	p[0] = o->domain;
	if (keydb_q(db, sql_of_domain, p, 1, keydb_domain_row, &rs) < 0)
		return TOOL_EX_FAIL;
	for (i = 0; i < rs.n; i++)
		if (strcmp(rs.r[i].state, "published") == 0)
			newest = &rs.r[i];	/* the newest wins */
	if (newest == NULL) {
		/* Nothing to switch to: only retire what is due. */
		if ((n = o->autorun ? 0 : keydb_revoke_due(db, o->domain,
		    &rs)) > 0)
			return TOOL_EX_OK;
		if (n == 0)
			tool_err("%s: no published key to activate and no "
			    "retired key due (dkimtool rotate first)",
			    o->domain);
		return TOOL_EX_FAIL;
	}
	/* New keys active first, then the rules, then the old retired. */
	for (i = 0, nact = rs.n; i < nact; i++) {
		if (strcmp(rs.r[i].state, "active") != 0 ||
		    (rep = keydb_successor(&rs, &rs.r[i])) == NULL)
			continue;
		if (keydb_state(db, rep->name, "active", 0) < 0)
			return TOOL_EX_FAIL;
		p[0] = rep->name, p[1] = rs.r[i].name;
		if (keydb_q(db, sql_move_rules, p, 2, NULL, NULL) < 0 ||
		    keydb_state(db, rs.r[i].name, "retired", until) < 0)
			return TOOL_EX_FAIL;
		printf("; %s retired: keep its record published until %lld\n",
		    rs.r[i].name, until);
		printf("; %s active\n", rep->name);
		rs.r[i].not_after = until;
		snprintf(rs.r[i].state, sizeof(rs.r[i].state), "retired");
		snprintf(rep->state, sizeof(rep->state), "new");
		chosen = 1;
	}
	if (!chosen) {
		/* No active key was replaced: the newest becomes active. */
		if (keydb_state(db, newest->name, "active", 0) < 0)
			return TOOL_EX_FAIL;
		printf("; %s active\n", newest->name);
	}
	if (o->autorun)
		return TOOL_EX_OK;
	return keydb_revoke_due(db, o->domain, &rs) < 0 ? TOOL_EX_FAIL :
	    TOOL_EX_OK;
}

/* keydb_material - the private_key and key_path of key name into arg */
static int
keydb_material(void *arg, int ncols, const char *const *v)
{
	char	**out = arg;

	if (ncols >= 2 && out[0] == NULL && out[1] == NULL) {
		out[0] = v[0] ? strdup(v[0]) : NULL;
		out[1] = v[1] ? strdup(v[1]) : NULL;
	}
	return 0;
}

/* keydb_keys - the keys of domain (every one when NULL) for rotate --auto */
int
keydb_keys(struct db *db, const char *domain, struct rot_keys *ks)
{
	static const char *const states[] = { "", "active", "published",
	    "retired", "revoked" };
	struct keydb_list l = { NULL, 0, 0, domain };
	struct rot_key *k;
	char	*mat[2];
	const char *p[1];
	size_t	 i, j;
	int	 rc = -1;

	ks->n = 0;
	if (keydb_q(db, sql_list, NULL, 0, keydb_collect_row, &l) < 0)
		goto out;
	for (i = 0; i < l.n && ks->n < ROT_KEYS_MAX; i++) {
		for (j = 1; j < 5; j++)
			if (strcmp(l.row[i][4], states[j]) == 0)
				break;
		if (j == 5 || strcmp(l.row[i][1], "%") == 0)
			continue;
		k = &ks->k[ks->n++];
		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", l.row[i][0]);
		snprintf(k->domain, sizeof(k->domain), "%s", l.row[i][1]);
		snprintf(k->selector, sizeof(k->selector), "%.63s",
		    l.row[i][2]);
		snprintf(k->alg, sizeof(k->alg), "%.15s", l.row[i][3]);
		k->state = (enum rot_state)j;
		k->until = strtoll(l.row[i][5], NULL, 10);
		k->created = strtoll(l.row[i][6], NULL, 10);
		mat[0] = mat[1] = NULL;
		p[0] = k->name;
		if (k->state != ROT_REVOKED && keydb_q(db, sql_material, p, 1,
		    keydb_material, mat) == 0)
			k->record = keys_public_record(mat[0], mat[1]);
		if (mat[0] != NULL)
			explicit_bzero(mat[0], strlen(mat[0]));
		free(mat[0]);
		free(mat[1]);
	}
	rc = 0;
out:
	free(l.row);
	return rc;
}

/*
 * keydb_mark - key name becomes revoked, deleted from DNS at until, or
 * with ROT_OTHER is removed with its signing rules; 0 or -1
 */
int
keydb_mark(struct db *db, const char *name, enum rot_state state,
    long long until)
{
	const char *p[1] = { name };

	if (state == ROT_REVOKED)
		return keydb_state(db, name, "revoked", until);
	return keydb_q(db, sql_del_rules, p, 1, NULL, NULL) < 0 ||
	    keydb_q(db, sql_del_key, p, 1, NULL, NULL) < 0 ? -1 : 0;
}

/* keydb_files - 1 when the configuration's tables are files, not a database */
int
keydb_files(const char *path)
{
	struct conf *c;
	int	 files;

	if ((c = conf_load(path, NULL, NULL)) == NULL)
		return 0;		/* keydb_open() says why */
	files = c->signingtable != NULL && !db_is_uri(c->signingtable);
	conf_free(c);
	return files;
}

/* keydb_opts - parse the options; -1 after a usage error */
static int
keydb_getopts(int argc, char **argv, struct keydb_opts *o)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'D' },
		{ "generate", no_argument, NULL, 'g' },
		{ "inline", no_argument, NULL, 'I' },
		{ "state", required_argument, NULL, 't' },
		{ "grace", required_argument, NULL, 'G' },
		{ "amavis", required_argument, NULL, 'A' },
		{ "auto", no_argument, NULL, 'U' },
		{ "all", no_argument, NULL, 'L' },
		{ "force", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	int	 ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:d:s:k:n:a:b:p:i:K:S:A:", lo,
	    NULL)) != -1) {
		switch (ch) {
		case 'D': o->uri = optarg; break;
		case 'c': o->conf = optarg; break;
		case 'd': o->domain = optarg; break;
		case 's': o->selector = optarg; break;
		case 'k': o->keyfile = optarg; break;
		case 'n': o->name = optarg; break;
		case 'a': o->alg = optarg; break;
		case 'i': o->identity = optarg; break;
		case 'K': o->keytable = optarg; break;
		case 'S': o->signtable = optarg; break;
		case 'A': o->amavis = optarg; break;
		case 'g': o->generate = 1; break;
		case 'I': o->inline_pem = 1; break;
		case 'U': o->autorun = 1; break;
		case 'L': o->all = 1; break;
		case 'F': o->force = 1; break;
		case 't': o->state = optarg; break;
		case 'p':
			if (o->npattern == KEYDB_PATTERNS)
				return tool_usage("too many -p"), -1;
			o->pattern[o->npattern++] = optarg;
			break;
		case 'b':
			o->bits = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || o->bits < 1024 || o->bits > 4096)
				return tool_usage("-b: 1024 to 4096"), -1;
			break;
		case 'G':
			o->grace = strtol(optarg, &end, 10);
			if (*end != '\0' || o->grace < 0)
				return tool_usage("--grace: seconds"), -1;
			break;
		default:
			return tool_badopt(o->cmd, ch, argv), -1;
		}
	}
	if (optind != argc)
		return tool_usage("%s: unexpected %s", o->cmd, argv[optind]),
		    -1;
	if (o->alg && strcmp(o->alg, "rsa") != 0 &&
	    strcmp(o->alg, "ed25519") != 0)
		return tool_usage("-a: rsa or ed25519"), -1;
	if (o->state && strcmp(o->state, "active") != 0 &&
	    strcmp(o->state, "published") != 0 &&
	    strcmp(o->state, "disabled") != 0)
		return tool_usage("--state: active, published or disabled"), -1;
	return 0;
}

/* keydb_main - dkimtool key SUB, import, rotate, activate */
int
keydb_main(int argc, char **argv)
{
	struct keydb_opts o;
	struct db *db = NULL;
	char	 name[512];
	const char *sub = argv[0];
	int	 rc = TOOL_EX_USAGE;

	memset(&o, 0, sizeof(o));
	o.bits = 2048;
	o.grace = KEYDB_GRACE;
	if (strcmp(argv[0], "key") == 0) {
		if (argc < 2)
			return tool_usage("key: add, list, disable or remove");
		sub = argv[1];
		argc--, argv++;
	}
	o.cmd = sub;
	if (keydb_getopts(argc, argv, &o) < 0)
		return TOOL_EX_USAGE;
	if (strcmp(sub, "rotate") == 0 && (o.autorun || o.all))
		return rotate_auto(&o);
	if (strcmp(sub, "list") == 0 && o.uri == NULL && o.conf != NULL &&
	    keydb_files(o.conf))
		return rotate_list(&o);
	if ((strcmp(sub, "rotate") == 0 || strcmp(sub, "activate") == 0) &&
	    o.uri == NULL && o.conf != NULL && keydb_files(o.conf)) {
		if (o.domain == NULL)
			return tool_usage("%s: -d DOMAIN needed", sub);
		return strcmp(sub, "rotate") == 0 ? keyfile_rotate(&o) :
		    keyfile_activate(&o);
	}
	if ((db = keydb_open(&o)) == NULL)
		return o.uri || o.conf ? TOOL_EX_FAIL : TOOL_EX_USAGE;
	if (strcmp(sub, "add") == 0)
		rc = keydb_add(db, &o);
	else if (strcmp(sub, "list") == 0)
		rc = keydb_list(db, &o);
	else if (strcmp(sub, "disable") == 0)
		rc = keydb_name(&o, name, sizeof(name)) < 0 ? TOOL_EX_USAGE :
		    keydb_state(db, name, "disabled", 0) < 0 ? TOOL_EX_FAIL :
		    TOOL_EX_OK;
	else if (strcmp(sub, "remove") == 0)
		rc = keydb_remove(db, &o);
	else if (strcmp(sub, "rotate") == 0)
		rc = keydb_rotate(db, &o);
	else if (strcmp(sub, "activate") == 0)
		rc = keydb_activate(db, &o);
	else if (strcmp(sub, "import") == 0)
		rc = keydb_import(db, &o);
	else
		rc = tool_usage("key: unknown command %s", sub);
	fflush(stdout);
	db_close(db);
	return rc;
}
