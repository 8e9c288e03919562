#!/usr/bin/env bash
# it-metrics-db.sh - the key table metrics follow a database going down
# and coming back (TAP)
#
# dkimd signs example.com with its KeyTable and SigningTable in SQLite
# (ttl=0: every message asks the database) and serves metrics on a free
# port of 127.0.0.1. Signed messages show as SigningTable lookups found,
# database queries answered and timed, the database up. Then the
# signing table is renamed away (every query fails, as with a server
# gone): a message passes unsigned with the reason key_db_down, the
# lookup counts as down and dkimd_table_database_up goes to 0, which is
# what the DkimdKeyDatabaseDown alert watches. Renamed back, the next
# message is signed and the database is up again. No label names the
# database, its path or a user.
#
# Needs: sqlite3. Environment: DKIMD, DKIMTOOL, LOADGEN.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
. "$top_srcdir/t/milter/lib.sh"

for p in "$DKIMD" "$DKIMTOOL" "$LOADGEN"; do
	[ -x "$p" ] || skip_all "no $p"
done
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"
command -v curl >/dev/null || skip_all "curl not installed"

T=$(mktemp -d /tmp/it-metrics-db.XXXXXX) || exit 1
DKIMD_PID=
cleanup() {
	dkimd_halt
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

DB=$T/keys.db
sqlite3 "$DB" <"$top_srcdir/etc/schema/sqlite.sql" &&
    "$DKIMTOOL" key add --db "sqlite:$DB" -d example.com -s sel --generate \
    >/dev/null
ok $? "a SQLite key database with a key for example.com"
DK=$(free_port)
MP=$(free_port)
cat >"$T/dkimd.conf" <<EOT
Socket		inet:$DK@127.0.0.1
KeyTable	sqlite:$DB?ttl=0
SigningTable	sqlite:$DB?ttl=0
MetricsSocket	inet:$MP
SenderAuthorization none
Syslog		no
EOT
printf 'From: <user@example.com>\r\nTo: a@example.net\r\nSubject: db\r\n\r\nhello\r\n' \
    >"$T/m.eml"
dkimd_launch "$T/dkimd.conf" "$T/dkimd.log"
ok $? "dkimd starts with both tables in SQLite and a MetricsSocket"
URL=http://127.0.0.1:$MP/metrics
scrape() { curl -s -m 10 "$URL" >"$T/$1"; }
# v FILE SERIES - its value in a scrape
v() { awk -v k="$2" '$1 == k { print $2 }' "$T/$1"; }

send() {	# send N SIGS - N messages, each with SIGS signatures wanted
	"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n "$1" -f "$T/m.eml" \
	    --mode sign --sigs "$2" >>"$T/lg" 2>&1
}

send 5 1
ok $? "5 messages signed with the database's key"
scrape s1
q=$(v s1 'dkimd_table_database_queries_total{result="ok"}')
[ "$(v s1 'dkimd_table_lookups_total{result="found"}')" = 5 ] &&
    [ "$(v s1 dkimd_table_keys)" = 1 ] &&
    [ "$(v s1 'dkimd_table_database_up')" = 1 ] &&
    [ "${q:-0}" -ge 5 ] &&
    [ "$(v s1 'dkimd_table_database_query_duration_seconds_count')" = "$q" ]
ok $? "5 lookups found, 1 key cached, database up, $q queries answered and each timed once"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/s1" >"$T/promtool" 2>&1
	ok $? "promtool check metrics passes with the table families"
	sed 's/^/#   /' "$T/promtool" | head -5
fi

/usr/bin/python3 "$top_srcdir/t/lib/metric_names.py" "$top_srcdir" "$T/s1" \
    'dkimd_table_[a-z_]+' >"$T/names" 2>&1
ok $? "the dashboard and the rules name only table metrics served ($(cat "$T/names"))"

# the database breaks: every query fails as with a server gone
# (a domain already looked up would still be signed from the cache,
# DB_STALE_RETRY: a new one, which no cache can answer)
sqlite3 "$DB" "ALTER TABLE dkim_signing RENAME TO gone"
sed 's/^From: .*/From: <user@new.example>\r/' "$T/m.eml" >"$T/new.eml"
"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n 1 -f "$T/new.eml" \
    --mode sign --sigs 0 >>"$T/lg" 2>&1
ok $? "with the database failing, a new sender's message passes unsigned"
scrape s2
f=$(v s2 'dkimd_table_database_queries_total{result="failed"}')
[ "$(v s2 'dkimd_table_database_up')" = 0 ] &&
    [ "$(v s2 'dkimd_table_lookups_total{result="down"}')" = 1 ] &&
    [ "$(v s2 'dkimd_messages_unsigned_total{reason="key_db_down"}')" = 1 ] &&
    [ "${f:-0}" -ge 1 ]
ok $? "database_up 0, one lookup down, one unsigned for key_db_down, $f failed queries"
grep -q "$T\|keys\.db\|example" "$T/s2"
[ $? = 1 ]
ok $? "no label names the database, its path or a domain"

# the file gone too: the reconnection (after its back-off) fails, and
# counts as a failed query
mv "$DB" "$DB.away"
f2=$f
for _ in $(seq 1 40); do
	sleep 0.5
	"$LOADGEN" -s "inet:$DK@127.0.0.1" -c 1 -n 1 -f "$T/new.eml" \
	    --mode sign --sigs 0 >>"$T/lg" 2>&1
	scrape s4
	f2=$(v s4 'dkimd_table_database_queries_total{result="failed"}')
	[ "${f2:-0}" -gt "$f" ] && break
done
[ "${f2:-0}" -gt "$f" ] && [ "$(v s4 dkimd_table_database_up)" = 0 ]
ok $? "the database file gone: the failed reconnection counts ($f -> $f2 failed), still down"
mv "$DB.away" "$DB"

# back: after the reconnection back-off
sqlite3 "$DB" "ALTER TABLE gone RENAME TO dkim_signing"
up=
for _ in $(seq 1 30); do
	sleep 0.5
	send 1 1 || continue
	scrape s3
	up=$(v s3 'dkimd_table_database_up')
	[ "$up" = 1 ] && break
done
[ "$up" = 1 ] && [ "$(v s3 'dkimd_table_lookups_total{result="found"}')" -ge 6 ]
ok $? "the database back: a message signed and database_up 1 again"
kill -0 "$DKIMD_PID" 2>/dev/null
ok $? "dkimd is still running"
dkimd_halt
dkimd_sanitizer "$T/dkimd.log"
[ $fail -ne 0 ] && sed 's/^/# /' "$T/dkimd.log" "$T/lg" | tail -20
echo "1..$n"
exit $fail
