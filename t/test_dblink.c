/*
 * test_dblink.c - milter/dblink.c: multi-host names, the order hosts are
 *	tried in, a statement moved to the next host when one fails, the
 *	backoff of each host, the way back to the first, and the write side
 *	refusing replicas
 *
 * The back end is a fake whose hosts can be down (no connection), dead
 * (a connection whose statements get no answer), replicas (read-only)
 * or fine; it counts connections, statements and disconnections, so each
 * test says which host answered and which were not even tried. The real
 * servers (a PostgreSQL primary and streaming replica, a MariaDB primary
 * and binlog replica) are in t/it-db-failover.sh.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "dblink.h"
#include "tap.h"

struct fake {
	const char *name;
	int	down, dead, replica, data_error;
	int	connects, statements, disconnects;
};

static struct fake hosts[] = {
	{ "a", 0, 0, 0, 0, 0, 0, 0 },
	{ "b", 0, 0, 0, 0, 0, 0, 0 },
	{ "c", 0, 0, 0, 0, 0, 0, 0 },
};
#define NFAKE	(sizeof(hosts) / sizeof(hosts[0]))

static const char fake_ro[] = "read-only?";
static const char fake_sql[] = "SELECT the host";

/* fake_connect - the fake host named u->host, unless it is down */
static void *
fake_connect(const struct db_uri *u, char *err, size_t errlen)
{
	size_t	 i;

	for (i = 0; i < NFAKE; i++)
		if (strcmp(hosts[i].name, u->host) == 0) {
			hosts[i].connects++;
			if (!hosts[i].down)
				return &hosts[i];
		}
	snprintf(err, errlen, "connection refused");
	return NULL;
}

/* fake_query - one row: the host's name (or its read-only setting) */
static int
fake_query(void *conn, const char *sql, const char *const *params,
    int nparams, db_row_fn fn, void *arg, char *err, size_t errlen)
{
	struct fake *h = conn;
	const char *v[1];

	(void)params, (void)nparams;
	if (sql == fake_ro) {
		v[0] = h->replica ? "on" : "off";
		return fn(arg, 1, v);
	}
	h->statements++;
	if (h->dead) {
		snprintf(err, errlen, "no answer in 5000 ms");
		return -1;
	}
	if (h->data_error) {
		snprintf(err, errlen, "invalid byte sequence");
		return DB_DATA_ERROR;
	}
	v[0] = h->name;
	return fn(arg, 1, v);
}

/* fake_disconnect - count it */
static void
fake_disconnect(void *conn)
{
	((struct fake *)conn)->disconnects++;
}

static const struct db_backend fake_be = {
	"fake", fake_connect, fake_query, fake_disconnect, NULL, fake_ro
};

/* got_row - the first column into arg (8 bytes) */
static int
got_row(void *arg, int ncols, const char *const *v)
{
	if (ncols > 0)
		snprintf(arg, 8, "%s", v[0]);
	return 0;
}

/* ask - which host answered a statement on l ("" when none; err why) */
static const char *
ask(struct dblink *l, char *err, size_t errlen)
{
	static char who[8];

	who[0] = '\0';
	err[0] = '\0';
	if (dblink_query(l, fake_sql, NULL, 0, got_row, who, err, errlen) != 0)
		who[0] = '\0';
	return who;
}

/* reset - every host fine, no counts; a new link over "a,b,c" */
static void
reset(struct dblink *l, struct db_uri *u, int flags)
{
	size_t	 i;

	for (i = 0; i < NFAKE; i++) {
		hosts[i].down = hosts[i].dead = hosts[i].replica = 0;
		hosts[i].data_error = 0;
		hosts[i].connects = hosts[i].statements = 0;
		hosts[i].disconnects = 0;
	}
	dblink_close(l);
	memset(l, 0, sizeof(*l));
	memset(u, 0, sizeof(*u));
	u->flags = flags;
	u->timeout = 5;
	l->be = &fake_be;
	l->u = u;
	l->label = "fake://u@a,b,c/db";
	l->failback = 30;
	if (dblink_hosts(l, "a,b,c", (char[64]){ 0 }, 64) < 0)
		ok(0, "the host list a,b,c parses");
}

