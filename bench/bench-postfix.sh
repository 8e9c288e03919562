#!/usr/bin/env bash
# bench-postfix.sh - what dkimd costs a real Postfix: unix, inet, no milter
#
# Usage: bash bench/bench-postfix.sh [ROUNDS]   (as root; default 5 rounds)
# Environment: DKIMD, DKIMTOOL (default: the build in top_builddir, or .),
# top_srcdir; MSGS (500), SESSIONS (4), SIZE (2048): smtp-source's -m, -s
# and -l; ROUNDS may also come from the environment; ORDER (the services
# of the first round, default "unix inet none", rotated each round).
#
# One private Postfix (t/milter/lib.sh postfix_conf: its own directories,
# loopback ports only) with three submission smtpd services, all with
# milter_macro_daemon_name=ORIGINATING, so that every message is signed:
#	unix	smtpd_milters = unix:$T/dkimd.sock	(a dkimd on that socket)
#	inet	smtpd_milters = inet:127.0.0.1:PORT	(a second dkimd)
#	none	smtpd_milters empty: the same Postfix with no milter
#	null	bench/nullmilter on a unix socket: dkimd's milter conversation
#		(the same steps, macros and inserted field) and no DKIM work,
#		the floor under any milter built on libmilter
#	nullsio	bench/nullmilter-sio: the same on dkimd's socket layer
#		(milter/sockio.c under its confined libmilter)
#	ed25519	a third dkimd on a unix socket signing with an Ed25519 key:
#		dkimd with a signature ~10x cheaper than RSA-2048
# Postfix hands what it accepts to the discard transport, so that delivery
# costs next to nothing and takes no CPU from the next round. Each round
# runs `smtp-source -s 4 -m 500 -l 2048` once against each service, in an
# order that rotates from round to round, and times it from outside
# (wall clock, msg/s). The table gives per service the median, min and
# max msg/s over the rounds, and the ratios of the medians (inet/unix,
# unix/none, inet/none, null/none, nullsio/none, ed25519/none,
# unix/nullsio) with the spread of the per-round ratios. Every dkimd logs each message (Syslog
# no, stderr in the foreground, as the tests run it). Each run also counts
# the CPU time of the whole machine (/proc/stat: every process and the
# kernel) per message and the idle share, to tell a slower Postfix from a
# busier one, and the CPU time of the milter serving it. Exit 0 when every
# round delivered and each milter saw exactly the messages sent through
# it; the targets (inet >= 0.90 unix, milter >= 0.85 none) are reported,
# not enforced.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
NULLMILTER=${NULLMILTER:-$top_builddir/bench/nullmilter}
ROUNDS=${1:-${ROUNDS:-5}}
MSGS=${MSGS:-500}
SESSIONS=${SESSIONS:-4}
SIZE=${SIZE:-2048}
PATH=$PATH:/usr/sbin
DKIMD_PID=
INET_PID=
ED_PID=
NULL_PID=
NSIO_PID=
SINK_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || { echo "bench-postfix: needs root (Postfix)" >&2; exit 2; }
for p in postfix smtp-source; do
	command -v "$p" >/dev/null ||
	    { echo "bench-postfix: $p not installed" >&2; exit 2; }
done
[ -x "$DKIMD" ] || { echo "bench-postfix: no dkimd at $DKIMD" >&2; exit 2; }

