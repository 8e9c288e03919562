#!/usr/bin/env bash
# it-dkimtool.sh - dkimtool genkey, sign and verify, end to end
#
#	DKIMTOOL=/path/to/dkimtool bash t/it-dkimtool.sh
#
# TAP on stdout (the plan at the end). Keys are made by dkimtool genkey
# for this run (RSA 1024, 2048, 4096 and Ed25519) and published by a
# dnsmasq on 127.0.0.1 at a random high port (t/lib/dns.sh), which is
# stopped by its PID at exit. Checks: the files genkey writes, round
# trips for every key and all four c= pairs, LF and CRLF input, an empty
# body, a message without a body separator, input from a pipe and from a
# file, several signatures, that signing leaves the message byte for byte,
# the RFC 8463 A.3 vector (both signatures pass), showkeys and testkeys on
# a KeyTable/SigningTable and a KeyFile configuration, and the exit
# statuses: 0 pass, 1 fail or error, 2 usage, 75 DNS temporary failure.
# DKIMTOOL defaults to $top_builddir/tools/dkimtool, else ./tools/dkimtool.
# KEEP=1 keeps the work folder.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
DKIMTOOL=${DKIMTOOL:-${top_builddir:-.}/tools/dkimtool}
case "$DKIMTOOL" in
/*) ;;
*) DKIMTOOL=$(pwd)/$DKIMTOOL ;;
esac
VECTORS=$here/data/vectors
HOSTILE=$here/data/hostile
[ -f "$VECTORS/rfc8463/message.eml" ] || VECTORS=$top/../shared/vectors
[ -f "$VECTORS/rfc8463/message.eml" ] || VECTORS=/work/shared/vectors

if [ ! -x "$DKIMTOOL" ]; then
	echo "1..0 # SKIP no dkimtool at $DKIMTOOL"
	exit 0
fi

work=$(mktemp -d /tmp/it-dkimtool.XXXXXX) || exit 1
K=$work/keys
mkdir -p "$K"
. "$here/lib/dbtap.sh"
. "$here/lib/dns.sh"

# finish - EXIT trap: stop DNS (by PID, in dns.sh), remove the work folder
finish()
{
	dns_stop
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# work folder kept: $work" >&2
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT

# record SELECTOR - the TXT value of a genkey .txt file, strings joined
record()
{
	grep -o '"[^"]*"' "$K/$1.txt" | tr -d '"\n'
}

# crlf FILE - print FILE with every line ending in CRLF
crlf()
{
	sed 's/\r$//; s/$/\r/' "$1"
}

D=example.org
AS=mx.test

# ---- genkey ---------------------------------------------------------------

for spec in "r1024 rsa 1024" "r2048 rsa 2048" "r4096 rsa 4096" "ed ed25519 0"; do
	set -- $spec
	bits=()
	[ "$3" != 0 ] && bits=(-b "$3")
	is "$(status "$DKIMTOOL" genkey -d $D -s "$1" -a "$2" "${bits[@]}" -D "$K")" 0 \
	    "genkey -a $2 ${bits[*]} succeeds"
	is "$(stat -c %a "$K/$1.private")" 600 "genkey $1: the private key has mode 0600"
	head -n 1 "$K/$1.private" | grep -q -- '-----BEGIN PRIVATE KEY-----'
	ok $? "genkey $1: the key is PKCS#8 PEM"
	cmp -s "$work/out" "$K/$1.txt"
	ok $? "genkey $1: prints the record it writes to $1.txt"
	head -n 1 "$K/$1.txt" | grep -q "^$1\._domainkey\.$D\. 3600 IN TXT ( \"v=DKIM1; k=${2}; \"\$"
	ok $? "genkey $1: zone-file form, tags before p= in a string of their own"
	long=$(grep -o '"[^"]*"' "$K/$1.txt" | awk 'length($0) > 257' | wc -l)
	is "$long" 0 "genkey $1: no TXT string longer than 255 bytes"
done
r4096=$(record r4096)
[ ${#r4096} -gt 600 ]
ok $? "genkey r4096: a record over 600 bytes (split into several strings)"
openssl pkey -in "$K/r2048.private" -noout -text 2>/dev/null | grep -q 'Private-Key: (2048 bit'
ok $? "genkey r2048: openssl reads a 2048-bit RSA key"
openssl pkey -in "$K/ed.private" -noout -text 2>/dev/null | grep -q 'ED25519 Private-Key'
ok $? "genkey ed: openssl reads an Ed25519 key"
is "$(status "$DKIMTOOL" genkey -d $D -s def -D "$K")" 0 "genkey without -a or -b succeeds"
openssl pkey -in "$K/def.private" -noout -text 2>/dev/null | grep -q 'Private-Key: (2048 bit'
ok $? "genkey makes RSA 2048 by default"

cp "$K/r1024.private" "$work/r1024.copy"
is "$(status "$DKIMTOOL" genkey -d $D -s r1024 -D "$K")" 1 \
    "genkey refuses to overwrite a key (exit 1)"
cmp -s "$K/r1024.private" "$work/r1024.copy"
ok $? "genkey left the existing key unchanged"
grep -q 'use -f' "$work/err"
ok $? "genkey says to use -f to overwrite"
is "$(status "$DKIMTOOL" genkey -d $D -s tmp -D "$K")" 0 "genkey tmp succeeds"
is "$(status "$DKIMTOOL" genkey -f -d $D -s tmp -a ed25519 -D "$K")" 0 \
    "genkey -f replaces an existing key"
grep -q 'k=ed25519' "$K/tmp.txt"
ok $? "genkey -f wrote the new record too"
is "$(status "$DKIMTOOL" genkey -d $D -s small -b 512 -D "$K")" 2 \
    "genkey -b 512 is refused as a usage error (RFC 8301)"
grep -q '^dkimtool: .*1024' "$work/err"
ok $? "genkey -b 512: the error names the 1024-bit minimum"
[ ! -e "$K/small.private" ]
ok $? "genkey -b 512 wrote no key"
is "$(status "$DKIMTOOL" genkey -d $D -s big -b 8192 -D "$K")" 2 "genkey -b 8192 is refused"
is "$(status "$DKIMTOOL" genkey -d $D -s x -a dsa -D "$K")" 2 "genkey -a dsa is a usage error"
is "$(status "$DKIMTOOL" genkey -d $D -s ../evil -D "$K")" 2 \
    "genkey refuses a selector with a slash"
is "$(status "$DKIMTOOL" genkey -s x -D "$K")" 2 "genkey without -d is a usage error"
is "$(status "$DKIMTOOL" genkey -d -evil.example -s x -D "$K")" 2 \
    "genkey refuses a domain label that starts with '-' (the engine's rule)"
is "$(status "$DKIMTOOL" genkey -d $D -s "x-" -D "$K")" 2 \
    "genkey refuses a selector label that ends with '-'"
is "$(status "$DKIMTOOL" genkey -d $D -s x -D "$work/nonexistent")" 1 \
    "genkey into a missing directory fails (exit 1)"
is "$(wc -l < "$work/err")" 1 "that failure is one line on stderr"

# ---- DNS ------------------------------------------------------------------

{
	for s in r1024 r2048 r4096 ed def; do
		echo "$s._domainkey.$D $(record $s)"
	done
	# for testkeys: right, wrong (another key's) and no record
	echo "ed._domainkey.example.com $(record ed)"
	echo "r1024._domainkey.example.net $(record r2048)"
	[ -f "$VECTORS/rfc8463/records.txt" ] && cat "$VECTORS/rfc8463/records.txt"
	# the key of the hostile cases verified below (l=, i=): RFC 8463's
	# test key, so one record per name is kept
	sed -n 's/^# records: //p' "$HOSTILE/l-content-after.eml"
} | awk '!seen[$1]++' > "$work/records.txt"
if ! dns_start "$work/records.txt" "$work"; then
	echo "Bail out! dnsmasq did not start"
	exit 1
fi
NS=127.0.0.1:$DNS_PORT
verify() { "$DKIMTOOL" verify --nameserver "$NS" --authserv-id "$AS" "$@"; }

# ---- sign and verify ----------------------------------------------------------

MSG=$top/etc/sample.eml
crlf "$MSG" > "$work/sample-crlf.eml"
for key in r1024 r2048 r4096 ed; do
	for c in simple/simple simple/relaxed relaxed/simple relaxed/relaxed; do
		for eol in lf crlf; do
			in=$MSG
			[ $eol = crlf ] && in=$work/sample-crlf.eml
			out=$work/s-$key-${c%/*}-${c#*/}-$eol.eml
			"$DKIMTOOL" sign -d $D -s $key -k "$K/$key.private" -c $c "$in" > "$out" 2>"$work/err"
			rc=$?
			verify "$out" > "$work/ar" 2>&1
			vrc=$?
			[ $rc -eq 0 ] && [ $vrc -eq 0 ] &&
			    grep -q "dkim=pass.*header.d=$D header.s=$key" "$work/ar"
			ok $? "round trip $key c=$c, $eol input"
		done
	done
