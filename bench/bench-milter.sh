#!/usr/bin/env bash
# bench-milter.sh - dkimd and OpenDKIM side by side through the milter protocol
#
#	bench/bench-milter.sh [--quick] [--out DIR] [--only dkimd|opendkim]
#	bench/bench-milter.sh --profile callgrind|perf [--out DIR]
#	bench/bench-milter.sh --soak N [--out DIR]
#
# In one run: makes an RSA-2048 and an Ed25519 key, publishes both in a
# dnsmasq on 127.0.0.1 (t/lib/dns.sh), writes messages of 2 KB, 100 KB and
# 10 MB (and copies signed by dkimtool for verification), then starts
# dkimd and Debian's opendkim with the same keys and tables, once on unix
# sockets and once on inet sockets of 127.0.0.1, and drives each with
# bench/loadgen at 1, 4 and 16 connections: sign RSA, sign Ed25519, verify.
# loadgen checks every reply (a DKIM-Signature added when signing, an
# Authentication-Results with dkim=pass when verifying); a run where one
# message went wrong is reported as FAILED in the table and makes the
# script exit 1.
#
# Output in DIR (default: a new /tmp/bench-milter.XXXXXX): results.txt
# (loadgen's key=value lines), table.txt (also printed on stdout),
# speed.txt (openssl speed and SHA-256 of this machine, same run) and,
# when gnuplot is installed, throughput.png. --quick is the CI smoke
# version (t/it-bench-smoke.sh): 2 KB and 100 KB, 1 and 4 connections, 6
# messages a cell, TCP_NODELAY on the client, no openssl speed, about half
# a minute; it proves only correctness.
#
# --profile runs dkimd alone, one process per operation (sign RSA, sign
# Ed25519, verify; 2 KB, one connection, unix socket) under valgrind's
# callgrind (instruction counts: stable on noisy machines; BENCH_N2K
# messages, default 300) or with perf record -e cpu-clock -g attached
# (user and kernel time; default 3000 messages), and writes
# DIR/profile-OP.txt, the top of callgrind_annotate or perf report
# (and DIR/callgrind-OP.out for callgrind_annotate --tree=calling).
#
# --soak N sends N signed and N verified 2 KB messages to one dkimd (4
# connections, unix socket) in five slices and prints its RSS after each:
# memory must not grow with the count (DIR/soak.txt).
#
# OpenDKIM in Debian resolves with libunbound, whose forwarder syntax
# takes a port: "Nameservers 127.0.0.1@PORT" reaches the dnsmasq. Not
# ResolverConfiguration with an unbound.conf: OpenDKIM then parses that
# file again while it runs (per message, judging by its errors), in every
# thread, with unbound's flex parser, which is not reentrant: at 4
# connections and more that gave "fatal flex scanner internal error",
# tempfails at end of header and SIGSEGV. Its
# QueryCache is on, as dkimd caches keys.
#
# Environment: DKIMD, DKIMTOOL, LOADGEN (default: the build in the
# checkout, or top_builddir), OPENDKIM (default: opendkim on PATH);
# KEEP=1 keeps the temporary folder (keys, configurations, logs).
# Every process started here is stopped by its PID.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
OPENDKIM=${OPENDKIM:-$(command -v opendkim)}
PY=/usr/bin/python3

quick=0
out=
only=
profile=
soak=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--only) only=$2; shift ;;
	--profile) profile=$2; only=dkimd; shift ;;
	--soak) soak=$2; only=dkimd; shift ;;
	*) echo "usage: bench-milter.sh [--quick] [--out DIR] [--only dkimd|opendkim] [--profile callgrind|perf]" >&2
	   exit 2 ;;
	esac
	shift
done
for p in "$DKIMD" "$DKIMTOOL" "$LOADGEN"; do
	[ -x "$p" ] || { echo "bench-milter.sh: no $p (build first)" >&2; exit 2; }
done
if [ -z "$only" ] || [ "$only" = opendkim ]; then
	[ -n "$OPENDKIM" ] || { echo "bench-milter.sh: opendkim not installed" >&2; exit 2; }
