#!/usr/bin/env bash
# it-postfix-sasl.sh - sender authorization through a real Postfix with
# real SMTP authentication (TAP)
#
# A private Dovecot (its own base_dir in a temporary folder, no mail
# protocol, a passwd-file with alice@a.example) serves Postfix's SASL
# (smtpd_sasl_type = dovecot) on a unix socket of its own. A private
# Postfix (t/milter/lib.sh) has a submission port with SASL and
# milter_macro_daemon_name=ORIGINATING, and dkimd as its milter with keys
# for a.example and b.example, On-Unauthorized reject and
# SenderAuthorizationEnvelope yes. swaks submits:
#	alice@a.example as a.example		signed (dkimpy verifies)
#	alice@a.example as b.example		550 5.7.1, nothing delivered
#	... after a table line and SIGHUP	signed d=b.example
#	a wrong password			535, nothing delivered
#	unauthenticated, MAIL FROM b.example	as b.example: signed;
#						as a.example: 550 5.7.1
#	sendmail(1) -f carol@b.example		the same, through pickup and
#						a cleanup that says ORIGINATING
# Needs root, postfix, smtp-sink, swaks, dnsmasq, dovecot-core,
# python3-dkim. Every process is stopped by its PID.
# Environment: DKIMD, DKIMTOOL, top_srcdir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD_PID=
SINK_PID=
DOVECOT_PID=
T=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run Postfix and Dovecot"
PATH=$PATH:/usr/sbin
for p in postfix smtp-sink swaks dnsmasq dovecot; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

T=$(mktemp -d /tmp/it-postfix-sasl.XXXXXX)
chmod 755 "$T"

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

# stop_pid PID - SIGTERM, then SIGKILL after 5 s
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	local pid=
	if [ -f "$T/spool/pid/master.pid" ]; then
		postfix -c "$T/etc" stop >/dev/null 2>&1
		pid=$(tr -d ' ' <"$T/spool/pid/master.pid" 2>/dev/null)
	fi
	stop_pid "$pid"
	stop_pid "$SINK_PID"
	stop_pid "$DKIMD_PID"
	stop_pid "$DOVECOT_PID"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

