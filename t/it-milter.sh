#!/usr/bin/env bash
# it-milter.sh - the real dkimd driven by miltertest (TAP)
#
# Starts dnsmasq on 127.0.0.1 (t/lib/dns.sh) with the test keys' records,
# then dkimd in the foreground on a free high port of 127.0.0.1 with one
# configuration after another, and runs the Lua scripts of t/milter/
# against it. Each "CHECK pass|fail WHAT" line of a script becomes one
# TAP test point; a script that dies counts as one failed point. Messages
# that dkimd signed are verified again with dkimtool verify and dkimpy.
# Every process is stopped by its PID.
#
# Needs: miltertest, dnsmasq, python3-dkim, python3-dnspython.
# Environment: DKIMD, DKIMTOOL, top_srcdir (default: the checkout).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
tdir=$top_srcdir/t/milter
work=$(mktemp -d /tmp/it-milter.XXXXXX)
DKIMD_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

cleanup() {
	stop_dkimd
	rm -rf "$work"
}
trap cleanup EXIT

command -v miltertest >/dev/null || skip_all "miltertest not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

# start_dkimd EXTRA-CONF-LINES - a configuration, then dkimd on $PORT
start_dkimd() {
	PORT=$(free_port)
	{
		cat <<EOT
Socket			inet:$PORT@127.0.0.1
KeyTable		file:$work/key.table
SigningTable		refile:$work/signing.table
MultipleSignatures	yes
InternalHosts		!192.0.2.7, 192.0.2.0/24
PeerList		203.0.113.0/24
AuthservID		mx.test
Nameservers		127.0.0.1:$DNS_PORT
DNSTimeout		2
MaximumHeaderBytes	16384
Syslog			no
LogWhy			yes
EOT
		printf '%s\n' "$@"
	} >"$work/dkimd.conf"
	dkimd_launch "$work/dkimd.conf" "$work/dkimd.log"
}

# stop_dkimd - SIGTERM by PID, SIGKILL after 15 s
stop_dkimd() {
	dkimd_halt
	# a sanitizer build reports into the log; a plain build never does
	dkimd_sanitizer "$work/dkimd.log"
}

# keys and tables, in the OpenDKIM formats
mkdir -p "$work/keys"
"$DKIMTOOL" genkey -d example.com -s sel1 -D "$work/keys" >/dev/null
"$DKIMTOOL" genkey -d lists.example.org -s ed1 -a ed25519 -D "$work/keys" >/dev/null
# a key per domain through '%' in the key path: only pct.test has one
mkdir -p "$work/keys/pct.test" "$work/keys/inline"
"$DKIMTOOL" genkey -d pct.test -s pct -D "$work/keys/pct.test" >/dev/null
# a key inline in the KeyTable (base64 of its DER form), as OpenDKIM allows
"$DKIMTOOL" genkey -d inline.test -s inl -D "$work/keys/inline" >/dev/null
chmod 600 "$work/keys/"*.private "$work/keys/pct.test/pct.private"
INLINE=$(openssl pkey -in "$work/keys/inline/inl.private" -outform DER | base64 -w0)
{
	zone_to_records "$work/keys/pct.test/pct.txt"
	zone_to_records "$work/keys/inline/inl.txt"
	zone_to_records "$work/keys/sel1.txt"
	zone_to_records "$work/keys/ed1.txt"
	# the ed25519 key also for example.com, where it signs second
	zone_to_records "$work/keys/ed1.txt" | sed 's/^ed1._domainkey.lists.example.org/ed1._domainkey.example.com/'
	# the key of the hostile cases sent below (l=, i=)
	sed -n 's/^# records: //p' "$top_srcdir/t/data/hostile/l-content-after.eml"
} >"$work/records"
cat >"$work/key.table" <<EOT
sel1	example.com:sel1:$work/keys/sel1.private
ed1	%:ed1:$work/keys/ed1.private
pct	%:pct:$work/keys/%/pct.private
inl	inline.test:inl:$INLINE
EOT
chmod 600 "$work/key.table"	# it holds a key now
cat >"$work/signing.table" <<EOT
# first match rsa, second ed25519 (MultipleSignatures)
*@example.com		sel1
*@example.com		ed1
*@*.example.org		ed1
*@pct.test		pct
*@nopct.test		pct
*@inline.test		inl
EOT
dns_start "$work/records" "$work" || { echo "Bail out! dnsmasq did not start"; exit 1; }

