#!/usr/bin/env bash
# it-conftest.sh - dkimd -t on good and broken configurations (TAP)
#
# Each case writes a configuration (and its tables and keys) into a
# temporary directory, runs `dkimd -c FILE -t` and checks the exit status
# and the "FILE:LINE: what is wrong" line. Keys come from openssl(1) or,
# without it, dkimtool genkey.
# Environment: DKIMD, DKIMTOOL (default: under $top_builddir).
set -u
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
tmp=$(mktemp -d /tmp/it-conftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

# check NAME WANT-STATUS PATTERN - run dkimd -t on $tmp/c/dkimd.conf
check() {
	local name=$1 want=$2 pat=$3 out st
	out=$("$DKIMD" -c "$tmp/c/dkimd.conf" -t 2>&1)
	st=$?
	if [ "$st" -eq "$want" ] && printf '%s\n' "$out" | grep -q -E -- "$pat"; then
		ok 0 "$name"
	else
		ok 1 "$name"
		printf '%s\n' "$out" | sed 's/^/#   /'
		echo "#   status $st, wanted $want and /$pat/"
	fi
}

# fresh - a good configuration in $tmp/c: two keys, file and refile tables
fresh() {
	rm -rf "$tmp/c"
	mkdir -p "$tmp/c/keys"
	cp "$tmp/rsa.pem" "$tmp/c/keys/sel1.key"
	cp "$tmp/ed.pem" "$tmp/c/keys/ed1.key"
	chmod 600 "$tmp/c/keys/"*.key
	cat >"$tmp/c/key.table" <<EOT
# KeyTable, OpenDKIM format
sel1._domainkey.example.com example.com:sel1:$tmp/c/keys/sel1.key
ed1._domainkey.any %:ed1:$tmp/c/keys/ed1.key
EOT
	cat >"$tmp/c/signing.table" <<EOT
*@example.com	sel1._domainkey.example.com
*@*.example.org	ed1._domainkey.any
EOT
	cat >"$tmp/c/dkimd.conf" <<EOT
# a good configuration
Socket			inet:18891@127.0.0.1
KeyTable		file:$tmp/c/key.table
SigningTable		refile:$tmp/c/signing.table
MTA			ORIGINATING, SUBMISSION
InternalHosts		192.0.2.0/24, 2001:db8::/32, !192.0.2.7
Canonicalization	relaxed/simple
MultipleSignatures	yes
On-BadSignature		reject
AuthservID		mx.example.net
EOT
}

# keys: openssl(1) when installed, else dkimtool genkey
if command -v openssl >/dev/null; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$tmp/rsa.pem" 2>/dev/null
	openssl genpkey -algorithm ED25519 -out "$tmp/ed.pem" 2>/dev/null
else
	DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
	"$DKIMTOOL" genkey -d example.com -s rsa -D "$tmp" >/dev/null &&
	    mv "$tmp/rsa.private" "$tmp/rsa.pem"
	"$DKIMTOOL" genkey -d example.com -s ed -a ed25519 -D "$tmp" >/dev/null &&
	    mv "$tmp/ed.private" "$tmp/ed.pem"
fi
if [ ! -s "$tmp/rsa.pem" ] || [ ! -s "$tmp/ed.pem" ]; then
	echo "Bail out! cannot generate test keys (no openssl, no dkimtool)"
	exit 1
fi

fresh
check "a good configuration with file: KeyTable and refile: SigningTable loads" 0 "OK \(2 keys, 2 signing rules\)"

fresh
echo "*@example.net" >>"$tmp/c/signing.table"
check "SigningTable line with no key name: error names file and line" 1 \
    "signing.table:3: pattern \"\*@example.net\" has no key name"

fresh
echo "*@example.net nosuchkey" >>"$tmp/c/signing.table"
check "SigningTable key name missing from the KeyTable: error" 1 \
    "signing.table:3: key name \"nosuchkey\" is not in the KeyTable"

fresh
rm "$tmp/c/keys/sel1.key"
check "missing key file: error names KeyTable line and path" 1 \
    "key.table:2: key file .*sel1.key: No such file"

fresh
chmod 644 "$tmp/c/keys/sel1.key"
check "world-readable key refused by RequireSafeKeys" 1 \
    "key.table:2: key file .*sel1.key: unsafe permissions 0644"

fresh
chmod 640 "$tmp/c/keys/ed1.key"
check "group-readable key refused by RequireSafeKeys" 1 \
    "key.table:3: .*unsafe permissions 0640"

fresh
chmod 644 "$tmp/c/keys/sel1.key"
echo "RequireSafeKeys no" >>"$tmp/c/dkimd.conf"
check "RequireSafeKeys no accepts a world-readable key" 0 "OK"

fresh
echo "garbage" >"$tmp/c/keys/sel1.key"
check "a key file that is not a key: error" 1 "key.table:2: key file .*sel1.key"

fresh
echo "NoSuchKeyword yes" >>"$tmp/c/dkimd.conf"
check "unknown keyword: error with file and line" 1 \
    "dkimd.conf:11: unknown keyword \"NoSuchKeyword\""

fresh
printf 'ADSPAction reject\nSendReports yes\n' >>"$tmp/c/dkimd.conf"
check "OpenDKIM keyword dkimd lacks: warning, still OK" 0 \
    "dkimd.conf:11: warning: OpenDKIM keyword \"ADSPAction\" is not implemented"

fresh
echo "On-BadSignature bounce" >>"$tmp/c/dkimd.conf"
check "bad On-* value: error lists the actions" 1 \
    "dkimd.conf:11: On-BadSignature: \"bounce\": expected accept, tempfail, reject or discard"

fresh
echo "On-NoSignature quarantine" >>"$tmp/c/dkimd.conf"
check "On-NoSignature quarantine is refused" 1 "dkimd.conf:11: On-NoSignature"

fresh
echo "Socket inet:99999@127.0.0.1" >>"$tmp/c/dkimd.conf"
check "bad socket port: error" 1 "dkimd.conf:11: Socket: .*bad port"

fresh
echo "Socket tcp:8891" >>"$tmp/c/dkimd.conf"
check "bad socket kind: error" 1 "dkimd.conf:11: Socket: .*expected inet:PORT@HOST"

fresh
echo "Socket unix:relative/path" >>"$tmp/c/dkimd.conf"
check "relative unix socket path: error" 1 "dkimd.conf:11: Socket: .*absolute path"

fresh
echo "RequireSafeKeys maybe" >>"$tmp/c/dkimd.conf"
check "bad boolean: error" 1 "dkimd.conf:11: RequireSafeKeys: \"maybe\": expected yes or no"

fresh
echo "MinimumKeyBits 100" >>"$tmp/c/dkimd.conf"
check "number out of bounds: error with the bounds" 1 "dkimd.conf:11: MinimumKeyBits: .*from 512 to 16384"

fresh
echo "MinimumKeyBits 4096" >>"$tmp/c/dkimd.conf"
check "signing key shorter than MinimumKeyBits: error" 1 "key.table:2: .*2048 bits, below MinimumKeyBits 4096"

fresh
echo "InternalHosts mail.example.com" >>"$tmp/c/dkimd.conf"
check "host name in InternalHosts refused" 1 "is not an IP address or CIDR block"

fresh
echo "10.0.0.0/40" >"$tmp/c/internal"
echo "InternalHosts file:$tmp/c/internal" >>"$tmp/c/dkimd.conf"
check "bad CIDR in an InternalHosts file: file and line" 1 "internal:1: \"10.0.0.0/40\""

fresh
echo "Mode x" >>"$tmp/c/dkimd.conf"
check "bad Mode: error" 1 "dkimd.conf:11: Mode: \"x\": expected s, v or sv"

fresh
echo "Canonicalization relaxed/loose" >>"$tmp/c/dkimd.conf"
check "bad Canonicalization: error" 1 "dkimd.conf:11: Canonicalization"

fresh
echo "UserID nosuchuser-dkimd" >>"$tmp/c/dkimd.conf"
check "unknown UserID: error" 1 "dkimd.conf:11: UserID: unknown user"

fresh
cat >"$tmp/c/dkimd.conf" <<EOT
Domain		example.com, example.net
Selector	sel1
KeyFile		$tmp/c/keys/sel1.key
SignatureAlgorithm rsa-sha256
EOT
check "single-key Domain/Selector/KeyFile shortcut loads" 0 "OK \(1 keys, 2 signing rules\)"

echo "SignatureAlgorithm ed25519-sha256" >>"$tmp/c/dkimd.conf"
check "SignatureAlgorithm that does not match KeyFile: error" 1 "SignatureAlgorithm ed25519-sha256 does not match"

# a KeyFile with '%' reads each domain's key when it first signs
sed -i "s|^KeyFile.*|KeyFile		$tmp/c/keys/%.key|" "$tmp/c/dkimd.conf"
check "KeyFile with '%' and SignatureAlgorithm loads (keys read per domain)" 0 \
    "OK \(1 keys, 2 signing rules\)"

fresh
sed -i 's/^KeyTable.*//' "$tmp/c/dkimd.conf"
check "SigningTable without KeyTable: error" 1 "KeyTable and SigningTable go together"

fresh
echo "bad line without colons" >>"$tmp/c/key.table"
check "malformed KeyTable line: error with file and line" 1 \
    "key.table:4: expected \"NAME DOMAIN:SELECTOR:KEYPATH\""

fresh
out=$("$DKIMD" -c "$tmp/c/dkimd.conf" -f -p tcp:8891 2>&1)
st=$?
ok $([ $st -eq 1 ] && printf '%s' "$out" | grep -q "socket tcp:8891: expected inet" &&
    echo 0 || echo 1) "a bad -p socket stops dkimd at start-up with the reason"

"$DKIMD" -k >"$tmp/keywords"
ok $(grep -q "^On-BadSignature	action		" "$tmp/keywords" &&
    grep -q "^MTA	list	ORIGINATING	" "$tmp/keywords" &&
    [ "$(awk -F'\t' 'NF != 4' "$tmp/keywords" | wc -l)" = 0 ] &&
    echo 0 || echo 1) "dkimd -k lists every keyword as name, type, default, doc"

"$DKIMD" -c "$tmp/nonexistent.conf" -t >/dev/null 2>&1
ok $([ $? -eq 1 ] && echo 0 || echo 1) "missing configuration file: exit 1"

fresh
head -c 10000 /dev/zero | tr '\0' 'x' >>"$tmp/c/key.table"
printf '\nbad line here\n' >>"$tmp/c/key.table"
check "a 10 KB table line is refused by line number and the lines after it are still read" 1 \
    "key.table:4: line longer than 4096 bytes"
out=$("$DKIMD" -c "$tmp/c/dkimd.conf" -t 2>&1)
printf '%s\n' "$out" | grep -q "key.table:5:"
ok $? "the line after an over-long one is still checked (key.table:5)"

fresh
sed -i "s|^KeyTable[[:space:]].*|KeyTable /dev/zero|" "$tmp/c/dkimd.conf"
check "a KeyTable that is a device (/dev/zero) is refused, not read forever" 1 \
    "/dev/zero: not a regular file"

echo "1..$n"
exit $fail
