# lib.sh - shell helpers of the milter test scripts (sourced)
#
#	ok STATUS NAME		one TAP point: "ok" when STATUS is 0
#	skip_all REASON		print a skipping plan and exit 0
#	free_port		a free TCP port on 127.0.0.1
#	zone_to_records FILE	"NAME VALUE" from dkimtool genkey's .txt,
#				for t/lib/dns.sh
#	dkimd_launch CONF LOG	dkimd -f -c CONF (after $DKIMD_WRAPPER),
#				output to LOG, PID in $DKIMD_PID; 0 once
#				it logged "started on" (in
#				$DKIMD_START_TRIES tenths of a second, 50)
#	dkimd_halt		SIGTERM to $DKIMD_PID, SIGKILL after 15 s
#	dkimd_sanitizer LOG	a failed point when a sanitizer reported
#	run SCRIPT [-D N=V...]	miltertest runs t/milter/SCRIPT against
#				dkimd on $PORT; its CHECK lines become TAP
#	logged PATTERN NAME	a TAP point: $work/dkimd.log matches PATTERN
#	mta_dkimd_conf SEL	(end-to-end tests) key SEL of example.com,
#				dnsmasq serving it, $T/dkimd.conf on $DK
#	mta_verify FILE NAME MTA	dkimpy and Mail::DKIM both pass FILE
#	mta_dkimd_start N	dkimd -f -c $T/dkimd.conf in the background
#				(PID in DKIMD_PID), until its log has N starts
# ok counts in $n and sets $fail to 1 on a failed point.

n=0
fail=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

zone_to_records() {
	/usr/bin/python3 -c '
import re, sys
t = open(sys.argv[1]).read()
print(t.split()[0].rstrip("."), "".join(re.findall(r"\"([^\"]*)\"", t)))' "$1"
}

dkimd_launch() {
	: >"$2"
	${DKIMD_WRAPPER:-} "$DKIMD" -f -c "$1" >>"$2" 2>&1 &
	DKIMD_PID=$!
	for _ in $(seq 1 "${DKIMD_START_TRIES:-50}"); do
		grep -q "started on" "$2" && return 0
		kill -0 "$DKIMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# dkimd did not start:"; sed 's/^/#   /' "$2"
	return 1
}

dkimd_halt() {
	[ -n "$DKIMD_PID" ] || return 0
	kill -TERM "$DKIMD_PID" 2>/dev/null
	for _ in $(seq 1 150); do
		kill -0 "$DKIMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$DKIMD_PID" 2>/dev/null
	wait "$DKIMD_PID" 2>/dev/null
	DKIMD_PID=
}

dkimd_sanitizer() {
	if grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" \
	    "$1" 2>/dev/null; then
		ok 1 "dkimd: no sanitizer report"
		grep -E -A12 "Sanitizer|runtime error:" "$1" | sed 's/^/#   /'
	fi
}

# run SCRIPT [-D NAME=VALUE...] - one Lua script; CHECK lines become TAP
run() {
	local s=$1 out rc line
	shift
	out=$(cd "$work" && timeout 60 miltertest -D port="$PORT" \
	    -D tdir="$tdir" -D work="$work" "$@" -s "$tdir/$s" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"CHECK pass "*) ok 0 "${line#CHECK pass }" ;;
		"CHECK fail "*) ok 1 "${line#CHECK fail }" ;;
		*) [ -n "$line" ] && echo "# $line" ;;
		esac
	done <<<"$out"
	if [ $rc -ne 0 ]; then
		ok 1 "$s ran to its end (miltertest status $rc)"
		sed 's/^/#   dkimd: /' "$work/dkimd.log" | tail -n 20
	fi
}

# logged PATTERN NAME - dkimd's log has a line matching PATTERN
logged() {
	if grep -q -E -- "$1" "$work/dkimd.log"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		sed 's/^/#   dkimd: /' "$work/dkimd.log" | tail -n 20
	fi
}

# ---- dkimd behind a real MTA (it-postfix.sh, it-sendmail.sh) -----------------

