#!/usr/bin/env bash
# bench-arc.sh - dkimd's CPU per message for ARC sealing beside DKIM signing
#
#	bench/bench-arc.sh [-n MESSAGES]
#
# One dkimd on a unix socket (RSA-2048 key rsa1 of rsa.example.com in a
# dnsmasq on 127.0.0.1, t/lib/dns.sh; ARCSealMTA FORWARD, ARCKey rsa1) and
# bench/loadgen at one connection, MESSAGES (default 2000) 2 KB messages
# a row:
#	sign		sign RSA (daemon ORIGINATING)
#	verify		verify one DKIM signature (daemon smtpd)
#	verify-arc3	verify the signature and a 3-hop ARC chain (smtpd)
#	seal-arc3	the same on daemon FORWARD, then seal a 4th set
# The chain is made by dkimtool arc-seal, three hops with the same key.
# loadgen checks every reply (dkim=pass; in seal-arc3 an ARC-Seal with
# cv=pass) and reads dkimd's utime+stime from /proc before and after:
# the table gives CPU ms per message and messages/s. Every process
# started here is stopped by its PID. Environment: DKIMD, DKIMTOOL,
# LOADGEN (default: the build in top_builddir); KEEP=1 keeps the folder.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
nmsg=2000
[ "${1:-}" = -n ] && nmsg=$2
for p in "$DKIMD" "$DKIMTOOL" "$LOADGEN"; do
	[ -x "$p" ] || { echo "bench-arc.sh: no $p (build first)" >&2; exit 2; }
done
work=$(mktemp -d /tmp/bench-arc.XXXXXX)
DKIMD_PID=
cleanup() {
	if [ -n "$DKIMD_PID" ]; then
		kill "$DKIMD_PID" 2>/dev/null
		wait "$DKIMD_PID" 2>/dev/null
	fi
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

"$DKIMTOOL" genkey -d rsa.example.com -s rsa1 -b 2048 -D "$work" >/dev/null || exit 1
chmod 600 "$work/rsa1.private"
zone_to_records "$work/rsa1.txt" >"$work/records"
# keys measured cached, as on a real MX: dnsmasq's records get a TTL
mkdir -p "$work/bin"
printf '#!/bin/sh\nexec %s --local-ttl=3600 "$@"\n' \
    "$(command -v dnsmasq)" >"$work/bin/dnsmasq"
chmod +x "$work/bin/dnsmasq"
PATH=$work/bin:$PATH dns_start "$work/records" "$work" || { echo "bench-arc.sh: dnsmasq did not start" >&2; exit 1; }
echo "rsa1 rsa.example.com:rsa1:$work/rsa1.private" >"$work/key.table"
echo "*@rsa.example.com rsa1" >"$work/signing.table"
cat >"$work/dkimd.conf" <<EOT
Socket		unix:$work/dkimd.sock
KeyTable	$work/key.table
SigningTable	refile:$work/signing.table
AuthservID	mx.bench.test
Nameservers	127.0.0.1:$DNS_PORT
Syslog		no
SenderAuthorization none
ARCSealMTA	FORWARD
ARCKey		rsa1
EOT
# a 2 KB message from rsa.example.com, then signed, then 3 ARC hops
{
	printf 'From: Bench <bench@rsa.example.com>\r\nTo: someone@example.net\r\n'
	printf 'Subject: arc bench\r\nDate: Mon, 7 Dec 2026 02:00:00 +0000\r\n'
	printf 'Message-ID: <arc.bench@rsa.example.com>\r\nMIME-Version: 1.0\r\n\r\n'
	awk 'BEGIN { for (i = 0; i < 30; i++)
	    printf "line %02d of a message that is forwarded and sealed ....\r\n", i }'
} >"$work/plain.eml"
"$DKIMTOOL" sign -d rsa.example.com -s rsa1 -k "$work/rsa1.private" \
    "$work/plain.eml" >"$work/signed.eml" || exit 1
cp "$work/signed.eml" "$work/arc3.eml"
for h in 1 2 3; do
	"$DKIMTOOL" arc-seal -d rsa.example.com -s rsa1 -k "$work/rsa1.private" \
	    --authserv-id "hop$h.test" --nameserver "127.0.0.1:$DNS_PORT" \
	    <"$work/arc3.eml" >"$work/next.eml" || exit 1
	mv "$work/next.eml" "$work/arc3.eml"
done

dkimd_launch "$work/dkimd.conf" "$work/dkimd.log" || exit 1

status=0
printf '%-12s %12s %10s\n' row "cpu ms/msg" "msg/s"
for row in sign:plain:sign verify:signed:verify verify-arc3:arc3:verify \
    seal-arc3:arc3:seal; do
	IFS=: read -r name file mode <<<"$row"
	# a short warm-up fills the key cache, then the measured run
	"$LOADGEN" -s "unix:$work/dkimd.sock" -c 1 -n 20 -f "$work/$file.eml" \
	    --mode "$mode" >/dev/null 2>&1
	line=$("$LOADGEN" -s "unix:$work/dkimd.sock" -c 1 -n "$nmsg" \
	    -f "$work/$file.eml" --mode "$mode" --pid "$DKIMD_PID" \
	    --label "$name" 2>"$work/$name.err" | head -n 1)
	if [ -z "$line" ] || ! grep -q " fail=0 " <<<"$line"; then
		printf '%-12s FAILED (%s)\n' "$name" "$(head -c 200 "$work/$name.err")"
		status=1
		continue
	fi
	cpu=$(sed -n 's/.* cpu_ms_per_msg=\([0-9.]*\).*/\1/p' <<<"$line")
	rate=$(sed -n 's/.* msgs_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
	printf '%-12s %12s %10s\n' "$name" "$cpu" "$rate"
done
exit $status