done

out=$work/s-r2048-relaxed-relaxed-lf.eml
grep -q $'\r' "$out"
is $? 1 "LF input: the signature is folded with LF alone"
out=$work/s-r2048-relaxed-relaxed-crlf.eml
is "$(head -n 2 "$out" | grep -c $'\r$')" 2 "CRLF input: the signature is folded with CRLF"
is "$(head -c 16 "$out")" "DKIM-Signature: " "the signature field comes first"
sed '/^DKIM-Signature:/,/^[^ \t]/{/^DKIM-Signature:/d;/^[ \t]/d}' "$out" > "$work/stripped"
cmp -s "$work/stripped" "$work/sample-crlf.eml"
ok $? "sign leaves the message byte for byte below the signature"
grep -q 'c=simple/relaxed' "$work/s-r2048-simple-relaxed-lf.eml"
ok $? "-c simple/relaxed is written as c=simple/relaxed"

printf 'From: a@%s\nTo: b@example.net\nSubject: empty\n\n' $D > "$work/empty.eml"
"$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" "$work/empty.eml" > "$work/s-empty.eml"
is "$(verify "$work/s-empty.eml" >/dev/null 2>&1; echo $?)" 0 "an empty body signs and verifies"
printf 'From: a@%s\nTo: b@example.net\nSubject: no body\n' $D > "$work/nobody.eml"
"$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" "$work/nobody.eml" > "$work/s-nobody.eml"
is "$(verify "$work/s-nobody.eml" >/dev/null 2>&1; echo $?)" 0 \
    "a message without an empty line (all header) signs and verifies"
