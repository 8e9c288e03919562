#!/usr/bin/env bash
# it-migrate.sh - dkimtool migrate, and OpenDKIM against dkimd (TAP)
#
# For each configuration folder of t/data/migrate/ (an opendkim.conf, the
# tables and lists it names, "keygen" with the keys to make in @T@/keys
# as DOMAIN SELECTOR ALG lines, the expected exit of dkimtool migrate in
# "exit", report lines that must appear in "report", and the differences
# expected in "differences"): @T@ in its files
# becomes the test's copy of the folder, dkimtool migrate turns the
# opendkim.conf into a dkimd.conf, then Debian's opendkim runs with the
# original and dkimd with the migrated one, each started once on a free
# loopback port, and t/milter/compare.lua sends the same cases
# (t/data/migrate/cases, then the folder's own "cases") through both with
# miltertest. t/milter/compare.py compares what each did: the reply, the
# signatures (d=, s=, a=, h= as a set) and the dkim= verdicts. A
# difference not listed fails, so does a listed one that did not occur.
#
# Keys are made by the test; DNS is a private dnsmasq (t/lib/dns.sh):
# dkimd reaches it through Nameservers, OpenDKIM through libunbound
# (ResolverConfiguration). Only the lines a test must own are replaced:
# Socket, PidFile, UserID, Syslog, TrustAnchorFile, Nameservers; and
# OpenDKIM gets RequireSafeKeys no, as it refuses keys below /tmp (a
# folder others may write to; dkimd checks the key files themselves).
# Every process is stopped by its PID.
#
# Needs: opendkim, miltertest, dnsmasq, python3.
# Environment: DKIMD, DKIMTOOL, OPENDKIM, top_srcdir; MIGRATE_ONLY="NAME
# ..." runs these configurations only, MIGRATE_KEEP=1 keeps the work
# folder (the logs and both sides' results).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
OPENDKIM=${OPENDKIM:-/usr/sbin/opendkim}
data=$top_srcdir/t/data/migrate
tdir=$top_srcdir/t/milter
work=$(mktemp -d /tmp/it-migrate.XXXXXX)
DKIMD_PID=
ODK_PID=
stopping=
started=$(date +%s)

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
# shellcheck source=t/lib/dns.sh
. "$top_srcdir/t/lib/dns.sh"

# odk_halt - stop OpenDKIM by its PID (it is not under test: SIGKILL)
odk_halt() {
	[ -n "$ODK_PID" ] || return 0
	kill -KILL "$ODK_PID" 2>/dev/null
	wait "$ODK_PID" 2>/dev/null
	ODK_PID=
}

# reap - wait for the dkimd processes told to stop (SIGKILL after 15 s),
# then look for sanitizer reports in their logs
reap() {
	local p
	for p in $stopping; do
		DKIMD_PID=${p%%:*}
		dkimd_halt
		dkimd_sanitizer "${p#*:}"
	done
	stopping=
}

