#!/usr/bin/env bash
# it-notify.sh - dkimd speaks sd_notify: READY, RELOADING, STOPPING, and
# watchdog pings that stop when dkimd is frozen (TAP)
#
# A small listener on a unix datagram socket plays systemd: dkimd gets
# NOTIFY_SOCKET and WATCHDOG_USEC=400000 (a ping every 200 ms). The test
# counts the pings over 1.5 s running, over 1.5 s under SIGSTOP (a hung
# dkimd: none may come, so systemd would restart it), and again after
# SIGCONT; SIGHUP must give RELOADING=1 then READY=1, SIGTERM STOPPING=1.
# The pings come from the thread that accepts the MTA's connections: with
# that thread alone held (ptrace: PTRACE_SEIZE and PTRACE_INTERRUPT on the
# main thread, where libmilter's listener runs) the pings stop, while
# the MetricsSocket thread still answers /healthz (a pinger of its own
# would have gone on pinging for a dkimd that takes no connection).
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
MP=$(free_port)
printf '%s\n' "Socket inet:$DK@127.0.0.1" "Syslog no" "MetricsSocket inet:$MP" \
    >"$T/dkimd.conf"
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

# hold the listener thread alone for 1.5 s; print the pings meanwhile
# and the /healthz code answered meanwhile (another thread)
/usr/bin/python3 - "$DKIMD_PID" "$MP" "$T/got" >"$T/held" 2>&1 <<'EOT'
import ctypes, sys, time, urllib.request
pid, port, got = int(sys.argv[1]), sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
if libc.ptrace(PTRACE_SEIZE, pid, 0, 0) != 0:
    print("skip ptrace: errno %d" % ctypes.get_errno())
    sys.exit(0)
libc.ptrace(PTRACE_INTERRUPT, pid, 0, 0)
for _ in range(50):
    if open("/proc/%d/task/%d/stat" % (pid, pid)).read().split(")")[1].split()[0] in "tT":
        break
    time.sleep(0.01)
time.sleep(0.3)
a = time.monotonic()
time.sleep(1.5)
b = time.monotonic()
try:
    code = urllib.request.urlopen("http://127.0.0.1:%s/healthz" % port, timeout=5).status
except Exception as e:
    code = str(e)
libc.ptrace(PTRACE_DETACH, pid, 0, 0)
n = 0
for line in open(got):
    t, m = line.split(" ", 1)
    if m.strip() == "WATCHDOG=1" and a <= float(t) < b:
        n += 1
print("%d %s" % (n, code))
EOT
case "$(cat "$T/held")" in
"skip ptrace"*)
	ok 0 "listener held: # SKIP $(cat "$T/held")" ;;
*)
	[ "$(cat "$T/held")" = "0 200" ]
	ok $? "listener thread alone held: no ping in 1.5 s while /healthz still answers (pings, code: $(cat "$T/held"))" ;;
esac
a=$(now); sleep 1.5; b=$(now)
again=$(pings "$a" "$b")
[ "$again" -ge 3 ]
ok $? "listener released: the pings resume ($again in 1.5 s)"

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
