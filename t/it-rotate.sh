#!/usr/bin/env bash
# it-rotate.sh - dkimtool rotate --auto against a real BIND 9: a primary
# that takes TSIG-signed UPDATEs and a secondary fed by NOTIFY/IXFR,
# while dkimd keeps signing and dkimpy checks every message
#
# The life cycle, with periods of seconds (KeyRetention 12s): run 1
# makes the new key, publishes it, waits for both servers, activates it
# and sends dkimd SIGHUP; run 2, after KeyRetention, revokes the old
# selector (p= empty); run 3, after KeyRetention again, deletes it. The
# load (t/rotate/load.py) signs a message every ~0.1 s throughout and
# verifies each at once against both servers. A timeline is printed as
# TAP comments. Then the failures, each on its own copy of the tables:
# a wrong TSIG secret (BADSIG), a key the server's update-policy does
# not allow (REFUSED), a check server that never sees the record
# (DNSUpdateWait runs out): each exits 1 with the reason, leaves the old
# key active and the SigningTable as it was; run again once the cause is
# gone, the same new key goes on (resumed, not made anew).
# Needs: bind9 (named, tsig-keygen), bind9-dnsutils (dig, nsupdate),
# dnsmasq, python3-dkim.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
. "$top_srcdir/t/milter/lib.sh"
. "$top_srcdir/t/lib/dns.sh"
. "$top_srcdir/t/lib/bind.sh"

command -v named >/dev/null && command -v nsupdate >/dev/null ||
	skip_all "no named or nsupdate (bind9, bind9-dnsutils)"
/usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null ||
	skip_all "no dkimpy (python3-dkim)"

