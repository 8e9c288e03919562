/*
 * rotate.c - dkimtool rotate --auto: the whole life cycle of a domain's
 *	keys, one step further at each run; key list on file tables
 *
 * SYNOPSIS
 *	dkimtool rotate -c DKIMD.CONF -d DOMAIN --auto [--force]
 *	dkimtool rotate -c DKIMD.CONF --all [--force]
 *	dkimtool key list -c DKIMD.CONF [-d DOMAIN]	(file tables)
 *
 * CONTRACT
 *	The state of each key is the one the tables keep (keyfile.c on
 *	files, keydb.c in a database); a run reads it, does every step
 *	that is due, and says what it did and what it waits for, so that
 *	running it again (from a timer, or after a failure) goes on where
 *	the last run stopped and repeats nothing that is done:
 *	 1. a revoked key whose further KeyRetention is over: its record is
 *	    deleted from DNS, then the key from the tables;
 *	 2. a retired key whose KeyRetention is over: its record becomes
 *	    "v=DKIM1; p=" (revoked, RFC 6376 §3.6.1), once every server
 *	    answers so, the key is marked revoked until KeyRetention later;
 *	 3. a new rotation, when none is under way (no published, retired
 *	    or revoked key waiting) and the active key is older than
 *	    KeyRotationAge (or --force, whatever its age): a new
 *	    key for each algorithm the domain signs with, selector
 *	    "rYYYYMMDDhhmmss" (RSA) or "eYYYYMMDDhhmmss" (Ed25519) of the
 *	    UTC time, state published;
 *	 4. every published key: its record is put into DNS (publish.c),
 *	    and once every server answers it, it is activated (keydb.c,
 *	    keyfile.c: each active key retired for KeyRetention). On any
 *	    failure the key stays published, the old one active, and the
 *	    run ends with status 1.
 *	With file tables dkimd is told to reload by SIGHUP to the pid in
 *	PidFile; a database table is read by dkimd as it is.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "keys.h"
#include "publish.h"
#include "tool.h"
#include "util.h"

struct rot {
	struct keydb_opts *o;
	struct conf *c;
	struct db *db;			/* NULL: file tables */
	struct pub pub;
	long	age, retention;		/* KeyRotationAge, KeyRetention */
	int	reload;			/* file tables changed */
};

/* keys_print_dates - "CREATED<TAB>UNTIL" as UTC dates ("-" for none) */
void
keys_print_dates(long long created, long long until)
{
	char	 b[2][32];
	long long t[2] = { created, until };
	time_t	 tt;
	int	 i;

	for (i = 0; i < 2; i++) {
		tt = (time_t)t[i];
		if (t[i] <= 0 || strftime(b[i], sizeof(b[i]),
		    "%Y-%m-%dT%H:%M:%SZ", gmtime(&tt)) == 0)
			snprintf(b[i], sizeof(b[i]), "-");
	}
	printf("%s\t%s\n", b[0], b[1]);
}

/* rot_when - t as a UTC date, in a static buffer (one of two) */
static const char *
rot_when(long long t)
{
	static char b[2][32];
	static int n;
	time_t	 tt = (time_t)t;

	n = !n;
	strftime(b[n], sizeof(b[n]), "%Y-%m-%d %H:%M:%S UTC", gmtime(&tt));
	return b[n];
}

/* rot_keys - the keys of domain (all when NULL) from the tables */
static int
rot_keys(struct rot *r, const char *domain, struct rot_keys *ks)
{
	return r->db ? keydb_keys(r->db, domain, ks) :
	    keyfile_keys(r->o->conf, domain, ks);
}

/* rot_free - the records of ks */
static void
rot_free(struct rot_keys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++)
		free(ks->k[i].record);
	ks->n = 0;
}

/* rot_mark - key k becomes revoked until, or (ROT_OTHER) deleted */
static int
rot_mark(struct rot *r, const struct rot_key *k, enum rot_state st,
    long long until)
{
	r->reload = r->db == NULL;
	return r->db ? keydb_mark(r->db, k->name, st, until) :
	    keyfile_mark(r->o->conf, k->name, st, until);
}