# ---- default actions ------------------------------------------------------
start_dkimd || { echo "Bail out! dkimd did not start"; exit 1; }
run sign.lua
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" --authserv-id mx.test \
    "$work/signed.eml" >"$work/verify.out" 2>&1
ok $? "signed: dkimtool verify passes what dkimd signed (dnsmasq on loopback)"
grep -q "dkim=pass.*dkim=pass" <(tr -d '\n' <"$work/verify.out")
ok $? "signed: dkimtool verify finds both signatures passing"
if /usr/bin/python3 -c 'import dkim, dns.resolver' 2>/dev/null; then
	/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-verify.py" "$DNS_PORT" \
	    <"$work/signed.eml" >"$work/dkimpy.out" 2>&1
	ok $? "signed: dkimpy verifies what dkimd signed"
fi
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" "$work/signed-org.eml" \
    >/dev/null 2>&1
ok $? "signed: dkimtool verify passes the '%'-domain ed25519 signature"
logged "SIGN1: sign \(MTA ORIGINATING\): d=example.com s=sel1 a=rsa-sha256 signed, d=example.com s=ed1 a=ed25519-sha256 signed; [0-9]+ ms" \
    "log: one line per message with queue id, reason, d= s= a= per signature, time"
run pct.lua
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" "$work/signed-pct.eml" \
    >"$work/verify-pct.out" 2>&1
ok $? "pct: dkimtool verify passes the signature made with the key read from keys/pct.test/"
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" "$work/signed-inline.eml" \
    >"$work/verify-inline.out" 2>&1
ok $? "inline: dkimtool verify passes the signature made with the KeyTable's inline key"
logged "KeyTable|key.table:[0-9]+: key \"pct\" for nopct.test: key file .*/keys/nopct.test/pct.private: No such file" \
    "pct: a domain without its key file is logged with the path and the reason"
[ "$(grep -c 'for nopct.test: key file' "$work/dkimd.log")" = 1 ]
ok $? "pct: ... once, not once per message"
run nokey.lua
logged "NOKEY1: verify \(MTA ORIGINATING; no key for \"user@nokey.test\", verified instead\): no signature" \
    "log: no key for the From domain is logged: verified instead, and why"
# mail a content filter re-injects: From a domain without a key, signed
# by another (pct.test)
sed 's/^From: .*/From: User <user@nokey.test>/' "$top_srcdir/etc/sample.eml" |
    "$DKIMTOOL" sign -d pct.test -s pct -k "$work/keys/pct.test/pct.private" \
    >"$work/relay.eml"
run relay.lua
logged "RELAY2: verify \(internal host 192.0.2.9; no key for \"user@nokey.test\", verified instead\): d=pct.test s=pct a=rsa-sha256 pass; removed 1 forged" \
    "log: internal mail with no key: mode verify, the reasons, the result"
logged "RELAY4: sign \(authenticated as alice@example.com.*not authorized" \
    "log: an unauthorized login is still logged as refused to sign"
run author.lua
for q in AUTHQP AUTHAT AUTHSP; do
	grep -q "$q: sign .*d=example.com" "$work/dkimd.log"
	ok $((!$?)) "author: $q got no example.com signature (log)"
done
logged "AUTHQP: verify \(MTA ORIGINATING; no key for \"evil@nokey.test\"" \
    "log: a quoted-pair in a comment: the address after the comment is looked up"
logged "AUTHAT: sign \(MTA ORIGINATING\): not signed: From does not parse: unexpected text after an address at byte [0-9]+ \('@'\); accept" \
    "log: a From with two '@' is not signed, with the reason and the action"
logged "AUTHSP: sign .*: not signed: From does not parse: not a DNS domain name" \
    "log: a space inside the From domain is not signed, with the reason"
logged "AUTHTWO: sign .*: not signed: From has 2 mailboxes and 0 Sender fields; accept" \
    "log: several From mailboxes without Sender: the reason is logged"
logged "AUTHEMPTY: sign .*: not signed: From does not parse: empty" \
    "log: an empty From: the reason is logged"
