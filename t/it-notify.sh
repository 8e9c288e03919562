#!/usr/bin/env bash
# it-notify.sh - dkimd speaks sd_notify: READY, RELOADING, STOPPING, and
# watchdog pings that stop when dkimd is frozen (TAP)
#
# A small listener on a unix datagram socket plays systemd: dkimd gets
# NOTIFY_SOCKET and WATCHDOG_USEC=400000 (a ping every 200 ms). The test
# counts the pings over 1.5 s running, over 1.5 s under SIGSTOP (a hung
# dkimd: none may come, so systemd would restart it), and again after
# SIGCONT; SIGHUP must give RELOADING=1 then READY=1, SIGTERM STOPPING=1.
#
# Environment: DKIMD.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
. "$top_srcdir/t/milter/lib.sh"
[ -x "$DKIMD" ] || skip_all "no $DKIMD"

T=$(mktemp -d /tmp/it-notify.XXXXXX) || exit 1
DKIMD_PID=
LIS_PID=
cleanup() {
	[ -n "$DKIMD_PID" ] && kill -CONT "$DKIMD_PID" 2>/dev/null
	dkimd_halt
	[ -n "$LIS_PID" ] && kill "$LIS_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the listener: one line per datagram, "MONOTONIC_SECONDS MESSAGE"
timeout 120 /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a")
while True:
    m = s.recv(4096).decode(errors="replace").replace("\n", " ")
    out.write("%.3f %s\n" % (time.monotonic(), m))
    out.flush()' "$T/notify" "$T/got" &
LIS_PID=$!
for _ in $(seq 1 50); do [ -S "$T/notify" ] && break; sleep 0.1; done

DK=$(free_port)
printf '%s\n' "Socket inet:$DK@127.0.0.1" "Syslog no" >"$T/dkimd.conf"
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 dkimd_launch "$T/dkimd.conf" "$T/dkimd.log"
ok $? "dkimd starts with NOTIFY_SOCKET and WATCHDOG_USEC=400000"
for _ in $(seq 1 50); do grep -q 'READY=1' "$T/got" 2>/dev/null && break; sleep 0.1; done
grep -q 'READY=1' "$T/got"
ok $? "READY=1 is sent once the milter socket is open"

now() { /usr/bin/python3 -c 'import time; print("%.3f" % time.monotonic())'; }
# pings A B - WATCHDOG=1 lines received between monotonic times A and B
pings() {
	awk -v a="$1" -v b="$2" '$2 == "WATCHDOG=1" && $1 >= a && $1 < b' "$T/got" | wc -l
}
a=$(now); sleep 1.5; b=$(now)
run=$(pings "$a" "$b")
[ "$run" -ge 3 ]
ok $? "running: $run pings in 1.5 s (one per 200 ms asked)"
kill -STOP "$DKIMD_PID"
sleep 0.3
a=$(now); sleep 1.5; b=$(now)
stopped=$(pings "$a" "$b")
[ "$stopped" = 0 ]
ok $? "SIGSTOP: the pings stop ($stopped in 1.5 s), so systemd would restart it"
kill -CONT "$DKIMD_PID"
sleep 0.3
a=$(now); sleep 1.5; b=$(now)
again=$(pings "$a" "$b")
[ "$again" -ge 3 ]
ok $? "SIGCONT: the pings resume ($again in 1.5 s)"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do [ "$(grep -c 'READY=1' "$T/got")" -ge 2 ] && break; sleep 0.1; done
grep -v WATCHDOG "$T/got" | awk '{ $1 = ""; print }' | tr -d '\n' >"$T/states"
grep -q 'READY=1 *RELOADING=1 *READY=1 STATUS=reloaded' "$T/states"
ok $? "SIGHUP: RELOADING=1, then READY=1 ($(cat "$T/states"))"
kill -TERM "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q 'STOPPING=1' "$T/got" && break; sleep 0.1; done
grep -q 'STOPPING=1' "$T/got"
ok $? "SIGTERM: STOPPING=1"
dkimd_halt
dkimd_sanitizer "$T/dkimd.log"
[ $fail -ne 0 ] && sed 's/^/# /' "$T/got" "$T/dkimd.log" | tail -30
echo "1..$n"
exit $fail
