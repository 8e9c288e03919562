#!/usr/bin/env bash
# it-secrets.sh - a database password never shows, anywhere (TAP)
#
# Every name in t/data/db/secret-names carries the password S3cr3tPw,
# some well-formed, some not (bad port, unknown parameter, no database,
# the password where a parameter goes). With each as KeyTable and
# SigningTable, every output a person or a journal sees is collected:
#	- dkimd -t (stdout and stderr);
#	- dkimtool showkeys, testkeys (-c FILE), key list, import, rotate
#	  (--db NAME and -c FILE);
#	- the real daemon in the foreground: its start-up log, a message
#	  for which the (unreachable) database is asked, and SIGHUP reloads
#	  to the malformed names;
# and none may contain S3cr3tPw. Then the warnings: a password in a
# configuration others may read, and a password_file others may read,
# are warned about by dkimd -t and at start-up, without the password;
# with group-only modes there is no warning.
#
# The databases named are on a port of 127.0.0.1 where nothing listens:
# the servers are not needed to see what dkimd prints about them.
# Environment: DKIMD, DKIMTOOL, top_srcdir, top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=t/data/faults/faults.sh
. "$top_srcdir/t/data/faults/faults.sh"
faults_init it-secrets

SECRET=S3cr3tPw
NAMES=$top_srcdir/t/data/db/secret-names
out=$work/all-output
: >"$out"
dead=$(free_port)		# nothing listens there

# conf NAME [LINES...] - a configuration with NAME as both tables
conf() {
	name=$1
	shift
	{
		echo "Socket inet:${PORT:-$dead}@127.0.0.1"
		echo "KeyTable $name"
		echo "SigningTable $name"
		echo "Syslog no"
		echo "LogWhy yes"
		echo "DNSTimeout 1"
		printf '%s\n' "$@"
	} >"$work/s.conf"
	chmod 600 "$work/s.conf"
}

# run LABEL CMD... - CMD's stdout and stderr, bounded, into the collection
run() {
	label=$1
	shift
	echo "== $label" >>"$out"
	timeout 20 "$@" >>"$out" 2>&1 </dev/null
}

# clean - 0 when the collection is free of the password (it is kept in
# $work/seen for the sanitizer check at the end)
clean() {
	cat "$out" >>"$work/seen"
	! grep -q "$SECRET" "$out"
}

# ---- every name, every command -------------------------------------------
names=0
while IFS= read -r name; do
	case $name in '#'* | '') continue ;; esac
	names=$((names + 1))
	# the real names point at the dead port
	name=$(printf '%s' "$name" | sed "s/127\.0\.0\.1\(:[0-9]*\)\{0,1\}\//127.0.0.1:$dead\//")
	conf "$name"
	run "dkimd -t (name $names)" "$DKIMD" -t -c "$work/s.conf"
	run "showkeys" "$DKIMTOOL" showkeys -c "$work/s.conf"
	run "testkeys" "$DKIMTOOL" testkeys -c "$work/s.conf" \
	    --nameserver "127.0.0.1:$dead" --timeout 300
	run "key list --db" "$DKIMTOOL" key list --db "$name"
	run "key list -c" "$DKIMTOOL" key list -c "$work/s.conf"
	run "import" "$DKIMTOOL" import --db "$name" -k "$work/key.table"
	run "rotate" "$DKIMTOOL" rotate --db "$name" -d example.com -s new
done <"$NAMES"
echo "# $names names, $(grep -c '^== ' "$out") commands, $(wc -l <"$out") lines of output"
[ "$names" -ge 10 ] && clean
ok $? "dkimd -t and dkimtool (showkeys, testkeys, key list, import, rotate) never print the password"
grep -n "$SECRET" "$out" | head -n 5 | sed 's/^/#   LEAK /'
grep -E "127.0.0.1" "$out" | sort -u | head -n 4 | sed 's/^/#   /'
grep -q "mysql://u:\*\*\*@127.0.0.1:3306x/db: bad port" "$out"
ok $? "a malformed name is shown with the password replaced by ***"