logged "AUTHGROUP: sign .*: not signed: From does not parse: group syntax" \
    "log: a group in From: the reason is logged"
logged "AUTHWSP: sign .*: not signed: header begins with white space" \
    "log: a first field beginning with white space: the reason is logged"
logged "AUTHFROM2: sign .*: not signed: message has 2 From fields" \
    "log: two From fields: the reason is logged"
logged "AUTHVER: verify .*policy" "log: the leading-WSP message verified as policy"
logged "AUTHVER: verify .*policy \(header begins with white space\) cause=header_leading_wsp" \
    "log: its cause token is header_leading_wsp, after the human reason"
run steps.lua
logged "STEPS2: sign \(MTA ORIGINATING\): not signed" \
    "log: the message of an MTA without NR_ steps is logged"
run auth.lua
logged "AUTH1: sign \(authenticated as alice@example.com; login alice@example.com: sender domain is the From domain\)" \
    "log: authenticated sender is the reason to sign (with LogWhy, the rule that authorized it)"
logged "AUTH3: sign \(internal host" "log: InternalHosts is the reason to sign"
run peerlist.lua
run verify.lua
logged "VER1: verify \(daemon INBOUND\): d=example.com s=sel1 a=rsa-sha256 pass" \
    "log: verification result per signature"
# ARC: a chain sealed by dkimtool (example.com RSA, then lists.example.org
# Ed25519), and hostile copies of it, through the verify path
arcseal() {
	"$DKIMTOOL" arc-seal -d "$1" -s "$2" -k "$work/keys/$2.private" \
	    --authserv-id "$1" --nameserver "127.0.0.1:$DNS_PORT"
}
"$DKIMTOOL" sign -d example.com -s sel1 -k "$work/keys/sel1.private" \
    "$top_srcdir/etc/sample.eml" | arcseal example.com sel1 |
    arcseal lists.example.org ed1 >"$work/arc-2hops.eml"
sed 's/^\(Subject:.*\)$/\1!/' "$work/arc-2hops.eml" >"$work/arc-subject.eml"
awk 'b { print; next } /^$/ { b = 1; print; print "X"; next } { print }' \
    "$work/arc-2hops.eml" >"$work/arc-body.eml"
awk '/^[^ \t]/ { skip = ($0 ~ /^ARC-/ && $0 ~ / i=1;/) } !skip' \
    "$work/arc-2hops.eml" >"$work/arc-noset1.eml"
sed 's/^ARC-Seal: i=2;/ARC-Seal: i=51;/' "$work/arc-2hops.eml" >"$work/arc-i51.eml"
sed 's/^\(ARC-Seal: i=2;\) cv=pass;/\1 cv=fail;/' "$work/arc-2hops.eml" >"$work/arc-cvfail.eml"
{ grep -m1 -A3 '^ARC-Seal: i=1;' "$work/arc-2hops.eml"; cat "$work/arc-2hops.eml"; } >"$work/arc-dup.eml"
run arc.lua
logged "ARC1: verify \(daemon INBOUND\): .*; arc=pass" \
    "log: the chain's result after the signatures'"
run forged.lua
logged "FORGED1: .*removed 7 forged Authentication-Results #9 #7 #6 #5 #4 #3 #1" \
    "forged: the 7 forged fields removed from the highest index down (CVE-2022-48521)"
# the same through mta.py, which sends fields over 4 KB and shows indexes
/usr/bin/python3 "$tdir/mta.py" "127.0.0.1:$PORT" INBOUND \
    "$top_srcdir/t/data/milter/forged-ar.eml" >"$work/mta.out" 2>&1
printf 'change %s Authentication-Results \n' 9 7 6 5 4 3 1 >"$work/mta.want"
echo 'insert 0 Authentication-Results  mx.test; dkim=none' >>"$work/mta.want"
echo 'reply c' >>"$work/mta.want"
cmp -s "$work/mta.want" "$work/mta.out"
ok $? "forged: deletions at indexes 9 7 6 5 4 3 1, highest first, a 5 KB forged field included; 2 8 10 stay"
diff "$work/mta.want" "$work/mta.out" | cut -c1-200 | sed 's/^/#   /'
# thousands of forged fields: up to the ceiling all go; past it, tempfail
for k in 4096 4097; do
	{
		for _ in $(seq 1 "$k"); do
			echo "Authentication-Results: mx.test; dkim=pass"
		done
		echo "From: a@example.net"
		echo
		echo "body"
	} >"$work/many-$k.eml"
	/usr/bin/python3 "$tdir/mta.py" "127.0.0.1:$PORT" INBOUND \
	    "$work/many-$k.eml" >"$work/many-$k.out" 2>&1
