#!/usr/bin/env bash
# it-metrics.sh - dkimd's MetricsSocket counts every message exactly once,
# carries no text from mail, and a local user cannot wedge it (TAP)
#
# dkimd signs example.com (a key served by dnsmasq) and serves metrics on
# a free port of 127.0.0.1. bench/loadgen sends known numbers of messages:
# signed, verified (pass), verified (body changed: fail); /metrics must
# show exactly those numbers, per outcome, per cause and per algorithm,
# and so must a real Prometheus (which asks for OpenMetrics; its own
# configuration and storage in the
# test's folder, loopback, a free port, scraping every second), asked
# through its HTTP API.
# Then the attacks: 10,000 inbound messages, each with its own d= and
# From domain, add no series and name none of those domains; a request
# line over the ceiling is refused; a client that connects and says
# nothing delays a scrape by the read deadline at most, and a message
# by nothing; paths other than /metrics and /healthz are 404. The log
# (LogFormat json) has one valid JSON object per message.
#
# Needs: dnsmasq, curl; prometheus for its points. Environment: DKIMD, DKIMTOOL, LOADGEN.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
. "$top_srcdir/t/milter/lib.sh"
. "$top_srcdir/t/lib/dns.sh"

for p in "$DKIMD" "$DKIMTOOL" "$LOADGEN"; do
	[ -x "$p" ] || skip_all "no $p"
done
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
command -v curl >/dev/null || skip_all "curl not installed"

T=$(mktemp -d /tmp/it-metrics.XXXXXX) || exit 1
DKIMD_PID=
SLOW_PID=
PROM_PID=
cleanup() {
	[ -n "$SLOW_PID" ] && kill "$SLOW_PID" 2>/dev/null
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	dkimd_halt
	dns_stop
	rm -rf "$T"
}
trap cleanup EXIT

DK=$(free_port)
MP=$(free_port)
mta_dkimd_conf sel || { echo "1..0 # SKIP dnsmasq did not start"; exit 0; }
printf '%s\n' "MetricsSocket inet:$MP" "SubDomains yes" "LogFormat json" \
    "KeyCheckInterval 2s" >>"$T/dkimd.conf"

# the messages: one to sign, the same signed, and signed then changed
{
	printf 'From: Sender <user@example.com>\r\nTo: a@example.net\r\n'
	printf 'Subject: metrics\r\nDate: Tue, 1 Dec 2026 11:59:58 +0000\r\n'
	printf 'Message-ID: <metrics.1@example.com>\r\n\r\nhello\r\n'
} >"$T/plain.eml"
"$DKIMTOOL" sign -d example.com -s sel -k "$T/keys/sel.private" \
    "$T/plain.eml" >"$T/signed.eml"
sed 's/^hello/HELLO/' "$T/signed.eml" >"$T/changed.eml"
# mail to sign that is not signed: a From that does not parse (On-BadAuthor;
# a From without a key would be verified instead)
sed 's/^From: .*/From: Other <user@other.test@example.com>\r/' "$T/plain.eml" >"$T/other.eml"

dkimd_launch "$T/dkimd.conf" "$T/dkimd.log"
ok $? "dkimd starts with MetricsSocket inet:$MP (no host: loopback)"
URL=http://127.0.0.1:$MP

# metric NAME{LABELS} - its value in a fresh scrape (empty when absent)
metric() {
	curl -s -m 10 "$URL/metrics" | awk -v k="$1" '$1 == k { print $2 }'
}
series() {
	curl -s -m 10 "$URL/metrics" | grep -vc '^#'
}

code=$(curl -s -m 10 -o "$T/h" -w '%{http_code}' "$URL/healthz")
[ "$code" = 200 ] && grep -q '^ok' "$T/h"
ok $? "GET /healthz answers 200 ok with a configuration loaded ($code)"
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/other")
[ "$code" = 404 ]
ok $? "GET /other is 404 ($code)"

