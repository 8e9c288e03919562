#!/usr/bin/env bash
# it-db-failover.sh - a fleet on a replicated database: dkimd fails over
# from a primary to its replica, and dkimtool writes only to the primary
# (TAP)
#
#	DKIMD=... DKIMTOOL=... bash t/it-db-failover.sh
#
# For each back end, two servers of our own on free ports of 127.0.0.1 in
# temporary folders: PostgreSQL 15, a primary and a streaming replica
# made by pg_basebackup -R (user postgres); MariaDB, a primary with a
# binary log and a read-only replica fed by it. Keys are added with
# dkimtool through names that list both hosts. Checked:
#   - the write side: "key add" through "replica,primary" writes to the
#     primary; through the replica alone, or with the primary stopped,
#     it fails and says that only replicas answer (attack: a write that
#     lands on, or silently fails on, a replica);
#   - two dkimd read through "primary,replica" (cache TTL 3 s, time-out
#     2 s): a domain added on the primary is signed by both within the
#     TTL; under load (each message from a domain never seen before, so
#     each needs an answer from a server, not the cache) the primary is
#     stopped mid-run (PostgreSQL: pg_ctl -m immediate; MariaDB: SIGKILL):
#     every message of both is signed, and both end connected to the
#     replica; the fail-over time is printed as "# FIGURES" lines;
#   - a host that black-holes (a listening socket that never answers)
#     first in the list costs one message the time-out, not a hang, and
#     the next message none (its backoff);
#   - the primary back: both dkimd return to it after failback= seconds.
# The back ends run side by side, each in a subshell with a folder of its
# own; their TAP lines are renumbered here. Every server, dkimd, load
# loop and listener is stopped by its PID at exit.
#
# Environment: FAILOVER_BACKENDS (default "pgsql mysql"), KEEP=1 keeps
# the work folder. Needs: miltertest, postgresql (15), mariadb-server.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
BACKENDS=${FAILOVER_BACKENDS:-pgsql mysql}
TTL=3			# cache seconds
TIMEOUT=2		# to connect, to answer (libpq's least connect_timeout)
FAILBACK=5		# seconds before the primary is tried again
NLOAD=400		# domains for the load, d0.example ...
tdir=$top_srcdir/t/milter
SCHEMA=$top_srcdir/etc/schema

. "$tdir/lib.sh"	# free_port, skip_all, dkimd_launch
. "$here/lib/dbtap.sh"
. "$here/lib/db.sh"

command -v miltertest >/dev/null || skip_all "miltertest not installed"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

work=$(mktemp -d /tmp/it-db-failover.XXXXXX) || exit 1
chmod 755 "$work"
PIDS=
SRV_PIDS=
KIDS=
FIGURES=
declare -A DPORT

# stop_all - every process this shell started, by PID, newest first,
# the servers last (PostgreSQL's SIGTERM waits for its clients)
stop_all()
{
	local p list=
	for p in $PIDS; do
		list="$p $list"
	done
	for p in $list $SRV_PIDS; do
		db_stop_pid "$p"
	done
	PIDS= SRV_PIDS=
}