# mta_dkimd_conf SEL - a key SEL for example.com in $T/keys, its record
# served by dnsmasq (t/lib/dns.sh, sourced by the caller), the tables and
# $T/dkimd.conf of a dkimd on 127.0.0.1:$DK that signs example.com
mta_dkimd_conf() {
	mkdir -p "$T/keys"
	"$DKIMTOOL" genkey -d example.com -s "$1" -D "$T/keys" >/dev/null
	zone_to_records "$T/keys/$1.txt" >"$T/records"
	chmod 600 "$T/keys/$1.private"
	echo "$1 example.com:$1:$T/keys/$1.private" >"$T/key.table"
	echo "*@example.com $1" >"$T/signing.table"
	dns_start "$T/records" "$T" || return 1
	cat >"$T/dkimd.conf" <<EOT
Socket		inet:$DK@127.0.0.1
KeyTable	$T/key.table
SigningTable	refile:$T/signing.table
AuthservID	mx.test
Nameservers	127.0.0.1:$DNS_PORT
Syslog		no
LogWhy		yes
EOT
}

# mta_dkimd_start N - dkimd in the foreground on $T/dkimd.conf, in the
# background, logging to $T/dkimd.log; 0 once the log says "started on" for
# the Nth time (10 s at most)
mta_dkimd_start() {
	"$DKIMD" -f -c "$T/dkimd.conf" >>"$T/dkimd.log" 2>&1 &
	DKIMD_PID=$!
	for _ in $(seq 1 100); do
		[ "$(grep -c "started on" "$T/dkimd.log")" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# mta_verify FILE NAME MTA - dkimpy and Mail::DKIM both pass FILE, which
# MTA delivered (two TAP points, their output as comments)
mta_verify() {
	/usr/bin/python3 "$top_srcdir/t/peers/dkimpy-verify.py" "$DNS_PORT" \
	    <"$1" >"$T/dkimpy.out" 2>&1
	ok $? "$2: dkimpy verifies what $3 delivered"
	sed 's/^/#   /' "$T/dkimpy.out"
	perl "$top_srcdir/t/peers/maildkim-verify.pl" "$DNS_PORT" <"$1" \
	    >"$T/maildkim.out" 2>&1
	ok $? "$2: Mail::DKIM verifies what $3 delivered"
	sed 's/^/#   /' "$T/maildkim.out"
}

# ---- a private Postfix for the end-to-end tests ------------------------------

# postfix_sink - smtp-sink on 127.0.0.1:$SINK, one file a message in $T/sink
postfix_sink() {
	mkdir -p "$T/sink"
	chown postfix "$T/sink"
	smtp-sink -u postfix -d "$T/sink/msg." "127.0.0.1:$SINK" 20 \
	    >"$T/sink.log" 2>&1 &
	SINK_PID=$!
}

# postfix_sink_wait N - wait until the sink holds N messages (30 s at most)
postfix_sink_wait() {
	for _ in $(seq 1 300); do
		[ "$(find "$T/sink" -type f | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# postfix_sink_newest - the message the sink received last
postfix_sink_newest() {
	ls -t "$T"/sink/* 2>/dev/null | head -n 1
}

# postfix_stop - stop the Postfix of $T (its master by the pid file, SIGKILL
# after 5 s) and the smtp-sink of postfix_sink
postfix_stop() {
	local pid
	if [ -f "$T/spool/pid/master.pid" ]; then
		postfix -c "$T/etc" stop >/dev/null 2>&1
		pid=$(tr -d ' ' <"$T/spool/pid/master.pid" 2>/dev/null)
		for _ in $(seq 1 50); do
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	fi
	[ -n "${SINK_PID:-}" ] && kill "$SINK_PID" 2>/dev/null
	SINK_PID=
}

# postfix_conf MAIN MASTER - $T/etc/main.cf and master.cf of a Postfix that
# relays to the sink: the lines the tests share, MAIN's lines appended to
# main.cf and MASTER's smtpd lines put before the shared services
postfix_conf() {
	mkdir -p "$T/etc" "$T/spool" "$T/data"
	chown postfix "$T/data"
	cat >"$T/etc/main.cf" <<EOT
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test
mydomain = test
myorigin = example.com
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_transport = error:5.1.1 no local delivery
alias_maps =
alias_database =
relayhost = [127.0.0.1]:$SINK
smtp_dns_support_level = disabled
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = no
milter_protocol = 6
milter_default_action = tempfail
EOT
	printf '%s\n' "$1" >>"$T/etc/main.cf"
	{
		printf '%s\n' "$2"
		cat <<EOT
pickup unix n - n 60 1 pickup -o cleanup_service_name=cleanup-orig
cleanup unix n - n - 0 cleanup
cleanup-orig unix n - n - 0 cleanup -o milter_macro_daemon_name=ORIGINATING
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
EOT
	} >"$T/etc/master.cf"
}