done
[ "$(grep -c '^change' "$work/many-4096.out")" = 4096 ] &&
    grep -q "^reply c" "$work/many-4096.out"
ok $? "forged: 4096 forged fields (the floor of the ceiling) are all removed"
! grep -q '^change' "$work/many-4097.out" && grep -q "^reply y" "$work/many-4097.out"
ok $? "forged: one more than can be removed: 451, nothing delivered with a forgery left"
logged "more than 4096 forged Authentication-Results; tempfail" \
    "log: too many forged Authentication-Results is logged"
# an MTA that offers no NR_ step: libmilter answers "continue" for
# dkimd, and the verdict still comes at the end
/usr/bin/python3 "$tdir/mta.py" "127.0.0.1:$PORT" INBOUND \
    "$top_srcdir/t/data/milter/forged-ar.eml" 0x10077F >"$work/nonr.out" 2>&1
grep -q "^body c" "$work/nonr.out" &&
    grep -q "^insert 0 Authentication-Results  mx.test; dkim=none" \
    "$work/nonr.out" && grep -q "^reply c" "$work/nonr.out"
ok $? "nonr: an MTA without NR_ steps gets its replies and the Authentication-Results"
sed 's/^/#   /' "$work/nonr.out" | grep -v "^#   change" | cut -c1-200
logged "FORGED3: .*removed 9 forged Authentication-Results #10 #9 #7 #6 #5 #4 #3 #2 #1" \
    "forged: the 9 disguised forgeries removed (VT, FF, NBSP, EM SPACE, NEL, '/', ',' after the id; NBSP, folded comment before)"

# ---- verdicts: l=, i= and our own field, through mta.py ----------
# hostile NAME - t/data/hostile/NAME.eml without its "#" lines, to dkimd;
# what mta.py saw goes to $work/h-NAME.out
hostile() {
	sed '/^#/d' "$top_srcdir/t/data/hostile/$1.eml" >"$work/h-$1.eml"
	/usr/bin/python3 "$tdir/mta.py" "127.0.0.1:$PORT" INBOUND \
	    "$work/h-$1.eml" >"$work/h-$1.out" 2>&1
}
hostile l-content-after
grep -q '^insert 0 Authentication-Results .*dkim=policy (l=54 leaves 21 body bytes unsigned)' \
    "$work/h-l-content-after.out" && ! grep -q 'dkim=pass' "$work/h-l-content-after.out"
ok $? "l=: 21 body bytes after l= make dkim=policy with the count, not pass (UnsignedBodyContent default)"
hostile l-equal-body
grep -q '^insert 0 Authentication-Results .*dkim=pass' "$work/h-l-equal-body.out"
ok $? "l=: an l= equal to the body length is a normal dkim=pass"
hostile i-qp-at
grep -q '^insert 0 Authentication-Results .*dkim=pass.*header.i=joe@football.example.com' \
    "$work/h-i-qp-at.out"
ok $? "i=: joe=40football.example.com is decoded (dkim-quoted-printable): dkim=pass, header.i=joe@..."
hostile i-qp-injects-resinfo
grep -q '^insert 0 Authentication-Results .*dkim=pass' "$work/h-i-qp-injects-resinfo.out" &&
    ! grep -q 'header.i\|bank.example' "$work/h-i-qp-injects-resinfo.out"
ok $? "i=: an identity that decodes to '; dkim=pass header.d=bank.example' is not written into our field"
hostile i-3000-chars
grep '^insert 0 Authentication-Results' "$work/h-i-3000-chars.out" |
    sed 's/\\n/\n/g' | awk 'length($0) > 100 { bad = 1 } END { exit bad }' &&
    grep -q '^insert 0 Authentication-Results .*dkim=pass' "$work/h-i-3000-chars.out" &&
    ! grep -q 'header.i' "$work/h-i-3000-chars.out"