# delivered N - wait until smtp-sink holds N messages (20 s at most)
delivered() {
	for _ in $(seq 1 200); do
		[ "$(find "$T/sink" -type f | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# newest - the message smtp-sink received last
newest() {
	ls -t "$T"/sink/* 2>/dev/null | head -n 1
}

# submit NAME FROM [SWAKS-ARGS...] - one message from header From FROM to
# the submission port; swaks's transcript in $T/NAME.out, its status in $rc
submit() {
	local name=$1 from=$2
	shift 2
	swaks --server 127.0.0.1 --port "$SUB" --to bob@example.net \
	    --h-From "$from" --header "Subject: $name" --body "Test $name." \
	    "$@" >"$T/$name.out" 2>&1
	rc=$?
}

# alice NAME FROM - submit as alice@a.example, authenticated (PLAIN)
alice() {
	submit "$1" "$2" --from alice@a.example --auth PLAIN \
	    --auth-user alice@a.example --auth-password "$PASSWORD"
}

# reply_has NAME PATTERN - swaks's transcript of NAME shows PATTERN
reply_has() {
	grep -q -E -- "$2" "$T/$1.out"
}

DK=$(free_port)
SUB=$(free_port)
SINK=$(free_port)
PASSWORD=pw-$RANDOM$RANDOM

# ---- keys, DNS, dkimd ---------------------------------------------------------
mkdir -p "$T/keys"
for d in a.example b.example; do
	mkdir -p "$T/keys/$d"
	"$DKIMTOOL" genkey -d "$d" -s pf -D "$T/keys/$d" >/dev/null
	chmod 600 "$T/keys/$d/pf.private"
	zone_to_records "$T/keys/$d/pf.txt"
	echo "$d $d:pf:$T/keys/$d/pf.private" >>"$T/key.table"
	echo "*@$d $d" >>"$T/signing.table"
done >"$T/records"
dns_start "$T/records" "$T" || { echo "Bail out! dnsmasq did not start"; exit 1; }
echo "# no line for alice yet" >"$T/authz.table"
cat >"$T/dkimd.conf" <<EOT
Socket				inet:$DK@127.0.0.1
KeyTable			$T/key.table
SigningTable			refile:$T/signing.table
SenderAuthorization		file:$T/authz.table
SenderAuthorizationEnvelope	yes
On-Unauthorized			reject
AuthservID			mx.test
Nameservers			127.0.0.1:$DNS_PORT
Syslog				no
EOT
"$DKIMD" -f -c "$T/dkimd.conf" >"$T/dkimd.log" 2>&1 &
DKIMD_PID=$!

# ---- Dovecot: SASL only, private ---------------------------------------------
mkdir -p "$T/dovecot/run" "$T/dovecot/sock"
echo "alice@a.example:{PLAIN}$PASSWORD" >"$T/dovecot/users"
chown dovecot "$T/dovecot/users"	# read by Dovecot's auth process
chmod 600 "$T/dovecot/users"
cat >"$T/dovecot/dovecot.conf" <<EOT
base_dir = $T/dovecot/run
state_dir = $T/dovecot/run
instance_name = dkimd-test-$$
log_path = $T/dovecot/dovecot.log
protocols = none
ssl = no
disable_plaintext_auth = no
auth_failure_delay = 0
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/dovecot/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}
service auth {
  unix_listener $T/dovecot/sock/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOT
dovecot -c "$T/dovecot/dovecot.conf" -F >"$T/dovecot/stdout" 2>&1 &
DOVECOT_PID=$!

# ---- smtp-sink and Postfix -------------------------------------------------------
postfix_sink
postfix_conf "non_smtpd_milters = inet:127.0.0.1:$DK
maillog_file_prefixes = $T
maillog_file = $T/maillog
master_service_disable =" \
    "127.0.0.1:$SUB inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING -o smtpd_milters=inet:127.0.0.1:$DK -o smtpd_sasl_auth_enable=yes -o smtpd_sasl_type=dovecot -o smtpd_sasl_path=$T/dovecot/sock/auth -o smtpd_relay_restrictions=permit_sasl_authenticated,permit_mynetworks,reject"
for _ in $(seq 1 50); do
	[ -S "$T/dovecot/sock/auth" ] && grep -q "started on" "$T/dkimd.log" &&
	    break
	sleep 0.1
done
[ -S "$T/dovecot/sock/auth" ]
ok $? "dovecot: its auth socket is up (a private instance)"
if ! postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
	sed 's/^/#   /' "$T/postfix.start" "$T/maillog" 2>/dev/null | tail -n 30
	echo "Bail out! postfix did not start"
	exit 1
fi

# ---- authenticated: alice@a.example ----------------------------------------------
alice own alice@a.example
ok $rc "sasl: alice@a.example authenticates (PLAIN through Dovecot) and submits as a.example"
reply_has own "^ ?-> AUTH PLAIN" && reply_has own "^<-  235 "
ok $? "sasl: the transcript shows AUTH PLAIN answered 235"
delivered 1
m=$(newest)
grep -q "^DKIM-Signature: .*d=a.example; s=pf;" "$m"
ok $? "sasl: alice as a.example is signed d=a.example"
/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-verify.py" "$DNS_PORT" <"$m" \
    >"$T/dkimpy.out" 2>&1
ok $? "sasl: dkimpy verifies it"

alice foreign ceo@b.example
[ $rc -ne 0 ] && reply_has foreign "^<\*\* +550 5\.7\.1 "
ok $? "sasl: attack: alice@a.example as b.example is refused 550 5.7.1 (On-Unauthorized reject)"
sed -n 's/^<\*\*/#   <**/p' "$T/foreign.out"
grep -q "not authorized: login alice@a.example may not sign for \"b.example\" (sender domain is not the From domain, and no SenderAuthorization line allows it); reject" "$T/dkimd.log"
ok $? "sasl: dkimd logs the login Postfix passed ({auth_authen}), the From domain and the rule"

submit badpw alice@a.example --from alice@a.example --auth PLAIN \
    --auth-user alice@a.example --auth-password wrong
[ $rc -ne 0 ] && reply_has badpw "^<\*\* +535 "
ok $? "sasl: a wrong password is refused by Dovecot (535): the authentication is real"

echo "alice@a.example	b.example" >>"$T/authz.table"
kill -HUP "$DKIMD_PID"
for _ in $(seq 1 50); do grep -q "reloaded" "$T/dkimd.log" && break; sleep 0.1; done
alice table ceo@b.example
ok $rc "sasl: with the line alice@a.example b.example (and SIGHUP), alice submits as b.example"
delivered 2
m=$(newest)
grep -q "^DKIM-Signature: .*d=b.example; s=pf;" "$m" && grep -q "^Subject: table" "$m"
ok $? "sasl: ... and is signed d=b.example"

# ---- unauthenticated submission: the envelope rule --------------------------------
submit env-own bob@b.example --from bob@b.example
ok $rc "envelope: unauthenticated submission, MAIL FROM bob@b.example, as b.example: accepted"
delivered 3
m=$(newest)
grep -q "^DKIM-Signature: .*d=b.example; s=pf;" "$m" && grep -q "^Subject: env-own" "$m"
ok $? "envelope: ... and signed d=b.example"
submit env-foreign ceo@a.example --from bob@b.example
[ $rc -ne 0 ] && reply_has env-foreign "^<\*\* +550 5\.7\.1 "
ok $? "envelope: attack: MAIL FROM bob@b.example as a.example is refused 550 5.7.1"
grep -q "not authorized: envelope sender bob@b.example may not sign for \"a.example\"" "$T/dkimd.log"
ok $? "envelope: dkimd logs the envelope sender Postfix passed ({mail_addr})"

sleep 1
[ "$(find "$T/sink" -type f | wc -l)" = 3 ]
ok $? "no refused message reached smtp-sink (3 delivered)"

# ---- sendmail(1): pickup -> cleanup-orig (ORIGINATING), no login ----------------
printf 'From: carol@b.example\nTo: bob@example.net\nSubject: sm-own\n\nHello.\n' |
    sendmail -C "$T/etc" -f carol@b.example -t
delivered 4
m=$(newest)
grep -q "^DKIM-Signature: .*d=b.example; s=pf;" "$m" && grep -q "^Subject: sm-own" "$m"
ok $? "sendmail: carol@b.example as b.example is signed (envelope rule)"
printf 'From: ceo@a.example\nTo: bob@example.net\nSubject: sm-foreign\n\nHello.\n' |
    sendmail -C "$T/etc" -f carol@b.example -t
for _ in $(seq 1 100); do
	grep -q "envelope sender carol@b.example may not sign for \"a.example\"" \
	    "$T/dkimd.log" && break
	sleep 0.1
done
grep -q "envelope sender carol@b.example may not sign for \"a.example\" (.*); reject" \
    "$T/dkimd.log"
ok $? "sendmail: attack: MAIL FROM carol@b.example as a.example is refused (Postfix passed {mail_addr} from pickup)"
sleep 1
! grep -l "^DKIM-Signature: .*d=a.example" "$T"/sink/* 2>/dev/null |
    xargs -r grep -l "sm-foreign" | grep -q .
ok $? "sendmail: ... and nothing signed d=a.example reached smtp-sink"
! grep -E "warning: .*milter|milter.*(timeout|unexpected|error)" \
    "$T/maillog" >"$T/milterwarn" 2>/dev/null
ok $? "postfix: no milter warning in its log"
sed 's/^/#   /' "$T/milterwarn"

stop_pid "$DKIMD_PID"
DKIMD_PID=
sed 's/^/# dkimd: /' "$T/dkimd.log"
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
echo "1..$n"
exit $fail
