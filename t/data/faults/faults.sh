# faults.sh - shell helpers of the fault and soak tests (sourced)
#
#	faults_init NAME	work directory, keys, tables, signed message;
#				sets work, DKIMD, DKIMTOOL, MFAULT
#	fake_start ZONE		t/dnsfake.py on a free port of 127.0.0.1;
#				sets FAKE_PORT, FAKE_PID
#	dkimd_start LINES...	dkimd -f on a free port with the base
#				configuration plus LINES; sets PORT, DKIMD_PID
#	dkimd_stop		SIGTERM, then SIGKILL after 15 s, by PID
#	proc_fds, proc_rss_kb, proc_threads	of dkimd, from /proc
#	sanitizer_clean		0 when dkimd's log has no sanitizer report
#
# Uses ok, skip_all and free_port from t/milter/lib.sh. Every process is
# started here and stopped by its PID (faults_cleanup, on EXIT).
# Needs: python3 at /usr/bin/python3; dkimd and dkimtool built.

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
MFAULT="/usr/bin/python3 $top_srcdir/t/data/faults/mfault.py"
DKIMD_PID=
FAKE_PID=

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

faults_cleanup() {
	dkimd_stop
	if [ -n "$FAKE_PID" ]; then
		kill "$FAKE_PID" 2>/dev/null
		wait "$FAKE_PID" 2>/dev/null
	fi
	[ -n "${work:-}" ] && [ -z "${KEEP:-}" ] && rm -rf "$work"
}

faults_init() {
	[ -x "$DKIMD" ] || skip_all "no dkimd at $DKIMD"
	[ -x "$DKIMTOOL" ] || skip_all "no dkimtool at $DKIMTOOL"
	[ -x /usr/bin/python3 ] || skip_all "no /usr/bin/python3"
	work=$(mktemp -d "/tmp/$1.XXXXXX")
	trap faults_cleanup EXIT
	trap 'exit 1' INT TERM HUP
	mkdir -p "$work/keys"
	"$DKIMTOOL" genkey -d example.com -s sel1 -D "$work/keys" >/dev/null
	chmod 600 "$work/keys/"*.private
	echo "sel1 example.com:sel1:$work/keys/sel1.private" >"$work/key.table"
	echo "*@example.com sel1" >"$work/signing.table"
	KEYREC=$(zone_to_records "$work/keys/sel1.txt" | cut -d' ' -f2-)
	/usr/bin/python3 -c '
import sys
sys.path.insert(0, sys.argv[1])
import mfault
open(sys.argv[2], "wb").write(mfault.MESSAGE)' "$top_srcdir/t/data/faults" \
	    "$work/plain.eml"
	"$DKIMTOOL" sign -d example.com -s sel1 -k "$work/keys/sel1.private" \
	    "$work/plain.eml" >"$work/signed.eml"
}

# fake_start ZONE-TEXT - the zone is the text given, one fact a line
fake_start() {
	printf '%s\n' "$1" >"$work/zone"
	FAKE_PORT=$(free_port)
	rm -f "$work/fake.pid"
	/usr/bin/python3 "$top_srcdir/t/dnsfake.py" --port "$FAKE_PORT" \
	    --zone "$work/zone" --lifetime "${FAKE_LIFETIME:-900}" \
	    --pidfile "$work/fake.pid" --log "$work/queries.log" \
	    >"$work/fake.log" 2>&1 &
	FAKE_PID=$!
	for _ in $(seq 1 50); do
		[ -s "$work/fake.pid" ] && return 0
		sleep 0.1
	done
	return 1
}

dkimd_start() {
	PORT=$(free_port)
	{
		cat <<EOT
Socket			inet:$PORT@127.0.0.1
KeyTable		file:$work/key.table
SigningTable		refile:$work/signing.table
AuthservID		mx.test
Nameservers		127.0.0.1:${FAKE_PORT:-9}
DNSTimeout		${DNS_TIMEOUT:-2}
Syslog			no
LogWhy			yes
# "many" holds 1000 connections of one user (root) at once: above the
# default per-user cap of 512, which t/it-conn.sh tests
MaxConnectionsPerPeer	1024
EOT
		printf '%s\n' "$@"
	} >"$work/dkimd.conf"
	DKIMD_START_TRIES=${DKIMD_START_TRIES:-100} \
	    dkimd_launch "$work/dkimd.conf" "$work/dkimd.log"
}

dkimd_stop() {
	dkimd_halt
}

proc_fds() { ls "/proc/$DKIMD_PID/fd" 2>/dev/null | wc -l; }
proc_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$DKIMD_PID/status"; }
proc_threads() { awk '/^Threads:/ {print $2}' "/proc/$DKIMD_PID/status"; }

# sanitizer_clean - 0 unless a sanitizer or valgrind reported something
sanitizer_clean() {
	! grep -q -E "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:|ERROR SUMMARY: [1-9]|definitely lost: [1-9]" \
	    "$work/dkimd.log"
}

# alive - dkimd still runs
alive() { kill -0 "$DKIMD_PID" 2>/dev/null; }