cleanup() {
	odk_halt
	dkimd_halt
	for p in $stopping; do
		kill -KILL "${p%%:*}" 2>/dev/null
	done
	if [ -n "${MIGRATE_KEEP:-}" ]; then
		echo "# kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT

command -v miltertest >/dev/null || skip_all "miltertest not installed"
command -v dnsmasq >/dev/null || skip_all "dnsmasq not installed"
[ -x "$OPENDKIM" ] || skip_all "no opendkim at $OPENDKIM"
[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"

# genkey DIR DOMAIN SELECTOR ALG - a key, its record added to the zone
genkey() {
	mkdir -p "$1"
	"$DKIMTOOL" genkey -d "$2" -s "$3" -a "$4" -D "$1" >/dev/null &&
	    zone_to_records "$1/$3.txt" >>"$work/records"
}

# wait_port PORT - 0 once something accepts on 127.0.0.1:PORT (10 s)
wait_port() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# copy_conf NAME - the folder with @T@ replaced, in $work/NAME
copy_conf() {
	local f
	mkdir -p "$work/$1"
	for f in "$data/$1"/*; do
		sed "s|@T@|$work/$1|g" "$f" >"$work/$1/${f##*/}"
	done
	chmod 600 "$work/$1"/*
}

# test_lines FILE KEYWORD... - FILE without the lines of these keywords
test_lines() {
	local file=$1 re
	shift
	re=$(printf '%s|' "$@")
	grep -v -i -E "^[[:space:]]*#?[[:space:]]*(${re%|})([[:space:]]|\$)" "$file"
}

# run_cases NAME PORT WHO - compare.lua against PORT, into $dir/WHO.out
run_cases() {
	local t0=$(date +%s)
	(cd "$work/$1" && timeout 60 miltertest -D tdir="$tdir" -D port="$2" \
	    -D cases="$cases" -D msgdir="$work/msg" -s "$tdir/compare.lua" \
	    >"$work/$1/$3.out" 2>&1)
	echo "# $1: the cases through $3 took $(( $(date +%s) - t0 )) s"
}

# compare NAME - both daemons on the folder's configuration, compared;
# both are started, then both are stopped at once (each takes seconds)
compare() {
	local name=$1 dir=$work/$1 odkport port
	cases=$dir/cases.all
	cat "$data/cases" >"$cases"
	[ ! -f "$data/$name/cases" ] || cat "$data/$name/cases" >>"$cases"

	odkport=$(free_port)
	{
		test_lines "$dir/opendkim.conf" Socket PidFile UserID Syslog \
		    SyslogSuccess TrustAnchorFile Nameservers Background \
		    RequireSafeKeys AutoRestart AutoRestartRate
		printf '%s\n' "Socket inet:$odkport@127.0.0.1" "Syslog no" \
		    "ResolverConfiguration $work/unbound.conf" \
		    "RequireSafeKeys no"
	} >"$dir/odk-test.conf"
	"$OPENDKIM" -f -x "$dir/odk-test.conf" >"$dir/opendkim.log" 2>&1 &
	ODK_PID=$!
	port=$(free_port)
	{
		test_lines "$dir/migrated.conf" Socket PidFile UserID Syslog \
		    Nameservers
		printf '%s\n' "Socket inet:$port@127.0.0.1" "Syslog no" \
		    "Nameservers 127.0.0.1:$DNS_PORT" "AuthservID mx.test"
	} >"$dir/dkimd-test.conf"
	if ! wait_port "$odkport"; then
		ok 1 "$name: OpenDKIM started"
		sed 's/^/#   /' "$dir/opendkim.log"
		odk_halt
		return
	fi
	if ! dkimd_launch "$dir/dkimd-test.conf" "$dir/dkimd.log"; then
		ok 1 "$name: dkimd started with the migrated configuration"
		odk_halt
		return
	fi
	run_cases "$name" "$odkport" opendkim
	run_cases "$name" "$port" dkimd
	odk_halt
	# dkimd takes seconds to stop: it does so while the next one runs
	kill -TERM "$DKIMD_PID" 2>/dev/null
	stopping="$stopping $DKIMD_PID:$dir/dkimd.log"
	DKIMD_PID=

	while IFS= read -r line; do
		case "$line" in
		'pass '*) ok 0 "${line#pass }" ;;
		'fail '*) ok 1 "${line#fail }" ;;
		*) echo "$line" ;;
		esac
	done < <(effective "$data/$name/differences" >"$dir/differences.now"
	    python3 "$tdir/compare.py" "$name" "$cases" \
	    "$dir/opendkim.out" "$dir/dkimd.out" "$dir/differences.now")
	if grep -q -v -E '^(CASE|SIG|AR) ' "$dir/opendkim.out" "$dir/dkimd.out"
	then
		grep -v -E '^(CASE|SIG|AR) ' "$dir/opendkim.out" \
		    "$dir/dkimd.out" | sed 's/^/#   /'
	fi
}

# effective FILE - the lines of FILE that hold for this dkimd: a line
# "[Keyword=CLASS] rest" is "rest" when dkimd -K gives Keyword that class,
# "[Keyword!=CLASS] rest" when it does not (another class may come with
# another version of the keyword table); other lines as they are
effective() {
	local line cond rest kw cls have
	[ -f "$1" ] || return 0
	while IFS= read -r line; do
		case "$line" in
		'['*'] '*)
			cond=${line%%]*}
			cond=${cond#[}
			rest=${line#*] }
			kw=${cond%%=*}
			kw=${kw%!}
			cls=${cond#*=}
			have=$(awk -v k="$kw" 'tolower($1) == tolower(k) \
			    { print $2 }' "$work/classes")
			case "$cond" in
			*'!='*) [ "$have" != "$cls" ] && printf '%s\n' "$rest" ;;
			*) [ "$have" = "$cls" ] && printf '%s\n' "$rest" ;;
			esac ;;
		*)
			printf '%s\n' "$line" ;;
		esac
	done <"$1"
}

# migrate NAME - dkimtool migrate on the folder's opendkim.conf: the exit
# status and the report lines expected
migrate() {
	local name=$1 dir=$work/$1 rc want pat
	"$DKIMTOOL" migrate "$dir/opendkim.conf" >"$dir/migrated.conf" \
	    2>"$dir/report"
	rc=$?
	want=$(effective "$data/$name/exit" | grep -E '^[0-9]' | head -1)
	ok $((rc != want)) "$name: dkimtool migrate exits $want (got $rc)"
	[ "$rc" = "$want" ] || sed 's/^/#   /' "$dir/report"
	while IFS= read -r pat; do
		case "$pat" in ''|'#'*) continue ;; esac
		pat=${pat//@T@/$dir}
		grep -q -F -- "$pat" "$dir/report"
		ok $? "$name: the report says: $pat"
	done < <(effective "$data/$name/report")
	# each keyword's class is the one dkimd -K gives it now
	rc=$(python3 -c '
import re, sys
cls = {}
for l in open(sys.argv[1]):
    w = l.split("\t")
    if len(w) >= 2:
        cls[w[0].lower()] = w[1]
bad = 0
for l in open(sys.argv[2]):
    m = re.match(r".*?:\d+: ([^:]+): ([a-z-]+)[:,]", l)
    if m and m.group(1).lower() in cls and \
            cls[m.group(1).lower()] != m.group(2):
        print("#   " + l.rstrip())
        bad += 1
print(bad)' "$work/classes" "$dir/report")
	ok $((${rc##*$'\n'} != 0)) "$name: every class in the report is dkimd -K's"
	[ "${rc##*$'\n'}" = 0 ] || printf '%s\n' "${rc%$'\n'*}"
	# every keyword line of the input has its report line
	want=$(grep -c -E '^[[:space:]]*[A-Za-z]' "$dir/opendkim.conf")
	rc=$(grep -o -E "^$dir/opendkim.conf:[0-9]+: " "$dir/report" |
	    sort -u | wc -l)
	ok $((rc != want)) "$name: one report line per keyword line ($rc of $want)"
}

# refused - inputs OpenDKIM would refuse: exit 2 and nothing on stdout;
# and no password of secrets.conf on either stream
refused() {
	local f rc
	for f in "$top_srcdir"/t/data/migrate-bad/*.conf; do
		"$DKIMTOOL" migrate "$f" >"$work/bad.out" 2>"$work/bad.err"
		rc=$?
		case "${f##*/}" in
		secrets.conf)
			ok $((rc != 1)) "secrets.conf: dsn: tables are not kept (exit 1, got $rc)"
			! grep -q S3cret "$work/bad.out" "$work/bad.err"
			ok $? "secrets.conf: no password on stdout or stderr" ;;
		*)
			ok $((rc != 2 || $(wc -c <"$work/bad.out") != 0)) \
			    "${f##*/}: refused with exit 2 and nothing on stdout (exit $rc)"
			sed 's/^/#   /' "$work/bad.err" ;;
		esac
	done
	"$DKIMTOOL" migrate "$work/no-such.conf" >"$work/bad.out" 2>&1
	ok $(($? != 2)) "an unreadable file: exit 2"
	"$DKIMTOOL" migrate >"$work/bad.out" 2>&1
	ok $(($? != 2)) "no file named: exit 2 (usage)"
}
refused