W=$(mktemp -d /tmp/dkimd-rotate.XXXXXX)
LOAD_PID=
cleanup() {
	[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null
	dkimd_halt
	bind_stop
	dns_stop
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
T0=$(date +%s.%N)

# stamp - seconds since the start of the script
stamp() {
	echo "$(date +%s.%N) $T0" | awk '{printf "%.1f", $1 - $2}'
}

# tl - one line of the timeline
tl() {
	echo "# timeline +$(stamp)s: $*"
}

bind_start "$W/bind" example.test yes || {
	echo "not ok 1 - BIND primary and secondary start"; sed 's/^/# /' \
	    "$W/bind/named"*.log | tail -20; exit 1; }
ok 0 "BIND 9 primary (port $BIND_PORT) and secondary (port $BIND2_PORT) answer for example.test"

# setup DIR - keys, tables and dkimd.conf of a signer of example.test with
# the active key "old" (its record put into DNS by nsupdate)
setup() {
	local d=$1
	mkdir -p "$d/keys"
	"$DKIMTOOL" genkey -d example.test -s old -D "$d/keys" >/dev/null
	chmod 600 "$d/keys/old.private"
	printf 'old._domainkey.example.test\texample.test:old:%s\n' \
	    "$d/keys/old.private" >"$d/key.table"
	printf '*@example.test\told._domainkey.example.test\n' >"$d/signing.table"
	cat >"$d/dkimd.conf" <<EOF
Socket		inet:${DK:-1}@127.0.0.1
Mode		s
KeyTable	$d/key.table
SigningTable	refile:$d/signing.table
PidFile		$d/dkimd.pid
Nameservers	127.0.0.1:$BIND_PORT
DNSUpdateServer	127.0.0.1:$BIND_PORT
DNSUpdateKey	$BIND_KEY
DNSUpdateCheck	127.0.0.1:$BIND_PORT, 127.0.0.1:$BIND2_PORT
DNSUpdateWait	20s
KeyRetention	12s
EOF
}

# publish_old DIR - put DIR's "old" record into DNS with nsupdate
publish_old() {
	local rec
	rec=$("$DKIMTOOL" showkeys -1 -c "$1/dkimd.conf" -d example.test |
	    awk -F'\t' '/^old\._domainkey/ {print $2}')
	printf 'server 127.0.0.1 %s\nupdate add old._domainkey.example.test 300 TXT "%s"\nsend\n' \
	    "$BIND_PORT" "$(echo "$rec" | sed 's/\(.\{200\}\)/\1" "/g')" |
	    nsupdate -k "$BIND_KEY"
}

# txt PORT NAME - the TXT record at NAME on a server, strings joined
txt() {
	dig +short +tcp -p "$1" @127.0.0.1 TXT "$2" | tr -d '" \n'
}

# list DIR - dkimtool key list: NAME STATE, one pair per key
list() {
	"$DKIMTOOL" key list -c "$1/dkimd.conf" | cut -f 1,5 | tr '\t\n' '= '
}

# ---- the life cycle under load ----------------------------------------------

DK=$(free_port)
setup "$W/live"
publish_old "$W/live"
ok $? "the old key's record is put into the zone by nsupdate"
for _ in $(seq 1 50); do
	[ -n "$(txt "$BIND2_PORT" old._domainkey.example.test)" ] && break
	sleep 0.2
done
printf 'From: user@example.test\nTo: rcpt@example.net\nSubject: rotation\nMessage-ID: <rot@example.test>\n\nSigned during a key rotation.\n' \
    >"$W/msg.eml"
dkimd_launch "$W/live/dkimd.conf" "$W/dkimd.log" || exit 1
/usr/bin/python3 "$top_srcdir/t/rotate/load.py" "127.0.0.1:$DK" "$W/msg.eml" \
    "$W/stop" "$BIND_PORT" "$BIND2_PORT" >"$W/load.out" 2>"$W/load.err" &
LOAD_PID=$!
sleep 2
tl "load running: $(grep -c '^msg' "$W/load.out") messages signed with s=old so far"

# rot N - rotate --auto, output with the time of each line into rot.N
rot() {
	local n=$1; shift
	"$DKIMTOOL" rotate -c "$W/live/dkimd.conf" -d example.test --auto "$@" \
	    2>&1 | while IFS= read -r l; do echo "+$(stamp)s $l"; done \
	    >"$W/rot.$n"
	return "${PIPESTATUS[0]}"
}

rot 0
ok $? "run 0: rotate --auto exits 0 with a young key"
grep -q "KeyRotationAge not reached" "$W/rot.0" && ! grep -q "new rsa key" "$W/rot.0"
ok $? "run 0: a key younger than KeyRotationAge (180d) is not replaced"
tl "run 1: rotate --auto --force starts"
rot 1 --force
ok $? "run 1: rotate --auto --force exits 0"
sed -n 's/^\(+[0-9.]*s\) ; \(.*\)/# timeline \1: \2/p' "$W/rot.1" | grep -v 'IN TXT\|^# timeline [^:]*: *"'
new=$(sed -n 's/.*; \(r[0-9]\{14\}\)\._domainkey.example.test: new rsa key.*/\1/p' "$W/rot.1")
[ -n "$new" ]
ok $? "run 1: a new RSA key under a dated selector ($new)"
grep -q "servers answer the new record" "$W/rot.1"
ok $? "run 1: waited until the primary, the secondary and Nameservers answer it"
grep -q "dkimd (pid $DKIMD_PID) told to reload" "$W/rot.1"
ok $? "run 1: dkimd told to reload (SIGHUP to the pid in PidFile)"
is_list=$(list "$W/live")
[ "$is_list" = "old._domainkey.example.test=retired $new._domainkey.example.test=active " ]
ok $? "run 1: key list: old retired, new active ($is_list)"
[ "$(txt "$BIND2_PORT" "$new._domainkey.example.test")" != "" ]
ok $? "run 1: the secondary serves the new record (IXFR after NOTIFY)"
for _ in $(seq 1 50); do
	grep -q "s=$new pass pass" "$W/load.out" && break
	sleep 0.2
done
tl "dkimd signs with $new (first message: $(grep -m1 "s=$new" "$W/load.out" | cut -d' ' -f2))"

rot 1b --force
ok $? "run 1 again at once: exit 0, nothing to do"
grep -q "new .* key" "$W/rot.1b"
ok $((!$?)) "run 1 again: no second key (idempotent)"
grep -q "waiting: old._domainkey.example.test stays published until" "$W/rot.1b"
ok $? "run 1 again: says that it waits for KeyRetention of the old key"

# until WHEN - sleep until the Unix time WHEN has passed
until_past() {
	while [ "$(date +%s)" -le "$1" ]; do sleep 0.5; done
}
until_past "$(sed -n 's/.*old._domainkey.example.test retired: keep its record published until \([0-9]*\).*/\1/p' "$W/rot.1")"
tl "run 2: after KeyRetention"
rot 2
ok $? "run 2: exit 0"
sed -n 's/^\(+[0-9.]*s\) ; \(.*\)/# timeline \1: \2/p' "$W/rot.2"
[ "$(txt "$BIND2_PORT" old._domainkey.example.test)" = "v=DKIM1;p=" ]
ok $? "run 2: the old selector is revoked (p= empty) on the secondary"
grep -q "old._domainkey.example.test=revoked" <<<"$(list "$W/live")"
ok $? "run 2: key list: old revoked"

until_past "$(date -d "$(sed -n 's/.*its record is deleted after \(.*UTC\).*/\1/p' "$W/rot.2")" +%s)"
tl "run 3: after KeyRetention again"
rot 3
ok $? "run 3: exit 0"
sed -n 's/^\(+[0-9.]*s\) ; \(.*\)/# timeline \1: \2/p' "$W/rot.3"
[ -z "$(txt "$BIND_PORT" old._domainkey.example.test)" ] &&
    [ -z "$(txt "$BIND2_PORT" old._domainkey.example.test)" ]
ok $? "run 3: the old selector is deleted from both servers"
[ "$(list "$W/live")" = "$new._domainkey.example.test=active " ]
ok $? "run 3: key list: only the new key, active"

touch "$W/stop"
wait "$LOAD_PID"
LOAD_PID=
tl "load stopped"
total=$(grep -c '^msg' "$W/load.out")
good=$(grep -c '^msg .* s=[a-z0-9]* pass pass$' "$W/load.out")
nold=$(grep -c ' s=old pass pass$' "$W/load.out")
nnew=$(grep -c " s=$new pass pass$" "$W/load.out")
echo "# load: $total messages, $good verified by dkimpy on both servers ($nold s=old, $nnew s=$new)"
[ "$total" -gt 20 ] && [ "$good" = "$total" ] && [ "$nold" -gt 0 ] &&
    [ "$nnew" -gt 0 ]
ok $? "every message signed during the rotation verifies with dkimpy against the primary and the secondary"
grep '^msg' "$W/load.out" | grep -v ' pass pass$' | head -5 | sed 's/^/# /'
# the switch in dkimd's log: s=old up to one message, s=$new from the next
sels=$(grep -o 'd=example.test s=[a-z0-9]*' "$W/dkimd.log" | uniq -c |
    awk '{print $3}' | tr '\n' ' ')
[ "$sels" = "s=old s=$new " ]
ok $? "dkimd's log: s=old, then s=$new, one switch ($sels)"
grep -q "no key\|unsigned\|passed unsigned" "$W/dkimd.log"
ok $((!$?)) "dkimd's log: no message unsigned (no gap at the switch)"
dkimd_halt
dkimd_sanitizer "$W/dkimd.log"

# ---- failures: nothing half-done ----------------------------------------------

# failcase NAME - a fresh signer in $W/NAME, its old record published
failcase() {
	DK=1 setup "$W/$1"
	publish_old "$W/$1"
	cp "$W/$1/signing.table" "$W/$1/signing.before"
}

# nothing_done NAME WHAT - old key active, new one only published, tables
nothing_done() {
	local l
	l=$(list "$W/$1")
	[[ "$l" == "old._domainkey.example.test=active r"*"._domainkey.example.test=published " ]] &&
	    cmp -s "$W/$1/signing.table" "$W/$1/signing.before"
	ok $? "$2: the old key stays active, the new one is not signing, SigningTable unchanged ($l)"
}

# frot NAME - rotate --auto on NAME's tables; status, stderr in NAME/err
frot() {
	"$DKIMTOOL" rotate -c "$W/$1/dkimd.conf" -d example.test --auto \
	    --force >"$W/$1/out" 2>"$W/$1/err"
}

failcase badsig
sed 's|secret "[^"]*"|secret "'"$(head -c 32 /dev/urandom | base64)"'"|' \
    "$BIND_KEY" >"$W/wrong.key"
chmod 644 "$W/wrong.key"
sed -i "s|^DNSUpdateKey.*|DNSUpdateKey $W/wrong.key|" "$W/badsig/dkimd.conf"
frot badsig
is=$?
[ "$is" = 1 ] && grep -q "readable by group or others" "$W/badsig/err" &&
    [ "$(list "$W/badsig")" = "old._domainkey.example.test=active " ]
ok $? "a TSIG key file others may read is refused before anything is done"
chmod 600 "$W/wrong.key"
sed -i "s|^DNSUpdateKey.*|DNSUpdateKey $W/wrong.key|" "$W/badsig/dkimd.conf"
frot badsig
is=$?
sed 's/^/# badsig: /' "$W/badsig/err"
[ "$is" = 1 ] && grep -q "BADSIG" "$W/badsig/err"
ok $? "wrong TSIG secret: exit 1, the server's BADSIG named"
grep -q "$(sed -n 's/.*secret "\(.\{12\}\).*/\1/p' "$W/wrong.key")" \
    "$W/badsig/out" "$W/badsig/err"
ok $((!$?)) "wrong TSIG secret: the secret is not printed"
nothing_done badsig "wrong TSIG secret"
sed -i "s|^DNSUpdateKey.*|DNSUpdateKey $BIND_KEY|" "$W/badsig/dkimd.conf"
frot badsig
is=$?
[ "$is" = 0 ] && ! grep -q "new rsa key" "$W/badsig/out" &&
    grep -q "=active" <<<"$(list "$W/badsig" | sed 's/old[^ ]*//')"
ok $? "with the right secret, run again: the same new key is published and activated (resumed)"

failcase refused
sed -i "s|^DNSUpdateKey.*|DNSUpdateKey $W/bind/other.key|" "$W/refused/dkimd.conf"
frot refused
is=$?
sed 's/^/# refused: /' "$W/refused/err"
[ "$is" = 1 ] && grep -q "REFUSED" "$W/refused/err"
ok $? "a key update-policy does not allow: exit 1, REFUSED named"
nothing_done refused "refused update"

dns_start /dev/null "$W/dnsmasq" >/dev/null 2>&1 || mkdir -p "$W/dnsmasq"
[ -n "$DNS_PORT" ] || dns_start /dev/null "$W/dnsmasq"
failcase nosee
sed -i -e "s|^DNSUpdateCheck.*|DNSUpdateCheck 127.0.0.1:$BIND2_PORT, 127.0.0.1:$DNS_PORT|" \
    -e "s|^DNSUpdateWait.*|DNSUpdateWait 4s|" "$W/nosee/dkimd.conf"
t1=$(date +%s)
frot nosee
is=$?
t2=$(date +%s)
sed 's/^/# nosee: /' "$W/nosee/err"
[ "$is" = 1 ] && grep -q "127.0.0.1:$DNS_PORT still answers" "$W/nosee/err" &&
    grep -q "not on every server after 4 s" "$W/nosee/err"
ok $? "a check server that never sees the record: exit 1 after DNSUpdateWait ($((t2 - t1)) s), that server named"
nothing_done nosee "check server never sees it"

# ---- the hook instead of UPDATE ---------------------------------------------

# hook.sh ACTION NAME RECORD DOMAIN: logs its arguments and puts the
# record in with nsupdate, as a provider's API client would
cat >"$W/hook.sh" <<EOF
#!/bin/sh
echo "\$1 \$2 \$4 \$3" >>"$W/hook.log"
case \$1 in
add|revoke) cmd="update add \$2 300 TXT \"\$(echo "\$3" | sed 's/\(.\{200\}\)/\1" "/g')\"" ;;
delete) cmd="" ;;
*) exit 2 ;;
esac
printf 'server 127.0.0.1 $BIND_PORT\nupdate delete %s TXT\n%s\nsend\n' "\$2" "\$cmd" |
    nsupdate -k "$BIND_KEY"