fi
command -v dnsmasq >/dev/null || { echo "bench-milter.sh: dnsmasq not installed" >&2; exit 2; }

if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/bench-milter.XXXXXX) || exit 1
fi
mkdir -p "$out" || exit 1
work=$(mktemp -d /tmp/bench-milter-work.XXXXXX) || exit 1
DKIMD_PID=
ODK_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

# stop_pid PID [TENTHS] - SIGTERM, then SIGKILL after TENTHS/10 s (10 s)
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 "${2:-100}"); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	stop_pid "$DKIMD_PID"
	stop_pid "$ODK_PID"
	if [ -n "${KEEP:-}" ]; then
		echo "bench-milter.sh: work files kept in $work" >&2
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
# timeout(1) and ^C end the run through the EXIT trap: nothing is left
trap 'exit 143' TERM
trap 'exit 130' INT

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

# ---- the machine's raw cost, in the same run -------------------------------

# raw_speed - openssl speed for RSA-2048, Ed25519 and SHA-256 into speed.txt
raw_speed() {
	local s=1
	{
		openssl speed -mr -seconds $s rsa2048 ed25519 2>/dev/null
		openssl speed -mr -seconds $s -bytes 16384 sha256 2>/dev/null
	} | awk -F: '
		/^\+F2:/ && $3 == 2048 { printf "rsa2048_sign_ms=%.5f\nrsa2048_verify_ms=%.5f\n", 1000/$4, 1000/$5 }
		/^\+F6:/ && $4 == "Ed25519" { printf "ed25519_sign_ms=%.5f\ned25519_verify_ms=%.5f\n", 1000/$5, 1000/$6 }
		/^\+F:/ && $3 == "sha256" { printf "sha256_mb_per_s=%.1f\n", $4 / 1e6 }
	' >"$out/speed.txt"
	{
		echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
		echo "cores=$(nproc)"
		echo "kernel=$(uname -r)"
		echo "openssl=$(openssl version | cut -d' ' -f2)"
		echo "opendkim=$($OPENDKIM -V 2>/dev/null | head -1 | sed 's/.* v//')"
	} >>"$out/speed.txt"
}

# ---- keys, DNS, messages -------------------------------------------------

# make_message DOMAIN BYTES - a plain message of about BYTES, 11 header fields
make_message() {
	$PY - "$1" "$2" <<'EOF'
import random, sys
dom, size = sys.argv[1], int(sys.argv[2])
r = random.Random(size)
words = ("mail relay header body signature domain selector key record "
         "hash canonical folded milter postfix message transfer").split()
h = [
 "Received: from submit.%s (submit.%s [192.0.2.10])\r\n\tby mx.%s with ESMTPSA id 4Xb1cD2eFgz9sQ;\r\n\tTue, 1 Dec 2026 12:00:00 +0000" % (dom, dom, dom),
 "Received: from [192.0.2.77] by submit.%s with ESMTP;\r\n\tTue, 1 Dec 2026 11:59:58 +0000" % dom,
 "From: Bench Sender <bench@%s>" % dom,
 "To: Some One <someone@example.net>, other@example.org",
 "Cc: list@lists.example.org",
 "Subject: benchmark message of %d bytes" % size,
 "Date: Tue, 1 Dec 2026 11:59:58 +0000",
 "Message-ID: <bench.%d@%s>" % (size, dom),
 "MIME-Version: 1.0",
 "Content-Type: text/plain; charset=us-ascii",
 "X-Mailer: loadgen",
]
out = "\r\n".join(h) + "\r\n\r\n"
body = []
n = len(out)
while n < size:
    line = " ".join(r.choice(words) for _ in range(10))
    body.append(line)
    n += len(line) + 2
sys.stdout.write(out + "\r\n".join(body) + "\r\n")
EOF
}

