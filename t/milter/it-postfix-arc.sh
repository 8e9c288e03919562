#!/usr/bin/env bash
# it-postfix-arc.sh - ARC sealing behind a real Postfix (TAP)
#
# A private Postfix (t/milter/lib.sh postfix_conf, loopback only) with
# dkimd as its milter on two ports:
#	forwarding port	smtpd -o milter_macro_daemon_name=FORWARD, a daemon
#			of ARCSealMTA: verified, then sealed with ARCKey
#	incoming port	smtpd with the default daemon name: verified only
# A message signed by dkimtool goes through the forwarding port; what
# smtp-sink receives must carry one ARC set (i=1, cv=none) that dkimpy
# (dkim.arc_verify) passes. That message then comes in again through the
# incoming port, where dkimd must report arc=pass, and a copy whose body
# was changed after the seal must not. Needs root (Postfix), postfix,
# smtp-sink, swaks, dnsmasq, python3-dkim, python3-authres. Every process
# is stopped by its PID (Postfix through its master's pid file).
# Environment: DKIMD, DKIMTOOL, top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD_PID=
SINK_PID=
T=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run Postfix"
for p in postfix postconf smtp-sink swaks dnsmasq; do
	command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] ||
		skip_all "$p not installed"
done
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"
/usr/bin/python3 -c 'import dkim, dns.resolver, authres' 2>/dev/null ||
	skip_all "python3-dkim, python3-dnspython or python3-authres missing"
PATH=$PATH:/usr/sbin

T=$(mktemp -d /tmp/it-postfix-arc.XXXXXX)
chmod 755 "$T"

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

cleanup() {
	postfix_stop
	dkimd_halt
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

DK=$(free_port)
FWD=$(free_port)
IN=$(free_port)
SINK=$(free_port)

mta_dkimd_conf arc || { echo "Bail out! dnsmasq did not start"; exit 1; }
printf 'ARCSealMTA\tFORWARD\nARCKey\t\tarc\n' >>"$T/dkimd.conf"
mta_dkimd_start 1 || { echo "Bail out! dkimd did not start"; exit 1; }
postfix_sink
postfix_conf "maillog_file_prefixes = $T
maillog_file = $T/maillog
master_service_disable =" \
    "127.0.0.1:$FWD inet n - n - - smtpd -o milter_macro_daemon_name=FORWARD -o smtpd_milters=inet:127.0.0.1:$DK
127.0.0.1:$IN inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$DK"
if ! postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
	sed 's/^/#   /' "$T/postfix.start" "$T/maillog" 2>/dev/null | tail -n 30
	echo "Bail out! postfix did not start"
	exit 1
fi

# ---- forwarded: sealed ------------------------------------------------------
printf 'From: alice@example.com\nTo: list@example.net\nSubject: to forward\nDate: Mon, 7 Dec 2026 02:00:00 +0000\nMessage-ID: <fwd1@example.com>\n\nHello, through the forwarder.\n' |
    "$DKIMTOOL" sign -d example.com -s arc -k "$T/keys/arc.private" >"$T/signed.eml"
swaks --server 127.0.0.1 --port "$FWD" --from alice@example.com \
    --to bob@example.net --data "$T/signed.eml" >"$T/swaks1.out" 2>&1
ok $? "forward: Postfix accepts the signed message"
postfix_sink_wait 1
ok $? "forward: the message reaches smtp-sink"
m=$(postfix_sink_newest)
# what smtp-sink adds before the message proper is left out
sed -n '/^ARC-Seal:/,$p' "$m" >"$T/sealed.eml"
grep -q "^ARC-Seal: i=1; cv=none; a=rsa-sha256; d=example.com; s=arc;" "$T/sealed.eml" &&
    [ "$(grep -c '^ARC-Seal:' "$T/sealed.eml")" = 1 ] &&
    [ "$(grep -c '^ARC-Message-Signature: i=1;' "$T/sealed.eml")" = 1 ] &&
    [ "$(grep -c '^ARC-Authentication-Results: i=1; mx.test;' "$T/sealed.eml")" = 1 ]
ok $? "forward: delivered with one ARC set i=1 cv=none, d= and s= of ARCKey"
[ "$(grep -m3 -o '^ARC-[A-Za-z-]*' "$T/sealed.eml" | tr '\n' ' ')" = \
    "ARC-Seal ARC-Message-Signature ARC-Authentication-Results " ]
ok $? "forward: the set on top in the order ARC-Seal, AMS, AAR"
/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-arc.py" verify "$DNS_PORT" \
    "$T/sealed.eml" >"$T/dkimpy.out" 2>&1
grep -q "cv=pass" "$T/dkimpy.out"
ok $? "forward: dkimpy arc_verify passes the chain"
sed 's/^/#   /' "$T/dkimpy.out"

# ---- incoming: arc=pass; a body changed after the seal: not pass --------
swaks --server 127.0.0.1 --port "$IN" --from alice@example.com \
    --to bob@example.net --data "$T/sealed.eml" >"$T/swaks2.out" 2>&1
postfix_sink_wait 2
m=$(postfix_sink_newest)
tr -d '\n' <"$m" | grep -q "Authentication-Results: mx.test;.*arc=pass (as\[1\].d=example.com as\[1\].s=arc)"
ok $? "incoming: dkimd on the inbound port reports arc=pass"
! grep -q "^ARC-Seal: i=2" "$m"
ok $? "incoming: the inbound port (not in ARCSealMTA) does not seal"
sed 's/^Hello, through/Hello, THROUGH/' "$T/sealed.eml" >"$T/tampered.eml"
swaks --server 127.0.0.1 --port "$IN" --from alice@example.com \
    --to bob@example.net --data "$T/tampered.eml" >"$T/swaks3.out" 2>&1
postfix_sink_wait 3
m=$(postfix_sink_newest)
tr -d '\n' <"$m" | grep -q "Authentication-Results: mx.test;.*arc=fail" &&
    ! grep -q "arc=pass" "$m"
ok $? "incoming: a body changed after the seal gives arc=fail, never pass"

grep -q "verify (daemon FORWARD): .*ARC-sealed i=1 cv=none d=example.com s=arc" "$T/dkimd.log"
ok $? "log: dkimd logs the seal it made"
postfix_stop
dkimd_halt
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
echo "1..$n"
exit $fail
