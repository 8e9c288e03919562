#!/usr/bin/env bash
# it-keycheck.sh - KeyCheckInterval: a changed, missing or revoked
# published key shows in the metrics and the log within one interval,
# logged once per change (TAP)
#
# dkimd signs example.com with key "sel", whose record dnsmasq serves,
# checks it every INTERVAL seconds and serves metrics on a free port of
# 127.0.0.1. The record is then replaced in the test DNS server (another
# key published under the same name, as when a zone is edited wrongly or
# a hijacked zone serves its own key), removed, revoked (p= empty), and
# restored; after each change dkimd_key_record_match and
# dkimd_key_record_state must follow within one interval (plus the
# lookup), the log must say it once (not once per check) and the times
# taken are printed. A bad duration is refused by dkimd -t.
#
# Needs: dnsmasq, curl. Environment: DKIMD, DKIMTOOL.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
. "$top_srcdir/t/milter/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

for p in "$DKIMD" "$DKIMTOOL"; do
	[ -x "$p" ] || skip_all "no $p"
done
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
command -v curl >/dev/null || skip_all "curl not installed"

T=$(mktemp -d /tmp/it-keycheck.XXXXXX) || exit 1
DKIMD_PID=
cleanup() {
	dkimd_halt
	dns_stop
	rm -rf "$T"
}
trap cleanup EXIT

INTERVAL=3
DK=$(free_port)
MP=$(free_port)
mta_dkimd_conf sel || { echo "1..0 # SKIP dnsmasq did not start"; exit 0; }
cp "$T/records" "$T/records.good"
printf '%s\n' "MetricsSocket inet:$MP" "KeyCheckInterval ${INTERVAL}s" \
    >>"$T/dkimd.conf"

sed 's/^KeyCheckInterval .*/KeyCheckInterval 5x/' "$T/dkimd.conf" >"$T/bad.conf"
"$DKIMD" -c "$T/bad.conf" -t >"$T/bad.out" 2>&1
[ $? != 0 ] && grep -q 'KeyCheckInterval' "$T/bad.out"
ok $? "dkimd -t refuses KeyCheckInterval 5x ($(head -c 160 "$T/bad.out" | tr '\n' ' '))"

dkimd_launch "$T/dkimd.conf" "$T/dkimd.log"
ok $? "dkimd starts with KeyCheckInterval ${INTERVAL}s"

K='key="sel",domain="example.com",selector="sel"'
# state_now - "MATCH STATE" of key sel in a fresh scrape
state_now() {
	curl -s -m 5 "http://127.0.0.1:$MP/metrics" >"$T/scrape" 2>/dev/null
	awk -v m="dkimd_key_record_match{$K}" -v s="dkimd_key_record_state{$K," '
	    $1 == m { match_ = $2 }
	    index($1, s) == 1 { st = $1; sub(/.*state="/, "", st); sub(/".*/, "", st) }
	    END { print match_ " " st }' "$T/scrape"
}
# wait_state WANT - poll every 0.2 s until state_now is WANT (at most
# 4 intervals); prints the milliseconds it took
wait_state() {
	local t0 t1 got
	t0=$(date +%s%N)
	for _ in $(seq 1 $((INTERVAL * 20))); do
		got=$(state_now)
		if [ "$got" = "$1" ]; then
			t1=$(date +%s%N)
			echo $(( (t1 - t0) / 1000000 ))
			return 0
		fi
		sleep 0.2
	done
	echo "never (last: $got)"
	return 1
}
# within MS - 0 when MS is a number within one interval plus 2 s (the
# lookups and the polling, on a loaded machine)
within() {
	case "$1" in
	''|*[!0-9]*) return 1 ;;
	esac
	[ "$1" -le $((INTERVAL * 1000 + 2000)) ]
}
logged() { grep -c "key check: sel._domainkey.example.com (key sel): $1" "$T/dkimd.log"; }

ms=$(wait_state "1 match")
within "$ms"
ok $? "the published record is checked and matches ($ms ms after start)"
age=$(awk -v k="dkimd_key_age_seconds{$K}" '$1 == k { print $2 }' "$T/scrape")
when=$(awk '$1 == "dkimd_key_check_last_run_timestamp_seconds" { print $2 }' "$T/scrape")
[ -n "$age" ] && [ "$age" -ge 0 ] && [ "$age" -lt 600 ] && [ "${when:-0}" -gt 0 ]
ok $? "the key's age is exported ($age s, from its file) and the time of the check ($when)"
! grep -q 'key check:' "$T/dkimd.log"
ok $? "a matching key logs nothing"

# another key published under the same name
mkdir -p "$T/other"
"$DKIMTOOL" genkey -d example.com -s sel -D "$T/other" >/dev/null
zone_to_records "$T/other/sel.txt" >"$T/records.other"
dns_reload "$T/records.other"
ok $? "the test DNS server now publishes another key as sel._domainkey.example.com"
ms=$(wait_state "0 differs")
within "$ms"
ok $? "dkimd_key_record_match 0, state differs, $ms ms after the change (interval ${INTERVAL} s)"
sleep $((INTERVAL * 2 + 1))
n1=$(logged "record differs from the private key")
[ "$n1" = 1 ]
ok $? "the mismatch is logged once over three intervals ($n1 lines)"

printf 'other._domainkey.example.com v=DKIM1; p=\n' >"$T/records.none"
dns_reload "$T/records.none"
ms=$(wait_state "0 missing")
within "$ms" && [ "$(logged "no record")" = 1 ]
ok $? "the record removed: state missing within $ms ms, logged once"

sed 's/ v=DKIM1.*/ v=DKIM1; k=rsa; p=/' "$T/records.good" >"$T/records.revoked"
dns_reload "$T/records.revoked"
ms=$(wait_state "0 revoked")
within "$ms" && [ "$(logged "key revoked")" = 1 ]
ok $? "the record revoked (p= empty): state revoked within $ms ms, logged once"

dns_reload "$T/records.good"
ms=$(wait_state "1 match")
within "$ms" && [ "$(logged "published record matches again")" = 1 ]
ok $? "the right record back: match within $ms ms, logged once as matching again"
sed 's/^/# log: /' "$T/dkimd.log" | grep 'key check'

# the DNS server gone: a DNS error keeps the last known match
dns_stop
ms=$(wait_state "1 dns_error")
[ -n "$ms" ] && [ "${ms#never}" = "$ms" ]
ok $? "DNS unreachable: state dns_error, the last known match (1) kept ($ms ms)"

kill -0 "$DKIMD_PID" 2>/dev/null
ok $? "dkimd is still running"
dkimd_halt
dkimd_sanitizer "$T/dkimd.log"
[ $fail -ne 0 ] && sed 's/^/# /' "$T/dkimd.log" | tail -20
echo "1..$n"
exit $fail