ok $? "i=: a 3,000-character i= passes, header.i left out, our field folded in short lines"
logged "verify .*a=rsa-sha256 policy \(l=54 leaves 21 body bytes unsigned\)" \
    "log: the l= policy is logged with its reason"
logged "verify .*a=rsa-sha256 policy \(l=54 leaves 21 body bytes unsigned\) cause=unsigned_body" \
    "log: the l= policy carries the engine's cause token, unsigned_body"

run multi.lua
logged "ABORT1: sign \(MTA ORIGINATING\): aborted" "log: an aborted message is logged and dropped"
logged "GONE1: verify .*: (aborted|connection closed mid-message)" "log: a vanished client's message is cleaned up"
run ceiling.lua
logged "CEIL2: sign .*internal error: eoh: header block over 16384 bytes; accept" \
    "ceiling: signing over the header ceiling is an internal error, accepted"
run resign.lua
logged "RESIGN1: sign .*d=example.com s=sel1 a=rsa-sha256 already signed" \
    "log: a signature already present and passing is logged as such"

# SIGHUP: a good new configuration is swapped in, a broken one is not
run reload.lua -D authserv=mx.test
sed -i 's/^AuthservID.*/AuthservID mx2.test/' "$work/dkimd.conf"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q "reloaded" "$work/dkimd.log" && break; sleep 0.1; done
logged "info: reloaded" "SIGHUP: the configuration is reloaded"
run reload.lua -D authserv=mx2.test
echo "NoSuchKeyword 1" >>"$work/dkimd.conf"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q "reload failed" "$work/dkimd.log" && break; sleep 0.1; done
logged "dkimd.conf:[0-9]+: unknown keyword \"NoSuchKeyword\"" \
    "SIGHUP: a broken configuration is logged with file and line"
logged "reload failed; keeping the configuration in force" \
    "SIGHUP: a broken configuration keeps the old one"
run reload.lua -D authserv=mx2.test
kill -0 "$DKIMD_PID" 2>/dev/null
ok $? "SIGHUP: dkimd still runs after two reloads"
stop_dkimd
logged "info: stopped" "SIGTERM: dkimd stops cleanly"

# ---- UnsignedBodyContent pass ------------------------------------------------
start_dkimd "UnsignedBodyContent pass" ||
	ok 1 "dkimd starts with UnsignedBodyContent pass"
hostile l-content-after
grep -q '^insert 0 Authentication-Results .*dkim=pass' "$work/h-l-content-after.out"
ok $? "UnsignedBodyContent pass: the same l= message gets dkim=pass"
hostile l-beyond-body
grep -q '^insert 0 Authentication-Results .*dkim=permerror' "$work/h-l-beyond-body.out"
ok $? "UnsignedBodyContent pass: an l= beyond the body stays dkim=permerror"
stop_dkimd

# ---- On-* actions ---------------------------------------------------------
start_dkimd "On-NoSignature reject" "On-BadSignature tempfail" \
    "On-KeyNotFound discard" "On-InternalError tempfail" ||
	ok 1 "dkimd starts with On-* actions"
run actions.lua
stop_dkimd

dead=$(free_port)
start_dkimd "Nameservers 127.0.0.1:$dead" "DNSTimeout 1" \
    "On-DNSError reject" "On-Default discard" ||
	ok 1 "dkimd starts with an unreachable name server"
run actions-dns.lua
logged "DNS1: verify .*temperror.*; reject" "log: On-DNSError action is logged"
logged "DNS1: verify .*temperror \(key lookup: [^)]*\) cause=dns_temp; reject" \
    "log: the temperror's cause token dns_temp chose On-DNSError"
stop_dkimd

start_dkimd "On-Default reject" "On-BadSignature accept" \
    "Canonicalization simple/simple" ||
	ok 1 "dkimd starts with On-Default reject"
run actions-default.lua
run noleadspc.lua
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" "$work/noleadspc.eml" \
    >"$work/verify.out" 2>&1
ok $? "noleadspc: the simple/simple signature verifies with the space restored"
sed 's/^/#   /' "$work/verify.out"
stop_dkimd