/* test_failover - a host that stops answering: the next one, at once */
static void
test_failover(void)
{
	struct dblink l;
	struct db_uri u;
	char	 err[256];

	memset(&l, 0, sizeof(l));
	reset(&l, &u, 0);
	is_str(ask(&l, err, sizeof(err)), "a", "the first host answers");
	hosts[0].dead = 1;
	is_str(ask(&l, err, sizeof(err)), "b",
	    "the first host stops answering: the same statement is answered "
	    "by the second, in the same call");
	ok(hosts[0].disconnects == 1 && l.host[0].retry_at > time(NULL),
	    "... the dead host's connection is closed and it backs off");
	hosts[0].dead = 0;
	is_str(ask(&l, err, sizeof(err)), "b",
	    "during its backoff the first host is not tried again");
	ok(hosts[0].connects == 1, "... no connection attempt to it");
	l.host[0].retry_at = 0;
	is_str(ask(&l, err, sizeof(err)), "b",
	    "its backoff over, the link stays on the second until failback");
	l.back_at = 0;
	is_str(ask(&l, err, sizeof(err)), "a",
	    "after failback seconds the link returns to the first host");
	ok(hosts[1].disconnects == 1, "... and closes the second's connection");

	reset(&l, &u, 0);
	hosts[0].down = hosts[1].down = 1;
	is_str(ask(&l, err, sizeof(err)), "c",
	    "two hosts refuse connections: the third answers");
	hosts[0].down = 0;
	l.host[0].retry_at = l.host[1].retry_at = 0;
	l.back_at = 0;
	hosts[1].down = 1;
	is_str(ask(&l, err, sizeof(err)), "a",
	    "failback: the first host that answers among those before");
	l.back_at = 0;
	hosts[0].dead = 1;
	hosts[2].dead = 1;
	is_str(ask(&l, err, sizeof(err)), "",
	    "every host fails: no answer");
	ok(strstr(err, "a: no answer") != NULL, "... the error names the "
	    "host that failed first");
	printf("#   %s\n", err);
	hosts[0].dead = hosts[2].dead = hosts[1].down = 0;
	hosts[0].connects = hosts[1].connects = hosts[2].connects = 0;
	is_str(ask(&l, err, sizeof(err)), "",
	    "right after, with every host backing off: no answer");
	ok(hosts[0].connects + hosts[1].connects + hosts[2].connects == 0 &&
	    strstr(err, "down, next try in") != NULL,
	    "... and no connection attempt (\"down, next try in\")");
	dblink_close(&l);
}

/* test_failback_down - the first host still down at failback time */
static void
test_failback_down(void)
{
	struct dblink l;
	struct db_uri u;
	char	 err[256];
	time_t	 was;

	memset(&l, 0, sizeof(l));
	reset(&l, &u, 0);
	hosts[0].down = 1;
	is_str(ask(&l, err, sizeof(err)), "b", "first host down: the second");
	l.host[0].retry_at = 0;
	l.back_at = 0;
	is_str(ask(&l, err, sizeof(err)), "b",
	    "failback to a host still down: the second still answers");
	was = l.host[0].retry_at;
	ok(hosts[1].disconnects == 0 && hosts[0].connects == 2 && was >
	    time(NULL) + 1, "... its connection kept, the first tried once "
	    "and backing off longer (2 s)");
	ok(l.back_at > time(NULL), "... and the next failback is later");
	dblink_close(&l);
}

/* test_write_side - writes go to the host that takes them, once */
static void
test_write_side(void)
{
	struct dblink l;
	struct db_uri u;
	char	 err[256];

	memset(&l, 0, sizeof(l));
	reset(&l, &u, DB_RW | DB_PRIMARY);
	hosts[0].replica = hosts[1].replica = 1;
	is_str(ask(&l, err, sizeof(err)), "c",
	    "write side: two replicas first in the list, the primary third "
	    "gets the statement");
	ok(hosts[0].statements == 0 && hosts[1].statements == 0,
	    "... the replicas get no statement");
	reset(&l, &u, DB_RW | DB_PRIMARY);
	hosts[0].replica = hosts[1].replica = hosts[2].replica = 1;
	is_str(ask(&l, err, sizeof(err)), "",
	    "write side: only replicas answer: nothing is written");
	ok(strstr(err, "only replicas answer (3 read-only)") != NULL,
	    "... and the error says that only replicas answer");
	printf("#   %s\n", err);
	reset(&l, &u, DB_RW | DB_PRIMARY);
	hosts[0].replica = 1;
	hosts[1].down = 1;
	hosts[2].down = 1;
	is_str(ask(&l, err, sizeof(err)), "", "write side: a replica and "
	    "two hosts down: nothing is written");
	ok(strstr(err, "1 read-only (replicas), the others failed") != NULL,
	    "... the error tells the replica from the hosts down");
	printf("#   %s\n", err);
	reset(&l, &u, DB_RW | DB_PRIMARY);
	hosts[0].dead = 1;
	is_str(ask(&l, err, sizeof(err)), "", "write side: the primary "
	    "stops answering a statement: it fails");
	ok(hosts[1].statements == 0,
	    "... and is not sent again to another host (it may have been done)");
	dblink_close(&l);

	reset(&l, &u, 0);
	hosts[0].replica = 1;
	is_str(ask(&l, err, sizeof(err)), "a", "read side: a replica answers");
	dblink_close(&l);
}

