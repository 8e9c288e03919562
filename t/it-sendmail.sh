#!/usr/bin/env bash
# it-sendmail.sh - dkimd behind a real Sendmail, end to end (TAP)
#
# Debian's Sendmail 8.17 (sendmail-bin and sasl2-bin unpacked into a private
# root by ci/sendmail-root.sh, not installed: sendmail-bin would remove
# postfix) runs as a private instance built with m4 from the lines of
# etc/sendmail/dkimd.mc, ports moved to free loopback ones:
#	MTA		Name=MTA: verified
#	ORIGINATING	Name=ORIGINATING, M=Ea (SMTP AUTH): signed
#	LOOP		the MSP's loopback daemon (Name=ORIGINATING, M=E):
#			mail from sendmail(1) through submit.cf, signed
# It has its own queue, pid and status files, no aliases, and a local
# mailer that writes each message to a file of its own in $T/mbox
# (example.net is local). Sendmail runs in private UTS and mount
# namespaces: the host name mail.test.example (a host name without a dot
# costs Sendmail a 60 s wait at start), its own /etc/hosts and resolv.conf
# (nothing is asked of the host's DNS) and its own SASL directory (libsasl2
# reads Sendmail.conf only from fixed places; /usr/lib/sasl2 is empty on
# Debian and is bound over in the namespace only).
#
# Shows: ORIGINATING mail is signed and verifies with dkimpy and Mail::DKIM;
# MTA mail gets dkim=pass, forged Authentication-Results are removed, it is
# not signed; dkimd stopped, F=T tempfails and the MSP's queued mail leaves
# signed exactly once after dkimd is back; the gaps of the shipped
# documentation (AUTH set-up, milter macro lists, the MSA argument of the
# msp feature). Needs root (namespaces), m4, sendmail-cf, swaks, dnsmasq,
# python3-dkim, libmail-dkim-perl, and apt-get download for the first run.
# Every process is stopped by its PID.
# Environment: DKIMD, DKIMTOOL, top_srcdir; SENDMAIL_DEBS (ci/sendmail-root.sh).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
DKIMD_PID=
SM_PID=
T=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces for Sendmail)"
for p in m4 swaks dnsmasq unshare dpkg-deb apt-get; do
	command -v "$p" >/dev/null || skip_all "$p not installed"
done
[ -f /usr/share/sendmail/cf/m4/cf.m4 ] || skip_all "sendmail-cf not installed"
[ -d /usr/lib/sasl2 ] || skip_all "no /usr/lib/sasl2 to bind Sendmail.conf over"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"
unshare --uts --mount true 2>/dev/null || skip_all "unshare not permitted"

T=$(mktemp -d /tmp/it-sendmail.XXXXXX)
chmod 755 "$T"

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