# prometheus_start - a private Prometheus scraping dkimd every second;
# 0 once its API answers (30 s at most)
prometheus_start() {
	PP=$(free_port)
	mkdir -p "$T/prom"
	cat >"$T/prom.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: dkimd
    static_configs:
      - targets: ['127.0.0.1:$MP']
EOT
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/prom" \
	    --web.listen-address="127.0.0.1:$PP" >"$T/prom.log" 2>&1 &
	PROM_PID=$!
	for _ in $(seq 1 300); do
		curl -s -m 2 "http://127.0.0.1:$PP/-/ready" | grep -qi ready && return 0
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# promq QUERY - the value Prometheus gives the instant QUERY (empty if none)
promq() {
	curl -s -m 5 -G "http://127.0.0.1:$PP/api/v1/query" \
	    --data-urlencode "query=$1" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' 2>/dev/null
}

# prom_wait QUERY WANT - 0 once Prometheus gives WANT for QUERY (20 s)
prom_wait() {
	for _ in $(seq 1 80); do
		got=$(promq "$1")
		[ "$got" = "$2" ] && return 0
		sleep 0.25
	done
	return 1
}

PROM=0
if command -v prometheus >/dev/null; then
	prometheus_start
	ok $? "a private Prometheus starts on 127.0.0.1:$PP, scraping dkimd"
	[ $fail = 0 ] && PROM=1
	[ $PROM = 0 ] && sed 's/^/#   /' "$T/prom.log" | tail -10
fi

NS=7 NV=5 NF=3 NU=2
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 2 -n $NS -f "$T/plain.eml" \
    --mode sign >"$T/lg" 2>&1 &&
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 2 -n $NV -f "$T/signed.eml" \
    --mode verify --expect pass >>"$T/lg" 2>&1 &&
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n $NF -f "$T/changed.eml" \
    --mode verify --expect fail >>"$T/lg" 2>&1 &&
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n $NU -f "$T/other.eml" \
    --mode sign --sigs 0 >>"$T/lg" 2>&1
ok $? "loadgen: $NS signed, $NV verified pass, $NF verified fail, $NU not signed"
grep '^loadgen ' "$T/lg" | sed 's/^/# /'
curl -s -m 10 "$URL/metrics" >"$T/scrape1"
v() { awk -v k="$1" '$1 == k { print $2 }' "$T/scrape1"; }
[ "$(v 'dkimd_messages_total{mode="sign",outcome="signed"}')" = $NS ]
ok $? "messages_total sign/signed is $NS ($(v 'dkimd_messages_total{mode="sign",outcome="signed"}'))"
[ "$(v 'dkimd_messages_total{mode="verify",outcome="verified"}')" = $((NV + NF)) ]
ok $? "messages_total verify/verified is $((NV + NF))"
[ "$(v 'dkimd_verify_results_total{result="pass",cause="pass"}')" = $NV ]
ok $? "verify_results_total pass is $NV"
[ "$(v 'dkimd_verify_results_total{result="fail",cause="body_hash"}')" = $NF ]
ok $? "verify_results_total fail/body_hash is $NF ($(grep 'result="fail"' "$T/scrape1" | grep -v ' 0$' | tr '\n' ' '))"
[ "$(v 'dkimd_signatures_total{algorithm="rsa-sha256"}')" = $NS ]
ok $? "signatures_total rsa-sha256 is $NS"
[ "$(v 'dkimd_message_duration_seconds_count')" = $((NS + NV + NF + NU)) ]
ok $? "the message-time histogram counts $((NS + NV + NF + NU)) messages"
uns=$(grep '^dkimd_messages_unsigned_total' "$T/scrape1" | grep -v ' 0$' | tr '\n' ' ')
[ "$(v 'dkimd_messages_total{mode="sign",outcome="unsigned"}')" = $NU ] &&
    [ "$(awk '/^dkimd_messages_unsigned_total\{/ { s += $2 } END { print s + 0 }' "$T/scrape1")" = $NU ] &&
    [ "$(grep -c '^dkimd_messages_unsigned_total{' "$T/scrape1")" = 6 ]
ok $? "$NU unsigned messages counted with one reason class each, of 6 enumerated ($uns)"
a=$(v 'dkimd_key_answers_total{class="ok"}')
h=$(v dkimd_key_cache_hits_total)
mi=$(v dkimd_key_cache_misses_total)
# dnsmasq serves its records with TTL 0: a hit is possible, not due
[ "${a:-0}" -ge 1 ] && [ $((h + mi)) = $((NV + NF)) ] &&
    [ "$(v dkimd_key_query_duration_seconds_count)" = "$(v dkimd_key_queries_total)" ] &&
    [ "$(v 'dkimd_key_query_duration_seconds_bucket{le="+Inf"}')" = "$(v dkimd_key_queries_total)" ]
ok $? "key lookups: $a answered ok; $h cache hits + $mi misses = $((NV + NF)) lookups; every query timed once ($(v dkimd_key_queries_total))"
[ "$(v 'dkimd_table_lookups_total{result="found"}')" = $NS ] &&
    [ "$(v dkimd_table_keys)" = 1 ]
ok $? "key tables: $NS SigningTable lookups found, 1 key loaded from the KeyTable file"
c=$(v 'dkimd_connections_total')
[ "${c:-0}" -ge 5 ] && [ "$(v dkimd_connections_open)" = 0 ]
ok $? "connections: $c made, none open after loadgen"
[ "$(v 'dkimd_messages_in_flight')" = 0 ] && [ -n "$(v process_cpu_seconds_total)" ] &&
    [ "$(v process_open_fds)" -gt 0 ] && [ "$(v process_resident_memory_bytes)" -gt 0 ]
ok $? "in flight 0; process_* present (fds $(v process_open_fds), rss $(v process_resident_memory_bytes))"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/scrape1" >"$T/promtool" 2>&1
	ok $? "promtool check metrics passes on a scrape"
	sed 's/^/#   /' "$T/promtool" | head -10
fi

if [ $PROM = 1 ]; then
	for q in 'dkimd_messages_total{mode="sign",outcome="signed"}'=$NS \
	    'dkimd_messages_total{mode="verify",outcome="verified"}'=$((NV + NF)) \
	    'dkimd_verify_results_total{result="pass"}'=$NV \
	    'dkimd_verify_results_total{cause="body_hash"}'=$NF \
	    'dkimd_signatures_total{algorithm="rsa-sha256"}'=$NS \
	    'sum(dkimd_messages_total)'=$((NS + NV + NF + NU)) \
	    'sum(dkimd_messages_unsigned_total)'=$NU \
	    'dkimd_key_record_match{key="sel",domain="example.com",selector="sel"}'=1 \
	    'up{job="dkimd"}'=1; do
		prom_wait "${q%=*}" "${q##*=}"
		ok $? "Prometheus API: ${q%=*} == ${q##*=} (got ${got:-nothing})"
	done
fi

ct=$(curl -s -m 10 -o "$T/om" -w '%{content_type}' \
    -H 'Accept: application/openmetrics-text;version=1.0.0' "$URL/metrics")
case "$ct" in application/openmetrics-text*) r=0 ;; *) r=1 ;; esac
[ $r = 0 ] && [ "$(tail -n 1 "$T/om")" = "# EOF" ] &&
    grep -q '^# TYPE dkimd_messages counter$' "$T/om" &&
    grep -q "^dkimd_messages_total{mode=\"sign\",outcome=\"signed\"} $NS\$" "$T/om"