tail -n 3 "$work/s-nobody.eml" | cmp -s - "$work/nobody.eml"
ok $? "... and is written out unchanged"

cat "$MSG" | "$DKIMTOOL" sign -d $D -s r1024 -k "$K/r1024.private" > "$work/s-pipe.eml"
is "$(verify < "$work/s-pipe.eml" >/dev/null 2>&1; echo $?)" 0 \
    "sign and verify read stdin from a pipe"
sed '1,/^[^ \t]/{/^DKIM-Signature:/d;/^[ \t]/d}' "$work/s-pipe.eml" | cmp -s - "$MSG"
ok $? "piped input comes out unchanged (body spooled, not lost)"

/usr/bin/python3 - "$work/big.eml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: a@example.org\nTo: b@example.net\nSubject: big\n\n")
    for i in range(60000):
        f.write("line %d of a body larger than one read chunk  \t \n" % i)
PY
cat "$work/big.eml" | "$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" -c relaxed/relaxed > "$work/s-big.eml"
is "$(cat "$work/s-big.eml" | verify >/dev/null 2>&1; echo $?)" 0 \
    "a 3 MB body signs and verifies in chunks through a pipe"
is "$(($(wc -c < "$work/s-big.eml") > $(wc -c < "$work/big.eml")))" 1 \
    "the big message is written out whole"

"$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" -d $D -s r2048 -k "$K/r2048.private" \
    "$MSG" > "$work/s-two.eml"
is "$(grep -c '^DKIM-Signature:' "$work/s-two.eml")" 2 "two -d groups make two signatures"
verify "$work/s-two.eml" > "$work/ar"
is "$(grep -c 'dkim=pass' "$work/ar")" 2 "verify passes both signatures"
head -n 1 "$work/ar" | grep -q "^Authentication-Results: $AS;"
ok $? "verify prints one Authentication-Results field with the authserv-id"

