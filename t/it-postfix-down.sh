#!/usr/bin/env bash
# it-postfix-down.sh - Postfix with dkimd stopped in the middle of a run (TAP)
#
# A private Postfix instance (the setup of t/milter/it-postfix.sh, cut
# down to the signing path: a submission smtpd with
# milter_macro_daemon_name=ORIGINATING, and sendmail(1) through pickup and
# cleanup-orig), with milter_default_action = tempfail, relaying to
# smtp-sink. Twenty messages are submitted one after the other and dkimd
# is killed (SIGKILL) in the middle of the run; one more is killed in the
# middle of its DATA. Every message must either be accepted, and then
# arrive signed, or be refused with a 4xx (the client keeps it and tries
# again): never refused for good, never delivered unsigned. With dkimd
# down, sendmail(1) mail stays queued. Once dkimd is back, the refused
# messages are sent again and the queue delivers: every message arrives
# exactly once, signed.
#
# Needs root, postfix, smtp-sink, swaks. Processes are stopped by PID.
# Environment: DKIMD, DKIMTOOL, top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD_PID=
SINK_PID=
T=
N=20

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to run Postfix"
PATH=$PATH:/usr/sbin
for p in postfix postqueue postkick smtp-sink swaks; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

T=$(mktemp -d /tmp/it-postfix-down.XXXXXX)
chmod 755 "$T"