# finish - EXIT trap: the back ends' subshells by PID, then the folder
finish()
{
	local k
	for k in $KIDS; do
		kill -TERM "$k" 2>/dev/null
	done
	for k in $KIDS; do
		wait "$k" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# work folder kept: $work" >&2
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT
trap 'exit 1' TERM INT

# ms - the time in milliseconds
ms() { date +%s%3N; }

# start_dkimd NAME URI - dkimd NAME reading both tables from URI
start_dkimd()
{
	local port
	port=$(free_port)
	cat >"$work/$1.conf" <<EOT
Socket		inet:$port@127.0.0.1
KeyTable	$2
SigningTable	$2
Nameservers	127.0.0.1:1
Syslog		no
LogWhy		yes
EOT
	DPORT[$1]=$port
	dkimd_launch "$work/$1.conf" "$work/$1.log"
	local rc=$?
	[ -n "${DKIMD_PID:-}" ] && PIDS="$PIDS $DKIMD_PID"
	return $rc
}

# sign NAME ADDRESS - what dkimd NAME signed for a message from ADDRESS:
# "d=D s=S" per signature, "NOSIG" for none, "ERROR" when miltertest failed
sign()
{
	local out
	out=$(cd "$work" && timeout 30 miltertest -D port="${DPORT[$1]}" \
	    -D tdir="$tdir" -D work="$work" -D from="$2" \
	    -s "$tdir/db-sign.lua" 2>&1) || { echo ERROR; return; }
	printf '%s\n' "$out" | sed -n 's/^SIG //p; s/^NOSIG$/NOSIG/p' |
	    tr '\n' ' ' | sed 's/ $//'
}

# load NAME FIRST COUNT - one message after another from domains
# dFIRST.example ... (never seen by dkimd NAME) until $work/stop-load
# exists; a line "START_MS TOOK_MS DOMAIN RESULT" each in $work/load-NAME
load()
{
	local i=$2 t0 got
	while [ ! -e "$work/stop-load" ] && [ "$i" -lt $(($2 + $3)) ]; do
		t0=$(ms)
		got=$(sign "$1" "u$i@d$i.example")
		echo "$t0 $(($(ms) - t0)) d$i.example $got" >>"$work/load-$1"
		i=$((i + 1))
	done
}

# blackhole PORT - a listening socket that never accepts nor answers
blackhole()
{
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
print("listening", flush=True)
time.sleep(600)' "$1" >"$work/blackhole.log" 2>&1 &
	PIDS="$PIDS $!"
	for _ in $(seq 1 50); do
		grep -q listening "$work/blackhole.log" && return 0
		sleep 0.1
	done
	return 1
}

# ---- back ends: setup_B, sql_B p|r SQL, conns_B p|r, stop/start_primary_B --

setup_pgsql()
{
	PD=$work/pgp RD=$work/pgr
	PPORT=$(free_port) RPORT=$(free_port)
	pg_init "$PD" && start_primary_pgsql || return 1
	PGPASSWORD=admin-$$ psql -q -h 127.0.0.1 -p "$PPORT" -U postgres \
	    -d postgres -c "CREATE ROLE dkimd LOGIN PASSWORD 'dk-$$'" \
	    -c "CREATE DATABASE dkim OWNER dkimd" || return 1
	sql_pgsql p "$(cat "$SCHEMA/pgsql.sql")" >/dev/null || return 1
	mkdir -p "$RD" && chown postgres "$RD" || return 1
	runuser -u postgres -- env PGPASSWORD="admin-$$" \
	    "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres \
	    -D "$RD/data" -R -X stream || return 1
	pg_start "$RD" "$RPORT" || return 1
	SRV_PIDS="$SRV_PIDS $PG_PID"
	CRED="postgresql://dkimd:dk-$$@"
}
sql_pgsql()
{
	local port=$PPORT
	[ "$1" = r ] && port=$RPORT
	PGPASSWORD=dk-$$ psql -q -X -A -t -h 127.0.0.1 -p "$port" -U dkimd \
	    -d dkim -c "$2"
}
conns_pgsql()
{
	local port=$PPORT
	[ "$1" = r ] && port=$RPORT
	PGPASSWORD=admin-$$ psql -q -X -A -t -h 127.0.0.1 -p "$port" \
	    -U postgres -d postgres -c "SELECT COUNT(*) FROM pg_stat_activity
	    WHERE usename = 'dkimd' AND datname = 'dkim'" 2>/dev/null
}
stop_primary_pgsql()
{
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PD/data" -m immediate \
	    stop >>"$PD/pg_ctl.log" 2>&1
}
start_primary_pgsql()
{
	pg_start "$PD" "$PPORT" || return 1
	PRIMARY_PID=$PG_PID
	SRV_PIDS="$SRV_PIDS $PG_PID"
}

setup_mysql()
{
	PD=$work/myp RD=$work/myr
	PPORT=$(free_port) RPORT=$(free_port)
	my_init "$PD" && mkdir -p "$RD" && cp -a "$PD/data" "$RD/data" ||
	    return 1
	start_primary_mysql || return 1
	my_start "$RD" "$RPORT" --server-id=2 --read-only=1 --skip-log-bin \
	    --relay-log="$RD/relay" || return 1
	SRV_PIDS="$SRV_PIDS $MY_PID"
	my_root "$PD" -e "CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY
	    'rp-$$'; GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'" ||
	    return 1
	set -- $(my_root "$PD" -N -B -e "SHOW MASTER STATUS")
	my_root "$RD" -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1',
	    MASTER_PORT=$PPORT, MASTER_USER='repl', MASTER_PASSWORD='rp-$$',
	    MASTER_LOG_FILE='$1', MASTER_LOG_POS=$2, MASTER_CONNECT_RETRY=1;
	    START SLAVE" || return 1
	# from here on, everything done on the primary reaches the replica
	my_root "$PD" -e "CREATE DATABASE dkim;
	    CREATE USER 'dkimd'@'127.0.0.1' IDENTIFIED BY 'dk-$$';
	    GRANT SELECT, INSERT, UPDATE, DELETE ON dkim.* TO
	    'dkimd'@'127.0.0.1'" || return 1
	my_root "$PD" dkim <"$SCHEMA/mysql.sql" || return 1
	CRED="mysql://dkimd:dk-$$@"
}
sql_mysql()
{
	local port=$PPORT
	[ "$1" = r ] && port=$RPORT
	mariadb --no-defaults -N -B -h 127.0.0.1 -P "$port" -udkimd \
	    -p"dk-$$" dkim -e "$2"
}
conns_mysql()
{
	local d=$PD
	[ "$1" = r ] && d=$RD
	my_root "$d" -N -B -e "SELECT COUNT(*) FROM
	    information_schema.PROCESSLIST WHERE USER = 'dkimd'" 2>/dev/null
}
stop_primary_mysql()
{
	kill -KILL "$PRIMARY_PID" 2>/dev/null
	wait "$PRIMARY_PID" 2>/dev/null
}
start_primary_mysql()
{
	my_start "$PD" "$PPORT" --server-id=1 --log-bin="$PD/binlog" \
	    --binlog-format=ROW || return 1
	PRIMARY_PID=$MY_PID
	SRV_PIDS="$SRV_PIDS $MY_PID"
}

# pool_B - NLOAD domains dN.example on the primary, with a.example's key
pool_pgsql()
{
	sql_pgsql p "INSERT INTO dkim_keys (name, domain, selector,
	    private_key, state) SELECT 'k' || i, 'd' || i || '.example', 's1',
	    (SELECT private_key FROM dkim_keys WHERE domain = 'a.example'),
	    'active' FROM generate_series(0, $NLOAD - 1) i;
	    INSERT INTO dkim_signing (pattern, key_name) SELECT 'd' || i ||
	    '.example', 'k' || i FROM generate_series(0, $NLOAD - 1) i"
}
pool_mysql()
{
	sql_mysql p "INSERT INTO dkim_keys (name, domain, selector,
	    private_key, state) SELECT CONCAT('k', seq), CONCAT('d', seq,
	    '.example'), 's1', (SELECT private_key FROM dkim_keys WHERE
	    domain = 'a.example'), 'active' FROM seq_0_to_$((NLOAD - 1));
	    INSERT INTO dkim_signing (pattern, key_name) SELECT CONCAT('d',
	    seq, '.example'), CONCAT('k', seq) FROM seq_0_to_$((NLOAD - 1))"
}