"$DKIMTOOL" sign -x 3600 -d $D -s ed -k "$K/ed.private" -i "user@$D" "$MSG" > "$work/s-x.eml"
grep -q 'x=[0-9]' "$work/s-x.eml" && grep -q "i=user@$D" "$work/s-x.eml"
ok $? "-x and -i put x= and i= in the signature"
is "$(verify "$work/s-x.eml" >/dev/null 2>&1; echo $?)" 0 "a signature with x= in the future passes"

# ---- verify results and exit statuses -------------------------------------------

if [ -f "$VECTORS/rfc8463/message.eml" ]; then
	verify "$VECTORS/rfc8463/message.eml" > "$work/ar"
	rc=$?
	[ $rc -eq 0 ] && [ "$(grep -c 'dkim=pass' "$work/ar")" -eq 2 ]
	ok $? "RFC 8463 A.3: both signatures (ed25519 and rsa) pass"
	[ $? -eq 0 ] || sed 's/^/#   /' "$work/ar"
else
	n=$((n + 1))
	echo "ok $n - RFC 8463 A.3 # SKIP no vectors"
fi

sed 's/Hello Bob/Hello Eve/' "$work/s-r2048-relaxed-relaxed-lf.eml" > "$work/tampered.eml"
is "$(status verify "$work/tampered.eml")" 1 "a changed body fails: exit 1"
grep -q 'dkim=fail' "$work/out"
ok $? "... reported as dkim=fail"
is "$(status verify "$MSG")" 1 "an unsigned message: exit 1"
grep -q 'dkim=none' "$work/out"
ok $? "... reported as dkim=none"
"$DKIMTOOL" sign -d $D -s nokey -k "$K/ed.private" "$MSG" > "$work/s-nokey.eml"
is "$(status verify "$work/s-nokey.eml")" 1 "a selector without a key record: exit 1"
grep -q 'dkim=permerror' "$work/out"
ok $? "... reported as dkim=permerror"
is "$(status "$DKIMTOOL" verify --nameserver 127.0.0.1:1 --timeout 300 \
    "$work/s-r1024-simple-simple-lf.eml")" 75 \
    "no DNS server answers: exit 75"
grep -q 'dkim=temperror' "$work/out"
ok $? "... reported as dkim=temperror"

is "$(status "$DKIMTOOL")" 2 "no command: exit 2"
is "$(status "$DKIMTOOL" frobnicate)" 2 "an unknown command: exit 2"
is "$(status "$DKIMTOOL" sign -q)" 2 "sign with an unknown option: exit 2"
is "$(wc -l < "$work/err")" 1 "a usage error is one line on stderr"
grep -q '^dkimtool: ' "$work/err"
ok $? "... starting with 'dkimtool: '"
is "$(status "$DKIMTOOL" sign -d $D -s ed "$MSG")" 2 "sign without -k: exit 2"
is "$(status "$DKIMTOOL" sign -s ed -d $D -k "$K/ed.private" "$MSG")" 2 \
    "sign with -s before any -d: exit 2"
is "$(status "$DKIMTOOL" sign -c relaxed/bogus -d $D -s ed -k "$K/ed.private" "$MSG")" 2 \
    "sign -c relaxed/bogus: exit 2"
is "$(status "$DKIMTOOL" sign -a rsa-sha256 -d $D -s ed -k "$K/ed.private" "$MSG")" 1 \
    "sign -a rsa-sha256 with an Ed25519 key: exit 1"
is "$(status "$DKIMTOOL" verify --timeout abc "$MSG")" 2 "verify --timeout abc: exit 2"
is "$(status "$DKIMTOOL" verify --bogus "$MSG")" 2 "verify with an unknown option: exit 2"
is "$(status "$DKIMTOOL" sign -d $D -s ed -k "$work/missing.key" "$MSG")" 1 \
    "sign with a key file that does not exist: exit 1"
cp "$K/ed.private" "$work/noread.key"
chmod 000 "$work/noread.key"
if [ "$(id -u)" -eq 0 ]; then
	printf 'not a key\n' > "$work/noread.key"