# setup - keys, records, tables, messages; dnsmasq started
setup() {
	local s
	mkdir -p "$work/keys" "$work/msg"
	"$DKIMTOOL" genkey -d rsa.example.com -s rsa1 -b 2048 -D "$work/keys" >/dev/null &&
	"$DKIMTOOL" genkey -d ed.example.com -s ed1 -a ed25519 -D "$work/keys" >/dev/null || return 1
	chmod 600 "$work/keys/"*.private
	{
		zone_to_records "$work/keys/rsa1.txt"
		zone_to_records "$work/keys/ed1.txt"
	} >"$work/records"
	cat >"$work/key.table" <<EOT
rsa1	rsa.example.com:rsa1:$work/keys/rsa1.private
ed1	ed.example.com:ed1:$work/keys/ed1.private
EOT
	cat >"$work/signing.table" <<EOT
*@rsa.example.com	rsa1
*@ed.example.com	ed1
EOT
	for s in $SIZES; do
		make_message rsa.example.com "$(bytes_of "$s")" >"$work/msg/rsa-$s.eml"
		make_message ed.example.com "$(bytes_of "$s")" >"$work/msg/ed-$s.eml"
		"$DKIMTOOL" sign -d rsa.example.com -s rsa1 -k "$work/keys/rsa1.private" \
		    "$work/msg/rsa-$s.eml" >"$work/msg/signed-$s.eml" || return 1
	done
	# dnsmasq serves its records with TTL 0 unless told otherwise, and
	# a TTL of 0 is never cached: every verification would query DNS.
	# Keys are measured cached here, as on a real MX: a wrapper on PATH
	# gives t/lib/dns.sh's dnsmasq --local-ttl=3600.
	mkdir -p "$work/bin"
	printf '#!/bin/sh\nexec %s --local-ttl=3600 "$@"\n' \
	    "$(command -v dnsmasq)" >"$work/bin/dnsmasq"
	chmod +x "$work/bin/dnsmasq"
	PATH=$work/bin:$PATH dns_start "$work/records" "$work" || return 1
}

# bytes_of SIZE - 2K -> 2048, 100K -> 102400, 10M -> 10485760
bytes_of() {
	case "$1" in
	*K) echo $(( ${1%K} * 1024 )) ;;
	*M) echo $(( ${1%M} * 1024 * 1024 )) ;;
	*) echo "$1" ;;
	esac
}

# ---- the two milters -------------------------------------------------------

# sockspec KIND NAME - unix:PATH or inet:PORT@127.0.0.1
sockspec() {
	if [ "$1" = unix ]; then
		echo "unix:$work/$2.sock"
	else
		echo "inet:$(free_port)@127.0.0.1"
	fi
}

# wait_listen SPEC PID - until the socket accepts connections (10 s)
wait_listen() {
	local spec=$1 pid=$2 port
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 1
		case "$spec" in
		unix:*)	[ -S "${spec#unix:}" ] && return 0 ;;
		inet:*)	port=${spec#inet:}; port=${port%@*}
			(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0 ;;
		esac
		sleep 0.1
	done
	return 1
}

# launch NAME SPEC CMD... - start CMD with its log in $work/NAME.log, wait
# until SPEC listens; the PID in LAUNCHED
launch() {
	local name=$1 spec=$2
	shift 2
	case "$spec" in
	unix:*) rm -f "${spec#unix:}" ;;	# a stale one would look ready
	esac
	"$@" >"$work/$name.log" 2>&1 &
	LAUNCHED=$!
	wait_listen "$spec" "$LAUNCHED" && return 0
	echo "bench-milter.sh: $name did not start:" >&2
	cat "$work/$name.log" >&2
	stop_pid "$LAUNCHED"
	return 1
}

