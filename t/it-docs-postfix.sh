#!/usr/bin/env bash
# it-docs-postfix.sh - the shipped Postfix snippets, as written, in a real
# Postfix: they sign, verify, and lose nothing while dkimd is down (21 points)
#
#	DKIMD=... DKIMTOOL=... bash t/it-docs-postfix.sh	(as root)
#
# TAP on stdout (the plan at the end). A private Postfix instance in a
# temporary folder (its own config_directory and queue, 127.0.0.1 only,
# relaying to smtp-sink) gets the lines of etc/postfix/main.cf.snippet and
# the services of etc/postfix/master.cf.snippet as they are, except: the
# port 8891 becomes the test's dkimd port, "submission" a high port on
# 127.0.0.1, chroot y becomes n (the queue is a temporary folder), and the
# submission service's TLS and SASL options are left out (no certificate,
# no SASL here; they do not touch the milter). Base settings: t/data/docs/.
# With dkimd up: submission and sendmail(1) mail arrive signed and verify
# (dkimtool verify against a dnsmasq on 127.0.0.1), inbound mail arrives
# with dkimd's Authentication-Results. With dkimd stopped: submission
# answers 4xx and sendmail(1) mail stays queued (milter_default_action =
# tempfail on the signing path only), inbound mail is accepted (accept in
# main.cf). With dkimd back: the queued mail leaves, signed, once.
# Then the same Postfix with etc/postfix/amavis-master.cf.snippet instead
# (no amavisd-new: the test plays its re-injection from 127.0.0.1): 10027
# signs, 10025 verifies, port 25 mail goes to 10024, and 10027 answers 4xx
# while dkimd is down. Between the two, the unix socket form that
# main.cf.snippet describes (unix:dkimd/dkimd.sock, relative to the queue
# directory) signs and verifies.
# Postfix, smtp-sink, dnsmasq and dkimd are stopped by their PIDs at exit;
# KEEP=1 keeps the folder.
set -u

. "$(dirname "$0")/docs/lib.sh"	# here, top, DKIMD, DKIMTOOL, dkimd_run
PATH=$PATH:/usr/sbin

. "$here/milter/lib.sh"		# skip_all, free_port
. "$here/lib/dbtap.sh"		# ok, tap_end

[ "$(id -u)" = 0 ] || skip_all "needs root to run Postfix"
for p in postfix postconf postqueue postkick sendmail smtp-sink swaks; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

T=$(mktemp -d /tmp/it-docs-postfix.XXXXXX) || exit 1
chmod 755 "$T"
work=$T
SINK_PID=

. "$here/lib/dns.sh"

# postfix_stop - stop the private Postfix by its master's PID
postfix_stop()
{
	local pid
	[ -f "$T/spool/pid/master.pid" ] || return 0
	pid=$(tr -d ' ' <"$T/spool/pid/master.pid")
	postfix -c "$T/etc" stop >/dev/null 2>&1
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
}

# dkimd_start - dkimd with the test's configuration; 0 once it listens
dkimd_start()
{
	dkimd_run "$T/dkimd.conf" "$DK" "$T/dkimd.log"
}

finish()
{
	postfix_stop
	[ -z "$SINK_PID" ] || kill "$SINK_PID" 2>/dev/null
	dkimd_stop
	dns_stop
	[ "${KEEP:-0}" = 1 ] && echo "# kept: $T" >&2 || rm -rf -- "$T"
}
trap finish EXIT

# master_from SNIPPET - the services of a master.cf snippet, for this test:
# the public ports (smtp, submission, 10025, 10027) become free high ports
# on 127.0.0.1, 8891 the test's dkimd port, chroot n; the TLS and SASL
# options are dropped (no certificate, no SASL here; not the milter's)
master_from()
{
	awk -v p25="127.0.0.1:$P25" -v p587="127.0.0.1:$SUB" \
	    -v p10025="127.0.0.1:$P10025" -v p10027="127.0.0.1:$P10027" \
	    -v dk="$DK" '
	/^#/ || /^[ \t]*$/ { next }
	/^[ \t]/ {
		if ($0 ~ /smtpd_(tls_security_level|sasl_auth_enable|client_restrictions)=/)
			next
		gsub(/:8891/, ":" dk)
		print
		next
	}
	{
		if ($1 == "smtp" && $2 == "inet")
			$1 = p25
		else if ($1 == "submission")
			$1 = p587
		else if ($1 == "127.0.0.1:10025")
			$1 = p10025
		else if ($1 == "127.0.0.1:10027")
			$1 = p10027
		$5 = "n"
		print
	}' "$1"
}