EOF
chmod +x "$W/hook.sh"
failcase hook
sed -i -e '/^DNSUpdateServer/d' -e '/^DNSUpdateKey/d' "$W/hook/dkimd.conf"
echo "DNSUpdateCommand $W/hook.sh" >>"$W/hook/dkimd.conf"
frot hook
is=$?
grep -q "^add r[0-9]*._domainkey.example.test example.test v=DKIM1; k=rsa; p=" "$W/hook.log"
ok $? "DNSUpdateCommand: called with add, the name, the domain and the record"
[ "$is" = 0 ] && grep -q "=active" <<<"$(list "$W/hook" | sed 's/old[^ ]*//')"
ok $? "DNSUpdateCommand: the record it published is seen by both servers, the new key active"
printf '#!/bin/sh\nexit 3\n' >"$W/hook-fails.sh"
chmod +x "$W/hook-fails.sh"
failcase hookfail
sed -i -e '/^DNSUpdateServer/d' -e '/^DNSUpdateKey/d' "$W/hookfail/dkimd.conf"
echo "DNSUpdateCommand $W/hook-fails.sh" >>"$W/hookfail/dkimd.conf"
frot hookfail
is=$?
sed 's/^/# hookfail: /' "$W/hookfail/err"
[ "$is" = 1 ] && grep -q "DNSUpdateCommand add .* failed (status 3)" "$W/hookfail/err"
ok $? "a DNSUpdateCommand that exits 3: exit 1, its status named"
nothing_done hookfail "failing DNSUpdateCommand"

