#!/usr/bin/env bash
# bench.sh - dkimd's engine benchmark: one table of rates, ratios, memory
#
#	t/bench.sh [BUILDDIR]		(or `make bench` in a build directory)
#
# Builds nothing. Takes the build directory as $1 (else $top_builddir,
# else ./) and expects BUILDDIR/t/bench_engine and BUILDDIR/tools/dkimtool
# in it ($BENCH_ENGINE and $DKIMTOOL override them). It prints one table:
#
#   1. t/bench_engine: engine sign/verify rates for 2 KB, 100 KB and 10 MB
#      messages, body hashing MB/s, the raw OpenSSL rates measured in the
#      same process, and the ratios against the engine's targets;
#   2. `openssl speed -seconds 2 rsa2048 ed25519 sha256` for reference,
#      and the engine's ratios against those figures;
#   3. the peak memory (maximum resident set size) of `dkimtool sign` and
#      `dkimtool verify` on a generated 50 MB message, the key served by
#      dnsmasq on 127.0.0.1 at a random high port (t/lib/dns.sh). Target
#      for verify: under 8 MB.
#
# Environment: BENCH_SECONDS (CPU seconds per bench_engine cell, default
# 1.5), BENCH_SPEED_SECONDS (openssl speed -seconds, default 2),
# BENCH_BIG_MB (size of the big message, default 50).
# Needs: openssl, /usr/bin/python3, dnsmasq (dnsmasq-base); GNU time
# (package time) for the memory figures, else Python's getrusage.
# Exit status: 0 when everything ran (targets missed are reported in the
# table, not failed), 1 when a step could not run.
here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$(dirname "$here")}
build=${1:-${top_builddir:-.}}
build=$(cd "$build" && pwd) || exit 1
engine=${BENCH_ENGINE:-$build/t/bench_engine}
tool=${DKIMTOOL:-$build/tools/dkimtool}
speed_secs=${BENCH_SPEED_SECONDS:-2}
big_mb=${BENCH_BIG_MB:-50}
domain=bench.example.com
selector=big

# shellcheck source=t/lib/dns.sh
. "$srcdir/t/lib/dns.sh"

work=$(mktemp -d /tmp/dkimd-bench.XXXXXX) || exit 1
# dns.sh's EXIT trap stops dnsmasq; ours removes the work folder after it.
trap 'rm -rf -- "$work"' EXIT

# die - one line on stderr, exit 1
die()
{
	echo "bench.sh: $*" >&2
	exit 1
}

# row - one table row in bench_engine's format
row()
{
	printf '| %-40s | %12s | %-8s | %s\n' "$1" "$2" "$3" "${4:-}"
}

# engine_value NAME - the value column of bench_engine's row NAME
engine_value()
{
	awk -F'|' -v n="$1" '{ x = $2; gsub(/^ +| +$/, "", x) }
	    x == n { v = $3; gsub(/ /, "", v); print v; exit }' \
	    "$work/engine.out"
}

# ratio NAME NUM DEN TARGET CMP - a ratio row; CMP is "le" or "ge"
ratio()
{
	awk -v name="$1" -v a="$2" -v b="$3" -v t="$4" -v cmp="$5" 'BEGIN {
		if (a == "" || b == "" || a + 0 <= 0 || b + 0 <= 0) exit
		r = a / b
		met = (cmp == "le") ? r <= t : (cmp == "ge") ? r >= t : 1
		note = (cmp == "") ? "" : sprintf("target %s %s: %s",
		    cmp == "le" ? "<=" : ">=", t, met ? "met" : "MISSED")
		printf("| %-40s | %12.3f | %-8s | %s\n", name, r, "ratio", note)
	}'
}

# run_engine - the in-process benchmark, printed as it goes
run_engine()
{
	[ -x "$engine" ] || die "$engine: not built (make bench builds it)"
	"$engine" | tee "$work/engine.out"
	[ "${PIPESTATUS[0]}" -eq 0 ] || die "bench_engine failed"
}

# run_speed - openssl speed, and the engine against its figures
run_speed()
{
	local rsa ed sha s2k
	openssl speed -seconds "$speed_secs" rsa2048 ed25519 sha256 \
	    > "$work/speed.out" 2>/dev/null || die "openssl speed failed"
	rsa=$(awk '/^rsa 2048 bits/ { print $6; exit }' "$work/speed.out")
	ed=$(awk '/Ed25519\)/ { print $(NF-1); exit }' "$work/speed.out")
	# sha256 row: figures in 1000s of bytes per second, the last is
	# 16384-byte blocks; MB/s = k / 1000.
	sha=$(awk '/^sha256 / { v = $NF; sub(/k$/, "", v);
	    printf("%.1f", v / 1000); exit }' "$work/speed.out")
	echo "|"
	row "openssl speed rsa2048 sign" "$rsa" "sign/s" "openssl speed -seconds $speed_secs"
	row "openssl speed ed25519 sign" "$ed" "sign/s"
	row "openssl speed sha256 (16 KB blocks)" "$sha" "MB/s"
	s2k=$(engine_value "engine sign rsa-sha256 2KB")
	ratio "cost sign rsa 2KB / speed rsa2048 sign" "$rsa" "$s2k" 1.05 le
	ratio "cost sign ed25519 2KB / speed ed25519" "$ed" \
	    "$(engine_value "engine sign ed25519-sha256 2KB")" "" ""
	ratio "body hash simple / speed sha256" \
	    "$(engine_value "engine body hash c=simple 10MB")" "$sha" 0.90 ge
	ratio "body hash relaxed / speed sha256" \
	    "$(engine_value "engine body hash c=relaxed 10MB")" "$sha" 0.60 ge
}

