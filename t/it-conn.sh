#!/usr/bin/env bash
# it-conn.sh - only the MTA may talk to dkimd, and stalled connections
# cost it neither its descriptors nor its CPU (TAP)
#
# dkimd runs as root on a free port of 127.0.0.1 (and ::1, and a unix
# socket). A local user (nobody, through setpriv) who connects and says
# {daemon_name} ORIGINATING gets no signature, and the refusal is logged
# once; root and postfix get their message signed. nobody then holds
# 2,000 silent connections: they are closed at once, dkimd's CPU time
# over the stall stays low, and a normal message from root is signed
# within 100 ms from connect to reply (or within 100 ms of the same
# run's baseline, for a slow build). With nobody
# allowed, the per-user cap keeps nobody to MaxConnectionsPerPeer and
# root is still served. Out of descriptors (prlimit), dkimd does not spin
# and serves again once the holder goes. A silent allowed connection is
# closed after MilterTimeout. A peer in a network namespace behind a veth
# pair (another host, as far as this kernel's sockets go) is served only
# when SocketPeers lists its address, while a local user connecting from
# a listed address is still judged by its user. Every process is stopped
# by its PID, the namespace and the veth pair removed.
#
# Needs: root, setpriv, python3, bench/loadgen (make check builds it);
# ip netns for the SocketPeers part (skipped without).
# Environment: DKIMD, DKIMTOOL, top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
tdir=$top_srcdir/t/milter
MSG=$top_srcdir/etc/sample.eml
DKIMD_PID=
HOLD_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (setpriv to nobody and postfix)"
command -v setpriv >/dev/null || skip_all "setpriv not installed"
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$LOADGEN" ] || skip_all "no loadgen at $LOADGEN (make check builds it)"
work=$(mktemp -d /tmp/it-conn.XXXXXX)
chmod 755 "$work"

NS=
cleanup() {
	stop_hold
	stop_dkimd
	if [ -n "$NS" ]; then
		ip link del "dkv$$" 2>/dev/null
		ip netns del "$NS" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# as USER CMD... - CMD as USER, with no group of root's
as() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups "$@"
}

# start_dkimd EXTRA-CONF-LINES - dkimd on $PORT (127.0.0.1) with them;
# $DKIMD_WRAPPER (prlimit ...) before dkimd
start_dkimd() {
	PORT=$(free_port)
	{
		echo "Socket inet:$PORT@127.0.0.1"
		echo "KeyFile $work/s1.private"
		echo "Domain example.com"
		echo "Selector s1"
		echo "Syslog no"
		printf '%s\n' "$@"
	} >"$work/dkimd.conf"
	dkimd_launch "$work/dkimd.conf" "$work/dkimd.log"
}

# stop_dkimd - SIGTERM by PID, SIGKILL after 15 s
stop_dkimd() {
	dkimd_halt
	dkimd_sanitizer "$work/dkimd.log"
}

# hold USER WHERE N [optneg] - USER holds N silent connections
# (t/milter/hold.py) until stop_hold; waits for its "opened" line, in
# $work/hold.out
hold() {
	rm -f "$work/hold.in"
	mkfifo "$work/hold.in"
	: >"$work/hold.out"
	(ulimit -n 8192; exec setpriv --reuid="$1" --regid="$(id -g "$1")" \
	    --clear-groups /usr/bin/python3 "$tdir/hold.py" "$2" "$3" 1 ${4:-} \
	    <"$work/hold.in" >"$work/hold.out" 2>&1) &
	HOLD_PID=$!
	exec 7>"$work/hold.in"
	for _ in $(seq 1 600); do
		grep -q "^opened" "$work/hold.out" && return 0
		kill -0 "$HOLD_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   hold.py: /' "$work/hold.out"
	return 1
}

# stop_hold - the holder lets go (end of its stdin), killed after 5 s
stop_hold() {
	[ -n "$HOLD_PID" ] || return 0
	exec 7>&-
	for _ in $(seq 1 50); do
		kill -0 "$HOLD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}

# held FIELD - a number from the holder's "opened ..." line
held() {
	awk -v k="$1" '/^opened/ { for (i = 1; i < NF; i++) if ($i == k)
	    print $(i + 1); exit }' "$work/hold.out"
}

