#!/usr/bin/env bash
# it-author.sh - one verdict for one author, whoever splits the header (TAP)
#
# The hostile author cases of t/data/hostile (From that does not parse,
# several mailboxes, a first line that begins with white space, ...) are
# verified three ways, and each must give the same dkim= results:
#	dkimtool verify		splits the message itself (tools/msgin.c)
#	dkimd behind mta.py	fields split as Postfix's cleanup splits them
#	dkimd behind Postfix	the real MTA (when root, postfix, smtp-sink
#				and swaks are there; else those points skip)
# and each must give the result the case expects (never a pass for an
# author that readers may see otherwise). Then, through Postfix's
# submission port, the issue-11 From attacks get no signature for the
# domain they name and dkimd logs why.
# Keys and DNS: the cases' own records, served by dnsmasq on 127.0.0.1.
# Every process is stopped by its PID. Environment: DKIMD, DKIMTOOL,
# top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
hostile=$top_srcdir/t/data/hostile
DKIMD_PID=
SINK_PID=
T=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

command -v dnsmasq >/dev/null || [ -x /usr/sbin/dnsmasq ] ||
	skip_all "dnsmasq not installed"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"
PATH=$PATH:/usr/sbin

T=$(mktemp -d /tmp/it-author.XXXXXX)
chmod 755 "$T"

# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