# make_big FILE MB - a text message of about MB megabytes, CRLF lines
make_big()
{
	/usr/bin/python3 - "$1" "$2" "$domain" <<'EOF'
import random, sys
path, mb, dom = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(2)
words = ("the message server relay signature domain key of and a to is "
         "delivery header body mail canonical whitespace report queue in "
         "for we quarterly figures attached please review").split()
lines = []
for i in range(4096):
    line = " ".join(rnd.choice(words) for _ in range(11))
    if i % 9 == 4:
        line += " \t"
    lines.append("" if i % 23 == 22 else line)
block = ("\r\n".join(lines) + "\r\n").encode()
with open(path, "wb") as f:
    f.write(("From: Alice <alice@%s>\r\nTo: bob@example.org\r\n"
             "Subject: a big message\r\nDate: Mon, 1 Dec 2025 12:00:00 +0000\r\n"
             "Message-ID: <big.1@%s>\r\n\r\n" % (dom, dom)).encode())
    done = 0
    while done < mb * 1000000:
        f.write(block)
        done += len(block)
EOF
}

# peak OUT -- CMD... - run CMD (stdout to OUT, stderr to cmd.err); sets
# peak_kb to its maximum resident set size in KB and peak_rc to its status
peak()
{
	local out=$1
	shift 2
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -v -o "$work/time.out" "$@" > "$out" 2>"$work/cmd.err"
		peak_rc=$?
		peak_kb=$(awk -F: '/Maximum resident set size/ {
		    gsub(/ /, "", $2); print $2 }' "$work/time.out")
		return
	fi
	peak_kb=$(/usr/bin/python3 -c '
import resource, subprocess, sys
out, err, rcfile, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(cmd, stdout=o, stderr=e)
open(rcfile, "w").write(str(rc))
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$out" "$work/cmd.err" "$work/rc" "$@")
	peak_rc=$(cat "$work/rc")
}

# mb KB - kilobytes as megabytes, one decimal
mb()
{
	awk -v k="$1" 'BEGIN { printf("%.1f", k / 1024) }'
}

# run_memory - peak memory of dkimtool sign and verify on a big message
run_memory()
{
	local how pub ok
	[ -x "$tool" ] || die "$tool: not built"
	how="GNU time -v"
	[ -x /usr/bin/time ] || how="getrusage (install package time)"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$work/big.key" 2>/dev/null || die "openssl genpkey failed"
	pub=$(openssl pkey -in "$work/big.key" -pubout -outform DER |
	    base64 -w0) || die "openssl pkey failed"
	echo "$selector._domainkey.$domain v=DKIM1; k=rsa; p=$pub" \
	    > "$work/records"
	make_big "$work/big.eml" "$big_mb" || die "cannot make the message"
	dns_start "$work/records" "$work" || die "dnsmasq did not start"

	peak "$work/signed.eml" -- "$tool" sign -d "$domain" -s "$selector" \
	    -k "$work/big.key" "$work/big.eml"
	[ "$peak_rc" -eq 0 ] || die "dkimtool sign: $(cat "$work/cmd.err")"
	echo "|"
	row "dkimtool sign ${big_mb} MB: peak RSS" "$(mb "$peak_kb")" "MB" \
	    "$how"

	peak "$work/ar.out" -- "$tool" verify \
	    --nameserver "127.0.0.1:$DNS_PORT" "$work/signed.eml"
	grep -q 'dkim=pass' "$work/ar.out" ||
	    die "dkimtool verify did not pass: $(cat "$work/ar.out" \
	    "$work/cmd.err")"
	ok=MISSED
	[ "$peak_kb" -lt 8192 ] && ok=met
	row "dkimtool verify ${big_mb} MB: peak RSS" "$(mb "$peak_kb")" "MB" \
	    "target < 8 MB: $ok; dkim=pass, exit $peak_rc"
	dns_stop
}

echo "# dkimd engine benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(openssl version)"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg): other work on the machine adds noise of a few %"
echo "# rates are per CPU second of the process, as openssl speed counts them"
run_engine
run_speed
run_memory
exit 0
