#!/usr/bin/env bash
# it-milter-faults.sh - dkimd against clients that misbehave (TAP)
#
# One dkimd on a free port of 127.0.0.1, keys served by t/dnsfake.py.
# t/data/faults/mfault.py commits one fault per run: a client gone in the
# middle of the header, the body or the end-of-message, an abort followed
# by a second message on the same connection, malformed packets (length
# 0, a 2 GB length, no NULs, unknown commands, commands out of order) and
# 1,000 connections at once. After each fault a normal message must be
# signed and a signed one verified (dkimd keeps serving the others), and
# at the end dkimd's open descriptors, threads and resident memory must
# be back where they were (it holds nothing for the dead connections).
#
# Environment: DKIMD, DKIMTOOL, top_srcdir, top_builddir; MANY (default
# 1000) connections at once.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=t/data/faults/faults.sh
. "$top_srcdir/t/data/faults/faults.sh"
MANY=${MANY:-1000}
ulimit -n $((MANY * 2 + 200)) 2>/dev/null ||
	ulimit -n "$(ulimit -Hn)" 2>/dev/null

faults_init it-milter-faults
fake_start "sel1._domainkey.example.com txt \"$KEYREC\"" ||
	{ echo "Bail out! dnsfake.py did not start"; exit 1; }
dkimd_start || { echo "Bail out! dkimd did not start"; exit 1; }

# serving - a message signed and a signed message verified, after $1
serving() {
	$MFAULT "$PORT" sign 2>"$work/err"
	ok $? "after $1: a message is signed"
	sed 's/^/#   /' "$work/err"
	$MFAULT "$PORT" verify "$work/signed.eml" >"$work/out" 2>"$work/err"
	ok $? "after $1: a signed message verifies (dkim=pass)"
	sed 's/^/#   /' "$work/err"
}

serving "start-up"
# one more of each so that libmilter's thread and OpenSSL's caches are warm
$MFAULT "$PORT" sign >/dev/null 2>&1
$MFAULT "$PORT" verify "$work/signed.eml" >/dev/null 2>&1
sleep 1
fd0=$(proc_fds); rss0=$(proc_rss_kb); thr0=$(proc_threads)
echo "# before the faults: $fd0 fds, $thr0 threads, RSS $rss0 kB"

$MFAULT "$PORT" two 2>"$work/err"
ok $? "two messages on one connection are both signed"
sed 's/^/#   /' "$work/err"
$MFAULT "$PORT" abort-then-sign 2>"$work/err"
ok $? "abort in the middle of the body, then a second message on the same connection is signed"
sed 's/^/#   /' "$work/err"

for f in gone-header gone-body gone-eom unknown-command no-nul bad-connect \
    bad-optneg early-eom body-before-header; do
	$MFAULT "$PORT" "$f" >"$work/out" 2>&1
	sed 's/^/#   /' "$work/out"
	alive
	ok $? "$f: dkimd is still running"
	serving "$f"
done
$MFAULT "$PORT" zero-length >"$work/out" 2>&1
ok $? "a packet of length 0: dkimd closes the connection or goes on, within 10 s"
sed 's/^/#   /' "$work/out"
serving "zero-length"
rss1=$(proc_rss_kb)
$MFAULT "$PORT" huge-length 2>"$work/err"
ok $? "a packet announcing 2 GB: dkimd closes the connection within 10 s"
sed 's/^/#   /' "$work/err"
rss2=$(proc_rss_kb)
[ $((rss2 - rss1)) -lt 65536 ]
ok $? "a packet announcing 2 GB: RSS grows by less than 64 MB ($rss1 -> $rss2 kB)"
serving "huge-length"

$MFAULT "$PORT" many "$MANY" >"$work/out" 2>&1
ok $? "$MANY connections at once are all negotiated, and a message is signed meanwhile"
sed 's/^/#   /' "$work/out"
serving "$MANY connections"

grep -q -E "GONEH1: .*(aborted|closed)" "$work/dkimd.log"
ok $? "log: the message of a client gone in the header is cleaned up"
grep -q -E "GONEB1: .*(aborted|closed)" "$work/dkimd.log"
ok $? "log: the message of a client gone in the body is cleaned up"
grep -q -E "ABRT1: .*aborted" "$work/dkimd.log"
ok $? "log: the aborted message is logged as aborted"

# Let libmilter's threads for the dead connections finish.
for _ in $(seq 1 100); do
	[ "$(proc_fds)" -le "$fd0" ] && [ "$(proc_threads)" -le "$thr0" ] && break
	sleep 0.2
done
fd1=$(proc_fds); rss3=$(proc_rss_kb); thr1=$(proc_threads)
echo "# after the faults: $fd1 fds, $thr1 threads, RSS $rss3 kB"
[ "$fd1" -le "$fd0" ]
ok $? "no descriptor kept for the dead connections ($fd0 -> $fd1 open fds)"
[ "$thr1" -le "$thr0" ]
ok $? "no thread kept for the dead connections ($thr0 -> $thr1 threads)"
# glibc keeps freed thread stacks and arenas; bound the growth, not zero
[ $((rss3 - rss0)) -lt 65536 ]
ok $? "resident memory after $MANY connections within 64 MB of the start ($rss0 -> $rss3 kB)"

dkimd_stop
sanitizer_clean
ok $? "dkimd's log has no sanitizer or valgrind report"
grep -E "Sanitizer|runtime error|ERROR SUMMARY" -A5 "$work/dkimd.log" | head -20 | sed 's/^/#   /'
echo "1..$n"
exit $fail
