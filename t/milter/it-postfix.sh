#!/usr/bin/env bash
# it-postfix.sh - dkimd behind a real Postfix, end to end (TAP)
#
# Builds a private Postfix instance in a temporary directory (its own
# config_directory, queue_directory and data_directory; loopback ports
# only) with dkimd as its milter:
#	submission port	smtpd -o milter_macro_daemon_name=ORIGINATING: signed
#	incoming port	smtpd with the default daemon name: verified
#	sendmail(1)	pickup -o cleanup_service_name=cleanup-orig, a cleanup
#			with milter_macro_daemon_name=ORIGINATING: signed
# Postfix relays everything to smtp-sink (Postfix's test server), which
# writes each message to a file. What arrives is verified with dkimpy and
# Mail::DKIM against dnsmasq on 127.0.0.1. Needs root (Postfix), postfix,
# smtp-sink, swaks, dnsmasq, python3-dkim, libmail-dkim-perl. Every
# process is stopped by its PID (Postfix through its master's pid file).
# Environment: DKIMD, DKIMTOOL, top_srcdir; DKIMD_START, when set, is a
# command that runs dkimd in the foreground on the configuration file it
# gets as its one argument, instead of "$DKIMD -f -c FILE" (t/it-deb.sh
# runs the installed dkimd as its systemd unit would, t/deb/unit-start.sh).
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
PATH=$PATH:/usr/sbin

T=$(mktemp -d /tmp/it-postfix.XXXXXX)
chmod 755 "$T"

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