fi
is "$(status "$DKIMTOOL" sign -d $D -s ed -k "$work/noread.key" "$MSG")" 1 \
    "sign with an unreadable (as root: unparsable) key: exit 1"
[ ! -s "$work/out" ]
ok $? "... and writes nothing to stdout"
is "$(status "$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" "$work/missing.eml")" 1 \
    "sign a file that does not exist: exit 1"
grep -q 'missing.eml' "$work/err"
ok $? "... the error names the file"
is "$(status verify "$work/missing.eml")" 1 "verify a file that does not exist: exit 1"
/usr/bin/python3 -c '
import sys
sys.stdout.write("From: a@example.org\n")
for i in range(12000):
    sys.stdout.write("X-Filler-%d: %s\n" % (i, "y" * 90))
sys.stdout.write("\nbody\n")' > "$work/hugehdr.eml"
is "$(status "$DKIMTOOL" sign -d $D -s ed -k "$K/ed.private" "$work/hugehdr.eml")" 1 \
    "a header block over 1 MiB is refused: exit 1"
grep -q 'header' "$work/err"
ok $? "... with an error about the header"

# ---- verdicts: l=, i=, header ceiling, bad options ---------------------

# hostile - a case of t/data/hostile without its "#" lines, into $work/h.eml
hostile() { sed '/^#/d' "$HOSTILE/$1.eml" > "$work/h.eml"; }

hostile l-content-after
is "$(status verify "$work/h.eml")" 1 \
    "l= that leaves 21 body bytes unsigned: no pass, exit 1"
grep -q 'dkim=policy (l=54 leaves 21 body bytes unsigned)' "$work/out"
ok $? "... reported as dkim=policy with the count, as dkimd reports it"
is "$(status verify --unsigned-body pass "$work/h.eml")" 0 \
    "the same with --unsigned-body pass: exit 0"
grep -q 'dkim=pass' "$work/out"
ok $? "... reported as dkim=pass"
hostile l-zero
is "$(status verify "$work/h.eml")" 1 "l=0 on a body of 54 bytes: exit 1"
grep -q 'dkim=policy (l=0 leaves 54 body bytes unsigned)' "$work/out"
ok $? "... dkim=policy, all 54 bytes unsigned"
hostile l-equal-body
is "$(status verify "$work/h.eml")" 0 "l= equal to the body length: pass"
hostile l-beyond-body
is "$(status verify --unsigned-body pass "$work/h.eml")" 1 \
    "l= beyond the body: exit 1 even with --unsigned-body pass"
grep -q 'dkim=permerror' "$work/out"
ok $? "... dkim=permerror (RFC 6376 3.5)"
hostile i-qp-at
is "$(status verify "$work/h.eml")" 0 "i=joe=40football.example.com: pass"
grep -q 'header.i=joe@football.example.com' "$work/out"
ok $? "... header.i decoded from dkim-quoted-printable"
hostile i-qp-injects-resinfo
is "$(status verify "$work/h.eml")" 0 "an i= that decodes to '; dkim=pass ...': pass"
! grep -q 'header.i\|bank.example' "$work/out"
ok $? "... and nothing of it in the field (header.i left out)"
hostile i-3000-chars
verify "$work/h.eml" > "$work/out" 2>&1
awk 'length($0) > 78 { bad = 1 } END { exit bad }' "$work/out" &&
    ! grep -q 'header.i' "$work/out"
ok $? "a 3,000-character i=: header.i left out, every line at most 78"
is "$(status verify "$work/hugehdr.eml")" 1 "a header block over 1 MiB: exit 1"
grep -q "^Authentication-Results: $AS;" "$work/out" &&
    grep -q 'dkim=permerror (header block too large to verify)' "$work/out"
ok $? "... still an Authentication-Results field, with the reason"
grep -q 'header block larger than' "$work/err"
ok $? "... and the error on stderr"
for bad in 127.0.0.1:99999 127.0.0.1:0 127.0.0.1:abc 127.0.0.1:; do
	is "$(status "$DKIMTOOL" verify --nameserver "$bad" "$MSG")" 2 \
	    "verify --nameserver $bad: usage error, exit 2"