ok $? "Accept: OpenMetrics gets OpenMetrics ($ct; counter families without _total, # EOF)"

# the dashboard and the rules name only metrics dkimd serves, and parse
if command -v promtool >/dev/null; then
	promtool check rules "$top_srcdir/etc/prometheus/dkimd-rules.yml" >"$T/rules" 2>&1
	ok $? "promtool check rules etc/prometheus/dkimd-rules.yml ($(grep -o '[0-9]* rules found' "$T/rules"))"
	(cd "$top_srcdir/t/data/prometheus" &&
	    promtool test rules dkimd-rules-test.yml) >"$T/rtest" 2>&1
	ok $? "promtool test rules: key mismatch, key database down and no signing fire after their time, not before"
	[ $fail = 0 ] || sed 's/^/#   /' "$T/rtest" | tail -20
fi
# the database families exist with database tables only (it-metrics-db.sh),
# a key's not_after with a database key that has one
/usr/bin/python3 "$top_srcdir/t/lib/metric_names.py" "$top_srcdir" "$T/scrape1" \
    '(?:dkimd|process)_[a-z_]+' '^dkimd_table_database_|not_after' >"$T/names" 2>&1
ok $? "the Grafana dashboard and the rules name only served metrics ($(cat "$T/names"))"
if [ $PROM = 1 ]; then
	/usr/bin/python3 - "$top_srcdir" "$PP" >"$T/dq" 2>&1 <<'EOT'
import json, re, sys, urllib.parse, urllib.request
top, port = sys.argv[1], sys.argv[2]
import time
d = json.load(open(top + "/etc/grafana/dkimd-dashboard.json"))
# a rate() needs two samples in its window: a window of 2 minutes (the
# scrapes are 1 s apart, but a loaded machine delays them), and a few
# tries while the first scrapes come in
for attempt in range(15):
    bad = []
    for p in d["panels"]:
        for t in p["targets"]:
            if re.search(r"dkimd_table_database_|not_after", t["expr"]):
                continue	# database tables only (it-metrics-db.sh)
            q = t["expr"].replace("$__rate_interval", "2m").replace("$instance", ".*")
            u = "http://127.0.0.1:%s/api/v1/query?%s" % (port, urllib.parse.urlencode({"query": q}))
            try:
                r = json.load(urllib.request.urlopen(u, timeout=5))
                if r.get("status") != "success" or not r["data"]["result"]:
                    bad.append(p["title"])
            except Exception as e:
                bad.append("%s: %s" % (p["title"], e))
    if not bad:
        break
    time.sleep(1)
