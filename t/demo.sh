#!/usr/bin/env bash
# t/demo.sh - dkimd's engine in one minute: build, make a key, sign, verify
#
# Usage: bash t/demo.sh
# Installs what is missing (ci/install-deps.sh; DKIMD_SKIP_DEPS=1 skips
# it), builds out of tree in a temporary folder, makes an Ed25519 demo key
# with `dkimtool genkey`, signs etc/sample.eml with it, publishes the key
# with a dnsmasq on 127.0.0.1 at a random high port (t/lib/dns.sh) and
# verifies the signed message with `dkimtool verify`, which prints the
# Authentication-Results field. Then it changes one body byte and verifies
# again to show a failing result. dnsmasq is stopped by its PID and the
# temporary folder removed at exit (KEEP=1 keeps it).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/dkimd-demo.XXXXXX)
. "$srcdir/t/lib/dns.sh"

finish() {
	dns_stop
	if [ "${KEEP:-0}" = 1 ]; then
		echo "demo: files kept in $work"
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT

step() { printf '\n== %s\n' "$*"; }

if [ "${DKIMD_SKIP_DEPS:-0}" != 1 ]; then
	step "dependencies"
	bash "$srcdir/ci/install-deps.sh"
fi

step "build (out of tree, in $work/build)"
if [ ! -x "$srcdir/configure" ]; then
	(cd "$srcdir" && autoreconf -fi >/dev/null 2>&1)
fi
mkdir -p "$work/build"
(cd "$work/build" && "$srcdir/configure" >configure.out 2>&1 &&
	make -j"$(nproc)" tools/dkimtool >make.out 2>&1) || {
	tail -n 30 "$work/build/configure.out" "$work/build/make.out" 2>/dev/null
	echo "demo: build failed" >&2
	exit 1
}
DKIMTOOL=$work/build/tools/dkimtool
echo "built $DKIMTOOL"

step "dkimtool genkey -d example.com -s demo -a ed25519 -D keys"
mkdir -p "$work/keys"
"$DKIMTOOL" genkey -d example.com -s demo -a ed25519 -D "$work/keys"
ls -l "$work/keys"

step "dkimtool sign -d example.com -s demo -k keys/demo.private etc/sample.eml"
"$DKIMTOOL" sign -d example.com -s demo -k "$work/keys/demo.private" \
	"$srcdir/etc/sample.eml" > "$work/signed.eml"
sed -n '1,/^$/p' "$work/signed.eml"

step "publish the key: dnsmasq on 127.0.0.1"
value=$(grep -o '"[^"]*"' "$work/keys/demo.txt" | tr -d '"\n')
echo "demo._domainkey.example.com $value" > "$work/records.txt"
mkdir -p "$work/dns"
dns_start "$work/records.txt" "$work/dns"
echo "dnsmasq pid $DNS_PID, port $DNS_PORT"

step "dkimtool verify --nameserver 127.0.0.1:$DNS_PORT signed.eml"
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	--authserv-id demo.example.net "$work/signed.eml"
echo "(exit status $?: a signature passed)"

step "the same message with one word of the body changed"
sed 's/Hello Bob/Hello Eve/' "$work/signed.eml" > "$work/tampered.eml"
rc=0
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	--authserv-id demo.example.net "$work/tampered.eml" || rc=$?
echo "(exit status $rc: no signature passed)"
[ "$rc" -eq 1 ]
