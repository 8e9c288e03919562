#!/usr/bin/env bash
# cpu-log.sh - dkimd's CPU per signed 2 KB message with its log line on,
# against one raw RSA-2048 sign of the same run
#
# Usage: bash bench/cpu-log.sh [MESSAGES]   (default 3000 a row)
# Environment: DKIMD, DKIMTOOL, LOADGEN (default: the build in
# top_builddir, or .), top_srcdir.
#
# One RSA-2048 key; dkimd on a unix socket, in the foreground, once per
# way of logging:
#	none	Syslog no, stderr to /dev/null (the line formatted, written
#		nowhere costly)
#	stderr	Syslog no, stderr to a file (the foreground as run by hand)
#	syslog	Syslog yes, stderr to a file (syslog(3) as well; with no
#		syslog daemon listening it costs a failed connect a line)
# and bench/loadgen at 1 and 4 connections, MESSAGES signed messages a
# row, each reply checked. Two ways of counting a message's CPU:
#	milter	utime+stime of dkimd (/proc, loadgen --pid) / messages
#	all	the same plus loadgen's own user+sys (the measuring client,
#		from getrusage of its process via /usr/bin/time)
# Each divided by one RSA-2048 sign from `openssl speed -seconds 3
# rsa2048` run just before (the "raw" of bench/README.md).
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
N=${1:-3000}
PID=

for x in "$DKIMD" "$DKIMTOOL" "$LOADGEN"; do
	[ -x "$x" ] || { echo "cpu-log: $x not built" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "cpu-log: /usr/bin/time not installed" >&2; exit 2; }
W=$(mktemp -d /tmp/cpu-log.XXXXXX)
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

"$DKIMTOOL" genkey -d example.com -s cpu -D "$W" >/dev/null || exit 1
chmod 600 "$W/cpu.private"
bench_msg "$W/msg.eml" cpu

raw=$(bench_raw_rsa)
echo "# raw RSA-2048 sign: $raw ms (openssl speed, same run)"
echo "# $(wc -c <"$W/msg.eml") byte message, $N messages a row, unix socket"
printf '%-7s %2s %9s %9s %9s %9s %9s\n' log C msg/s milter_ms all_ms \
    milter/raw all/raw

for log in none stderr syslog; do
	case $log in
	none)	sys=no; out=/dev/null ;;
	stderr)	sys=no; out=$W/dkimd-$log.log ;;
	syslog)	sys=yes; out=$W/dkimd-$log.log ;;
	esac
	cat >"$W/dkimd.conf" <<EOT
Socket		unix:$W/dkimd.sock
KeyFile		$W/cpu.private
Domain		example.com
Selector	cpu
Syslog		$sys
EOT
	rm -f "$W/dkimd.sock"
	"$DKIMD" -f -c "$W/dkimd.conf" >"$out" 2>&1 &
	PID=$!
	for _ in $(seq 1 50); do
		[ -S "$W/dkimd.sock" ] && break
		sleep 0.1
	done
	for c in 1 4; do
		/usr/bin/time -f "%U %S" -o "$W/time" "$LOADGEN" \
		    -s "unix:$W/dkimd.sock" -c "$c" -n "$N" -f "$W/msg.eml" \
		    --mode sign --pid "$PID" >"$W/lg" 2>&1 ||
		    { echo "# $log C=$c: loadgen failed"; sed 's/^/#   /' "$W/lg"; continue; }
		awk -v raw="$raw" -v n="$N" -v lg="$log" -v c="$c" '
		    FILENAME ~ /time$/ { client = ($1 + $2) * 1000 / n; next }
		    /^loadgen / {
			for (i = 2; i <= NF; i++) {
				split($i, kv, "=")
				v[kv[1]] = kv[2]
			}
		    }
		    END {
			m = v["cpu_ms_per_msg"]
			printf "%-7s %2d %9.0f %9.3f %9.3f %9.2f %9.2f\n", lg, c,
			    v["msgs_per_s"], m, m + client, m / raw,
			    (m + client) / raw
		    }' "$W/time" "$W/lg"
	done
	kill "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
done