/* rot_retire - steps 1 and 2: deletions and revocations that are due */
static int
rot_retire(struct rot *r, struct rot_keys *ks, time_t now)
{
	struct rot_key *k;
	size_t	 i;

	for (i = 0; i < ks->n; i++) {
		k = &ks->k[i];
		if (k->state == ROT_REVOKED && k->until > 0 &&
		    k->until <= now) {
			if (pub_set(&r->pub, k->domain, k->name, NULL) < 0 ||
			    pub_wait(&r->pub, k->name, NULL) < 0 ||
			    rot_mark(r, k, ROT_OTHER, 0) < 0)
				return -1;
			printf("; %s: deleted from DNS and from the key table\n",
			    k->name);
			k->state = ROT_OTHER;
		} else if (k->state == ROT_RETIRED && k->until <= now) {
			if (pub_set(&r->pub, k->domain, k->name,
			    PUB_REVOKED) < 0 || pub_wait(&r->pub, k->name,
			    PUB_REVOKED) < 0 || rot_mark(r, k, ROT_REVOKED,
			    (long long)now + r->retention) < 0)
				return -1;
			k->state = ROT_REVOKED;
			k->until = (long long)now + r->retention;
			printf("; %s: revoked (p= empty) on every server\n",
			    k->name);
		}
	}
	return 0;
}

/*
 * rot_due - does step 3 start a rotation of the domain of ks? Not while
 * one is under way; else when the newest active key is older than
 * KeyRotationAge, or with --force
 */
static int
rot_due(struct rot *r, const struct rot_keys *ks, time_t now)
{
	long long newest = 0;
	size_t	 i;
	int	 active = 0;

	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].state == ROT_PUBLISHED ||
		    ks->k[i].state == ROT_RETIRED ||
		    (ks->k[i].state == ROT_REVOKED && ks->k[i].until > 0))
			return 0;		/* under way */
		if (ks->k[i].state == ROT_ACTIVE) {
			active = 1;
			if (ks->k[i].created > newest)
				newest = ks->k[i].created;
		}
	}
	if (!active)
		return 0;
	if (r->o->force)
		return 1;
	if (now - newest < r->age)
		printf("; %s: active key %lld days old, KeyRotationAge not "
		    "reached\n", ks->k[0].domain, (now - newest) / 86400);
	return now - newest >= r->age;
}

/* rot_generate - step 3: a new key per algorithm of the active keys */
static int
rot_generate(struct rot *r, const char *domain, const struct rot_keys *ks,
    time_t now)
{
	char	 sel[64], stamp[32];
	int	 done_rsa = 0, done_ed = 0, ed, rc;
	size_t	 i;

	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", gmtime(&now));
	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].state != ROT_ACTIVE)
			continue;
		ed = strcmp(ks->k[i].alg, "ed25519") == 0;
		if (ed ? done_ed : done_rsa)
			continue;
		ed ? (done_ed = 1) : (done_rsa = 1);
		snprintf(sel, sizeof(sel), "%c%s", ed ? 'e' : 'r', stamp);
		r->o->selector = sel;
		r->o->alg = ed ? "ed25519" : "rsa";
		r->o->domain = domain;
		rc = r->db ? keydb_rotate(r->db, r->o) : keyfile_rotate(r->o);
		r->o->selector = NULL;
		if (rc != TOOL_EX_OK)
			return -1;
		printf("; %s._domainkey.%s: new %s key, not signing yet\n",
		    sel, domain, r->o->alg);
	}
	return 0;
}

/* rot_publish - step 4: every published key into DNS, then activated */
static int
rot_publish(struct rot *r, const char *domain, const struct rot_keys *ks)
{
	size_t	 i;
	int	 n = 0, rc;

	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].state != ROT_PUBLISHED)
			continue;
		if (ks->k[i].record == NULL || pub_set(&r->pub, domain,
		    ks->k[i].name, ks->k[i].record) < 0)
			return -1;
		n++;
	}
	for (i = 0; i < ks->n; i++)
		if (ks->k[i].state == ROT_PUBLISHED && pub_wait(&r->pub,
		    ks->k[i].name, ks->k[i].record) < 0)
			return -1;
	if (n == 0)
		return 0;
	r->o->domain = domain;
	r->o->grace = r->retention;
	rc = r->db ? keydb_activate(r->db, r->o) : keyfile_activate(r->o);
	if (rc != TOOL_EX_OK)
		return -1;
	r->reload |= r->db == NULL;
	return 0;
}

/* rot_waits - say what the domain waits for now */
static void
rot_waits(const struct rot_keys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++) {
		if (ks->k[i].state == ROT_RETIRED)
			printf("; waiting: %s stays published until %s "
			    "(KeyRetention), then is revoked\n",
			    ks->k[i].name, rot_when(ks->k[i].until));
		else if (ks->k[i].state == ROT_REVOKED && ks->k[i].until > 0)
			printf("; waiting: %s is revoked; its record is "
			    "deleted after %s\n", ks->k[i].name,
			    rot_when(ks->k[i].until));
	}
}

