#!/usr/bin/env bash
# it-keys.sh - dkimtool showkeys and testkeys against a real DNS server
#
#	DKIMTOOL=/path/to/dkimtool bash t/it-keys.sh
#
# TAP on stdout. Keys (RSA and Ed25519) are made with dkimtool genkey and
# named by a KeyTable and a SigningTable (one key with the domain "%").
# The records that showkeys prints in zone-file form are loaded into a
# dnsmasq on 127.0.0.1 at a random high port (t/lib/dns.sh, stopped by
# its PID at exit), and testkeys must pass on every key; then one name
# each gets a wrong key, a revoked key (p= empty), a testing flag (t=y)
# and no record, and testkeys must fail on exactly that key with the
# reason. Then rotation with the tables in SQLite: rotate publishes a
# new key that testkeys reports missing until DNS has it, activate moves
# signing to it and retires the old key, which is revoked (p= empty)
# after its grace period; the same with file tables (the state in a
# KeyTable comment).
# KEEP=1 keeps the work folder.
set -u

here=$(cd "$(dirname "$0")" && pwd)
DKIMTOOL=${DKIMTOOL:-${top_builddir:-.}/tools/dkimtool}
case "$DKIMTOOL" in
/*) ;;
*) DKIMTOOL=$(pwd)/$DKIMTOOL ;;
esac
if [ ! -x "$DKIMTOOL" ]; then
	echo "1..0 # SKIP no dkimtool at $DKIMTOOL"
	exit 0
fi
work=$(mktemp -d /tmp/it-keys.XXXXXX) || exit 1
K=$work/keys
mkdir -p "$K"

. "$here/lib/dns.sh"
. "$here/lib/dbtap.sh"

# finish - EXIT trap: stop DNS (by PID), remove the work folder
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
trap 'exit 1' TERM INT		# so that a time-out still runs finish

# zone2records - showkeys' zone-file form on stdin as dns.sh records
zone2records()
{
	awk '
	/^;/ { next }
	/^[^ \t"]/ { if (name != "") print name " " val
		name = $1; sub(/\.$/, "", name); val = "" }
	{ s = $0; while (match(s, /"[^"]*"/)) {
		val = val substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, RSTART + RLENGTH) } }
	END { if (name != "") print name " " val }'
}

# start_dns FILE - (re)start dnsmasq on a records file; bail out on failure
start_dns()
{
	dns_stop
	if ! dns_start "$1" "$work"; then
		echo "Bail out! dnsmasq did not start"
		exit 1
	fi
	NS=127.0.0.1:$DNS_PORT
}

for spec in "rsa1 rsa" "ed1 ed25519" "other rsa"; do
	set -- $spec
	"$DKIMTOOL" genkey -d example.org -s "$1" -a "$2" -D "$K" >/dev/null 2>&1 ||
	    { echo "Bail out! genkey $1 failed"; exit 1; }
done
cat > "$work/keytable" <<EOT
k-rsa example.org:rsa1:$K/rsa1.private
k-ed %:ed1:$K/ed1.private
EOT
cat > "$work/signingtable" <<EOT
*@example.org k-rsa
example.net k-ed
user@example.com k-ed
EOT
cat > "$work/dkimd.conf" <<EOT
KeyTable file:$work/keytable
SigningTable file:$work/signingtable
DNSTimeout 2
EOT

# ---- showkeys ----------------------------------------------------------------

is "$(status "$DKIMTOOL" showkeys -c "$work/dkimd.conf")" 0 "showkeys: exit 0"
zone2records < "$work/out" > "$work/records.txt"
is "$(wc -l < "$work/records.txt")" 3 \
    "showkeys: one record per key and domain ('%' key: one per domain)"
is "$(awk '{ print $1 }' "$work/records.txt" | sort | tr '\n' ' ')" \
    "ed1._domainkey.example.com ed1._domainkey.example.net rsa1._domainkey.example.org " \
    "showkeys: the names are SELECTOR._domainkey.DOMAIN"
long=$(grep -o '"[^"]*"' "$work/out" | awk 'length($0) > 257' | wc -l)
is "$long" 0 "showkeys: no character-string longer than 255 bytes"
grep -q '^rsa1._domainkey.example.org. 3600 IN TXT ( "v=DKIM1; k=rsa; "$' "$work/out"
ok $? "showkeys: zone-file form with TTL, class and parentheses"
is "$(status "$DKIMTOOL" showkeys -1 -c "$work/dkimd.conf")" 0 "showkeys -1: exit 0"
tr '\t' ' ' < "$work/out" | sort > "$work/oneline.txt"
sort "$work/records.txt" | cmp -s - "$work/oneline.txt"
ok $? "showkeys -1: one line per record, the same records as the zone form"
is "$(status "$DKIMTOOL" showkeys -c "$work/dkimd.conf" -d example.net)" 0 \
    "showkeys -d DOMAIN: exit 0"
is "$(zone2records < "$work/out" | awk '{ print $1 }')" "ed1._domainkey.example.net" \
    "showkeys -d DOMAIN: only that domain's record"

# ---- testkeys: everything published right --------------------------------------

start_dns "$work/records.txt"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf" --nameserver "$NS")" 0 \
    "testkeys on the records showkeys printed: exit 0"
is "$(grep -c ' => pass$' "$work/out")" 3 "testkeys: '=> pass' for each of the three keys"
grep -q '^ed1._domainkey.example.net => pass$' "$work/out"
ok $? "testkeys: an Ed25519 key passes"
grep -q '^rsa1._domainkey.example.org => pass$' "$work/out"
ok $? "testkeys: an RSA key passes"
printf 'Nameservers %s\n' "$NS" >> "$work/dkimd.conf"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf")" 0 \
    "testkeys uses the configuration's Nameservers"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf" -d example.org)" 0 \
    "testkeys -d DOMAIN: exit 0"
is "$(wc -l < "$work/out")" 1 "testkeys -d DOMAIN: only that domain is tested"

# ---- testkeys: each kind of wrong record ---------------------------------------

other=$(grep -o '"[^"]*"' "$K/other.txt" | tr -d '"\n')
ed_rec=$(grep '^ed1._domainkey.example.net ' "$work/records.txt" | cut -d' ' -f2-)
{
	grep '^ed1._domainkey.example.com ' "$work/records.txt"
	echo "rsa1._domainkey.example.org $other"
	echo "ed1._domainkey.example.net ${ed_rec}; t=y"
} > "$work/wrong.txt"
start_dns "$work/wrong.txt"
sed -i "s/^Nameservers .*/Nameservers $NS/" "$work/dkimd.conf"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf")" 1 "testkeys: one wrong record: exit 1"
grep -q '^rsa1._domainkey.example.org => fail (record differs from the private key)$' "$work/out"
ok $? "testkeys: another key at the name: fail (record differs from the private key)"
grep -q '^ed1._domainkey.example.net => fail (testing flag set)$' "$work/out"
ok $? "testkeys: t=y: fail (testing flag set)"
grep -q '^ed1._domainkey.example.com => pass$' "$work/out"
ok $? "testkeys: the right record still passes beside wrong ones"