# ---- SenderHeaders and On-BadAuthor -------------------------------------------
start_dkimd "SenderHeaders Sender, From" "On-BadAuthor reject" ||
	ok 1 "dkimd starts with SenderHeaders and On-BadAuthor"
run senderheaders.lua
logged "SH3: sign .*not signed: From does not parse: .*; reject" \
    "log: On-BadAuthor reject is logged with the reason"
stop_dkimd

# ---- ARC sealing: ARCSealMTA, ARCKey -----------------------------------------
printf 'ARCKey nosuch\nARCSealMTA FORWARD\n' >>"$work/dkimd.conf"
"$DKIMD" -c "$work/dkimd.conf" -t >"$work/arckey.out" 2>&1
[ $? -ne 0 ] && grep -q 'ARCKey "nosuch": no such key' "$work/arckey.out"
ok $? "arcseal: an ARCKey missing from the KeyTable is refused at load"
sed -i '/^ARCKey/d' "$work/dkimd.conf"
"$DKIMD" -c "$work/dkimd.conf" -t >"$work/arckey.out" 2>&1
[ $? -ne 0 ] && grep -q 'ARCSealMTA needs ARCKey' "$work/arckey.out"
ok $? "arcseal: ARCSealMTA without ARCKey is refused at load"
"$DKIMTOOL" sign -d example.com -s sel1 -k "$work/keys/sel1.private" \
    "$top_srcdir/etc/sample.eml" | arcseal example.com sel1 >"$work/arc-rsa1.eml"
# 50 sets (dkimtool arc-seal refuses a 51st): dkimd must neither seal nor lose it
cp "$work/arc-rsa1.eml" "$work/arc-50.eml"
for _ in $(seq 2 50); do
	arcseal example.com sel1 <"$work/arc-50.eml" >"$work/arc-next.eml" &&
	    mv "$work/arc-next.eml" "$work/arc-50.eml"
done
[ "$(grep -c '^ARC-Seal: i=' "$work/arc-50.eml")" = 50 ]
ok $? "arcseal: the 50-set chain was built"
start_dkimd "ARCSealMTA FORWARD, ORIGINATING" "ARCKey sel1" ||
    { echo "Bail out! dkimd with ARCKey did not start"; exit 1; }
run arcseal.lua
for f in sealed3 sealed-rsa; do
	"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" --authserv-id mx2.test \
	    "$work/$f.eml" >"$work/$f.out" 2>&1
	grep -q "arc=pass" "$work/$f.out"
	ok $? "arcseal: dkimtool verify finds arc=pass on what dkimd sealed ($f)"
done
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" --authserv-id mx2.test \
    "$work/sealed-fail.eml" >"$work/sealed-fail.out" 2>&1
grep -q "arc=fail" "$work/sealed-fail.out" && ! grep -q "arc=pass" "$work/sealed-fail.out"
ok $? "arcseal: the cv=fail seal over a broken chain never verifies as pass"
if /usr/bin/python3 -c 'import dkim, dns.resolver, authres' 2>/dev/null; then
	/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-arc.py" verify "$DNS_PORT" \
	    "$work/sealed-rsa.eml" >"$work/dkimpy-arc.out" 2>&1
	grep -q "cv=pass" "$work/dkimpy-arc.out"
	ok $? "arcseal: dkimpy arc_verify passes the chain dkimd continued"
	sed 's/^/#   /' "$work/dkimpy-arc.out"
fi
logged "SEAL1: verify \(daemon FORWARD\): .*; ARC-sealed i=3 cv=pass d=example.com s=sel1" \
    "arcseal: the log line says the message was sealed, with i=, cv=, d=, s="
logged "SEAL50: verify .*; not ARC-sealed \(" \
    "arcseal: the log line says why a 50-set chain was not sealed"
stop_dkimd