T=$(mktemp -d /tmp/bench-postfix.XXXXXX)
chmod 755 "$T"
cleanup() {
	postfix_stop
	for p in $DKIMD_PID $INET_PID $ED_PID $NULL_PID $NSIO_PID; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

DK=$(free_port)
P_UNIX=$(free_port)
P_INET=$(free_port)
P_NONE=$(free_port)
P_NULL=$(free_port)
P_NSIO=$(free_port)
P_ED=$(free_port)
SINK=$(free_port)	# relayhost of postfix_conf; never used (discard)

# ---- keys, the three dkimd and the null milters -----------------------------
mkdir -p "$T/keys"
"$DKIMTOOL" genkey -d example.com -s bench -D "$T/keys" >/dev/null || exit 1
chmod 600 "$T/keys/bench.private"
echo "bench example.com:bench:$T/keys/bench.private" >"$T/key.table"
echo "*@example.com bench" >"$T/signing.table"
"$DKIMTOOL" genkey -a ed25519 -d example.com -s ed -D "$T/keys" >/dev/null ||
    exit 1
chmod 600 "$T/keys/ed.private"
echo "ed example.com:ed:$T/keys/ed.private" >"$T/key-ed25519.table"
echo "*@example.com ed" >"$T/signing-ed25519.table"
for s in "unix:$T/dkimd.sock" "inet:$DK@127.0.0.1" \
    "ed25519:$T/dkimd-ed25519.sock"; do
	name=${s%%:*}
	kt=$T/key.table st=$T/signing.table
	[ "$name" = ed25519 ] && { s=unix:${s#*:}; kt=$T/key-ed25519.table
	    st=$T/signing-ed25519.table; }
	cat >"$T/dkimd-$name.conf" <<EOT
Socket		$s
UMask		000
KeyTable	$kt
SigningTable	refile:$st
AuthservID	mx.test
Nameservers	127.0.0.1:9
Syslog		no
EOT
done
dkimd_launch "$T/dkimd-unix.conf" "$T/dkimd-unix.log" || exit 1
UNIX_PID=$DKIMD_PID
dkimd_launch "$T/dkimd-inet.conf" "$T/dkimd-inet.log" || exit 1
INET_PID=$DKIMD_PID
dkimd_launch "$T/dkimd-ed25519.conf" "$T/dkimd-ed25519.log" || exit 1
ED_PID=$DKIMD_PID
DKIMD_PID=$UNIX_PID
order=${ORDER:-unix inet none null nullsio ed25519}
# null_start NAME BINARY VAR - a nullmilter on $T/NAME.sock, its PID in VAR
# at once (so that cleanup stops it even when it never listens)
null_start() {
	"$2" -p "unix:$T/$1.sock" 2>"$T/$1.log" &
	printf -v "$3" '%s' "$!"
	for _ in $(seq 1 50); do
		[ -S "$T/$1.sock" ] && break
		sleep 0.1
	done
	[ -S "$T/$1.sock" ] ||
	    { echo "bench-postfix: $2 did not start" >&2; exit 1; }
	chmod 666 "$T/$1.sock"
}
if [ -x "$NULLMILTER" ] && [ -x "$NULLMILTER-sio" ]; then
	null_start null "$NULLMILTER" NULL_PID
	null_start nullsio "$NULLMILTER-sio" NSIO_PID
else
	echo "# no $NULLMILTER (make check builds it): no null services"
	order=$(echo " $order " | sed 's/ null / /; s/ nullsio / /; s/^ //; s/ $//')
fi

# ---- Postfix ------------------------------------------------------------------
orig="-o milter_macro_daemon_name=ORIGINATING"
postfix_conf "default_transport = discard
relay_transport = discard
maillog_file_prefixes = $T
maillog_file = $T/maillog
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 200
master_service_disable =" \
    "127.0.0.1:$P_UNIX inet n - n - - smtpd $orig -o smtpd_milters=unix:$T/dkimd.sock
127.0.0.1:$P_INET inet n - n - - smtpd $orig -o smtpd_milters=inet:127.0.0.1:$DK
127.0.0.1:$P_NONE inet n - n - - smtpd $orig -o smtpd_milters=
127.0.0.1:$P_NULL inet n - n - - smtpd $orig -o smtpd_milters=unix:$T/null.sock
127.0.0.1:$P_NSIO inet n - n - - smtpd $orig -o smtpd_milters=unix:$T/nullsio.sock
127.0.0.1:$P_ED inet n - n - - smtpd $orig -o smtpd_milters=unix:$T/dkimd-ed25519.sock"
if ! postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
	echo "bench-postfix: postfix did not start:" >&2
	cat "$T/postfix.start" "$T/maillog" 2>/dev/null | tail -n 20 >&2
	exit 1
fi
sleep 1

# cpu_ticks - busy and idle clock ticks of the whole machine, from /proc/stat
cpu_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' \
	    /proc/stat
}

# pid_ticks PID - the clock ticks a process (all its threads) has used
pid_ticks() {
	if [ -r "/proc/$1/stat" ]; then
		sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
	else
		echo 0
	fi
}

# run PORT [PID] - one smtp-source run; prints msg/s, the machine's CPU
# milliseconds per message (every process: Postfix, dkimd, smtp-source,
# the kernel), its idle share and the CPU milliseconds per message of
# process PID (the dkimd serving PORT; 0 without one), or "fail"
run() {
	local t0 t1 c0 c1 p0 p1
	p0=$(pid_ticks "${2:-0}")
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	if ! smtp-source -s "$SESSIONS" -m "$MSGS" -l "$SIZE" \
	    -f alice@example.com -t bob@example.net -S "bench" \
	    "127.0.0.1:$1" >"$T/source.out" 2>&1; then
		echo fail
		return
	fi
	t1=$(date +%s.%N)
	c1=$(cpu_ticks)
	p1=$(pid_ticks "${2:-0}")
	echo "$t0 $t1 $MSGS $c0 $c1 $(getconf CLK_TCK) $p0 $p1" | awk '{
		busy = ($6 - $4) * 1000 / $8; idle = ($7 - $5) * 1000 / $8
		printf "%.1f %.3f %.2f %.3f\n", $3 / ($2 - $1), busy / $3,
		    idle / (busy + idle), ($10 - $9) * 1000 / $8 / $3 }'
}

# warm-up: every service once (processes forked, keys and caches warm), and
# the proof that the milter paths sign
for p in $P_UNIX $P_INET $P_NONE $P_ED ${NULL_PID:+$P_NULL $P_NSIO}; do
	MSGS=20 run "$p" >/dev/null
done
signed_unix=$(grep -c ": sign (" "$T/dkimd-unix.log")
signed_inet=$(grep -c ": sign (" "$T/dkimd-inet.log")
signed_ed=$(grep -c ": sign (" "$T/dkimd-ed25519.log")

