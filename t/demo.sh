#!/usr/bin/env bash
# t/demo.sh - dkimd in one minute: build, make a key, run the milter, sign
# a message through it, verify, and show how to point Postfix at it
#
# Usage: bash t/demo.sh
# Installs what is missing (ci/install-deps.sh; DKIMD_SKIP_DEPS=1 skips
# it), builds out of tree in a temporary folder, makes an RSA demo key
# with `dkimtool genkey`, writes a demo dkimd.conf (KeyTable, SigningTable
# for example.com) next to it, publishes the key with a dnsmasq on
# 127.0.0.1 at a random high port (t/lib/dns.sh), checks the configuration
# with `dkimd -t` and starts `dkimd -f` on inet:PORT@127.0.0.1 (PORT is
# 8891 when free, else a random free port; DKIMD_PORT=N chooses). Then it
# sends etc/sample.eml through dkimd as Postfix's submission service would
# (t/milter/mta.py, {daemon_name} ORIGINATING), verifies the signed result
# with `dkimtool verify`, sends the signed message again as inbound mail
# to show the Authentication-Results dkimd adds, and prints the Postfix
# lines to use.
# When standard input is a terminal, dkimd then stays in the foreground,
# logging each message, until Ctrl-C; otherwise (CI) it is stopped and the
# script exits 0. dkimd and dnsmasq are stopped by their PIDs and the
# temporary folder removed at exit (KEEP=1 keeps it).
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/dkimd-demo.XXXXXX)
PY=/usr/bin/python3
DKIMD_PID=

# finish - EXIT trap (dns.sh adds dns_cleanup after it): stop dkimd by its
# PID, remove the work folder; errors here must not change the status
finish() {
	set +e
	if [ -n "$DKIMD_PID" ]; then
		kill "$DKIMD_PID" 2>/dev/null || true
		wait "$DKIMD_PID" 2>/dev/null || true
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		echo "demo: files kept in $work"
	else
		rm -rf -- "$work"
	fi
}
trap finish EXIT
. "$srcdir/t/lib/dns.sh"

step() { printf '\n== %s\n' "$*"; }

# port_free PORT - 0 when nothing listens on 127.0.0.1:PORT
port_free() {
	$PY -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

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
	make -j"$(nproc)" milter/dkimd tools/dkimtool >make.out 2>&1) || {
	tail -n 30 "$work/build/configure.out" "$work/build/make.out" 2>/dev/null
	echo "demo: build failed" >&2
	exit 1
}
DKIMD=$work/build/milter/dkimd
DKIMTOOL=$work/build/tools/dkimtool
echo "built $DKIMD and $DKIMTOOL"

step "dkimtool genkey -d example.com -s demo -D keys"
mkdir -p "$work/keys"
"$DKIMTOOL" genkey -d example.com -s demo -D "$work/keys"
ls -l "$work/keys"

step "publish the key: dnsmasq on 127.0.0.1"
value=$(grep -o '"[^"]*"' "$work/keys/demo.txt" | tr -d '"\n')
echo "demo._domainkey.example.com $value" > "$work/records.txt"
mkdir -p "$work/dns"
dns_start "$work/records.txt" "$work/dns"
echo "dnsmasq pid $DNS_PID, port $DNS_PORT"

port=${DKIMD_PORT:-8891}
if [ -z "${DKIMD_PORT:-}" ] && ! port_free "$port"; then
	port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi

step "demo configuration: $work/demo.conf"
cat > "$work/KeyTable" <<KT
demo._domainkey.example.com example.com:demo:$work/keys/demo.private
KT
cat > "$work/SigningTable" <<ST
*@example.com demo._domainkey.example.com
ST
cat > "$work/demo.conf" <<CONF
# dkimd demo: sign what the MTA marks ORIGINATING, verify the rest
Socket          inet:$port@127.0.0.1
KeyTable        file:$work/KeyTable
SigningTable    refile:$work/SigningTable
MTA             ORIGINATING
AuthservID      demo.example.net
# the demo key is published only by the demo dnsmasq
Nameservers     127.0.0.1:$DNS_PORT
On-Default      accept
Syslog          no
CONF
cat "$work/demo.conf"
"$DKIMD" -c "$work/demo.conf" -t

step "dkimd -f -c demo.conf (listening on inet:$port@127.0.0.1)"
"$DKIMD" -f -c "$work/demo.conf" &
DKIMD_PID=$!
for _ in $(seq 50); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" \
	    2>/dev/null && break
	kill -0 "$DKIMD_PID" 2>/dev/null || { echo "demo: dkimd stopped" >&2; exit 1; }
	sleep 0.1
done

step "etc/sample.eml through dkimd as submission mail ({daemon_name} ORIGINATING)"
$PY "$srcdir/t/milter/mta.py" "127.0.0.1:$port" ORIGINATING \
	"$srcdir/etc/sample.eml" > "$work/sign.out"
$PY "$srcdir/t/docs/apply-inserts.py" "$srcdir/etc/sample.eml" \
	"$work/sign.out" > "$work/signed.eml"
sed -n '1,/^$/p' "$work/signed.eml"

step "dkimtool verify --nameserver 127.0.0.1:$DNS_PORT signed.eml"
"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	--authserv-id demo.example.net "$work/signed.eml"
echo "(exit status $?: a signature passed)"

step "the signed message through dkimd again, as inbound mail"
$PY "$srcdir/t/milter/mta.py" "127.0.0.1:$port" MTA "$work/signed.eml" |
	sed -n 's/^insert [0-9]* Authentication-Results /Authentication-Results:/p' |
	sed 's/\\n/\n/g'

step "point Postfix at it"
cat <<PF
main.cf:
    milter_protocol = 6
    smtpd_milters = inet:127.0.0.1:$port
    non_smtpd_milters = inet:127.0.0.1:$port
    milter_default_action = accept
master.cf (the submission service signs; mail from sendmail(1) too):
    submission inet n - y - - smtpd
      -o milter_macro_daemon_name=ORIGINATING
      -o smtpd_milters=inet:127.0.0.1:$port
      -o milter_default_action=tempfail
    pickup unix n - y 60 1 pickup
      -o cleanup_service_name=cleanup-orig
    cleanup-orig unix n - n - 0 cleanup
      -o milter_macro_daemon_name=ORIGINATING
      -o milter_default_action=tempfail
then: postfix reload. Complete set-ups: etc/postfix/ (and amavisd-new),
etc/dkimd.conf, dkimd(8). This demo signs only example.com, with a key
that only the demo DNS server publishes.
PF

if [ -t 0 ]; then
	step "dkimd runs in the foreground on inet:$port@127.0.0.1; Ctrl-C stops it"
	wait "$DKIMD_PID" || true
	DKIMD_PID=
else
	step "not a terminal: stopping dkimd (pid $DKIMD_PID)"
	kill "$DKIMD_PID"
	wait "$DKIMD_PID" || true
	DKIMD_PID=
fi