{
	echo "rsa1._domainkey.example.org v=DKIM1; k=rsa; p="
	echo "ed1._domainkey.example.net v=DKIM1; k=ed25519; p="
} > "$work/revoked.txt"
start_dns "$work/revoked.txt"
sed -i "s/^Nameservers .*/Nameservers $NS/" "$work/dkimd.conf"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf")" 1 "testkeys: revoked and missing records: exit 1"
grep -q '^rsa1._domainkey.example.org => fail (key revoked)$' "$work/out"
ok $? "testkeys: p= empty: fail (key revoked)"
grep -q '^ed1._domainkey.example.com => fail (no record' "$work/out"
ok $? "testkeys: nothing published: fail (no record)"
dns_stop
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf" --timeout 300)" 75 \
    "testkeys: the DNS server gone: exit 75"
grep -q '=> fail (DNS error' "$work/out"
ok $? "testkeys: the DNS server gone: fail (DNS error: ...)"
is "$(status "$DKIMTOOL" testkeys -c "$work/dkimd.conf" -1)" 2 \
    "testkeys -1 is a usage error"

# ---- rotation with the tables in SQLite ------------------------------------------

if command -v sqlite3 >/dev/null; then
	DB=$work/keys.db
	sqlite3 "$DB" < "$here/../etc/schema/sqlite.sql"
	"$DKIMTOOL" key add --db "sqlite:$DB" -d rot.example -s old --generate \
	    -a ed25519 > /dev/null
	cat > "$work/db.conf" <<EOT