# send [USER] [SOCKET] - one message as submitted mail; 0 when signed.
# $MS gets loadgen's own time for it in ms: connect, negotiation, the
# message and its reply (not the start of the loadgen process)
send() {
	local u=${1:-root} s=${2:-inet:$PORT@127.0.0.1} rc
	as "$u" "$LOADGEN" -s "$s" -c 1 -n 1 -f "$MSG" --mode sign \
	    >"$work/lg.out" 2>&1
	rc=$?
	MS=$(sed -n 's/^loadgen .* secs=\([0-9.]*\) .*/\1/p' "$work/lg.out" |
	    awk '{ printf "%d", $1 * 1000 + 0.5 }')
	MS=${MS:-99999}
	return $rc
}

# best_of K [USER] [SOCKET] - the fastest of K sends in $MS, 0 when all
# were signed
best_of() {
	local k=$1 best=999999 bad=0
	shift
	for _ in $(seq 1 "$k"); do
		send "$@" || bad=1
		[ "$MS" -lt "$best" ] && best=$MS
	done
	MS=$best
	return $bad
}

# cpu_ticks - dkimd's utime+stime, in clock ticks
cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$DKIMD_PID/stat"
}

# logged PATTERN NAME - dkimd's log has a line matching PATTERN
logged() {
	if grep -q -E -- "$1" "$work/dkimd.log"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		sed 's/^/#   dkimd: /' "$work/dkimd.log" | tail -n 20
	fi
}

"$DKIMTOOL" genkey -d example.com -s s1 -D "$work" >/dev/null
chmod 600 "$work/s1.private"
TICK=$(getconf CLK_TCK)

# ---- who may ask: the default SocketUsers --------------------------------
start_dkimd || { echo "Bail out! dkimd did not start"; exit 1; }
logged "started on" "dkimd starts with the default SocketUsers"
send root
ok $? "root over 127.0.0.1: signed"
send nobody
ok $((! $?)) "nobody over 127.0.0.1, saying ORIGINATING: no signature"
logged "refused a connection from user nobody \(uid [0-9]+\) over 127.0.0.1: not in SocketUsers" \
    "log: nobody's connection is refused, naming the user"
send nobody
[ "$(grep -c "user nobody" "$work/dkimd.log")" = 1 ]
ok $? "log: a second refusal of nobody is not logged again"
if id postfix >/dev/null 2>&1; then
	send postfix
	ok $? "postfix over 127.0.0.1 (in the default SocketUsers): signed"
fi
if command -v miltertest >/dev/null; then
	for who in root:sign nobody:refused; do
		out=$(cd "$work" && as "${who%:*}" timeout 30 miltertest \
		    -D sock="inet:$PORT@127.0.0.1" -D want="${who#*:}" \
		    -s "$tdir/asker.lua" 2>&1)
		grep -q "^CHECK pass" <<<"$out" && ! grep -q "^CHECK fail" <<<"$out"
		ok $? "${who%:*}: $(sed -n 's/^CHECK [a-z]* //p' <<<"$out" | head -1)"
	done
fi
[ "$(grep -c "sign (MTA ORIGINATING)" "$work/dkimd.log")" -le 3 ]
ok $? "log: only root's and postfix's messages were processed (loadgen, miltertest)"

# ---- 2,000 stalled connections of a refused user ---------------------------
best_of 5 root
base=$MS
ok $? "baseline: root's messages signed (best of 5: $base ms)"
c0=$(cpu_ticks)
hold nobody "127.0.0.1:$PORT" 2000
ok $? "nobody opens 2,000 connections"
sleep 2
c1=$(cpu_ticks)
best_of 3 root
stalled=$MS
rc=$?
ok $rc "2,000 of nobody's connections: root's message still signed"
ok $((stalled > 100 && stalled - base > 100)) \
    "... within 100 ms (of the baseline on a slow build): $stalled ms (baseline $base ms)"
echo "# $(head -1 "$work/hold.out")"
[ "$(held open)" = 0 ] && [ "$(held opened)" -ge 1900 ]
ok $? "all of nobody's connections were closed at once ($(held closed) closed, $(held open) open)"
cpu=$(( (c1 - c0) * 1000 / TICK ))
echo "# dkimd CPU over the stall (connects and 2 s held): $cpu ms"
ok $((cpu > 1500)) "no spin: dkimd used $cpu ms of CPU over ~3 s of stall"
ls "/proc/$DKIMD_PID/fd" | wc -l >"$work/nfd"
ok $(( $(cat "$work/nfd") > 64 )) "dkimd holds $(cat "$work/nfd") descriptors meanwhile"
stop_hold
stop_dkimd

# ---- an allowed user's flood is capped per user ----------------------------
start_dkimd "SocketUsers root nobody" "MaxConnectionsPerPeer 100" ||
	ok 1 "dkimd starts with nobody allowed"