# ---- the scenario, the same for every back end -------------------------------

# until_true SECONDS CMD... - run CMD every 0.2 s until it succeeds
until_true()
{
	local end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -le "$end" ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

replicated() { [ "$(sql_$B r "SELECT COUNT(*) FROM dkim_signing")" = "$1" ]; }
signs() { [ "$(sign "$1" "user@$2")" = "$3" ]; }
on_host() { [ "$(conns_$B "$1")" -ge "$2" ] 2>/dev/null; }

# write_side - dkimtool writes to the primary, wherever it is listed
write_side()
{
	is "$(status "$DKIMTOOL" key add --db "$CRED$R,$P/dkim" -d a.example \
	    -s s1 --generate -a ed25519)" 0 \
	    "$B write: key add through \"replica,primary\" writes to the primary"
	is "$(sql_$B p "SELECT state FROM dkim_keys WHERE domain = 'a.example'")" \
	    active "$B write: ... the row is on the primary"
	is "$(status "$DKIMTOOL" key add --db "$CRED$R/dkim" -d x.example \
	    -s s1 --generate -a ed25519)" 1 \
	    "$B write: attack: key add through the replica alone fails"
	grep -q "no host takes writes: only replicas answer" "$work/err"
	ok $? "$B write: ... saying that only replicas answer"
	sed 's/^/#   /' "$work/err"
	is "$(sql_$B p "SELECT COUNT(*) FROM dkim_keys WHERE domain = 'x.example'")" \
	    0 "$B write: ... and nothing was written"
	is "$(status "$DKIMTOOL" key list --db "$CRED$R/dkim")" 0 \
	    "$B: key list reads from the replica alone"
}

# loaded_stop - both dkimd under load; the primary stopped mid-run
loaded_stop()
{
	local d t_stop lines bad first worst n_after loaders base
	rm -f "$work/stop-load"
	load d1 0 "$NLOAD" &
	loaders=$!
	load d2 0 "$NLOAD" &
	loaders="$loaders $!"
	PIDS="$PIDS $loaders"
	sleep 3
	t_stop=$(ms)
	"stop_primary_$B"
	sleep 6
	touch "$work/stop-load"
	wait $loaders 2>/dev/null
	for d in d1 d2; do
		lines=$(wc -l <"$work/load-$d")
		bad=$(awk '{ if ($4 != "d=" $3) n++ } END { print n + 0 }' \
		    "$work/load-$d")
		n_after=$(awk -v t="$t_stop" '$1 >= t' "$work/load-$d" | wc -l)
		is "$bad" 0 "$B $d: $lines messages under load, each from a domain never seen, $n_after after the primary stopped: every one signed"
		[ "$bad" = 0 ] || grep -v ' d=' "$work/load-$d" | head -n 5 |
		    sed 's/^/#   /'
		[ "$n_after" -ge 3 ]
		ok $? "$B $d: ... messages were signed after the stop ($n_after)"
		# the message in flight at the stop and the first after it
		first=$(awk -v t="$t_stop" '$1 + $2 >= t { print $1 + $2 - t;
		    exit }' "$work/load-$d")
		base=$(awk -v t="$t_stop" '$1 + $2 < t { print $2 }' \
		    "$work/load-$d" | sort -n | awk '{ v[NR] = $1 }
		    END { print v[int((NR + 1) / 2)] + 0 }')
		worst=$(awk -v t="$t_stop" '$1 + $2 >= t && $2 > w { w = $2 }
		    END { print w + 0 }' "$work/load-$d")
		FIGURES="$FIGURES
# FIGURES $B $d: primary stopped under load: first message answered ${first:-?} ms after the stop (a message took $base ms before it, median); slowest message after it $worst ms; $n_after messages after the stop, all signed"
	done
	until_true 5 on_host r 2
	ok $? "$B: both dkimd are connected to the replica ($(conns_$B r) connections)"
	# the fail-over that signing survived is in the log, with the host
	for d in d1 d2; do
		grep -q -E "warning: .*: 127\.0\.0\.1:$PPORT: .*; the next host is tried" \
		    "$work/$d.log" &&
		    grep -q -E "warning: .*: now on 127\.0\.0\.1:$RPORT" "$work/$d.log"
		ok $? "$B $d: the log tells the primary's failure and the move to the replica"
		grep -h -E "the next host is tried|now on" "$work/$d.log" |
		    head -n 2 | sed 's/^/#   log: /'
	done
	is "$(status "$DKIMTOOL" key add --db "$CRED$P,$R/dkim" -d y.example \
	    -s s1 --generate -a ed25519)" 1 \
	    "$B write: with the primary stopped, key add fails"
	grep -q "no host takes writes: 1 read-only (replicas), the others failed" \
	    "$work/err"
	ok $? "$B write: ... telling the replica from the host that is down"
	sed 's/^/#   /' "$work/err"
}

# black_hole - a host that never answers, first in the list
black_hole()
{
	local bh t0 t1 t2 got1 got2
	bh=$(free_port)
	blackhole "$bh" || { ok 1 "$B: a black-hole listener"; return; }
	start_dkimd d3 "$CRED""127.0.0.1:$bh,$R/dkim?ttl=$TTL&timeout=$TIMEOUT" ||
	    { ok 1 "$B: dkimd with a black hole first starts"; return; }
	t0=$(ms)
	got1=$(sign d3 "user@d$((NLOAD - 1)).example")
	t1=$(ms)
	got2=$(sign d3 "user@d$((NLOAD - 2)).example")
	t2=$(ms)
	is "$got1" "d=d$((NLOAD - 1)).example s=s1" \
	    "$B black hole: a black-holing host first in the list: the message is signed by the next"
	[ $((t1 - t0)) -le $((TIMEOUT * 1000 + 8000)) ]
	ok $? "$B black hole: ... after the time-out ($TIMEOUT s), not a hang ($((t1 - t0)) ms)"
	is "$got2" "d=d$((NLOAD - 2)).example s=s1" \
	    "$B black hole: the next message too"
	[ $((t2 - t1)) -lt $((t1 - t0)) ] && [ $((t2 - t1)) -lt $((TIMEOUT * 1000)) ]
	ok $? "$B black hole: ... without waiting for the black hole again (backoff: $((t2 - t1)) ms)"
	FIGURES="$FIGURES
# FIGURES $B black hole first (timeout=$TIMEOUT): first message $((t1 - t0)) ms, the next $((t2 - t1)) ms"
}

# frozen - the primary stops answering (SIGSTOP, its children too) while
# dkimd is connected to it: the statement goes to the replica after the
# time-out
frozen()
{
	local pids t0 t1 got
	pids="$PRIMARY_PID $(ps -o pid= --ppid "$PRIMARY_PID" 2>/dev/null)"
	kill -STOP $pids
	t0=$(ms)
	got=$(sign d1 "frozen@d$((NLOAD - 3)).example")
	t1=$(ms)
	kill -CONT $pids
	is "$got" "d=d$((NLOAD - 3)).example s=s1" \
	    "$B frozen: the primary stops answering mid-connection: a domain never seen is signed from the replica"
	[ $((t1 - t0)) -le $((TIMEOUT * 1000 + 8000)) ]
	ok $? "$B frozen: ... after the statement time-out ($TIMEOUT s), not a hang ($((t1 - t0)) ms)"
	FIGURES="$FIGURES
# FIGURES $B frozen primary (SIGSTOP, timeout=$TIMEOUT): a message for a new domain answered from the replica in $((t1 - t0)) ms"
}

# fail_back - the primary back: both dkimd return to it
fail_back()
{
	local t0 i=0 secs
	"start_primary_$B" || { ok 1 "$B: the primary starts again"; return; }
	t0=$(date +%s)
	# fresh domains, so that each message asks a server
	while [ $(($(date +%s) - t0)) -lt $((FAILBACK + 20)) ]; do
		sign d1 "back$i@d$i.example" >/dev/null
		sign d2 "back$i@d$i.example" >/dev/null
		on_host p 2 && break
		i=$((i + 1))
		sleep 0.5
	done
	secs=$(($(date +%s) - t0))
	on_host p 2
	ok $? "$B failback: both dkimd return to the primary ($secs s after it started; failback=$FAILBACK)"
	grep -q -E ": back on 127\.0\.0\.1:$PPORT" "$work/d1.log" &&
	    grep -q -E ": back on 127\.0\.0\.1:$PPORT" "$work/d2.log"
	ok $? "$B failback: ... and both logs say so"
	FIGURES="$FIGURES
# FIGURES $B failback: both dkimd on the primary again $secs s after it started (failback=$FAILBACK s)"
}

scenario()
{
	local t0 secs uri rc
	P=127.0.0.1:$PPORT R=127.0.0.1:$RPORT
	write_side
	"pool_$B" >/dev/null
	ok $? "$B: $NLOAD domains added on the primary"
	until_true 30 replicated $((NLOAD + 1))
	ok $? "$B: ... and replicated"
	uri="$CRED$P,$R/dkim?ttl=$TTL&timeout=$TIMEOUT&failback=$FAILBACK"
	start_dkimd d1 "$uri" && start_dkimd d2 "$uri"
	ok $? "$B: two dkimd read through \"primary,replica\""
	is "$(sign d1 user@a.example) / $(sign d2 user@a.example)" \
	    "d=a.example s=s1 / d=a.example s=s1" "$B: both sign"
	is "$(sign d1 user@b.example) / $(sign d2 user@b.example)" \
	    "NOSIG / NOSIG" "$B: b.example has no key yet (cached as such)"
	"$DKIMTOOL" key add --db "$CRED$P,$R/dkim" -d b.example -s s2 \
	    --generate -a ed25519 >/dev/null
	t0=$(ms)
	until_true $((TTL + 10)) signs d1 b.example "d=b.example s=s2" &&
	    until_true $((TTL + 10)) signs d2 b.example "d=b.example s=s2"
	rc=$?
	secs=$(($(ms) - t0))
	[ "$rc" = 0 ] && [ "$secs" -le $((TTL * 1000 + 2500)) ]
	ok $? "$B: a domain added on the primary is signed by both within the TTL ($secs ms, TTL $TTL s)"
	loaded_stop
	black_hole
	fail_back
	frozen
	if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" \
	    "$work"/d*.log; then
		ok 1 "$B: no sanitizer report"
		grep -h -E -A12 "Sanitizer|runtime error:" "$work"/d*.log |
		    sed 's/^/#   /'
	fi
	grep -h "unavailable" "$work"/d*.log | head -n 3 | sed 's/^/#   log: /'
}

# backend B - everything for back end B, in a subshell with a work folder
# of its own; TAP lines numbered from 1 there, renumbered by the caller
backend()
{
	B=$1
	work=$work/$B
	mkdir -p "$work" && chmod 755 "$work"
	n=0 nfail=0 FIGURES= PIDS= SRV_PIDS=
	trap 'stop_all' EXIT
	trap 'exit 1' TERM INT
	if ! "setup_$B" >"$work/setup.log" 2>&1; then
		echo "# $B: setup failed:"
		sed 's/^/#   /' "$work/setup.log" | tail -n 15
		ok 1 "$B: a primary and a replica of our own on 127.0.0.1"
		return
	fi
	ok 0 "$B: a primary and a replica of our own on 127.0.0.1"
	scenario
	printf '%s\n' "$FIGURES" | sed '/^$/d'
}

# retap FILE - the TAP points of FILE under this script's numbering
retap()
{
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "[0-9]*) ok 0 "${line#ok * - }" ;;
		"not ok "[0-9]*) ok 1 "${line#not ok * - }" ;;
		"# FIGURES"*) FIGURES="$FIGURES
$line" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done <"$1"
}

for b in $BACKENDS; do
	(backend "$b") >"$work/tap-$b" 2>&1 &
	KIDS="$KIDS $!"
done
wait $KIDS
KIDS=
for b in $BACKENDS; do
	retap "$work/tap-$b"
done
printf '%s\n' "$FIGURES" | sed '/^$/d'
tap_end