# start_dkimd KIND - dkimd on a KIND socket; sets DKIMD_PID, DKIMD_SOCK
# (loadgen logs in as user@example.com: SubDomains lets that login sign
# as rsa.example.com and ed.example.com, by sender authorization's rule)
start_dkimd() {
	DKIMD_SOCK=$(sockspec "$1" dkimd)
	printf '%s\n' "Socket $DKIMD_SOCK" "KeyTable file:$work/key.table" \
	    "SigningTable refile:$work/signing.table" "AuthservID mx.test" \
	    "SubDomains yes" \
	    "Canonicalization relaxed/relaxed" \
	    "Nameservers 127.0.0.1:$DNS_PORT" "Syslog no" >"$work/dkimd.conf"
	case "$profile" in
	callgrind) launch dkimd "$DKIMD_SOCK" valgrind --tool=callgrind \
	    --callgrind-out-file="$work/callgrind.out" \
	    "$DKIMD" -f -c "$work/dkimd.conf" || return 1 ;;
	*) launch dkimd "$DKIMD_SOCK" "$DKIMD" -f -c "$work/dkimd.conf" ||
	    return 1 ;;
	esac
	DKIMD_PID=$LAUNCHED
}

# start_opendkim KIND ALG - opendkim on a KIND socket; sets ODK_PID, ODK_SOCK
#
# OpenDKIM signs with one SignatureAlgorithm per process, whatever the
# key: Ed25519 signing needs a process of its own.
start_opendkim() {
	local s
	ODK_SOCK=$(sockspec "$1" opendkim)
	s=$ODK_SOCK
	[ "$1" = unix ] && s="local:${ODK_SOCK#unix:}"
	printf '%s\n' "Mode sv" "Socket $s" "KeyTable file:$work/key.table" \
	    "SigningTable refile:$work/signing.table" "InternalHosts 127.0.0.1" \
	    "MTA ORIGINATING" "AuthservID mx.test" \
	    "Canonicalization relaxed/relaxed" \
	    "Nameservers 127.0.0.1@$DNS_PORT" "QueryCache yes" \
	    "SignatureAlgorithm $2" "RequireSafeKeys no" "Syslog no" \
	    "UMask 002" >"$work/opendkim.conf"
	launch opendkim "$ODK_SOCK" "$OPENDKIM" -f -x "$work/opendkim.conf" ||
	    return 1
	ODK_PID=$LAUNCHED
}

# ---- the runs --------------------------------------------------------------

# count_of SIZE C KIND - how many messages a cell sends
#
# Over inet every message of a Postfix-style client waits for delayed
# ACKs (~130-180 ms): those cells send 20 per connection, not thousands.
count_of() {
	local n
	if [ $quick -eq 1 ]; then
		n=6
	else
		case "$1" in
		2K) n=${BENCH_N2K:-3000} ;;
		100K) n=${BENCH_N100K:-600} ;;
		*) n=${BENCH_N10M:-48} ;;
		esac
		if [ "$3" != unix ] && [ "$1" != 10M ]; then
			n=$(( 20 * $2 ))
		fi
	fi
	[ "$n" -lt "$2" ] && n=$2
	echo "$n"
}

# run_cell MILTER SOCK KIND OP SIZE C PID - one loadgen run, one results line
run_cell() {
	local milter=$1 sock=$2 kind=$3 op=$4 size=$5 c=$6 pid=$7
	local file mode n per line rc nd=
	[ "$kind" = inet-nodelay ] && nd=--nodelay
	# --quick checks correctness only: OpenDKIM gets no delayed-ACK
	# waits over inet (dkimd acknowledges at once, see milter/quickack.c)
	[ $quick -eq 1 ] && [ "$kind" = inet ] && [ "$milter" = opendkim ] &&
	    nd=--nodelay
	case "$op" in
	sign-rsa) file=$work/msg/rsa-$size.eml; mode=sign ;;
	sign-ed) file=$work/msg/ed-$size.eml; mode=sign ;;
	verify) file=$work/msg/signed-$size.eml; mode=verify ;;
	esac
	n=$(count_of "$size" "$c" "$kind")
	per=$(( n / c ))
	[ "$size" = 2K ] && [ "$per" -gt 100 ] && per=100
	line=$("$LOADGEN" -s "$sock" -c "$c" -n "$n" -m "$per" -f "$file" \
	    --mode "$mode" --pid "$pid" $nd \
	    --label "milter=$milter,sock=$kind,op=$op,size=$size" 2>"$work/lg.err" |
	    grep '^loadgen ')
	rc=$?
	if [ -s "$work/lg.err" ]; then
		sed "s/^/# $milter $kind $op $size c=$c: /" "$work/lg.err" | head -5 >&2
	fi
	[ -n "$line" ] || line="loadgen label=milter=$milter,sock=$kind,op=$op,size=$size mode=$mode c=$c n=$n ok=0 fail=$n"
	echo "$line" >>"$out/results.txt"
	[ $quick -eq 1 ] || printf '%s\n' "# $line" >&2
	return $rc
}