# sm_stop - stop the Sendmail daemon, by its PID
sm_stop() {
	[ -n "$SM_PID" ] || return 0
	kill "$SM_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$SM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SM_PID" 2>/dev/null
	wait "$SM_PID" 2>/dev/null
	SM_PID=
}
# dkimd_stop - stop dkimd, by its PID
dkimd_stop() {
	[ -n "$DKIMD_PID" ] || return 0
	kill "$DKIMD_PID" 2>/dev/null
	wait "$DKIMD_PID" 2>/dev/null
	DKIMD_PID=
}
cleanup() {
	sm_stop
	dkimd_stop
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

SM=$T/root/usr/libexec/sendmail/sendmail
if ! bash "$top_srcdir/ci/sendmail-root.sh" "$T/root" 2>"$T/root.err"; then
	sed 's/^/#   /' "$T/root.err"
	echo "Bail out! could not unpack Debian's Sendmail (ci/sendmail-root.sh)"
	exit 1
fi

# SMNS - Sendmail in its namespaces: host name, /etc/hosts, resolv.conf and
# the SASL directory of its own (bind mounts seen by it alone). unshare and
# sh exec Sendmail, so $! of "${SMNS[@]}" ARGS & is Sendmail's PID.
SMNS=(unshare --uts --mount sh -c '
    hostname mail.test.example &&
    mount --bind "$0/hosts" /etc/hosts &&
    mount --bind "$0/resolv.conf" /etc/resolv.conf &&
    mount --bind "$0/sasl" /usr/lib/sasl2 &&
    exec "$@"' "$T" "$SM")

# sm_start CF - the daemon of CF in the foreground (-bD), in the background
sm_start() {
	"${SMNS[@]}" -C "$1" -bD >"$T/sendmail.out" 2>&1 &
	SM_PID=$!
	# each probe bounded (a Sendmail that accepts but never greets would
	# hold swaks for its default 30 s a phase), 30 s in all
	local end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		timeout 5 swaks --server 127.0.0.1 --port "$MTA" --timeout 3 \
		    --quit-after CONNECT >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	sed 's/^/#   sendmail: /' "$T/sendmail.out" | tail -n 20
	return 1
}

# mbox_count - how many messages the local mailer has written
mbox_count() {
	find "$T/mbox" -type f | wc -l
}

# wait_mbox N - wait until the local mailer has written N messages (30 s)
wait_mbox() {
	for _ in $(seq 1 300); do
		[ "$(mbox_count)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# delivered SUBJECT - the delivered files with this Subject
delivered() {
	grep -l -F "Subject: $1" "$T"/mbox/* 2>/dev/null
}

# submit SUBJECT [SWAKS-ARGS] - swaks on the ORIGINATING port from alice
submit() {
	local subj=$1
	shift
	swaks --server 127.0.0.1 --port "$ORIG" "$@" \
	    --from alice@example.com --to bob@example.net \
	    --header "Subject: $subj" --body "Hello from the submission port."
}

# auth_submit SUBJECT - submit as alice, with AUTH PLAIN
auth_submit() {
	submit "$1" --auth PLAIN --auth-user alice@mail.test.example \
	    --auth-password "$PW"
}

DK=$(free_port)
MTA=$(free_port)
ORIG=$(free_port)
LOOP=$(free_port)
PW=pw-$RANDOM$RANDOM

# ---- keys, DNS, dkimd ------------------------------------------------------
mta_dkimd_conf sm || { echo "Bail out! dnsmasq did not start"; exit 1; }
# the SASL login is alice@mail.test.example and her From is example.com:
# sender authorization lets her by a line, not by her login's domain
echo "alice@mail.test.example example.com" >"$T/authz.table"
echo "SenderAuthorization file:$T/authz.table" >>"$T/dkimd.conf"
mta_dkimd_start 1 || { echo "Bail out! dkimd did not start"; exit 1; }

# ---- the private Sendmail: files, SASL, sendmail.cf --------------------------
mkdir -p "$T/queue" "$T/cqueue" "$T/mbox" "$T/sasl"
chmod 700 "$T/queue" "$T/cqueue"
chmod 1777 "$T/mbox"	# the local mailer runs as Sendmail's default user
printf '127.0.0.1\tlocalhost mail.test.example mail\n' >"$T/hosts"
printf 'nameserver 127.0.0.1\noptions attempts:1 timeout:1\n' >"$T/resolv.conf"
printf 'hosts\tfiles\naliases\tfiles\n' >"$T/service.switch"
cat >"$T/deliver.sh" <<EOT
#!/bin/sh
# deliver.sh RCPT - the local mailer: the message to a file of its own
umask 022
exec cat >"$T/mbox/\$1.\$(date +%s%N).\$\$"
EOT
chmod 755 "$T/deliver.sh"
# Cyrus SASL: the file the AUTH lines of etc/sendmail/dkimd.mc speak of
cat >"$T/sasl/Sendmail.conf" <<EOT
pwcheck_method: auxprop
auxprop_plugin: sasldb
sasldb_path: $T/sasl/sasldb2
mech_list: PLAIN LOGIN
EOT
printf '%s' "$PW" | "$T/root/usr/sbin/saslpasswd2" -p -c \
    -f "$T/sasl/sasldb2" -u mail.test.example alice
ok $? "sasl: alice's password is in a private sasldb (saslpasswd2)"

# mc_private - the lines that make the instance private (not dkimd's)
mc_private() {
	cat <<EOT
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mail.test.example')dnl
define(\`QUEUE_DIR', \`$T/queue')dnl
define(\`confPID_FILE', \`$T/sendmail.pid')dnl
define(\`STATUS_FILE', \`$T/statistics')dnl
define(\`ALIAS_FILE', \`$T/aliases')dnl
define(\`confHELP_FILE', \`')dnl
define(\`confDONT_BLAME_SENDMAIL', \`MapInUnsafeDirPath')dnl
define(\`confSERVICE_SWITCH_FILE', \`$T/service.switch')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`LOCAL_MAILER_PATH', \`$T/deliver.sh')dnl
define(\`LOCAL_MAILER_ARGS', \`deliver.sh \$u')dnl
MODIFY_MAILER_FLAGS(\`LOCAL', \`-w')dnl
LOCAL_DOMAIN(\`example.net')dnl
FEATURE(\`accept_unresolvable_domains')dnl
EOT
}

# mc_dkimd [AUTH] - etc/sendmail/dkimd.mc as shipped, on our ports; with
# AUTH, its commented SMTP AUTH lines taken in
mc_dkimd() {
	sed -e "s/inet:8891@127.0.0.1/inet:$DK@127.0.0.1/" \
	    -e "s/Port=smtp, /Port=$MTA, Addr=127.0.0.1, /" \
	    -e "s/Port=submission, /Port=$ORIG, Addr=127.0.0.1, /" \
	    -e "s/^dnl \(DAEMON_OPTIONS(\`Port=\)10587/\1$LOOP/" \
	    ${1:+-e "s/^dnl \(define(\`confAUTH_MECHANISMS'\)/\1/"} \
	    ${1:+-e "s/^dnl \(TRUST_AUTH_MECH(\)/\1/"} \
	    "$top_srcdir/etc/sendmail/dkimd.mc"
}

# mc_site - a site's own milter macro lists, for another milter: without
# {daemon_name} or any {auth_*}, which dkimd asks for itself
mc_site() {
	cat <<'EOT'
define(`confMILTER_MACROS_CONNECT', `j, {client_ptr}')dnl
define(`confMILTER_MACROS_ENVFROM', `i, {mail_addr}')dnl
EOT
}

# build_cf NAME [AUTH] - $T/NAME.cf from the private lines and dkimd.mc;
# with AUTH, the site's own macro lists too
build_cf() {
	{
		mc_private
		[ -z "${2:-}" ] || mc_site
		mc_dkimd "${2:-}"
		printf "MAILER(\`local')dnl\nMAILER(\`smtp')dnl\n"
	} >"$T/$1.mc"
	m4 "$T/$1.mc" >"$T/$1.cf" 2>"$T/$1.m4err" && [ ! -s "$T/$1.m4err" ]
}

build_cf shipped
ok $? "m4: sendmail.cf from etc/sendmail/dkimd.mc as shipped"
sed 's/^/#   /' "$T/shipped.m4err"
build_cf auth AUTH
ok $? "m4: sendmail.cf with dkimd.mc's SMTP AUTH lines taken in"
grep -q "^O AuthMechanisms=PLAIN LOGIN" "$T/auth.cf" &&
    grep -q "^C{TrustAuthMech}PLAIN LOGIN" "$T/auth.cf"
ok $? "m4: the AUTH lines give AuthMechanisms and {TrustAuthMech}"
grep -q '^O Milter.macros.connect=j, {client_ptr}$' "$T/auth.cf" &&
    grep -q '^O Milter.macros.envfrom=i, {mail_addr}$' "$T/auth.cf"
ok $? "m4: dkimd.mc leaves the site's own milter macro lists as they were"

printf 'postmaster: root\n' >"$T/aliases"
timeout 60 "${SMNS[@]}" -C "$T/auth.cf" -bi >"$T/newaliases.out" 2>&1
ok $? "newaliases: the private alias database is built"
sed 's/^/#   /' "$T/newaliases.out"

# ---- gap 1: M=Ea without SMTP AUTH set up -----------------------------------
sm_start "$T/shipped.cf"
ok $? "shipped: the private Sendmail starts and answers on the MTA port"
submit "no auth" >"$T/swaks-noauth.out" 2>&1
grep -q "^<\*\* *530 5.7.0 Authentication required" "$T/swaks-noauth.out"
ok $? "shipped: M=Ea with no AUTH set up: 530 5.7.0 Authentication required"
grep '^<\*\*' "$T/swaks-noauth.out" | sed 's/^/#   /'
sm_stop

# ---- signed: ORIGINATING with SMTP AUTH ----------------------------------------
t0=$(date +%s%N)
sm_start "$T/auth.cf"
ok $? "auth: the private Sendmail starts"
echo "# Sendmail up and answering in $((($(date +%s%N) - t0) / 1000000)) ms"
auth_submit "signed on submission" >"$T/swaks1.out" 2>&1
ok $? "submission: Sendmail accepts alice's message after AUTH PLAIN"
grep -E '^(<-|<\*\*) *(235|250 2.0.0)' "$T/swaks1.out" | sed 's/^/#   /'
wait_mbox 1
ok $? "submission: the message is delivered to a file"
m=$(delivered "signed on submission")
grep -q "^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=sm;" "$m"
ok $? "submission: delivered with dkimd's DKIM-Signature"
mta_verify "$m" "submission" Sendmail
grep -q -E ": sign \(MTA ORIGINATING[;)].*: d=example.com s=sm" "$T/dkimd.log"
ok $? "macros: {daemon_name} is not in the site's lists, dkimd gets it anyway"

# a wrong password gets no further than AUTH: nothing signed, nothing sent
before=$(mbox_count)
submit "wrong password" --auth PLAIN --auth-user alice@mail.test.example \
    --auth-password "not-$PW" >"$T/swaks-badpw.out" 2>&1
sleep 1
grep -q -E '^<\*\* *535 ' "$T/swaks-badpw.out" &&
    ! grep -q -E '^<- *250 2.0.0 .*accepted' "$T/swaks-badpw.out" &&
    [ "$(mbox_count)" = "$before" ]
ok $? "submission: a wrong AUTH password gets 535, the message is not taken"
grep '^<\*\*' "$T/swaks-badpw.out" | sed 's/^/#   /'

# ---- verified: the MTA port, forged Authentication-Results -------------------
{
	echo "Authentication-Results: mx.test; dkim=pass header.d=example.com"
	echo "Authentication-Results: other.example; dkim=pass"
	echo "Authentication-Results: MX.TEST (forged); dkim=pass"
	sed -n '/^DKIM-Signature:/,$p' "$m"
} >"$T/incoming.eml"
swaks --server 127.0.0.1 --port "$MTA" --from alice@example.com \
    --to bob@example.net --data "$T/incoming.eml" >"$T/swaks2.out" 2>&1
ok $? "incoming: Sendmail accepts the signed message on the MTA port"
wait_mbox 2
ok $? "incoming: the message is delivered"
m=$(ls -t "$T"/mbox/* | head -n 1)
tr -d '\n' <"$m" | grep -q "mx.test;.*dkim=pass[^;]*header.d=example.com"
ok $? "incoming: delivered with dkim=pass in our Authentication-Results"
[ "$(grep -c -i '^Authentication-Results: mx.test' "$m")" = 1 ]
ok $? "incoming: the forged mx.test fields are gone, ours is the only one"
grep -q "^Authentication-Results: other.example; dkim=pass" "$m"
ok $? "incoming: the foreign Authentication-Results stays"
[ "$(grep -c "^DKIM-Signature:" "$m")" = 1 ]
ok $? "incoming: MTA mail is verified, not signed again"
grep '^Authentication-Results:' "$m" | sed 's/^/#   /'

# the MTA port is not a way to get mail signed: no AUTH, Name=MTA
swaks --server 127.0.0.1 --port "$MTA" --from alice@example.com \
    --to bob@example.net --header "Subject: forged from outside" \
    --body "Sign me." >"$T/swaks3.out" 2>&1
wait_mbox 3
m=$(delivered "forged from outside")
[ -n "$m" ] && ! grep -q "^DKIM-Signature:" "$m"
ok $? "incoming: a From of ours on the MTA port is not signed"

# ---- sendmail(1): the MSP through the loopback ORIGINATING daemon ---------
# submit.mc: the lines etc/sendmail/dkimd.mc gives for it, port moved
# mc_submit MSP-ARGS - submit.mc of a private MSP; MSP-ARGS "MSA" puts
# Debian's third argument on the msp feature
mc_submit() {
	cat <<EOT
include(\`/usr/share/sendmail/cf/m4/cf.m4')dnl
define(\`confCF_VERSION', \`Submit')dnl
define(\`__OSTYPE__',\`')dnl
define(\`confDOMAIN_NAME', \`mail.test.example')dnl
define(\`confRUN_AS_USER', \`daemon')dnl
define(\`MSP_QUEUE_DIR', \`$T/cqueue$1')dnl
define(\`confPID_FILE', \`$T/sm-client.pid')dnl
define(\`STATUS_FILE', \`$T/sm-client.st')dnl
define(\`confSERVICE_SWITCH_FILE', \`$T/service.switch')dnl
define(\`confTO_IDENT', \`0')dnl
EOT
	sed -n "s/^dnl submit.mc:[[:space:]]*//p" \
	    "$top_srcdir/etc/sendmail/dkimd.mc" |
	    sed -e "s/ 10587')/ $LOOP')/" \
	    ${1:+-e "s/^FEATURE(\`msp', \`\[127.0.0.1\]')/FEATURE(\`msp', \`[127.0.0.1]', \`MSA')/"}
}
# the MSP runs as a user that is not root: Debian's smmsp is not there
# (sendmail-bin is not installed), daemon is
mkdir -p "$T/cqueueMSA"
chown daemon "$T/cqueue" "$T/cqueueMSA"
chmod 700 "$T/cqueue" "$T/cqueueMSA"
mc_submit "" >"$T/submit.mc"
m4 "$T/submit.mc" >"$T/submit.cf" 2>"$T/submit.m4err" && [ ! -s "$T/submit.m4err" ] &&
    grep -q "^Mrelay,.*" "$T/submit.cf" &&
    grep -A2 "^Mrelay," "$T/submit.cf" | grep -q "A=TCP \$h $LOOP\$"
ok $? "m4: submit.cf from dkimd.mc's submit.mc lines relays to the loopback port"
sed 's/^/#   /' "$T/submit.m4err"

# msp_send SUBJECT CF - sendmail(1) -t with CF, From carol@example.com
msp_send() {
	printf 'From: carol@example.com\nTo: bob@example.net\nSubject: %s\n\nHello from sendmail(1).\n' "$1" |
	    timeout 60 "${SMNS[@]}" -C "$2" -f carol@example.com -t \
	    >"$T/msp.out" 2>&1
}
before=$(mbox_count)
msp_send "via sendmail(1)" "$T/submit.cf"
ok $? "sendmail(1): the MSP takes the message"
sed 's/^/#   /' "$T/msp.out"
wait_mbox $((before + 1))
ok $? "sendmail(1): the message is delivered"
m=$(delivered "via sendmail(1)")
[ -n "$m" ] && [ "$(grep -c "^DKIM-Signature: .*d=example.com; s=sm;" "$m")" = 1 ]
ok $? "sendmail(1): signed, through the MSP's ORIGINATING daemon"
mta_verify "$m" "sendmail(1)" Sendmail

# ---- gap 3: FEATURE(`msp', `[127.0.0.1]', `MSA') overrides RELAY_MAILER_ARGS
mc_submit MSA >"$T/submit-msa.mc"
m4 "$T/submit-msa.mc" >"$T/submit-msa.cf" 2>/dev/null
grep -A2 "^Mrelay," "$T/submit-msa.cf" | grep -q 'A=TCP \$h 587$'
ok $? "MSA: with msp's third argument MSA, submit.cf relays to 587, not to $LOOP"
grep -A2 "^Mrelay," "$T/submit-msa.cf" | sed -n 's/^.*\(A=.*\)/#   \1/p'
if swaks --server 127.0.0.1 --port 587 --quit-after CONNECT >/dev/null 2>&1; then
	echo "ok $((n + 1)) # SKIP something listens on 127.0.0.1:587"
	n=$((n + 1))
else
	before=$(mbox_count)
	msp_send "via the MSA feature" "$T/submit-msa.cf"
	sleep 1
	[ "$(mbox_count)" = "$before" ] &&
	    [ "$(find "$T/cqueueMSA" -name 'qf*' | wc -l)" = 1 ] &&
	    [ "$(find "$T/queue" -name 'qf*' | wc -l)" = 0 ]
	ok $? "MSA: the MSP's mail never reaches the ORIGINATING port: queued (587 refused)"
	timeout 60 "${SMNS[@]}" -C "$T/submit-msa.cf" -bp 2>&1 |
	    sed 's/^/#   mailq: /'
fi

# ---- F=T: dkimd stopped, mail waits; signed once when it is back -------------
dkimd_stop
submit "while dkimd is down" --auth PLAIN \
    --auth-user alice@mail.test.example --auth-password "$PW" \
    >"$T/swaks-down.out" 2>&1
grep -q -E '^<\*\* *4[0-9][0-9] ' "$T/swaks-down.out" &&
    ! grep -q -E '^<- *250 2.0.0 .*accepted' "$T/swaks-down.out"
ok $? "F=T: with dkimd stopped, the submission port answers 4xx"
grep '^<\*\*' "$T/swaks-down.out" | sed 's/^/#   /'
before=$(mbox_count)
msp_send "queued while dkimd is down" "$T/submit.cf"
ok $? "F=T: sendmail(1) takes the message (the MSP queues it)"
sleep 1
[ "$(mbox_count)" = "$before" ] &&
    [ "$(find "$T/cqueue" -name 'qf*' | wc -l)" = 1 ] &&
    [ "$(find "$T/queue" -name 'qf*' | wc -l)" = 0 ]
ok $? "F=T: nothing delivered, nothing in the MTA's queue, the MSP holds it"
timeout 60 "${SMNS[@]}" -C "$T/submit.cf" -bp 2>&1 | sed 's/^/#   mailq: /'
mta_dkimd_start 2 || echo "# dkimd did not start again"
timeout 60 "${SMNS[@]}" -C "$T/submit.cf" -q >"$T/runq.out" 2>&1
ok $? "F=T: dkimd back, the MSP's queue run ends"
wait_mbox $((before + 1))
sleep 1	# a second copy would come now
[ "$(delivered "queued while dkimd is down" | wc -l)" = 1 ] &&
    [ "$(find "$T/cqueue" -name 'qf*' | wc -l)" = 0 ]
ok $? "F=T: the queued message is delivered exactly once, the queue is empty"
m=$(delivered "queued while dkimd is down" | head -n 1)
[ -n "$m" ] && [ "$(grep -c "^DKIM-Signature:" "$m")" = 1 ]
ok $? "F=T: it left signed exactly once"
mta_verify "$m" "F=T" Sendmail

sm_stop
dkimd_stop
sed 's/^/# dkimd: /' "$T/dkimd.log"
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
echo "1..$n"
exit $fail