KeyTable sqlite:$DB
SigningTable sqlite:$DB
DNSTimeout 2
EOT
	"$DKIMTOOL" showkeys -c "$work/db.conf" | zone2records > "$work/rot1.txt"
	start_dns "$work/rot1.txt"
	is "$(status "$DKIMTOOL" testkeys -c "$work/db.conf" --nameserver "$NS")" 0 \
	    "rotation: testkeys passes the key in the database"
	is "$(status "$DKIMTOOL" rotate --db "sqlite:$DB" -d rot.example -s new)" 0 \
	    "rotate: exit 0"
	grep -q '^new._domainkey.rot.example. 3600 IN TXT ( "v=DKIM1; k=ed25519; "$' "$work/out"
	ok $? "rotate: the next key has the same algorithm and its record is printed"
	"$DKIMTOOL" key list --db "sqlite:$DB" > "$work/list"
	is "$(cut -f 1,5,6 "$work/list" | tr '\t\n' ' ')" \
	    "new._domainkey.rot.example published - old._domainkey.rot.example active rot.example " \
	    "rotate: the new key is published, not signing; the old one signs"
	is "$(status "$DKIMTOOL" testkeys -c "$work/db.conf" --nameserver "$NS")" 1 \
	    "rotate: before DNS has the new key, testkeys fails"
	grep -q '^new._domainkey.rot.example => fail (no record' "$work/out"
	ok $? "rotate: testkeys says the new key has no record yet"
	"$DKIMTOOL" showkeys -c "$work/db.conf" | zone2records > "$work/rot2.txt"
	start_dns "$work/rot2.txt"
	is "$(status "$DKIMTOOL" testkeys -c "$work/db.conf" --nameserver "$NS")" 0 \
	    "rotate: once DNS has the new key, testkeys passes both"
	is "$(status "$DKIMTOOL" activate --db "sqlite:$DB" -d rot.example)" 0 \
	    "activate: exit 0"
	"$DKIMTOOL" key list --db "sqlite:$DB" > "$work/list"
	is "$(cut -f 1,5,6 "$work/list" | tr '\t\n' ' ')" \
	    "new._domainkey.rot.example active rot.example old._domainkey.rot.example retired - " \
	    "activate: the new key signs for the domain, the old one is retired"
	is "$(status "$DKIMTOOL" testkeys -c "$work/db.conf" --nameserver "$NS")" 0 \
	    "activate: the retired key is still tested (still published)"
	is "$(status "$DKIMTOOL" activate --db "sqlite:$DB" -d rot.example)" 1 \
	    "activate: nothing to switch to and nothing due: exit 1"
	sqlite3 "$DB" "UPDATE dkim_keys SET not_after = 1 WHERE name = 'old._domainkey.rot.example'"
	is "$(status "$DKIMTOOL" activate --db "sqlite:$DB" -d rot.example)" 0 \
	    "activate after the grace period: exit 0"
	tr -d '\n\t' < "$work/out" | grep -q 'old._domainkey.rot.example. 3600 IN TXT ( "v=DKIM1; ""p=" )'
	ok $? "activate after the grace period: the revocation record (p= empty) is printed"
	"$DKIMTOOL" key list --db "sqlite:$DB" > "$work/list"
	is "$(cut -f 1,5 "$work/list" | tr '\t\n' ' ')" \
	    "new._domainkey.rot.example active old._domainkey.rot.example revoked " \
	    "activate after the grace period: the old key is revoked"
	"$DKIMTOOL" key add --db "sqlite:$DB" -d Other.Example -s o1 --generate \
	    -a ed25519 -p '*@Other.Example' >/dev/null
	is "$(status "$DKIMTOOL" key disable --db "sqlite:$DB" -n o1._domainkey.Other.Example)" 0 \
	    "key disable: exit 0"
	"$DKIMTOOL" key list --db "sqlite:$DB" -d other.example > "$work/list"
	is "$(cut -f 1,5,6 "$work/list" | tr '\t\n' ' ')" \
	    "o1._domainkey.Other.Example disabled *@other.example " \
	    "key list -d: that domain only; disabled; patterns kept in lower case"
	is "$(status "$DKIMTOOL" key disable --db "sqlite:$DB" -n nosuch)" 1 \
	    "key disable of a missing key: exit 1"
	is "$(status "$DKIMTOOL" key add --db "sqlite:$DB" -d x.example)" 2 \
	    "key add without -s and a key: usage error (exit 2)"
	{ cat "$work/rot2.txt" | grep -v '^old'; echo "old._domainkey.rot.example v=DKIM1; p="; } > "$work/rot3.txt"
	start_dns "$work/rot3.txt"
	is "$(status "$DKIMTOOL" testkeys -c "$work/db.conf" --nameserver "$NS")" 0 \
	    "revoked keys are not tested; the active one passes"