# warm SOCKET OPS... - a few messages of each kind: keys parsed, DNS cached
warm() {
	local sock=$1 op
	shift
	for op in "$@"; do
		case "$op" in
		sign-rsa) "$LOADGEN" -s "$sock" -c 1 -n 5 -f "$work/msg/rsa-2K.eml" --mode sign ;;
		sign-ed) "$LOADGEN" -s "$sock" -c 1 -n 5 -f "$work/msg/ed-2K.eml" --mode sign ;;
		verify) "$LOADGEN" -s "$sock" -c 1 -n 5 -f "$work/msg/signed-2K.eml" --mode verify ;;
		esac >/dev/null 2>&1
	done
}

# start_milter NAME KIND - start one milter process; sets SOCK and PID
start_milter() {
	case "$1" in
	dkimd)	start_dkimd "$2" || return 1
		SOCK=$DKIMD_SOCK PID=$DKIMD_PID ;;
	opendkim) start_opendkim "$2" rsa-sha256 || return 1
		SOCK=$ODK_SOCK PID=$ODK_PID ;;
	opendkim-ed) start_opendkim "$2" ed25519-sha256 || return 1
		SOCK=$ODK_SOCK PID=$ODK_PID ;;
	esac
}

# run_milter NAME KIND OPS... - the cells of OPS for one milter process
#
# A milter that dies during a cell is recorded ("died" line, kept in the
# table's notes) and started again for the next cell.
run_milter() {
	local proc=$1 kind=$2 name=${1%-ed} ops op size c
	shift 2
	ops=$(echo "$@" | tr ' ' +)
	start_milter "$proc" "$kind" || return 1
	echo "idle milter=$name sock=$kind ops=$ops rss_kb=$(awk '/^VmRSS/ {print $2}' /proc/$PID/status)" >>"$out/results.txt"
	warm "$SOCK" "$@"
	for op in "$@"; do
		for size in $SIZES; do
			for c in $CONCS; do
				run_cell "$name" "$SOCK" "$kind" "$op" "$size" "$c" "$PID" || status=1
				kill -0 "$PID" 2>/dev/null && continue
				wait "$PID" 2>/dev/null
				echo "died milter=$name sock=$kind op=$op size=$size c=$c status=$?" >>"$out/results.txt"
				cp "$work/${name}.log" "$out/died-$name-$kind-$op-$size-$c.log"
				start_milter "$proc" "$kind" || return 1
				warm "$SOCK" "$@"
			done
		done
	done
	# the same with TCP_NODELAY on the client: what is left is the milter's
	if [ "$kind" = inet ] && [ $quick -eq 0 ]; then
		run_cell "$name" "$SOCK" inet-nodelay "$1" 2K 1 "$PID" || status=1
	fi
	echo "end milter=$name sock=$kind ops=$ops hwm_kb=$(awk '/^VmHWM/ {print $2}' /proc/$PID/status)" >>"$out/results.txt"
	# libmilter's shutdown waits 5 s for OpenDKIM: all is measured, so
	# it gets half a second
	if [ "$name" = dkimd ]; then stop_pid "$PID"; else stop_pid "$PID" 5; fi
	DKIMD_PID= ODK_PID=
}