done
for bad in 'mx.test;dkim=pass' 'mx.test x' '"mx.test"' 'mx.test/1'; do
	is "$(status "$DKIMTOOL" verify --authserv-id "$bad" "$MSG")" 2 \
	    "verify --authserv-id '$bad': not a token, exit 2"
done
is "$(status "$DKIMTOOL" verify --unsigned-body maybe "$MSG")" 2 \
    "verify --unsigned-body maybe: exit 2"

# ---- showkeys, testkeys ---------------------------------------------------------

C=$work/conf
mkdir -p "$C"
cat > "$C/keytable" <<EOT
k-ed %:ed:$K/ed.private
k-rsa $D:r2048:$K/r2048.private
EOT
cat > "$C/signingtable" <<EOT
*@example.com k-ed
*@$D k-rsa
*@*.example.biz k-ed
EOT
cat > "$C/good.conf" <<EOT
KeyTable file:$C/keytable
SigningTable refile:$C/signingtable
Nameservers $NS
EOT
cat > "$C/short.conf" <<EOT
Domain example.net
Selector r1024
KeyFile $K/r1024.private
Nameservers $NS
EOT
cat > "$C/missing.conf" <<EOT
Domain example.info
Selector r1024
KeyFile $K/r1024.private
EOT
is "$(status "$DKIMTOOL" showkeys -c "$C/good.conf")" 0 "showkeys succeeds"
grep -q "^ed._domainkey.example.com. 3600 IN TXT " "$work/out"
ok $? "showkeys: a '%' key is listed for the domain the SigningTable gives it"
grep -q "^r2048._domainkey.$D. 3600 IN TXT " "$work/out"
ok $? "showkeys: a KeyTable domain is listed as it is"
grep -o '"[^"]*"' "$work/out" | tr -d '"\n' | grep -q -F "$(record r2048)"
ok $? "showkeys prints the record genkey wrote for the same key"
is "$(status "$DKIMTOOL" testkeys -c "$C/good.conf")" 0 "testkeys: every key published right: exit 0"
is "$(grep -c ' => pass$' "$work/out")" 2 "testkeys: one ok line per key"
is "$(status "$DKIMTOOL" testkeys -c "$C/short.conf")" 1 \
    "testkeys: another key published at the name: exit 1"
grep -q '^r1024._domainkey.example.net => fail (record differs from the private key)' "$work/out"
ok $? "... reported as a record that differs from the private key"
is "$(status "$DKIMTOOL" testkeys -c "$C/missing.conf" --nameserver "$NS")" 1 \
    "testkeys: no record published: exit 1"
grep -q '=> fail (no record' "$work/out"
ok $? "... reported as no record"
is "$(status "$DKIMTOOL" testkeys -c "$C/good.conf" --nameserver 127.0.0.1:1 --timeout 300)" 75 \
    "testkeys: no DNS server answers: exit 75"
printf 'Bogus-Keyword yes\n' > "$C/bad.conf"
is "$(status "$DKIMTOOL" showkeys -c "$C/bad.conf")" 1 "showkeys: a bad configuration: exit 1"
grep -q "^dkimtool: .*bad.conf" "$work/err"
ok $? "... and the error names the file"
is "$(status "$DKIMTOOL" showkeys)" 2 "showkeys without -c: exit 2"

# ---- the manual --------------------------------------------------------------

for cmd in genkey sign verify showkeys testkeys key import rotate activate; do
	"$DKIMTOOL" --help | grep -q -E "dkimtool (.*[ |])?$cmd\b" &&
	    grep -q "^\.B dkimtool $cmd" "$top/man/dkimtool.1"
	ok $? "dkimtool $cmd is in --help and in dkimtool(1)"
done
for opt in -d -s -k -a -b -D -f -c -i -x -1 -n -p -K -S -A --nameserver --authserv-id \
    --timeout --db --inline --generate --state --grace; do
	grep -q -F -- "$(printf '%s' "$opt" | sed 's/-/\\-/g')" "$top/man/dkimtool.1"
	ok $? "dkimtool(1) documents $opt"
done

echo "1..$n"
[ "$nfail" -eq 0 ]