# ---- the daemon: start-up, a lookup, reloads to bad names ----------------
: >"$out"
PORT=$(free_port)
good="mysql://u:$SECRET@127.0.0.1:$dead/db"
conf "$good"
: >"$work/dkimd.log"
"$DKIMD" -f -c "$work/s.conf" >>"$work/dkimd.log" 2>&1 &
DKIMD_PID=$!
for _ in $(seq 1 100); do grep -q "started on" "$work/dkimd.log" && break; sleep 0.1; done
grep -q "started on" "$work/dkimd.log"
ok $? "dkimd starts with its database down"
$MFAULT "$PORT" sign >/dev/null 2>&1	# not signed: the database is down
for _ in $(seq 1 50); do grep -q "unavailable" "$work/dkimd.log" && break; sleep 0.1; done
grep -q "unavailable" "$work/dkimd.log"
ok $? "a message makes dkimd ask the database and log why it cannot"
reloads=0
while IFS= read -r name; do
	case $name in '#'* | '') continue ;; esac
	conf "$name"
	before=$(grep -c -E "reload failed|reloaded" "$work/dkimd.log")
	kill -HUP "$DKIMD_PID"
	for _ in $(seq 1 50); do
		[ "$(grep -c -E "reload failed|reloaded" "$work/dkimd.log")" -gt "$before" ] && break
		sleep 0.1
	done
	reloads=$((reloads + 1))
done <"$NAMES"
sleep 0.5
kill -0 "$DKIMD_PID"
ok $? "dkimd is still up after $reloads reloads"
dkimd_stop
cat "$work/dkimd.log" >>"$out"
echo "# the daemon's log: $(wc -l <"$work/dkimd.log") lines, $(grep -c 'reload' "$work/dkimd.log") about reloads"
grep -E "unavailable|reload failed|bad port|unknown parameter" "$work/dkimd.log" | sort -u | head -n 5 | sed 's/^/#   /'
clean
ok $? "the daemon's start-up log, lookup failures and reload errors never show the password"
grep -n "$SECRET" "$out" | head -n 5 | sed 's/^/#   LEAK /'

# ---- warnings: a password others may read --------------------------------
PORT=
conf "$good"
chmod 644 "$work/s.conf"
"$DKIMD" -t -c "$work/s.conf" >"$out" 2>&1
grep -q "s.conf holds the password of mysql://u@127.0.0.1:$dead/db and may be read by others (mode 0644)" "$out" && clean
ok $? "dkimd -t warns when the configuration holding a password may be read by others, without it"
sed 's/^/#   /' "$out"
chmod 640 "$work/s.conf"
"$DKIMD" -t -c "$work/s.conf" >"$out" 2>&1
! grep -q "read by others" "$out"
ok $? "dkimd -t: no warning when only the group may read it (dkimd rereads it as UserID)"
printf '%s\n' "$SECRET" >"$work/pw"
chmod 604 "$work/pw"
conf "mysql://u@127.0.0.1:$dead/db?password_file=$work/pw"
"$DKIMD" -t -c "$work/s.conf" >"$out" 2>&1
grep -q "password_file $work/pw may be read by others (mode 0604)" "$out" && clean
ok $? "dkimd -t warns when the password_file may be read by others, without the password"
sed 's/^/#   /' "$out"
PORT=$(free_port)
conf "mysql://u@127.0.0.1:$dead/db?password_file=$work/pw"
: >"$work/dkimd.log"
"$DKIMD" -f -c "$work/s.conf" >>"$work/dkimd.log" 2>&1 &
DKIMD_PID=$!
for _ in $(seq 1 100); do grep -q "started on" "$work/dkimd.log" && break; sleep 0.1; done
grep -q "password_file $work/pw may be read by others" "$work/dkimd.log" &&
    ! grep -q "$SECRET" "$work/dkimd.log"
ok $? "... and so does the start-up log"
dkimd_stop
chmod 640 "$work/pw"
"$DKIMD" -t -c "$work/s.conf" >"$out" 2>&1
! grep -q "read by others" "$out"
ok $? "no warning for a password_file only the group may read"

cat "$out" "$work/dkimd.log" >>"$work/seen"
! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" "$work/seen"
ok $? "no sanitizer report from dkimd or dkimtool"

echo "1..$n"
exit $fail
