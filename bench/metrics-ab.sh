#!/usr/bin/env bash
# metrics-ab.sh - dkimd's CPU per signed message with MetricsSocket on
# against off, measured in one run (A/B, interleaved rounds)
#
#	bench/metrics-ab.sh [ROUNDS [MESSAGES]]		(defaults 3, 3000)
#
# Two dkimd on the same keys and DNS (dnsmasq), one with a MetricsSocket;
# bench/loadgen signs MESSAGES messages over 4 connections with each in
# turn, ROUNDS times, and prints "off|on ROUND cpu_ms_per_msg" lines and
# the two means. While the "on" dkimd signs, /metrics is scraped every
# second, as a Prometheus would (the scrapes' CPU counts: it is dkimd's);
# the last line says whether on costs within 2% of off.
# Environment: top_builddir (default .), top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
B=${top_builddir:-.}
DKIMTOOL=$B/tools/dkimtool
DKIMD=$B/milter/dkimd
ROUNDS=${1:-3}
N=${2:-3000}
. "$top_srcdir/t/milter/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
T=$(mktemp -d /tmp/metrics-ab.XXXXXX) || exit 1
OFF= ON= SCR=
trap '[ -n "$SCR" ] && kill $SCR; [ -n "$OFF" ] && kill $OFF; [ -n "$ON" ] && kill $ON; dns_stop; rm -rf "$T"' EXIT
DK=$(free_port)
DK2=$(free_port)
mta_dkimd_conf sel >/dev/null || exit 1
echo "SubDomains yes" >>"$T/dkimd.conf"
sed "s/inet:$DK@/inet:$DK2@/" "$T/dkimd.conf" >"$T/on.conf"
MP=$(free_port)
echo "MetricsSocket inet:$MP" >>"$T/on.conf"
printf 'From: <user@example.com>\r\nTo: a@example.net\r\nSubject: ab\r\n\r\nhello\r\n' >"$T/m.eml"
"$DKIMD" -f -c "$T/dkimd.conf" >"$T/off.log" 2>&1 & OFF=$!
"$DKIMD" -f -c "$T/on.conf" >"$T/on.log" 2>&1 & ON=$!
sleep 1
for r in $(seq 1 "$ROUNDS"); do
	for w in off on; do
		if [ $w = off ]; then p=$OFF port=$DK; else p=$ON port=$DK2; fi
		if [ $w = on ]; then
			while curl -s -m 2 -o /dev/null "http://127.0.0.1:$MP/metrics"; do
				sleep 1
			done &
			SCR=$!
		fi
		"$B/bench/loadgen" -s "inet:$port@127.0.0.1" -c 4 -n "$N" \
		    -f "$T/m.eml" --mode sign --pid "$p" | grep '^loadgen' |
		    sed -n "s/.*cpu_ms_per_msg=\([0-9.]*\).*/$w $r \1/p"
		if [ -n "$SCR" ]; then
			kill "$SCR" 2>/dev/null
			wait "$SCR" 2>/dev/null
			SCR=
		fi
	done
done | tee "$T/res"
# the means, and the medians (a loaded machine gives outliers both ways)
med() { awk -v w="$1" '$1 == w { print $3 }' "$T/res" | sort -n |
    awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
awk -v moff="$(med off)" -v mon="$(med on)" '{ s[$1] += $3; n[$1]++ } END {
	r = (s["on"]/n["on"])/(s["off"]/n["off"]); rm = mon / moff
	printf "mean cpu_ms_per_msg: off %.4f on %.4f (on/off %.3f)\n", s["off"]/n["off"], s["on"]/n["on"], r
	printf "median cpu_ms_per_msg: off %.4f on %.4f (on/off %.3f): %s\n", moff, mon, rm, rm <= 1.02 ? "within 2%" : "OVER 2%" }' "$T/res"