print("%d panels; failing: %s" % (len(d["panels"]), bad or "none"))
sys.exit(1 if bad else 0)
EOT
	ok $? "Prometheus answers every dashboard query with data ($(cat "$T/dq"))"
fi

# the attack: the sender controls d= and From; 10,000 of them
before=$(series)
[ $PROM = 1 ] && pbefore=$(promq 'count({job="dkimd"})')
start=$(date +%s)
timeout 300 /usr/bin/python3 "$top_srcdir/t/milter/dflood.py" \
    "127.0.0.1:$DK" 10000 >"$T/flood" 2>&1
ok $? "10,000 messages with 10,000 different d= sent ($(cat "$T/flood"); $(( $(date +%s) - start )) s)"
curl -s -m 10 "$URL/metrics" >"$T/scrape2"
after=$(grep -vc '^#' "$T/scrape2")
[ "$before" -gt 0 ] && [ "$before" = "$after" ]
ok $? "no series added: $before before, $after after"
if [ $PROM = 1 ]; then
	fl=$(awk '$1 == "dkimd_messages_total{mode=\"verify\",outcome=\"verified\"}" { print $2 }' "$T/scrape2")
	prom_wait 'dkimd_messages_total{mode="verify",outcome="verified"}' "$fl" &&
	    [ "$(promq 'count({job="dkimd"})')" = "$pbefore" ]
	ok $? "Prometheus holds as many dkimd series after the flood as before ($pbefore, now $(promq 'count({job="dkimd"})'))"
fi
! grep -q 'flood' "$T/scrape2"
ok $? "no domain of the flood appears in /metrics"
nk=$(awk '$1 == "dkimd_verify_results_total{result=\"permerror\",cause=\"no_key\"}" { print $2 }' "$T/scrape2")
[ "$nk" = 10000 ]
ok $? "each of them counted once, as permerror/no_key ($nk)"
neg=$(awk '$1 ~ /^dkimd_key_answers_total\{class="(nxdomain|nodata)"\}$/ { s += $2 } END { print s + 0 }' "$T/scrape2")
[ "$neg" -ge 10000 ]
ok $? "their key queries are counted by class, nxdomain or nodata ($neg), the names nowhere"

# a local user: a huge request line, then a client that says nothing
code=$(curl -s -m 10 -o /dev/null -w '%{http_code}' "$URL/$(head -c 5000 /dev/zero | tr '\0' a)")
[ "$code" = 400 ]
ok $? "a request over the 2 KB ceiling is refused with 400 ($code)"
/usr/bin/python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(30)' "$MP" &
SLOW_PID=$!
sleep 0.3
t0=$(date +%s%N)
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n 1 -f "$T/plain.eml" --mode sign >/dev/null 2>&1
rc=$?
t1=$(date +%s%N)
[ $rc = 0 ] && [ $(( (t1 - t0) / 1000000 )) -lt 1500 ]
ok $? "a message is signed while a silent client holds the metrics socket ($(( (t1 - t0) / 1000000 )) ms)"
t0=$(date +%s%N)
s=$(metric 'dkimd_messages_total{mode="sign",outcome="signed"}')
t1=$(date +%s%N)
[ "$s" = $((NS + 1)) ] && [ $(( (t1 - t0) / 1000000 )) -lt 8000 ]
ok $? "a scrape behind the silent client is answered in $(( (t1 - t0) / 1000000 )) ms (read deadline 2 s)"
kill "$SLOW_PID" 2>/dev/null
SLOW_PID=
kill -0 "$DKIMD_PID" 2>/dev/null
ok $? "dkimd is still running"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q '^dkimd: info: reloaded' "$T/dkimd.log" && break; sleep 0.1; done
r=$(metric 'dkimd_reloads_total{result="ok"}')
kill -0 "$DKIMD_PID" 2>/dev/null && [ "$r" = 2 ]
ok $? "SIGHUP reloads (the metrics thread never takes the signal): reloads ok $r"
dkimd_halt
/usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    i = line.find(b"{\"qid\":")
    if i >= 0:
        json.loads(line[i:].decode("utf-8"))
        n += 1
print(n)' "$T/dkimd.log" >"$T/json" 2>&1
[ "$(cat "$T/json")" -ge 10016 ] 2>/dev/null
ok $? "LogFormat json: every message line is a JSON object ($(head -c 200 "$T/json") lines)"
dkimd_sanitizer "$T/dkimd.log"
[ $fail -ne 0 ] && sed 's/^/# log: /' "$T/dkimd.log" | tail -20
echo "1..$n"
exit $fail
