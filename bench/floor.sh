#!/usr/bin/env bash
# floor.sh - dkimd's CPU per message against a milter that does nothing
#
# Usage: bash bench/floor.sh [MESSAGES]   (default 4000 a row)
# Environment: DKIMD, DKIMTOOL, LOADGEN, NULLMILTER (default: the build in
# top_builddir, or .), top_builddir.
#
# Four milters on a unix socket, one after the other, each driven by
# bench/loadgen with one connection at a time, MESSAGES signed 2 KB
# messages a row, first one message a connection (as Postfix opens one
# per SMTP session), then 100:
#	rsa		dkimd signing with RSA-2048 (its log line on stderr)
#	ed25519		dkimd signing with Ed25519 (a signature ~10x cheaper)
#	nullsio		bench/nullmilter-sio: dkimd's milter conversation and
#			no DKIM work, on dkimd's confined libmilter and socket
#			layer (milter/sockio.c)
#	null		bench/nullmilter: the same on the system's libmilter
# For each row: msg/s, and the milter's CPU ms per message (utime+stime of
# /proc/PID/stat, all threads; loadgen --pid), with the kernel's share.
# The difference between rsa and nullsio is what dkimd's own work costs
# (parsing, hashing, the signature, the log line); nullsio against null is
# what dkimd's socket layer saves on libmilter's; the m=1 rows less the
# m=100 rows are the cost of a connection. Exit 1 when a row failed (every
# message must get exactly one DKIM-Signature field).
set -u
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
NULLMILTER=${NULLMILTER:-$top_builddir/bench/nullmilter}
N=${1:-4000}
PID=
fail=0

for x in "$DKIMD" "$DKIMTOOL" "$LOADGEN" "$NULLMILTER" "$NULLMILTER-sio"; do
	[ -x "$x" ] || { echo "floor: $x not built (make check)" >&2; exit 2; }
done
W=$(mktemp -d /tmp/floor.XXXXXX)
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

"$DKIMTOOL" genkey -d example.com -s rsa -D "$W" >/dev/null || exit 1
"$DKIMTOOL" genkey -a ed25519 -d example.com -s ed25519 -D "$W" \
    >/dev/null || exit 1
chmod 600 "$W"/*.private
bench_msg "$W/msg.eml" floor

raw=$(bench_raw_rsa)
echo "# raw RSA-2048 sign: $raw ms (openssl speed, same run)"
echo "# $(wc -c <"$W/msg.eml") byte messages, $N a row, one connection at a time, unix socket"
printf '%-8s %5s %8s %10s %10s\n' milter per_conn msg/s cpu_ms kernel_ms

for what in rsa ed25519 nullsio null; do
	rm -f "$W/m.sock"
	case $what in
	rsa|ed25519)
		printf 'Socket unix:%s/m.sock\nKeyFile %s/%s.private\nDomain example.com\nSelector %s\nSyslog no\n' \
		    "$W" "$W" "$what" "$what" >"$W/dkimd.conf"
		"$DKIMD" -f -c "$W/dkimd.conf" >"$W/$what.log" 2>&1 &
		;;
	nullsio) "$NULLMILTER-sio" -p "unix:$W/m.sock" 2>"$W/$what.log" & ;;
	null)	"$NULLMILTER" -p "unix:$W/m.sock" 2>"$W/$what.log" & ;;
	esac
	PID=$!
	for _ in $(seq 1 50); do
		[ -S "$W/m.sock" ] && break
		sleep 0.1
	done
	for m in 1 100; do
		if ! "$LOADGEN" -s "unix:$W/m.sock" -c 1 -n "$N" -m "$m" \
		    -f "$W/msg.eml" --mode sign --pid "$PID" >"$W/lg" 2>&1; then
			echo "# $what m=$m: loadgen failed"
			sed 's/^/#   /' "$W/lg" | tail -n 5
			fail=1
			continue
		fi
		sed -n 's/.*: \([0-9]*\) msg\/s.*filter CPU \([0-9.]*\) ms\/msg (\([0-9.]*\) in the kernel).*/\1 \2 \3/p' \
		    "$W/lg" | {
			read -r rate cpu kern
			printf '%-8s %5s %8s %10s %10s\n' "$what" "$m" \
			    "${rate:-?}" "${cpu:-?}" "${kern:-?}"
		}
	done
	kill "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
done
exit $fail