/* rot_domain - every step due for one domain; 0 or -1 */
static int
rot_domain(struct rot *r, const char *domain)
{
	struct rot_keys *ks;
	time_t	 now = time(NULL);
	int	 rc = -1;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return -1;
	printf("; %s: rotation run at %s\n", domain, rot_when(now));
	if (rot_keys(r, domain, ks) < 0 || rot_retire(r, ks, now) < 0)
		goto out;
	if (rot_due(r, ks, now)) {
		if (rot_generate(r, domain, ks, now) < 0)
			goto out;
		rot_free(ks);
		if (rot_keys(r, domain, ks) < 0)
			goto out;
	}
	if (rot_publish(r, domain, ks) < 0) {
		tool_err("%s: the new key is not active; the old one still "
		    "signs (run again to go on)", domain);
		goto out;
	}
	rot_free(ks);
	if (rot_keys(r, domain, ks) < 0)
		goto out;
	rot_waits(ks);
	rc = 0;
out:
	rot_free(ks);
	free(ks);
	return rc;
}

/* rot_hup - tell dkimd to read the file tables again (PidFile) */
static void
rot_hup(const struct conf *c)
{
	FILE	*fp;
	long	 pid = 0;

	if (c->pidfile == NULL || (fp = fopen(c->pidfile, "r")) == NULL) {
		printf("; no PidFile to signal: reload dkimd (SIGHUP)\n");
		return;
	}
	if (fscanf(fp, "%ld", &pid) != 1 || pid <= 1 ||
	    kill((pid_t)pid, SIGHUP) < 0)
		tool_err("%s: cannot signal dkimd (pid %ld): %s", c->pidfile,
		    pid, strerror(errno));
	else
		printf("; dkimd (pid %ld) told to reload (SIGHUP)\n", pid);
	fclose(fp);
}

/* rot_domains - --all: each domain of the tables once; the failures */
static int
rot_all(struct rot *r)
{
	struct rot_keys *ks;
	size_t	 i, j;
	int	 bad = 0;

	if ((ks = calloc(1, sizeof(*ks))) == NULL || rot_keys(r, NULL,
	    ks) < 0) {
		free(ks);
		return 1;
	}
	for (i = 0; i < ks->n; i++) {
		for (j = 0; j < i; j++)
			if (strcasecmp(ks->k[j].domain, ks->k[i].domain) == 0)
				break;
		if (j == i && rot_domain(r, ks->k[i].domain) < 0)
			bad++;
	}
	rot_free(ks);
	free(ks);
	return bad;
}

/* rotate_auto - dkimtool rotate --auto / --all */
int
rotate_auto(struct keydb_opts *o)
{
	struct rot r;
	int	 bad;

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (o->conf == NULL)
		return tool_usage("rotate --auto: -c FILE needed");
	if (!o->all && o->domain == NULL)
		return tool_usage("rotate --auto: -d DOMAIN or --all needed");
	if ((r.c = conf_load(o->conf, tool_conf_errors, NULL)) == NULL) {
		tool_err("%s: configuration has errors", o->conf);
		return TOOL_EX_FAIL;
	}
	if (util_duration(r.c->keyrotationage, &r.age) < 0 ||
	    util_duration(r.c->keyretention, &r.retention) < 0 ||
	    pub_open(&r.pub, r.c) < 0 || (r.c->signingtable != NULL &&
	    db_is_uri(r.c->signingtable) && (r.db = keydb_open(o)) == NULL)) {
		bad = 1;
		goto out;
	}
	o->autorun = 1;
	bad = o->all ? rot_all(&r) : rot_domain(&r, o->domain) < 0;
	if (r.reload)
		rot_hup(r.c);
out:
	fflush(stdout);
	pub_close(&r.pub);
	db_close(r.db);
	conf_free(r.c);
	return bad ? TOOL_EX_FAIL : TOOL_EX_OK;
}

/* rotate_list - key list -c on file tables: the same columns as keydb.c */
int
rotate_list(const struct keydb_opts *o)
{
	static const char *const names[] = { "other", "active", "published",
	    "retired", "revoked" };
	struct rot_keys *ks;
	size_t	 i;

	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    keyfile_keys(o->conf, o->domain, ks) < 0) {
		free(ks);
		return TOOL_EX_FAIL;
	}
	for (i = 0; i < ks->n; i++) {
		printf("%s\t%s\t%s\t%s\t%s\t-\t", ks->k[i].name,
		    ks->k[i].domain, ks->k[i].selector, ks->k[i].alg,
		    names[ks->k[i].state]);
		keys_print_dates(ks->k[i].created, ks->k[i].until);
	}
	rot_free(ks);
	free(ks);
	return TOOL_EX_OK;
}