# the remote sender's keys and messages, signed by dkimtool
: >"$work/records"
genkey "$work/remote" remote.example r1 rsa &&
    genkey "$work/remote" remote.example r2 ed25519 &&
    genkey "$work/remote" remote.example gone rsa ||
    { echo "Bail out! dkimtool genkey failed"; exit 1; }
sed -i '/^gone\._domainkey/d' "$work/records"
mkdir -p "$work/msg"
cp "$data/msg/"*.eml "$work/msg/"
(
	cd "$work/msg" &&
	"$DKIMTOOL" sign -d remote.example -s r1 -k "$work/remote/r1.private" \
	    in.eml >in-good.eml &&
	"$DKIMTOOL" sign -a ed25519-sha256 -d remote.example -s r2 \
	    -k "$work/remote/r2.private" in.eml >in-ed.eml &&
	"$DKIMTOOL" sign -d remote.example -s gone \
	    -k "$work/remote/gone.private" in.eml >in-nokey.eml &&
	sed 's/attached below/attached above/' in-good.eml >in-bad.eml
) || { echo "Bail out! dkimtool sign failed"; exit 1; }

"$DKIMD" -K >"$work/classes" ||
    { echo "Bail out! dkimd -K failed"; exit 1; }
echo "# set-up took $(( $(date +%s) - started )) s"
confs=
for d in "$data"/*/; do
	d=${d%/}
	[ -f "$d/opendkim.conf" ] || continue
	case " ${MIGRATE_ONLY:-${d##*/}} " in *" ${d##*/} "*) ;; *) continue ;; esac
	confs="$confs ${d##*/}"
	copy_conf "${d##*/}"
	if [ -f "$d/keygen" ]; then
		while read -r dom sel alg; do
			case "$dom" in ''|'#'*) continue ;; esac
			genkey "$work/${d##*/}/keys" "$dom" "$sel" "$alg" ||
			    { echo "Bail out! genkey $dom $sel"; exit 1; }
		done <"$d/keygen"
	fi
done
dns_start "$work/records" "$work" || { echo "Bail out! dnsmasq"; exit 1; }
cat >"$work/unbound.conf" <<EOT
server:
	do-not-query-localhost: no
	module-config: "iterator"
	verbosity: 0
forward-zone:
	name: "."
	forward-addr: 127.0.0.1@$DNS_PORT
EOT

for name in $confs; do
	migrate "$name"
	compare "$name"
done

reap
echo "# $((n)) points, $(( $(date +%s) - started )) s"
echo "1..$n"
exit $fail