stop_all() {
	postfix_stop
	dkimd_kill TERM
	SINK_PID=
}
cleanup() {
	stop_all
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# dkimd_kill SIG - stop dkimd by its PID
dkimd_kill() {
	[ -n "$DKIMD_PID" ] || return 0
	kill "-$1" "$DKIMD_PID" 2>/dev/null
	{ wait "$DKIMD_PID"; } 2>/dev/null
	DKIMD_PID=
}

# submit I - one message "down I" to the submission port; prints the
# outcome: "accepted", "tempfail" or "refused"
submit() {
	swaks --server 127.0.0.1 --port "$SUB" --from alice@example.com \
	    --to bob@example.net --header "Subject: down $1" \
	    --header "Message-Id: <down$1@example.com>" \
	    --body "Message $1 of the run." >"$T/swaks.$1" 2>&1
	if [ $? -eq 0 ]; then
		echo accepted
	elif grep -q '^<\*\* *4' "$T/swaks.$1"; then
		echo tempfail
	else
		echo refused
	fi
}

# delivered ID - how many delivered messages have Message-Id ID, and how
# many of those are signed ("COUNT SIGNED")
delivered() {
	local c=0 s=0 f
	for f in $(grep -l -i "^Message-Id: <$1>" "$T"/sink/* 2>/dev/null); do
		c=$((c + 1))
		grep -q "^DKIM-Signature: .*d=example.com; s=pf;" "$f" &&
			s=$((s + 1))
	done
	echo "$c $s"
}

# wait_delivered ID - until ID has arrived (30 s at most)
wait_delivered() {
	for _ in $(seq 1 300); do
		[ "$(delivered "$1" | cut -d' ' -f1)" -ge 1 ] && return 0
		sleep 0.1
	done
	return 1
}

DK=$(free_port)
SUB=$(free_port)
SINK=$(free_port)

mkdir -p "$T/keys"
"$DKIMTOOL" genkey -d example.com -s pf -D "$T/keys" >/dev/null
chmod 600 "$T/keys/pf.private"
echo "pf example.com:pf:$T/keys/pf.private" >"$T/key.table"
echo "*@example.com pf" >"$T/signing.table"
cat >"$T/dkimd.conf" <<EOT
Socket		inet:$DK@127.0.0.1
KeyTable	$T/key.table
SigningTable	refile:$T/signing.table
AuthservID	mx.test
Syslog		no
LogWhy		yes
EOT
: >"$T/dkimd.log"
mta_dkimd_start 1 || { echo "Bail out! dkimd did not start"; exit 1; }

postfix_sink

postfix_conf "milter_connect_timeout = 5s
non_smtpd_milters = inet:127.0.0.1:$DK
maillog_file_prefixes = $T
maillog_file = $T/maillog
master_service_disable =" \
    "127.0.0.1:$SUB inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING -o smtpd_milters=inet:127.0.0.1:$DK"
if ! postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
	sed 's/^/#   /' "$T/postfix.start" "$T/maillog" 2>/dev/null | tail -n 30
	echo "Bail out! postfix did not start"
	exit 1
fi

# ---- a run with dkimd killed in the middle -------------------------------------
: >"$T/outcomes"
for i in $(seq 1 $N); do
	[ "$i" -eq $((N / 2)) ] && dkimd_kill KILL
	echo "$i $(submit "$i")" >>"$T/outcomes"
done
echo "# outcomes: $(cut -d' ' -f2 "$T/outcomes" | sort | uniq -c | tr '\n' ' ')"
! grep -q refused "$T/outcomes"
ok $? "no message of the run is refused for good (each is accepted or gets a 4xx)"
grep "^$((N / 2)) " "$T/outcomes" | grep -q tempfail
ok $? "with dkimd down, submission answers 4xx (milter_default_action = tempfail)"
grep -h '^<\*\* *4' "$T/swaks.$((N / 2))" | head -n 2 | sed 's/^/#   /'

# ---- sendmail(1) with dkimd down: stays queued ---------------------------------
printf 'From: carol@example.com\nTo: bob@example.net\nSubject: queued\nMessage-Id: <queued@example.com>\n\nQueued while dkimd is down.\n' |
    sendmail -C "$T/etc" -f carol@example.com -t
ok $? "sendmail: the message is accepted into the maildrop"
postkick -c "$T/etc" public pickup W 2>/dev/null
sleep 3
[ "$(delivered queued@example.com)" = "0 0" ]
ok $? "sendmail: with dkimd down, nothing leaves (not delivered unsigned)"
[ -n "$(find "$T/spool/maildrop" "$T/spool/incoming" "$T/spool/deferred" \
    "$T/spool/active" -type f 2>/dev/null)" ]
ok $? "sendmail: the message is still in Postfix's queue"

# ---- a message in the middle of DATA when dkimd dies ---------------------------
mta_dkimd_start 2 || ok 1 "dkimd starts again"
/usr/bin/python3 - "$SUB" "$DKIMD_PID" >"$T/mid.out" 2>&1 <<'PY'
import os, signal, smtplib, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = smtplib.SMTP("127.0.0.1", port, timeout=30)
s.ehlo("client.test")
s.mail("alice@example.com")
s.rcpt("bob@example.net")
code, _ = s.docmd("DATA")
assert code == 354, code
s.send(b"From: alice@example.com\r\nTo: bob@example.net\r\n"
       b"Subject: mid-data\r\nMessage-Id: <mid@example.com>\r\n\r\n")
s.send(b"first half of the body\r\n" * 200)
time.sleep(0.5)
os.kill(pid, signal.SIGKILL)
time.sleep(0.5)
s.send(b"second half of the body\r\n" * 200 + b".\r\n")
code, msg = s.getreply()
print(code, msg.decode(errors="replace"))
PY
{ wait "$DKIMD_PID"; } 2>/dev/null
DKIMD_PID=
read -r code _ <"$T/mid.out"
case "$code" in 4*|250) true ;; *) false ;; esac
ok $? "dkimd killed in the middle of DATA: the end of DATA gets 4xx or 250, not 5xx (got ${code:-none})"
sed 's/^/#   /' "$T/mid.out"
[ "$code" = 250 ] || echo "mid tempfail" >>"$T/outcomes"
[ "$code" = 250 ] && echo "mid accepted" >>"$T/outcomes"

# ---- dkimd back: everything arrives, once, signed ------------------------------
mta_dkimd_start 3 || ok 1 "dkimd starts a third time"
for i in $(grep tempfail "$T/outcomes" | cut -d' ' -f1); do
	[ "$i" = mid ] && continue
	r=$(submit "$i")
	[ "$r" = accepted ] || echo "# message $i: $r again"
done
if grep -q "^mid tempfail" "$T/outcomes"; then
	swaks --server 127.0.0.1 --port "$SUB" --from alice@example.com \
	    --to bob@example.net --header "Subject: mid-data" \
	    --header "Message-Id: <mid@example.com>" >/dev/null 2>&1
fi
postkick -c "$T/etc" public pickup W 2>/dev/null
postqueue -c "$T/etc" -f 2>/dev/null
bad=0
for id in $(seq -f 'down%g@example.com' 1 $N) mid@example.com queued@example.com; do
	wait_delivered "$id"
	r=$(delivered "$id")
	if [ "$r" != "1 1" ]; then
		echo "# $id: delivered $(echo "$r" | cut -d' ' -f1) times, signed $(echo "$r" | cut -d' ' -f2)"
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ]
ok $? "after dkimd is back: all $((N + 2)) messages arrive exactly once, each signed"
unsigned=0
for f in "$T"/sink/*; do
	grep -q "^DKIM-Signature:" "$f" || unsigned=$((unsigned + 1))
done
[ "$unsigned" -eq 0 ]
ok $? "no message ever left unsigned ($(ls "$T"/sink | wc -l) delivered)"
[ -z "$(find "$T/spool/maildrop" "$T/spool/incoming" "$T/spool/deferred" \
    "$T/spool/active" -type f 2>/dev/null)" ]
ok $? "Postfix's queue is empty at the end"
grep -E "milter|reject" "$T/maillog" | grep -v -E "connect to|451" |
    head -n 5 | sed 's/^/# maillog: /'
stop_all
echo "1..$n"
exit $fail
