#!/usr/bin/env bash
# soak.sh - dkimd under a long mixed load, its memory and descriptors watched
#
#	bench/soak.sh [--messages N] [--seconds S] [--interval S] [--quick]
#	    [--valgrind COUNT] [--out DIR]
#
# Starts t/dnsfake.py (the key record) and dkimd on 127.0.0.1, then sends
# N messages (default 1,000,000) through bench/loadgen in batches, the
# kinds taken in turn: signing of 1 KB, 100 KB and 5 MB messages,
# verification of good 1 KB and 1 MB messages, and hostile ones: a
# broken body (fail), a malformed signature and an unknown selector
# (permerror), 500 unsigned header fields, a 2 MB body of one line with
# no line end, 50 copies of one signature. loadgen checks every reply; a
# wrong one fails the run. Every --interval seconds (default 5) dkimd's
# RSS, open descriptors and threads go to DIR/samples.txt. --seconds
# stops earlier; --quick is the CI version (60 s, small batches, no 5 MB
# messages), used by t/it-soak-short.sh. loadgen runs with --nodelay:
# this measures memory, not latency, and without it every message waits
# ~130 ms on delayed ACKs over loopback TCP.
#
# --valgrind COUNT instead runs dkimd under valgrind's memcheck and sends
# COUNT messages of each kind; valgrind's summary must show no error and
# no definitely or indirectly lost block.
#
# The last lines are key=value for scripts:
#	soak messages=N failed=N seconds=S rss_start_kb=.. rss_end_kb=..
#	    rss_max_kb=.. fds_start=.. fds_end=.. threads_start=.. threads_end=..
#	soak verdict=flat|GREW|FAILED
# "flat": no message failed, the descriptors at the end are no more than
# at the start, and RSS grew by less than 32 MB plus 25% (glibc keeps
# freed memory in its arenas, so an end RSS equal to the start is not
# expected; a leak of a few hundred bytes a message over 1,000,000
# messages is).
#
# Environment: DKIMD, DKIMTOOL, LOADGEN, top_srcdir, top_builddir.
# Every process started here is stopped by its PID.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
total=1000000
seconds=0
interval=5
quick=0
vg=0
out=
while [ $# -gt 0 ]; do
	case "$1" in
	--messages) total=$2; shift ;;
	--seconds) seconds=$2; shift ;;
	--interval) interval=$2; shift ;;
	--quick) quick=1 ;;
	--valgrind) vg=$2; shift ;;
	--out) out=$2; shift ;;
	*) sed -n '2,30p' "$0" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$LOADGEN" ] || { echo "soak.sh: no $LOADGEN (build first)" >&2; exit 2; }
if [ "$quick" = 1 ]; then
	[ "$seconds" = 0 ] && seconds=60
	interval=2
fi

# ok/skip_all for faults.sh, which is shared with the fault tests
# shellcheck source=t/data/faults/faults.sh
. "$top_srcdir/t/data/faults/faults.sh"
faults_init soak
[ -n "$out" ] || out=$work/out
mkdir -p "$out"
SAMPLER_PID=
soak_cleanup() {
	[ -n "$SAMPLER_PID" ] && kill "$SAMPLER_PID" 2>/dev/null
	faults_cleanup
}
trap soak_cleanup EXIT