: >"$T/results"
for r in $(seq 1 "$ROUNDS"); do
	for mode in $order; do
		case $mode in
		unix) port=$P_UNIX pid=$UNIX_PID ;;
		inet) port=$P_INET pid=$INET_PID ;;
		none) port=$P_NONE pid=0 ;;
		null) port=$P_NULL pid=$NULL_PID ;;
		nullsio) port=$P_NSIO pid=$NSIO_PID ;;
		ed25519) port=$P_ED pid=$ED_PID ;;
		*) echo "bench-postfix: no service $mode" >&2; exit 2 ;;
		esac
		v=$(run "$port" "$pid")
		echo "$r $mode $v" >>"$T/results"
		set -- $v
		echo "# round $r $mode: $1 msg/s, ${2:-?} ms CPU/msg," \
		    "idle ${3:-?}, dkimd ${4:-?} ms/msg"
	done
	# rotate the order: each service runs first, second, ... in turn
	order="${order#* } ${order%% *}"
done

n_unix=$(grep -c ": sign (" "$T/dkimd-unix.log")
n_inet=$(grep -c ": sign (" "$T/dkimd-inet.log")
n_ed=$(grep -c ": sign (" "$T/dkimd-ed25519.log")
n_null=- n_nsio=-
if [ -n "$NULL_PID" ]; then
	# their counts come at exit
	kill "$NULL_PID" "$NSIO_PID" 2>/dev/null
	wait "$NULL_PID" "$NSIO_PID" 2>/dev/null
	NULL_PID= NSIO_PID=
	n_null=$(sed -n 's/^nullmilter: \([0-9]*\) messages$/\1/p' \
	    "$T/null.log")
	n_nsio=$(sed -n 's/^nullmilter: \([0-9]*\) messages$/\1/p' \
	    "$T/nullsio.log")
fi
echo "# smtp-source -s $SESSIONS -m $MSGS -l $SIZE, $ROUNDS rounds;" \
    "messages each milter saw: unix $n_unix, inet $n_inet," \
    "ed25519 $n_ed, null $n_null, nullsio $n_nsio (each 20 of them the" \
    "warm-up)"
# every message through a milter service was handled there, and only those
bad=
for m in unix inet ed25519 null nullsio; do
	case $m in
	unix) got=$n_unix warm=$signed_unix ;;
	inet) got=$n_inet warm=$signed_inet ;;
	ed25519) got=$n_ed warm=$signed_ed ;;
	null) [ "$n_null" = - ] && continue; got=$n_null warm=20 ;;
	nullsio) [ "$n_nsio" = - ] && continue; got=$n_nsio warm=20 ;;
	esac
	want=20
	case " $order " in *" $m "*) want=$((20 + ROUNDS * MSGS)) ;; esac
	[ "$warm" = 20 ] && [ "$got" = "$want" ] ||
	    bad="$bad $m: $got of $want (warm-up $warm)"
done
if [ -n "$bad" ]; then
	echo "bench-postfix: messages a milter missed:$bad" >&2
	exit 1
fi
python3 - "$T/results" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
if any(r[2] == "fail" or len(r) < 6 for r in rows):
    print("a run failed:", [r for r in rows if r[2] == "fail"])
    sys.exit(1)
by = {}
cpu = {}
idle = {}
mine = {}
rounds = {}
for r, mode, v, c, i, d in rows:
    mine.setdefault(mode, []).append(float(d))
    by.setdefault(mode, []).append(float(v))
    cpu.setdefault(mode, []).append(float(c))
    idle.setdefault(mode, []).append(float(i))
    rounds.setdefault(r, {})[mode] = float(v)
print("| service | median msg/s | min | max | CPU ms/msg, all processes | idle | milter ms/msg |")
print("|---|---:|---:|---:|---:|---:|---:|")
for m in ("unix", "inet", "none", "null", "nullsio", "ed25519"):
    if m not in by:
        continue
    v = by[m]
    print(f"| {m} | {statistics.median(v):.0f} | {min(v):.0f} | {max(v):.0f} "
          f"| {statistics.median(cpu[m]):.2f} | {statistics.median(idle[m]):.0%} "
          f"| {statistics.median(mine[m]):.2f} |")
print()
print("| ratio | of the medians | per round: median | min | max |")
print("|---|---:|---:|---:|---:|")
for a, b, target in (("inet", "unix", 0.90), ("unix", "none", 0.85),
                     ("inet", "none", 0.85), ("null", "none", 0.85),
                     ("nullsio", "none", 0.85), ("ed25519", "none", 0.85),
                     ("unix", "nullsio", None)):
    if a not in by or b not in by:
        continue
    per = [x[a] / x[b] for x in rounds.values()]
    med = statistics.median(by[a]) / statistics.median(by[b])
    if target is None:
        what = "dkimd over the null milter on its socket layer"
    else:
        what = "target >= %.2f: %s" % (target,
                                       "meets" if med >= target else "misses")
    print(f"| {a}/{b} ({what}) | {med:.2f} | "
          f"{statistics.median(per):.2f} | {min(per):.2f} | {max(per):.2f} |")
EOF