fi

# ---- rotation with file tables: the state in a KeyTable comment ----------------

K2=$work/fkeys
mkdir -p "$K2"
"$DKIMTOOL" genkey -d frot.example -s f1 -a ed25519 -D "$K2" >/dev/null
printf 'f1key\tfrot.example:f1:%s/f1.private\n' "$K2" > "$work/fkeytable"
printf '*@frot.example\tf1key\n' > "$work/fsigningtable"
cat > "$work/f.conf" <<EOT
KeyTable file:$work/fkeytable
SigningTable refile:$work/fsigningtable
DNSTimeout 2
EOT
"$DKIMTOOL" showkeys -c "$work/f.conf" | zone2records > "$work/f1.txt"
start_dns "$work/f1.txt"
is "$(status "$DKIMTOOL" rotate -c "$work/f.conf" -d frot.example -s f2)" 0 \
    "files: rotate -c: exit 0"
is "$(stat -c %a "$K2/f2.private" 2>/dev/null)" 600 \
    "files: rotate writes the new key beside the old one, mode 0600"
grep -q "^f2._domainkey.frot.example	frot.example:f2:$K2/f2.private	# dkimtool: published$" "$work/fkeytable"
ok $? "files: the new KeyTable line carries its state in a comment (published)"
grep -q "^\*@frot.example	f1key$" "$work/fsigningtable"
ok $? "files: a published key is not in the SigningTable yet"
is "$(status "$DKIMTOOL" testkeys -c "$work/f.conf" --nameserver "$NS")" 1 \
    "files: testkeys fails until DNS has the new key (the table still loads)"
grep -q '^f2._domainkey.frot.example => fail (no record' "$work/out"
ok $? "files: ... and names the new key"
"$DKIMTOOL" showkeys -c "$work/f.conf" | zone2records > "$work/f2.txt"
start_dns "$work/f2.txt"
is "$(status "$DKIMTOOL" testkeys -c "$work/f.conf" --nameserver "$NS")" 0 \
    "files: testkeys passes once DNS has both"
is "$(status "$DKIMTOOL" activate -c "$work/f.conf" -d frot.example)" 0 \
    "files: activate -c: exit 0"
grep -q "^\*@frot.example	f2._domainkey.frot.example$" "$work/fsigningtable"
ok $? "files: activate points the SigningTable at the new key"
grep -q "^f1key	frot.example:f1:$K2/f1.private	# dkimtool: retired until [0-9]*$" "$work/fkeytable"
ok $? "files: the old key is retired, with the end of its grace period"
grep -q "^f2._domainkey.frot.example	frot.example:f2:$K2/f2.private$" "$work/fkeytable"
ok $? "files: the new key's line is plain (active)"
sed -i 's/retired until [0-9]*/retired until 1/' "$work/fkeytable"
is "$(status "$DKIMTOOL" activate -c "$work/f.conf" -d frot.example)" 0 \
    "files: activate after the grace period: exit 0"
tr -d '\n\t' < "$work/out" | grep -q 'f1._domainkey.frot.example. 3600 IN TXT ( "v=DKIM1; ""p=" )'
ok $? "files: ... prints the revocation record"
grep -q "^# dkimtool: revoked: f1key" "$work/fkeytable"
ok $? "files: ... and the old line becomes a comment"
is "$(status "$DKIMTOOL" showkeys -c "$work/f.conf")" 0 "files: the tables still load"
is "$(zone2records < "$work/out" | awk '{ print $1 }' | tr '\n' ' ')" \
    "f2._domainkey.frot.example " "files: only the new key is left to publish"

tap_end