# ---- a database key table, a domain that signs with RSA and Ed25519 ----------

if command -v sqlite3 >/dev/null; then
	DB=$W/keys.db
	sqlite3 "$DB" <"$top_srcdir/etc/schema/sqlite.sql"
	"$DKIMTOOL" key add --db "sqlite:$DB" -d example.test -s dbr --generate -a rsa >/dev/null
	"$DKIMTOOL" key add --db "sqlite:$DB" -d example.test -s dbe --generate -a ed25519 >/dev/null
	DK=1 setup "$W/db"
	sed -i -e "s|^KeyTable.*|KeyTable sqlite:$DB|" \
	    -e "s|^SigningTable.*|SigningTable sqlite:$DB|" "$W/db/dkimd.conf"
	"$DKIMTOOL" rotate -c "$W/db/dkimd.conf" -d example.test --auto --force \
	    >"$W/db/out" 2>"$W/db/err"
	ok $? "database tables: rotate --auto exits 0"
	got=$("$DKIMTOOL" key list --db "sqlite:$DB" | cut -f 3,4,5,6 |
	    sed 's/^[re][0-9]\{14\}/NEW/' | sort | tr '\t\n' ', ')
	[ "$got" = "NEW,ed25519,active,example.test NEW,rsa,active,example.test dbe,ed25519,retired,- dbr,rsa,retired,- " ]
	ok $? "database tables: an RSA and an Ed25519 key made, each takes over its algorithm's signing rule ($got)"
	"$DKIMTOOL" key list --db "sqlite:$DB" | awk -F'\t' '$5 == "retired" && $8 ~ /^20[0-9-]*T/' | grep -q .
	ok $? "key list: the retired keys show until when they stay published"
fi

echo "# total time $(stamp) s"
echo "1..$n"
exit $fail