/* test_data_error - a data error is an answer: no move, no backoff */
static void
test_data_error(void)
{
	struct dblink l;
	struct db_uri u;
	char	 err[256], who[8] = "";

	memset(&l, 0, sizeof(l));
	reset(&l, &u, 0);
	hosts[0].data_error = 1;
	ok(dblink_query(&l, fake_sql, NULL, 0, got_row, who, err,
	    sizeof(err)) == DB_DATA_ERROR, "a data error is returned as such");
	ok(hosts[0].disconnects == 0 && l.host[0].retry_at == 0 &&
	    hosts[1].statements == 0, "... the connection stays, no backoff, "
	    "no other host asked");
	dblink_close(&l);
}

/* test_names - multi-host names: the hosts, labels, bad lists */
static void
test_names(void)
{
	static const struct {
		const char *uri, *label;
	} good[] = {
		{ "postgresql://u:pw@h1,h2/db?target_session_attrs=any",
		    "postgresql://u@h1,h2/db" },
		{ "mysql://u@10.0.0.1:3307,10.0.0.2:3308/keys?timeout=2&"
		    "failback=60", "mysql://u@10.0.0.1:3307,10.0.0.2:3308/keys" },
		{ "postgres://u@[::1]:5433,[2001:db8::2]/db",
		    "postgresql://u@[::1]:5433,[2001:db8::2]/db" },
		{ "postgresql://u@h/db?target_session_attrs=read-write",
		    "postgresql://u@h/db" },
	};
	static const char *const bad[][2] = {
		{ "postgresql://u@h1,,h2/db", "empty host" },
		{ "postgresql://u@h1,/db", "empty host" },
		{ "mysql://u@h1:3306,h2:0/db", "bad port" },
		{ "mysql://u@h1:x,h2/db", "bad port" },
		{ "postgresql://u@[::1/db", "bad [address]" },
		{ "postgresql://u@[::1]x/db", "bad [address]" },
		{ "postgresql://u@a,b,c,d,e,f,g,h,i/db", "more than 8 hosts" },
		{ "postgresql://u@h/db?timeout=0", "bad timeout (1 to 300" },
		{ "postgresql://u@h/db?timeout=301", "bad timeout" },
		{ "postgresql://u@h/db?failback=-1", "bad failback" },
		{ "postgresql://u@h/db?target_session_attrs=primary",
		    "bad target_session_attrs" },
	};
	struct db *db;
	char	 err[256], name[300];
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		db = db_open(good[i].uri, 0, (uid_t)-1, err, sizeof(err));
		snprintf(name, sizeof(name), "%s opens, shown as %s",
		    good[i].uri, good[i].label);
		/* a build without the back end refuses it (test_db.c) */
		if (db == NULL && strstr(err, "this dkimd was built without")) {
			skip(err);
			continue;
		}
		ok(db != NULL && strcmp(db_label(db), good[i].label) == 0,
		    name);
		if (db == NULL)
			printf("#   %s\n", err);
		db_close(db);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		db = db_open(bad[i][0], 0, (uid_t)-1, err, sizeof(err));
		snprintf(name, sizeof(name), "%s is refused: %s", bad[i][0],
		    bad[i][1]);
		ok(db == NULL && strstr(err, bad[i][1]) != NULL, name);
		if (db != NULL || strstr(err, bad[i][1]) == NULL)
			printf("#   got: %s\n", err);
		db_close(db);
	}
}

int
main(void)
{
	plan_lazy();
	test_failover();
	test_failback_down();
	test_write_side();
	test_data_error();
	test_names();
	return done_testing();
}