# ---- sender authorization: SenderAuthorization, On-Unauthorized -------------
cat >"$work/authz.table" <<EOT
alice@example.com	lists.example.org
bob			example.com
EOT
for action in accept reject tempfail discard; do
	start_dkimd "SenderAuthorization file:$work/authz.table" \
	    "On-Unauthorized $action" || ok 1 "dkimd starts with On-Unauthorized $action"
	run authz.lua -D action="$action"
	logged "AZ-$action-2: sign \(MTA ORIGINATING\): not authorized: login alice@example.com may not sign for \"pct.test\" \(sender domain is not the From domain, and no SenderAuthorization line allows it\); $action" \
	    "authz: log: On-Unauthorized $action: the login, the From domain, the rule and the action"
	stop_dkimd
done
logged "AZ-discard-5: .*login bob may not sign for \"pct.test\" \(sender has no domain, and no SenderAuthorization line allows it\)" \
    "authz: log: a login without a domain is refused by name"
start_dkimd "SenderAuthorization file:$work/authz.table" \
    "SenderAuthorizationEnvelope yes" || ok 1 "dkimd starts with SenderAuthorizationEnvelope"
run authz-env.lua
logged "AZENV3: .*not authorized: envelope sender <> may not sign for \"example.com\"" \
    "authz: log: the null envelope sender is refused by name"
stop_dkimd
# a dkimd built without SQLite (configure) has no sqlite3_* name to load
if [ "$(strings "$DKIMD" | grep -c -x sqlite3_open_v2)" -gt 0 ]; then
	start_dkimd "SenderAuthorization sqlite:$work/no/such/authz.db" \
	    "On-KeyNotFound tempfail" || ok 1 "dkimd starts with its authz database down"
	run authz-dbdown.lua
	logged "AZDB2: .*authorization unknown: login alice@example.com signing for \"lists.example.org\" \(SenderAuthorization sqlite dkim_authorization unavailable \(sqlite:.*\)\); tempfail" \
	    "authz: log: the database that could not say, and On-KeyNotFound"
	stop_dkimd
else
	echo "ok $((n += 1)) # SKIP authz database down: this dkimd was built without SQLite"
fi
start_dkimd "SenderAuthorization none" || ok 1 "dkimd starts with SenderAuthorization none"
logged "warning: SenderAuthorization none: any sender may sign as any domain" \
    "authz: SenderAuthorization none is said at start-up"
run authz-none.lua
stop_dkimd

# ---- SIGTERM with a message in flight ----------------------------------------
start_dkimd || ok 1 "dkimd starts again"
pid=$DKIMD_PID
(sleep 1; kill -TERM "$pid") &
run term.lua
for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null
ok $([ $? -ne 0 ] && echo 0 || echo 1) "SIGTERM: dkimd exits once the message is done"
logged "TERM1: sign .*signed" "SIGTERM: the message in flight is logged as signed"
stop_dkimd

# ---- unix socket with UMask, PidFile, UserID --------------------------------
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chown nobody "$work/keys/"*.private
	start_dkimd "Socket unix:$work/dkimd.sock" "UMask 007" \
	    "PidFile $work/dkimd.pid" "UserID nobody" ||
		ok 1 "dkimd starts on a unix socket as nobody"
	ok $([ -S "$work/dkimd.sock" ] && echo 0 || echo 1) "unix socket: created"
	ok $([ "$(stat -c %a "$work/dkimd.sock")" = 770 ] && echo 0 || echo 1) \
	    "unix socket: UMask 007 gives mode 770"
	ok $([ "$(cat "$work/dkimd.pid" 2>/dev/null)" = "$DKIMD_PID" ] && echo 0 || echo 1) \
	    "PidFile: holds dkimd's process id"
	ok $([ "$(awk '/^Uid:/ {print $3}' "/proc/$DKIMD_PID/status")" = "$(id -u nobody)" ] &&
	    echo 0 || echo 1) "UserID: dkimd runs as nobody after start-up"
	PORT_SAVE=$PORT
	out=$(cd "$work" && timeout 30 miltertest -D tdir="$tdir" -D work="$work" \
	    -D sock="unix:$work/dkimd.sock" -s "$tdir/unix.lua" 2>&1)
	printf '%s\n' "$out" | grep -q "CHECK pass"
	ok $? "unix socket: a message is verified over it"
	printf "%s\n" "$out" | sed "s/^/#   /"
	stop_dkimd
else
	echo "# skipped: unix socket, UserID (needs root and user nobody)"
fi

echo "1..$n"
exit $fail