best_of 3 root
base=$MS
c0=$(cpu_ticks)
hold nobody "127.0.0.1:$PORT" 2000
ok $? "allowed nobody opens 2,000 connections"
sleep 2
c1=$(cpu_ticks)
echo "# $(head -1 "$work/hold.out")"
[ "$(held open)" = 100 ]
ok $? "MaxConnectionsPerPeer 100: nobody keeps 100, the others are closed at once ($(held open) open)"
best_of 3 root
rc=$?
ok $rc "root's message is signed while nobody holds its 100"
ok $((MS > 100 && MS - base > 100)) \
    "... within 100 ms (of the baseline on a slow build): $MS ms (baseline $base ms)"
cpu=$(( (c1 - c0) * 1000 / TICK ))
ok $((cpu > 1500)) "no spin: dkimd used $cpu ms of CPU over ~3 s of stall"
logged "refused a connection: MaxConnectionsPerPeer reached: uid $(id -u nobody) over 127.0.0.1" \
    "log: the per-user cap names the user"
[ "$(grep -c "MaxConnectionsPerPeer reached" "$work/dkimd.log")" -le 2 ]
ok $? "log: 1,900 refusals are one line, not 1,900"
stop_hold
stop_dkimd

# ---- out of descriptors: no spin, and service again after -------------------
DKIMD_WRAPPER="prlimit --nofile=64:64" start_dkimd "SocketUsers root nobody" ||
	ok 1 "dkimd starts with 64 descriptors"
logged "MaxConnections 1024 does not fit the descriptor limit 64" \
    "log: a MaxConnections that the descriptor limit cannot hold is warned about"
hold nobody "127.0.0.1:$PORT" 300
ok $? "nobody opens 300 connections to a dkimd with 64 descriptors"
c0=$(cpu_ticks)
sleep 2
c1=$(cpu_ticks)
echo "# $(head -1 "$work/hold.out")"
cpu=$(( (c1 - c0) * 1000 / TICK ))
echo "# dkimd CPU over 2 s at EMFILE: $cpu ms"
ok $((cpu > 1000)) "EMFILE: no spin, dkimd used $cpu ms of CPU in 2 s"
logged "out of descriptors: closed a waiting connection at once" \
    "log: out of descriptors is logged"
[ "$(held closed)" -ge 200 ]
ok $? "EMFILE: the connections past the limit were shed ($(held closed) closed)"
stop_hold
sleep 0.5
send root
ok $? "EMFILE: once the holder goes, root's message is signed again"
stop_dkimd

# ---- SocketUsers follows a reload ------------------------------------------
start_dkimd || ok 1 "dkimd starts again"
send nobody
ok $((! $?)) "reload: nobody is refused before"
echo "SocketUsers root nobody" >>"$work/dkimd.conf"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q "reloaded" "$work/dkimd.log" && break; sleep 0.1; done
send nobody
ok $? "reload: with SocketUsers root nobody reloaded, nobody's next connection is signed"
sed -i '/^SocketUsers/d' "$work/dkimd.conf"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do
	[ "$(grep -c "reloaded" "$work/dkimd.log")" -ge 2 ] && break
	sleep 0.1
done
send nobody
ok $((! $?)) "reload: back to the default, nobody is refused again"
stop_dkimd

# ---- the descriptor limit is raised to the hard limit -----------------------
DKIMD_WRAPPER="prlimit --nofile=256:4096" start_dkimd ||
	ok 1 "dkimd starts with 256 descriptors (hard limit 4096)"
logged "descriptor limit raised from 256 to 4096" \
    "start-up: the soft descriptor limit is raised to the hard one, logged"
grep -q "^Max open files *4096 *4096" "/proc/$DKIMD_PID/limits"
ok $? "start-up: /proc/PID/limits says 4096"
stop_dkimd

# ---- MilterTimeout: a silent allowed connection is closed -----------------
start_dkimd "MilterTimeout 2" || ok 1 "dkimd starts with MilterTimeout 2"
hold root "127.0.0.1:$PORT" 1
for _ in $(seq 1 150); do
	grep -q "^closed-after" "$work/hold.out" && break
	sleep 0.1
done
after=$(sed -n 's/^closed-after //p' "$work/hold.out")
echo "# a silent connection closed after ${after:-never} s (+1 s settle)"
[ -n "$after" ] && awk -v a="$after" 'BEGIN { exit !(a < 10) }'
ok $? "MilterTimeout 2: a silent connection of root is closed after ${after:-never}+1 s, not 7,210 s"
stop_hold
hold root "127.0.0.1:$PORT" 1 optneg
for _ in $(seq 1 150); do
	grep -q "^closed-after" "$work/hold.out" && break
	sleep 0.1