# postfix_start - start the private Postfix; 0 when it runs
postfix_start()
{
	postfix -c "$T/etc" check >"$T/check.out" 2>&1 &&
	    postfix -c "$T/etc" start >"$T/start.out" 2>&1 &&
	    [ -f "$T/spool/pid/master.pid" ] && return 0
	sed 's/^/#   /' "$T/check.out" "$T/start.out" "$T/maillog" 2>/dev/null |
	    tail -n 20
	return 1
}

# arrived ID - the files smtp-sink holds with Message-Id <ID>
arrived()
{
	grep -l -i "^Message-Id: <$1>" "$T"/sink/* 2>/dev/null
}

# wait_arrived ID - until <ID> has arrived (30 s at most)
wait_arrived()
{
	for _ in $(seq 300); do
		[ -n "$(arrived "$1")" ] && return 0
		sleep 0.1
	done
	return 1
}

# verifies FILE - dkimtool verify passes FILE against the test's DNS
verifies()
{
	"$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	    --authserv-id check.test "$1" >"$T/verify.out" 2>&1
}

# submit PORT ID - one message over SMTP; prints swaks's exit status
submit()
{
	swaks --server 127.0.0.1 --port "$1" --from alice@example.com \
	    --to bob@example.net --header "Subject: $2" \
	    --header "Message-Id: <$2>" --body "Body of $2." \
	    >"$T/swaks.$2" 2>&1
	echo $?
}

# local_mail ID - one message through sendmail(1), then wake pickup
local_mail()
{
	printf 'From: carol@example.com\nTo: bob@example.net\nSubject: %s\nMessage-Id: <%s>\n\nBody of %s.\n' \
	    "$1" "$1" "$1" | sendmail -C "$T/etc" -f carol@example.com -t
	postkick -c "$T/etc" public pickup W 2>/dev/null
}

DK=$(free_port)
SUB=$(free_port)
IN=$(free_port)
SINK=$(free_port)
P25=$(free_port)
P10025=$(free_port)
P10027=$(free_port)

# ---- keys, DNS, dkimd --------------------------------------------------------
mkdir -p "$T/keys/example.com"
"$DKIMTOOL" genkey -d example.com -s pf -D "$T/keys/example.com" >/dev/null
docs_records "$T/keys" >"$T/records"
dns_start "$T/records" "$T" >/dev/null 2>&1 ||
    { echo "Bail out! dnsmasq did not start"; exit 1; }
echo "pf example.com:pf:$T/keys/example.com/pf.private" >"$T/KeyTable"
echo "*@example.com pf" >"$T/SigningTable"
cat >"$T/dkimd.conf" <<EOT
Socket		inet:$DK@127.0.0.1
KeyTable	file:$T/KeyTable
SigningTable	refile:$T/SigningTable
AuthservID	mx.test
Nameservers	127.0.0.1:$DNS_PORT
Syslog		no
EOT
dkimd_start
ok $? "dkimd starts"

# ---- smtp-sink and Postfix with the snippets ----------------------------------
mkdir -p "$T/sink" "$T/etc" "$T/spool" "$T/data"
chown postfix "$T/sink" "$T/data"
smtp-sink -u postfix -d "$T/sink/msg." "127.0.0.1:$SINK" 20 \
    >"$T/sink.log" 2>&1 &
SINK_PID=$!

sed -e "s|@T@|$T|g" -e "s|@SINK@|$SINK|g" "$here/data/docs/postfix-main.cf.in" \
    >"$T/etc/main.cf"
sed -n -e '/^[a-z_]* *=/p' "$top/etc/postfix/main.cf.snippet" |
    sed "s/:8891/:$DK/g" >>"$T/etc/main.cf"
sed -e "s|@IN@|$IN|g" "$here/data/docs/postfix-master.cf.in" >"$T/etc/master.cf"
master_from "$top/etc/postfix/master.cf.snippet" >>"$T/etc/master.cf"
postfix_start
ok $? "Postfix starts with main.cf.snippet and master.cf.snippet"
[ -f "$T/spool/pid/master.pid" ] || { echo "Bail out! postfix did not start"; exit 1; }

# ---- dkimd up -------------------------------------------------------------------
[ "$(submit "$SUB" sub1@example.com)" = 0 ] && wait_arrived sub1@example.com &&
    f=$(arrived sub1@example.com) && grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f" &&
    verifies "$f"
ok $? "submission (milter_macro_daemon_name=ORIGINATING): arrives signed, and the signature verifies"

local_mail local1@example.com
wait_arrived local1@example.com && f=$(arrived local1@example.com) &&
    grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f" && verifies "$f"
ok $? "sendmail(1) (pickup -> cleanup-orig, non_smtpd_milters): arrives signed, and verifies"

[ "$(submit "$IN" in1@example.com)" = 0 ] && wait_arrived in1@example.com &&
    f=$(arrived in1@example.com) && grep -q '^Authentication-Results: mx.test;' "$f" &&
    ! grep -q '^DKIM-Signature:' "$f"
ok $? "inbound (smtpd_milters): arrives verified (dkimd's Authentication-Results), not signed"

# ---- dkimd down -----------------------------------------------------------------
dkimd_stop
rc=$(submit "$SUB" sub2@example.com)
[ "$rc" != 0 ] && grep -q -E '^<\*\* +4[0-9][0-9]' "$T/swaks.sub2@example.com"
ok $? "dkimd down: submission answers 4xx (milter_default_action=tempfail on the service)"

local_mail local2@example.com
sleep 3
[ -z "$(arrived local2@example.com)" ] &&
    [ -n "$(find "$T/spool/maildrop" "$T/spool/incoming" "$T/spool/deferred" \
    "$T/spool/active" -type f 2>/dev/null)" ]
ok $? "dkimd down: sendmail(1) mail stays queued, nothing leaves unsigned (tempfail on cleanup-orig)"

[ "$(submit "$IN" in2@example.com)" = 0 ] && wait_arrived in2@example.com
ok $? "dkimd down: inbound mail is still accepted (milter_default_action = accept in main.cf)"

# ---- dkimd back ------------------------------------------------------------------
dkimd_start
ok $? "dkimd starts again"
postkick -c "$T/etc" public pickup W 2>/dev/null
postqueue -c "$T/etc" -f 2>/dev/null
wait_arrived local2@example.com && f=$(arrived local2@example.com) &&
    [ "$(echo "$f" | wc -l)" = 1 ] &&
    grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f" && verifies "$f"
ok $? "dkimd back: the queued sendmail(1) mail leaves once, signed, and verifies"

unsigned=0
for f in "$T"/sink/*; do
	grep -q -i '^Message-Id: <\(sub\|local\)' "$f" || continue
	grep -q '^DKIM-Signature:' "$f" || unsigned=$((unsigned + 1))
done
[ "$unsigned" -eq 0 ]
ok $? "no mail of the signing path ever left unsigned"

# ---- the unix socket form of main.cf.snippet ----------------------------
# dkimd on unix:QUEUE/dkimd/dkimd.sock, Postfix told unix:dkimd/dkimd.sock
# (relative to its queue directory), in main.cf and master.cf alike. The
# socket is mode 0777 here (UMask 000): the test does not put user
# postfix in a group of dkimd's.
postfix_stop
dkimd_stop
mkdir -p "$T/spool/dkimd"
sed -e "s|^Socket.*|Socket		unix:$T/spool/dkimd/dkimd.sock|" \
    "$T/dkimd.conf" >"$T/dkimd-unix.conf"
echo "UMask		000" >>"$T/dkimd-unix.conf"
"$DKIMD" -f -c "$T/dkimd-unix.conf" >>"$T/dkimd.log" 2>&1 &
DKIMD_PID=$!
for _ in $(seq 50); do
	[ -S "$T/spool/dkimd/dkimd.sock" ] && break
	sleep 0.1
done
sock=$(sed -n 's/^#smtpd_milters = //p' "$top/etc/postfix/main.cf.snippet")
sed -i "s|inet:127.0.0.1:$DK|$sock|g" "$T/etc/main.cf" "$T/etc/master.cf"
postfix_start
ok $? "Postfix starts with the snippets' milters on $sock"

[ "$(submit "$SUB" sub-unix@example.com)" = 0 ] &&
    wait_arrived sub-unix@example.com && f=$(arrived sub-unix@example.com) &&
    grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f" && verifies "$f"
ok $? "unix socket: submission mail arrives signed, and verifies"

local_mail local-unix@example.com
wait_arrived local-unix@example.com && f=$(arrived local-unix@example.com) &&
    grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f"
ok $? "unix socket: sendmail(1) mail arrives signed"

[ "$(submit "$IN" in-unix@example.com)" = 0 ] &&
    wait_arrived in-unix@example.com && f=$(arrived in-unix@example.com) &&
    grep -q '^Authentication-Results: mx.test;' "$f"
ok $? "unix socket: inbound mail arrives verified"
dkimd_stop
dkimd_start

# ---- the amavisd-new set-up: amavis-master.cf.snippet ---------------------
# No amavisd-new here: the test plays its re-injection, from 127.0.0.1 as
# amavisd-new does, into the 10025 and 10027 services of the snippet.
postfix_stop
sed -e "s|@T@|$T|g" -e "s|@SINK@|$SINK|g" "$here/data/docs/postfix-main.cf.in" \
    >"$T/etc/main.cf"
printf 'milter_protocol = 6\nnon_smtpd_milters = inet:127.0.0.1:%s\n' "$DK" \
    >>"$T/etc/main.cf"
grep -v '^127.0.0.1:' "$here/data/docs/postfix-master.cf.in" >"$T/etc/master.cf"
master_from "$top/etc/postfix/amavis-master.cf.snippet" >>"$T/etc/master.cf"
postfix_start
ok $? "Postfix starts with amavis-master.cf.snippet"

[ "$(submit "$P10027" am-orig@example.com)" = 0 ] &&
    wait_arrived am-orig@example.com && f=$(arrived am-orig@example.com) &&
    grep -q '^DKIM-Signature: .*d=example.com; s=pf;' "$f" && verifies "$f"
ok $? "amavis: re-injection on 10027 (ORIGINATING) arrives signed, and verifies"

[ "$(submit "$P10025" am-in@example.com)" = 0 ] &&
    wait_arrived am-in@example.com && f=$(arrived am-in@example.com) &&
    grep -q '^Authentication-Results: mx.test;' "$f" &&
    ! grep -q '^DKIM-Signature:' "$f"
ok $? "amavis: re-injection on 10025 from 127.0.0.1 is verified, not signed"

[ "$(submit "$P25" am-25@example.com)" = 0 ] && sleep 2 &&
    [ -z "$(arrived am-25@example.com)" ] &&
    grep -q '127.0.0.1\]:10024' "$T/maillog"
ok $? "amavis: port 25 mail goes to amavisd-new on 10024, not around it"

dkimd_stop
rc=$(submit "$P10027" am-down@example.com)
[ "$rc" != 0 ] && grep -q -E '^<\*\* +4[0-9][0-9]' "$T/swaks.am-down@example.com"
ok $? "amavis: with dkimd down, 10027 answers 4xx (amavisd-new keeps the mail)"

postfix_stop
dkimd_stop
! grep -q -E '(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:' \
    "$T/dkimd.log"
ok $? "dkimd's log has no sanitizer report"
tap_end