# ---- messages ------------------------------------------------------------------
# body SIZE - a text body of SIZE bytes in lines of 76
body() {
	/usr/bin/python3 -c '
import sys
n = int(sys.argv[1])
line = b"The quick brown fox jumps over the lazy dog, again and again and again.\r\n"
sys.stdout.buffer.write((line * (n // len(line) + 1))[:n])' "$1"
}
# msg NAME SIZE - an unsigned message with a body of SIZE bytes
msg() {
	{
		printf 'From: User <user@example.com>\r\nTo: rcpt@example.net\r\n'
		printf 'Subject: soak %s\r\nMessage-ID: <%s@example.com>\r\n\r\n' "$1" "$1"
		body "$2"
	} >"$work/$1.eml"
}
# signed NAME - NAME.eml signed by dkimtool as NAME-signed.eml
signed() {
	"$DKIMTOOL" sign -d example.com -s sel1 -k "$work/keys/sel1.private" \
	    "$work/$1.eml" >"$work/$1-signed.eml"
}
msg k1 1000; msg k100 100000; msg m1 1000000
[ "$quick" = 1 ] || msg m5 5000000
signed k1; signed m1
# hostile: a broken body; a malformed signature; an unknown selector
sed 's/jumps/JUMPS/' "$work/k1-signed.eml" >"$work/h-fail.eml"
{ printf 'DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel1; h=from; bh=; b=;;x\r\n'
  cat "$work/k1.eml"; } >"$work/h-malformed.eml"
sed 's/ s=sel1;/ s=nosuch;/' "$work/k1-signed.eml" >"$work/h-nokey.eml"
# 500 header fields after the signature (not signed, still a pass)
/usr/bin/python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
m = open(w + "/k1-signed.eml", "rb").read()
head, _, body = m.partition(b"\r\n\r\n")
extra = b"".join(b"X-Soak-%d: %s\r\n" % (i, b"v" * 40) for i in range(500))
open(w + "/h-fields.eml", "wb").write(head + b"\r\n" + extra + b"\r\n" + body)
sig = [l for l in head.split(b"\r\n") if l.lower().startswith(b"dkim-signature")]
# 50 copies of the signature (unfolded by dkimtool?) on one message
h2 = head
if sig:
    start = head.lower().index(b"dkim-signature")
    end = head.find(b"\r\n", start)
    while end != -1 and head[end + 2:end + 3] in (b" ", b"\t"):
        end = head.find(b"\r\n", end + 2)
    field = head[start:end if end != -1 else len(head)] + b"\r\n"
    h2 = field * 49 + head
open(w + "/h-sigs.eml", "wb").write(h2 + b"\r\n\r\n" + body)
# a 2 MB body of one line, no line end
open(w + "/h-line.eml", "wb").write(
    b"From: user@example.com\r\nSubject: one line\r\n\r\n" + b"x" * 2000000)
PY
signed h-line
mv "$work/h-line-signed.eml" "$work/h-line.eml"

# kind table: NAME FILE MODE EXPECT CONNECTIONS BATCH(full) BATCH(quick)
kinds="\
sign-1k		k1.eml		sign	-		4	5000	200
verify-1k	k1-signed.eml	verify	pass		4	5000	200
sign-100k	k100.eml	sign	-		4	500	40
hostile-fail	h-fail.eml	verify	fail		2	1000	50
verify-1m	m1-signed.eml	verify	pass		2	50	4
hostile-malformed h-malformed.eml verify permerror	2	1000	50
hostile-nokey	h-nokey.eml	verify	permerror	2	1000	50
hostile-fields	h-fields.eml	verify	pass		2	500	30
hostile-line	h-line.eml	verify	pass		1	20	2
hostile-sigs	h-sigs.eml	verify	pass		2	200	20"
[ "$quick" = 1 ] || kinds="$kinds
sign-5m		m5.eml		sign	-		2	10	0"

# ---- dkimd ------------------------------------------------------------------------
fake_start "sel1._domainkey.example.com txt \"$KEYREC\"" ||
	{ echo "soak.sh: dnsfake.py did not start" >&2; exit 1; }
if [ "$vg" -gt 0 ]; then
	command -v valgrind >/dev/null || { echo "soak.sh: no valgrind" >&2; exit 2; }
	DKIMD_WRAPPER="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --track-fds=no --num-callers=30"
	DKIMD_START_TRIES=600
fi
dkimd_start "MaximumSignaturesToVerify 64" ||
	{ echo "soak.sh: dkimd did not start" >&2; exit 1; }

# sample - one line of samples.txt: seconds, RSS kB, fds, threads
sample() {
	echo "$(($(date +%s) - t0)) $(proc_rss_kb) $(proc_fds) $(proc_threads)"
}

# batch NAME FILE MODE EXPECT CONC N - one loadgen run; failures counted
batch() {
	local args=(-s "inet:$PORT@127.0.0.1" -c "$5" -n "$6" -m 50 -f "$work/$2" \
	    --mode "$3" --label "$1" --nodelay)
	[ "$4" != - ] && args+=(--expect "$4")
	if ! "$LOADGEN" "${args[@]}" >>"$out/loadgen.txt" 2>&1; then
		failed=$((failed + $6))
		echo "# $1: loadgen reported failures" >&2
		tail -n 3 "$out/loadgen.txt" | sed 's/^/#   /' >&2
	fi
	sent=$((sent + $6))
}

sent=0
failed=0
t0=$(date +%s)
: >"$out/loadgen.txt"
if [ "$vg" -gt 0 ]; then
	while read -r name file mode expect conc _ _; do
		batch "$name" "$file" "$mode" "$expect" 1 "$vg"
	done <<<"$kinds"
	dkimd_stop
	echo "soak messages=$sent failed=$failed valgrind=1"
	grep -E "ERROR SUMMARY|definitely lost|indirectly lost|FILE DESCRIPTORS" \
	    "$work/dkimd.log" | sed 's/^==[0-9]*== /# valgrind: /'
	if [ "$failed" -eq 0 ] && grep -q "ERROR SUMMARY: 0 errors" "$work/dkimd.log" &&
	    ! grep -q -E "(definitely|indirectly) lost: [1-9]" "$work/dkimd.log"; then
		echo "soak verdict=clean"
		exit 0
	fi
	grep -E -A12 "Invalid|uninitialised|definitely lost in" "$work/dkimd.log" |
	    head -n 60 | sed 's/^/# /'
	echo "soak verdict=FAILED"
	exit 1
fi

# warm up: one batch of each kind, so that caches and arenas are at size
while read -r name file mode expect conc _ q; do
	[ "$q" -gt 0 ] && batch "$name" "$file" "$mode" "$expect" "$conc" "$q"
done <<<"$kinds"
sent=0
sleep 1
read -r _ rss0 fd0 thr0 <<<"$(sample)"
t0=$(date +%s)
echo "0 $rss0 $fd0 $thr0" >"$out/samples.txt"
( while sleep "$interval"; do sample; done >>"$out/samples.txt" 2>/dev/null ) &
SAMPLER_PID=$!
col=6
[ "$quick" = 1 ] && col=7
while :; do
	while read -r line; do
		set -- $line
		n=${!col}
		[ "$n" -gt 0 ] || continue
		batch "$1" "$2" "$3" "$4" "$5" "$n"
		[ "$total" -gt 0 ] && [ "$sent" -ge "$total" ] && break 2
		[ "$seconds" -gt 0 ] && [ $(($(date +%s) - t0)) -ge "$seconds" ] && break 2
	done <<<"$kinds"
	echo "# $(($(date +%s) - t0)) s: $sent messages, $(tail -n 1 "$out/samples.txt")" >&2
done
kill "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
SAMPLER_PID=
sleep 1
read -r secs rss1 fd1 thr1 <<<"$(sample)"
echo "$secs $rss1 $fd1 $thr1" >>"$out/samples.txt"
rssmax=$(awk 'm < $2 {m = $2} END {print m}' "$out/samples.txt")
alive || failed=$((failed + 1))
echo "# samples (seconds RSS-kB fds threads) in $out/samples.txt:"
awk 'NR % 10 == 1' "$out/samples.txt" | sed 's/^/#   /'
echo "soak messages=$sent failed=$failed seconds=$secs rss_start_kb=$rss0" \
    "rss_end_kb=$rss1 rss_max_kb=$rssmax fds_start=$fd0 fds_end=$fd1" \
    "threads_start=$thr0 threads_end=$thr1"
dkimd_stop
if [ "$failed" -gt 0 ] || ! sanitizer_clean; then
	echo "soak verdict=FAILED"
	exit 1
fi
if [ "$fd1" -gt "$fd0" ] || [ "$rss1" -gt $((rss0 + 32768 + rss0 / 4)) ]; then
	echo "soak verdict=GREW"
	exit 1
fi
echo "soak verdict=flat"