done
after=$(sed -n 's/^closed-after //p' "$work/hold.out")
[ "$(held failed)" = 0 ] && [ -n "$after" ] &&
    awk -v a="$after" 'BEGIN { exit !(a < 10) }'
ok $? "MilterTimeout 2: a connection silent after the option negotiation (between messages) is closed after ${after:-never}+1 s"
stop_hold
stop_dkimd

# ---- ::1 and a unix socket --------------------------------------------------
PORT6=$(free_port)
start_dkimd "Socket inet6:$PORT6@::1" || ok 1 "dkimd starts on ::1"
/usr/bin/python3 "$tdir/mta.py" "::1:$PORT6" ORIGINATING "$MSG" >"$work/mta.out" 2>&1
grep -q "^insert 0 DKIM-Signature" "$work/mta.out"
ok $? "root over ::1: signed"
as nobody /usr/bin/python3 "$tdir/mta.py" "::1:$PORT6" ORIGINATING "$MSG" \
    >"$work/mta.out" 2>&1
! grep -q "DKIM-Signature" "$work/mta.out"
ok $? "nobody over ::1: no signature"
logged "refused a connection from user nobody .* over ::1" "log: nobody over ::1 is refused"
stop_dkimd

mkdir -p "$work/run"
chmod 755 "$work/run"
start_dkimd "Socket unix:$work/run/dkimd.sock" "UMask 000" ||
	ok 1 "dkimd starts on a unix socket"
ok $([ "$(stat -c %a "$work/run/dkimd.sock")" = 777 ] && echo 0 || echo 1) \
    "unix socket: mode 777 (UMask 000), so only SO_PEERCRED stands in nobody's way"
send root "unix:$work/run/dkimd.sock"
ok $? "root over the unix socket: signed"
send nobody "unix:$work/run/dkimd.sock"
ok $((! $?)) "nobody over the unix socket (mode 777): no signature"
logged "refused a connection from user nobody \(uid [0-9]+\) over unix" \
    "log: SO_PEERCRED names nobody on the unix socket"
stop_dkimd

# ---- a remote peer: SocketPeers ---------------------------------------------
# a network namespace behind a veth pair is "another host": its sockets
# are not this kernel's to name, so its address decides
# (198.18.0.0/15 is for tests, RFC 2544; a /30 of its own per run)
NET=198.18.$(( $$ % 250 ))
if ip netns add "dkc$$" 2>/dev/null; then
	NS=dkc$$
	ip link add "dkv$$" type veth peer name "dkp$$" &&
	    ip link set "dkp$$" netns "$NS" &&
	    ip addr add "$NET.1/30" dev "dkv$$" && ip link set "dkv$$" up &&
	    ip netns exec "$NS" ip addr add "$NET.2/30" dev "dkp$$" &&
	    ip netns exec "$NS" ip link set "dkp$$" up &&
	    ip netns exec "$NS" ip link set lo up
	ok $? "a network namespace at $NET.2 behind a veth pair"
	start_dkimd "Socket inet:$(free_port)@$NET.1"
	SOCK=$(sed -n 's/^Socket //p' "$work/dkimd.conf" | tail -1)
	ip netns exec "$NS" "$LOADGEN" -s "$SOCK" -c 1 -n 1 -f "$MSG" \
	    --mode sign >"$work/lg.out" 2>&1
	ok $((! $?)) "remote $NET.2 without SocketPeers: no signature"
	logged "refused a connection from ${NET//./\\.}\\.2: not in SocketPeers" \
	    "log: the remote peer is refused for its address"
	stop_dkimd
	start_dkimd "Socket $SOCK" "SocketPeers $NET.0/30"
	ip netns exec "$NS" "$LOADGEN" -s "$SOCK" -c 1 -n 1 -f "$MSG" \
	    --mode sign >"$work/lg.out" 2>&1
	ok $? "remote $NET.2 in SocketPeers $NET.0/30: signed"
	send nobody "$SOCK"
	ok $((! $?)) "nobody on this host, from $NET.1 (in SocketPeers): no signature, the user decides"
	logged "refused a connection from user nobody .* over $NET.1" \
	    "log: a local peer on a non-loopback address is judged by its user"
	send root "$SOCK"
	ok $? "root on this host over $NET.1: signed"
	stop_dkimd
else
	echo "# skipped: SocketPeers (no ip netns here)"
fi

echo "1..$n"
exit $fail