stop_all() {
	postfix_stop
	[ -n "$DKIMD_PID" ] && kill "$DKIMD_PID" 2>/dev/null
	[ -n "$DKIMD_PID" ] && wait "$DKIMD_PID" 2>/dev/null
	DKIMD_PID=
}
cleanup() {
	stop_all
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

# case WANT NAME POSTFIX - the cases and the dkim= results they must get
# (POSTFIX: yes when the bytes go through SMTP unchanged)
CASES="pass baseline-rsa yes
none first-line-wsp yes
policy from-several-no-sender yes
pass from-several-mailboxes yes
policy from-several-two-senders yes
pass from-qp-comment yes
policy from-double-at yes
policy from-space-in-domain yes
policy from-empty-value yes
policy from-group yes
policy from-domain-literal yes
policy from-unclosed-comment yes
permerror from-two yes
pass from-in-continuation yes
pass from-obs-phrase yes
policy from-latin1-name no
policy from-bare-cr no
policy from-nul no"

# results FILE - the dkim= results of our Authentication-Results in FILE
# (a message, or mta.py's output), in order, space-separated
results() {
	awk '/^[ \t]/ && keep { printf " %s", $0; next }
	    { keep = 0 }
	    /^Authentication-Results: mx\.test;/ || /^insert [0-9]+ Authentication-Results  ?mx\.test;/ {
		keep = 1; printf "\n%s", $0 }' "$1" |
	    grep -o 'dkim=[a-z]*' | sed 's/dkim=//' | tr '\n' ' ' | sed 's/ $//'
}

# ---- keys, DNS, dkimd ---------------------------------------------------
mkdir -p "$T/keys" "$T/msgs"
"$DKIMTOOL" genkey -d example.com -s au -D "$T/keys" >/dev/null
chmod 600 "$T/keys/au.private"
{
	zone_to_records "$T/keys/au.txt"
	sed -n 's/^# records: //p' "$hostile"/baseline-rsa.eml
} | sort -u >"$T/records"
echo "au example.com:au:$T/keys/au.private" >"$T/key.table"
echo "*@example.com au" >"$T/signing.table"
dns_start "$T/records" "$T" || { echo "Bail out! dnsmasq did not start"; exit 1; }
DK=$(free_port)
cat >"$T/dkimd.conf" <<EOT
Socket		inet:$DK@127.0.0.1
KeyTable	$T/key.table
SigningTable	refile:$T/signing.table
AuthservID	mx.test
Nameservers	127.0.0.1:$DNS_PORT
DNSTimeout	2
Syslog		no
LogWhy		yes
EOT
"$DKIMD" -f -c "$T/dkimd.conf" >"$T/dkimd.log" 2>&1 &
DKIMD_PID=$!
for _ in $(seq 1 50); do
	grep -q "started on" "$T/dkimd.log" && break
	sleep 0.1
done
grep -q "started on" "$T/dkimd.log" || { echo "Bail out! dkimd did not start"; exit 1; }

# ---- Postfix, when it can run ---------------------------------------------
PF=no
if [ "$(id -u)" = 0 ] && command -v postfix >/dev/null &&
    command -v smtp-sink >/dev/null && command -v swaks >/dev/null; then
	SUB=$(free_port)
	IN=$(free_port)
	SINK=$(free_port)
	postfix_sink
	# an MX does not rewrite the headers of mail from outside
	postfix_conf "maillog_file_prefixes = $T
maillog_file = $T/maillog
local_header_rewrite_clients =
master_service_disable =" \
	    "127.0.0.1:$SUB inet n - n - - smtpd -o milter_macro_daemon_name=ORIGINATING -o smtpd_milters=inet:127.0.0.1:$DK
127.0.0.1:$IN inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$DK"
	if postfix -c "$T/etc" start >"$T/postfix.start" 2>&1; then
		PF=yes
	else
		echo "# postfix did not start; its points are skipped:"
		sed 's/^/#   /' "$T/postfix.start" | tail -n 10
	fi
fi
nsink=0

# via_postfix PORT FILE - deliver FILE through Postfix; prints the file
# smtp-sink wrote, or nothing after 30 s
via_postfix() {
	local before
	before=$(find "$T/sink" -type f | wc -l)
	timeout 30 swaks --server 127.0.0.1 --port "$1" \
	    --from sender@example.net --to bob@example.org \
	    --data "$2" >"$T/swaks.out" 2>&1 || return 1
	for _ in $(seq 1 300); do
		if [ "$(find "$T/sink" -type f | wc -l)" -gt "$before" ]; then
			sleep 0.2	# smtp-sink may still be writing it
			ls -t "$T"/sink/* | head -n 1
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# ---- the same bytes, three readers ------------------------------------------
while read -r want name pf; do
	sed '/^# /d' "$hostile/$name.eml" >"$T/msgs/$name.eml"
	timeout 30 "$DKIMTOOL" verify --nameserver "127.0.0.1:$DNS_PORT" \
	    --authserv-id mx.test "$T/msgs/$name.eml" >"$T/tool.out" 2>&1
	tool=$(results "$T/tool.out")
	[ -n "$tool" ] || tool=none
	[ "$tool" = "$want" ]
	ok $? "$name: dkimtool verify says $want (got: $tool)"
	timeout 30 /usr/bin/python3 "$top_srcdir/t/milter/mta.py" \
	    "127.0.0.1:$DK" INBOUND "$T/msgs/$name.eml" >"$T/mta.out" 2>&1
	milt=$(results "$T/mta.out")
	[ "$milt" = "$tool" ]
	ok $? "$name: dkimd behind mta.py says what dkimtool says (got: $milt)"
	[ -n "$milt" ] || sed 's/^/#   mta.py: /' "$T/mta.out"
	if [ "$PF" = yes ] && [ "$pf" = yes ]; then
		if m=$(via_postfix "$IN" "$T/msgs/$name.eml") && [ -n "$m" ]; then
			post=$(results "$m")
			[ "$post" = "$tool" ]
			ok $? "$name: dkimd behind Postfix says what dkimtool says (got: $post)"
		else
			ok 1 "$name: the message goes through Postfix"
			sed 's/^/#   swaks: /' "$T/swaks.out" | tail -n 5
		fi
	elif [ "$pf" = yes ]; then
		ok 0 "# SKIP $name through Postfix: Postfix cannot run here"
	fi
done <<<"$CASES"

# ---- signing through Postfix: the attacks get no signature ------------------
# sign_attack FROM NAME - submit with From: FROM; no signature, one log line
sign_attack() {
	local m
	printf 'From: %s\r\nTo: bob@example.org\r\nSubject: %s\r\n\r\nHi.\r\n' \
	    "$1" "$2" >"$T/sub.eml"
	if m=$(via_postfix "$SUB" "$T/sub.eml") && [ -n "$m" ]; then
		! grep -q "^DKIM-Signature:" "$m" && grep -q "^Subject: $2" "$m"
		ok $? "submission '$1': delivered, and not signed"
	else
		ok 1 "submission '$1': the message goes through Postfix"
	fi
}
if [ "$PF" = yes ]; then
	sign_attack '(\) <alice@example.com>) eve@nokey.test' qp-comment
	sign_attack 'eve@nokey.test@example.com' double-at
	sign_attack 'alice@exam ple.com' space-in-domain
	sign_attack 'alice@example.com, eve@nokey.test' two-mailboxes
	printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: good\r\n\r\nHi.\r\n' \
	    >"$T/good.eml"
	m=$(via_postfix "$SUB" "$T/good.eml")
	grep -q "^DKIM-Signature: .*d=example.com; s=au;" "$m" 2>/dev/null
	ok $? "submission 'alice@example.com': signed (the control)"
	grep -q 'no key for "eve@nokey.test"' "$T/dkimd.log"
	ok $? "log: the comment with a quoted-pair hides nothing: eve@nokey.test looked up"
	grep -q "not signed: From does not parse: unexpected text after an address" "$T/dkimd.log"
	ok $? "log: 'eve@nokey.test@example.com' not signed, with the reason"
	grep -q "not signed: From does not parse: not a DNS domain name" "$T/dkimd.log"
	ok $? "log: 'alice@exam ple.com' not signed, with the reason"
	grep -q "not signed: From has 2 mailboxes and 0 Sender fields" "$T/dkimd.log"
	ok $? "log: two From mailboxes without Sender not signed, with the reason"
	! grep -E "warning: .*milter|milter.*(timeout|unexpected|error)" \
	    "$T/maillog" >"$T/milterwarn" 2>/dev/null
	ok $? "postfix: no milter warning in its log"
fi

stop_all
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$T/dkimd.log"
ok $? "dkimd: no sanitizer report (meaningful with a sanitizer build)"
[ "$fail" = 0 ] || sed 's/^/# dkimd: /' "$T/dkimd.log" | tail -n 40
echo "1..$n"
exit $fail