# profile_op OP - one dkimd process for OP under the profiler
profile_op() {
	local perf_pid=
	start_milter dkimd unix || return 1
	warm "$SOCK" "$1"
	if [ "$profile" = perf ]; then
		perf record -q -e cpu-clock -g -p "$PID" -o "$work/perf.data" \
		    >/dev/null 2>&1 &
		perf_pid=$!
		sleep 1
	fi
	run_cell dkimd "$SOCK" unix "$1" 2K 1 "$PID" || status=1
	if [ -n "$perf_pid" ]; then
		kill -INT "$perf_pid"
		wait "$perf_pid"
		{
			perf report -i "$work/perf.data" --stdio --no-children \
			    --sort dso -g none 2>/dev/null | grep '%'
			perf report -i "$work/perf.data" --stdio --no-children \
			    --sort dso,symbol -g none 2>/dev/null | grep '%' |
			    head -50
		} >"$out/profile-$1.txt"
	fi
	stop_pid "$PID"
	DKIMD_PID=
	if [ "$profile" = callgrind ]; then
		mv "$work/callgrind.out" "$out/callgrind-$1.out"
		callgrind_annotate --inclusive=no "$out/callgrind-$1.out" \
		    2>/dev/null | head -70 >"$out/profile-$1.txt"
		callgrind_annotate --inclusive=yes "$out/callgrind-$1.out" \
		    2>/dev/null | head -150 >"$out/profile-$1-inclusive.txt"
	fi
	echo "# $1: $out/profile-$1.txt" >&2
}

# soak_run N - N messages of each kind in five slices, RSS after each
soak_run() {
	local slice=$(( $1 / 5 )) op i rss
	start_milter dkimd unix || return 1
	warm "$SOCK" sign-rsa verify
	echo "soak dkimd: RSS $(awk '/^VmRSS/ {print $2}' /proc/$PID/status) kB after warm-up" |
	    tee -a "$out/soak.txt"
	for op in sign-rsa verify; do
		for i in 1 2 3 4 5; do
			run_cell dkimd "$SOCK" unix "$op" 2K 4 "$PID" || status=1
			rss=$(awk '/^VmRSS/ {print $2}' /proc/$PID/status)
			echo "soak dkimd: $op $((i * slice)) messages: RSS $rss kB" |
			    tee -a "$out/soak.txt"
		done
	done
	stop_pid "$PID"
	DKIMD_PID=
}

if [ -n "$soak" ]; then
	BENCH_N2K=$(( soak / 5 ))
	SIZES=2K
	: >"$out/results.txt"
	status=0
	setup || exit 1
	soak_run "$soak" || status=1
	grep -c 'fail=0 ' "$out/results.txt" | sed 's/^/soak: slices without a failure: /'
	exit $status
fi

if [ -n "$profile" ]; then
	SIZES=2K
	CONCS=1
	if [ "$profile" = callgrind ]; then
		BENCH_N2K=${BENCH_N2K:-300}
	fi
	: >"$out/results.txt"
	: >"$out/speed.txt"
	status=0
	setup || exit 1
	for op in sign-rsa sign-ed verify; do
		profile_op "$op" || status=1
	done
	grep '^loadgen' "$out/results.txt"
	exit $status
fi

if [ $quick -eq 1 ]; then
	SIZES="2K 100K"
	CONCS="1 4"
else
	SIZES="2K 100K 10M"
	CONCS="1 4 16"
fi
status=0
: >"$out/results.txt"
if [ $quick -eq 1 ]; then
	: >"$out/speed.txt"
else
	raw_speed
fi
setup || { echo "bench-milter.sh: setup failed" >&2; exit 1; }
for kind in unix inet; do
	if [ -z "$only" ] || [ "$only" = dkimd ]; then
		run_milter dkimd "$kind" sign-rsa sign-ed verify || status=1
	fi
	if [ -z "$only" ] || [ "$only" = opendkim ]; then
		run_milter opendkim "$kind" sign-rsa verify || status=1
		run_milter opendkim-ed "$kind" sign-ed || status=1
	fi
done
$PY "$(dirname "$0")/bench-table.py" "$out" | tee "$out/table.txt"
if command -v gnuplot >/dev/null && [ -s "$out/plot.dat" ]; then
	gnuplot -e "dat='$out/plot.dat'; png='$out/throughput.png'" \
	    "$(dirname "$0")/throughput.gp" 2>"$work/gnuplot.err" ||
	    sed 's/^/# gnuplot: /' "$work/gnuplot.err" >&2
fi
exit $status