stop_all() {
	postfix_stop
	[ -n "$DKIMD_PID" ] && kill "$DKIMD_PID" 2>/dev/null
	[ -n "$DKIMD_PID" ] && wait "$DKIMD_PID" 2>/dev/null
	SINK_PID=
	DKIMD_PID=
}
cleanup() {
	stop_all
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

# wait_sink N - wait until smtp-sink holds N messages (30 s at most)
wait_sink() {
	for _ in $(seq 1 300); do
		[ "$(find "$T/sink" -type f | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# newest - the message smtp-sink received last
newest() {
	ls -t "$T"/sink/* 2>/dev/null | head -n 1
}

# verify_both FILE NAME - dkimpy and Mail::DKIM both pass the file
verify_both() {
	mta_verify "$1" "$2" Postfix
}

DK=$(free_port)
SUB=$(free_port)
IN=$(free_port)
SINK=$(free_port)

# ---- keys, DNS, dkimd ------------------------------------------------------
mta_dkimd_conf pf || { echo "Bail out! dnsmasq did not start"; exit 1; }
if [ -n "${DKIMD_START:-}" ]; then
	$DKIMD_START "$T/dkimd.conf" >"$T/dkimd.log" 2>&1 &
else
	"$DKIMD" -f -c "$T/dkimd.conf" >"$T/dkimd.log" 2>&1 &
fi
DKIMD_PID=$!

# ---- smtp-sink --------------------------------------------------------------
postfix_sink

# ---- Postfix ------------------------------------------------------------------
postfix_conf "non_smtpd_milters = inet:127.0.0.1:$DK
maillog_file_prefixes = $T
maillog_file = $T/maillog
master_service_disable =" \
    "127.0.0.1:$SUB inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING -o smtpd_milters=inet:127.0.0.1:$DK
127.0.0.1:$IN inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$DK"
if ! postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
	echo "# postfix did not start:"
	sed 's/^/#   /' "$T/postfix.start" "$T/maillog" 2>/dev/null | tail -n 30
	echo "Bail out! postfix did not start"
	exit 1
fi
for _ in $(seq 1 50); do
	grep -q "started on" "$T/dkimd.log" && break
	sleep 0.1
done

# ---- submission: signed -----------------------------------------------------
swaks --server 127.0.0.1 --port "$SUB" --from alice@example.com \
    --to bob@example.net --header "Subject: submission test" \
    --body "Hello from the submission port." >"$T/swaks1.out" 2>&1
ok $? "submission: Postfix accepts the message"
wait_sink 1
ok $? "submission: the message reaches smtp-sink"
m=$(newest)
grep -q "^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=pf;" "$m"
ok $? "submission: delivered with dkimd's DKIM-Signature on top"
verify_both "$m" "submission"

# ---- submission with no key: not signed, verified instead (Mode sv) -----------
swaks --server 127.0.0.1 --port "$SUB" --from dave@nokey.test \
    --to bob@example.net --h-From dave@nokey.test \
    --header "Subject: no key" --body "Unsigned." >"$T/swaks0.out" 2>&1
ok $? "nokey: Postfix accepts a message from a domain with no key"
wait_sink 2
ok $? "nokey: the message reaches smtp-sink"
m=$(newest)
! grep -q "^DKIM-Signature:" "$m" && grep -q "^Subject: no key" "$m"
ok $? "nokey: delivered unsigned and whole"

# ---- sendmail(1): pickup -> cleanup-orig: signed ----------------------------
printf 'From: carol@example.com\nTo: bob@example.net\nSubject: via sendmail\n\nHello from sendmail(1).\n' |
    sendmail -C "$T/etc" -f carol@example.com -t
ok $? "sendmail: the message is queued"
wait_sink 3
ok $? "sendmail: the message reaches smtp-sink"
m=$(newest)
grep -q "^DKIM-Signature: .*d=example.com; s=pf;" "$m"
ok $? "sendmail: signed through non_smtpd_milters and cleanup-orig"
verify_both "$m" "sendmail"

# ---- incoming: verified, forged Authentication-Results removed -----------------
signed=$(newest)
{
	echo "Authentication-Results: mx.test; dkim=pass header.d=example.com"
	echo "Authentication-Results: other.example; dkim=pass"
	echo "Authentication-Results: MX.TEST (forged); dkim=pass"
	sed -n '/^DKIM-Signature:/,$p' "$signed"
} >"$T/incoming.eml"
swaks --server 127.0.0.1 --port "$IN" --from alice@example.com \
    --to bob@example.net --data "$T/incoming.eml" >"$T/swaks2.out" 2>&1
ok $? "incoming: Postfix accepts the signed message"
wait_sink 4
ok $? "incoming: the message reaches smtp-sink"
m=$(newest)
grep -q "^Authentication-Results: mx.test;" "$m" &&
    tr -d '\n' <"$m" | grep -q "mx.test;.*dkim=pass[^;]*header.d=example.com"
ok $? "incoming: arrives with dkim=pass in our Authentication-Results"
[ "$(grep -c -i '^Authentication-Results: mx.test' "$m")" = 1 ]
ok $? "incoming: the forged mx.test fields are gone, ours is the only one"
grep -q "^Authentication-Results: other.example; dkim=pass" "$m"
ok $? "incoming: the foreign Authentication-Results stays"
grep -c "^DKIM-Signature:" "$m" | grep -q "^1$"
ok $? "incoming: verified mail is not signed again"

# ---- a 3 MB message both ways: its body streams to dkimd in 64 KB chunks
# with no reply between them (SMFIP_NR_BODY) --------------------------------
{
	printf 'From: alice@example.com\nTo: bob@example.net\nSubject: large\n\n'
	awk 'BEGIN { for (i = 0; i < 55000; i++)
	    printf "line %06d of a large message, to be signed and verified\n", i }'
} >"$T/large.eml"
swaks --server 127.0.0.1 --port "$SUB" --from alice@example.com \
    --to bob@example.net --data "$T/large.eml" >"$T/swaks3.out" 2>&1
ok $? "large: Postfix accepts a 3 MB message for signing"
wait_sink 5
m=$(newest)
for _ in $(seq 1 300); do	# smtp-sink may still be writing it
	[ "$(wc -c <"$m")" -gt 3000000 ] && break
	sleep 0.1
done
grep -q "^DKIM-Signature: .*d=example.com; s=pf;" "$m" &&
    [ "$(wc -c <"$m")" -gt 3000000 ]
ok $? "large: delivered whole, with dkimd's signature"
verify_both "$m" "large"
sed -n '/^DKIM-Signature:/,$p' "$m" >"$T/large-signed.eml"
swaks --server 127.0.0.1 --port "$IN" --from alice@example.com \
    --to bob@example.net --data "$T/large-signed.eml" >"$T/swaks4.out" 2>&1
wait_sink 6
m=$(newest)
for _ in $(seq 1 300); do
	[ "$(wc -c <"$m")" -gt 3000000 ] && break
	sleep 0.1
done
tr -d '\n' <"$m" | grep -q "mx.test;.*dkim=pass[^;]*header.d=example.com"
ok $? "large: verified on the way in: dkim=pass"

! grep -E "warning: .*milter|milter.*(timeout|unexpected|error)" \
    "$T/maillog" >"$T/milterwarn" 2>/dev/null
ok $? "postfix: no milter warning in its log"
sed 's/^/#   /' "$T/milterwarn"
grep -q "verify (.*no key for \"dave@nokey.test\", verified instead)" "$T/dkimd.log"
ok $? "nokey: dkimd logs the message as verified instead (no key for its From)"
# only the MTA may ask: Postfix's smtpd and cleanup connect as user
# postfix (SO_PEERCRED or inet_diag tells dkimd), in the default
# SocketUsers, and none of their connections is refused
grep -q "serving user postfix (uid $(id -u postfix)) over 127.0.0.1" \
    "$T/dkimd.log"
ok $? "access: dkimd serves Postfix's connections as user postfix"
! grep -q "refused a connection" "$T/dkimd.log"
ok $? "access: none of Postfix's connections is refused"

stop_all
sed 's/^/# dkimd: /' "$T/dkimd.log"
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
echo "1..$n"
exit $fail
