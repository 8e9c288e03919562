#!/usr/bin/env bash
# it-dns-faults.sh - dkimd's verifier against a DNS server that fails (TAP)
#
# dkimd's Nameservers point at t/dnsfake.py on 127.0.0.1. One signed
# message per kind of failure, each signed with its own selector (same
# key), so that every lookup reaches the fault: slow within the budget,
# slow beyond it, never, SERVFAIL, REFUSED, NXDOMAIN, no record,
# truncated answers (TCP fine, TCP closed, TCP silent, TCP dripping one
# byte a second), a black hole, a 60 KB key record, oversized,
# malformed, compression loops, a bad character-string, the wrong owner
# name or type, two key records. Each must give the result documented in
# dkimcore/dns.c (temperror for a server that fails to answer usefully,
# permerror for a key that is not there or not one key), within dkimd's
# per-message DNS budget (2 x DNSTimeout) plus a second. While one
# message waits on a server that never answers, another connection is
# served at once.
#
# Environment: DKIMD, DKIMTOOL, top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=t/data/faults/faults.sh
. "$top_srcdir/t/data/faults/faults.sh"
DNS_TIMEOUT=2
BUDGET=$((DNS_TIMEOUT * 2))
LIMIT=$((BUDGET + 1))

faults_init it-dns-faults
# selector, dnsfake behaviour (empty: a plain record), result, why
cases="\
ok||pass|a plain key record
slowok|slow 800|pass|an answer after 0.8 s, within the budget
slowover|slow 9000|temperror|an answer after 9 s, past the budget
never|timeout|temperror|a server that never answers
servfail|servfail|temperror|SERVFAIL
refused|refused|temperror|REFUSED
nx|nxdomain|permerror|NXDOMAIN: no key
empty|empty|permerror|NOERROR without records: no key
trunc|truncate|pass|truncated over UDP, complete over TCP
truncnotcp|truncate-notcp|temperror|truncated over UDP, TCP closed
trunchang|truncate-hang|temperror|truncated over UDP, TCP never answers
drip|drip 1000|temperror|truncated over UDP, TCP answer dripping one byte a second
blackhole|blackhole|temperror|a name server that drops every query
big|large 60000|permerror|a key record padded to 60 KB (refused as too large)
oversize|oversize|pass|a 4 KB answer with filler records that are not keys
malformed|malformed|temperror|lengths past the end of the message
comploop|comploop|temperror|a compression pointer to itself
badtxt|badtxt|temperror|a character-string longer than its RDATA
wrongname|wrongname|permerror|the record under another owner name
wrongtype|wrongtype|permerror|an A record instead of TXT
two|two|permerror|two key records at one name"

zone=""
while IFS='|' read -r sel beh _ _; do
	name="$sel._domainkey.example.com"
	case "$beh" in
	nxdomain) zone="$zone$name nxdomain
" ;;
	two) zone="$zone$name txt \"$KEYREC\"
$name txt \"$KEYREC\"
" ;;
	*) zone="$zone$name txt \"$KEYREC\"
"
	   [ -n "$beh" ] && zone="$zone$name $beh
" ;;
	esac
	"$DKIMTOOL" sign -d example.com -s "$sel" -k "$work/keys/sel1.private" \
	    "$work/plain.eml" >"$work/signed-$sel.eml"
done <<<"$cases"
# the name for the responsiveness check, and the signing key's own record
zone="${zone}hang._domainkey.example.com timeout
sel1._domainkey.example.com txt \"$KEYREC\""
"$DKIMTOOL" sign -d example.com -s hang -k "$work/keys/sel1.private" \
    "$work/plain.eml" >"$work/signed-hang.eml"

fake_start "$zone" || { echo "Bail out! dnsfake.py did not start"; exit 1; }
dkimd_start || { echo "Bail out! dkimd did not start"; exit 1; }

while IFS='|' read -r sel _ want why; do
	$MFAULT "$PORT" verify-result "$work/signed-$sel.eml" "$want" "$LIMIT" \
	    >"$work/out" 2>&1
	ok $? "$why: dkim=$want within ${LIMIT} s"
	sed 's/^/#   /' "$work/out"
done <<<"$cases"

# responsiveness: one message waits on a silent server, others go on
$MFAULT "$PORT" verify-result "$work/signed-hang.eml" temperror "$LIMIT" \
    >"$work/hang.out" 2>&1 &
hang=$!
sleep 0.5
t0=$(date +%s%N)
$MFAULT "$PORT" sign >"$work/out" 2>&1
rc=$?
$MFAULT "$PORT" verify-result "$work/signed-ok.eml" pass 1 >>"$work/out" 2>&1
rc=$((rc + $?))
ms=$((($(date +%s%N) - t0) / 1000000))
kill -0 "$hang" 2>/dev/null
still=$?
[ "$rc" -eq 0 ] && [ "$still" -eq 0 ] && [ "$ms" -lt 1000 ]
ok $? "while a message waits on DNS, a sign and a verify on other connections take $ms ms"
sed 's/^/#   /' "$work/out"
wait "$hang"
ok $? "the waiting message ends in dkim=temperror within ${LIMIT} s"
sed 's/^/#   /' "$work/hang.out"

grep -q -i "^tcp trunc._domainkey.example.com" "$work/queries.log"
ok $? "a truncated answer is asked again over TCP"
alive
ok $? "dkimd still runs after every DNS fault"
dkimd_stop
sanitizer_clean
ok $? "dkimd's log has no sanitizer or valgrind report"
echo "1..$n"
exit $fail
