#!/usr/bin/env bash
# it-nodb-build.sh - dkimd builds without the database -dev packages (TAP)
# it-timeout: 480
#
# Configures the source tree out of tree in a temporary directory with a
# pkg-config that answers "not found" for sqlite3, libmariadb and libpq
# and passes every other question to the real one. The headers stay in
# /usr/include, so what this proves is that no back end includes them
# unless configure said so: configure's notice says all three "no",
# config.h defines none of HAVE_SQLITE3, HAVE_MARIADB, HAVE_LIBPQ, the
# dependency files of milter/db_*.c name no client header, and the
# binaries name no client function. Then the attack a configuration
# could make on such a build: a sqlite:, mysql:// or postgresql:// table
# given to `dkimd -t` or to `dkimtool key list` is a configuration error
# (exit status not 0) that says how to get the back end, never a crash;
# a configuration with file tables still passes `dkimd -t`. With
# --with-sqlite, a missing SQLite stops configure.
# Only milter/dkimd and tools/dkimtool are built (nice, -j2). With
# --without-pgsql alone, configure keeps the other two (when the real
# pkg-config has them). Sizes and times are TAP comments.
# Environment: top_srcdir (read-only is fine), DKIMD (the full build's
# dkimd, for the contrast), default under $top_builddir.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
n=0
fail=0

# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"

if [ ! -x "$top_srcdir/configure" ]; then
	echo "1..0 # SKIP no configure in $top_srcdir (run autoreconf -fi)"
	exit 0
fi
real_pc=$(command -v pkg-config) || {
	echo "1..0 # SKIP no pkg-config"
	exit 0
}
tmp=$(mktemp -d /tmp/it-nodb-build.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# the pkg-config that has no database client library
cat >"$tmp/pkg-config" <<EOT
#!/bin/sh
for a in "\$@"; do
	case \$a in
	sqlite3|sqlite3[!a-z0-9_-]*|libmariadb|libmariadb[!a-z0-9_-]*|libpq|libpq[!a-z0-9_-]*)
		echo "Package \$a was not found (it-nodb-build.sh)" >&2
		exit 1 ;;
	esac
done
exec "$real_pc" "\$@"
EOT
chmod +x "$tmp/pkg-config"

# expect NAME WANT-STATUS PATTERN CMD... - CMD's status is WANT-STATUS
# ("!0": any but 0) and its output (both streams) matches PATTERN
expect() {
	local name=$1 want=$2 pat=$3 out st good=1
	shift 3
	out=$("$@" 2>&1)
	st=$?
	case $want in
	!0) [ "$st" -ne 0 ] || good=0 ;;
	*) [ "$st" -eq "$want" ] || good=0 ;;
	esac
	if [ $good = 1 ] && printf '%s\n' "$out" | grep -q -F -- "$pat"; then
		ok 0 "$name"
	else
		ok 1 "$name"
		printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
		echo "#   status $st, wanted $want and \"$pat\""
	fi
}

b=$tmp/b
mkdir -p "$b"
start=$SECONDS
(cd "$b" && nice "$top_srcdir/configure" --enable-werror \
    PKG_CONFIG="$tmp/pkg-config" >configure.out 2>&1)
ok $? "configure succeeds without sqlite3.pc, libmariadb.pc, libpq.pc"
secs_conf=$((SECONDS - start))
notice="database back ends: sqlite no (sqlite3.pc not found: install libsqlite3-dev), mariadb no (libmariadb.pc not found: install libmariadb-dev), pgsql no (libpq.pc not found: install libpq-dev)"
grep -q -F -- "$notice" "$b/configure.out"
ok $? "configure's notice: all three back ends no, with the package to install"
grep -E '^#define (HAVE_SQLITE3|HAVE_MARIADB|HAVE_LIBPQ) ' "$b/config.h" >/dev/null 2>&1
ok $((! $?)) "config.h defines no back end"

start=$SECONDS
(cd "$b" && nice make -j2 milter/dkimd tools/dkimtool >make.out 2>&1)
st=$?
ok $st "make milter/dkimd tools/dkimtool (-Werror) without the client headers"
[ $st = 0 ] || tail -n 30 "$b/make.out" | sed 's/^/#   /'
secs_make=$((SECONDS - start))
echo "# no-DB build: configure ${secs_conf} s, make dkimd+dkimtool ${secs_make} s"

# the compiler's own record of the headers each back end read
deps=$(find "$b/milter/.deps" -name '*-db_sqlite.Po' -o \
    -name '*-db_mysql.Po' -o -name '*-db_pgsql.Po' 2>/dev/null | wc -l)
hdrs=$(cat "$b"/milter/.deps/*.Po "$b"/tools/.deps/*.Po 2>/dev/null |
    grep -c -E '/(sqlite3|mysql|mysqld_error|libpq-fe)\.h')
[ "$deps" -eq 3 ] && [ "$hdrs" -eq 0 ]
ok $? "no object read sqlite3.h, mysql.h, mysqld_error.h or libpq-fe.h ($deps back ends' dependency files, $hdrs hits)"

nodb=$b/milter/dkimd
tool=$b/tools/dkimtool
funcs='sqlite3_open_v2|mysql_real_connect|PQconnectdbParams'
if [ -x "$nodb" ]; then
	strings "$nodb" | grep -q -E "^($funcs)\$"
	ok $((! $?)) "the no-DB dkimd names no client function ($funcs)"
	strings "$nodb" | grep -q -F "configure found no sqlite3.h; install libsqlite3-dev and rebuild"
	ok $? "the no-DB dkimd carries the reason for a sqlite: table"
else
	ok 1 "the no-DB dkimd names no client function (not built)"
	ok 1 "the no-DB dkimd carries the reason (not built)"
fi
# the contrast: the same check finds the functions in the full build
if [ -x "$DKIMD" ] && strings "$DKIMD" | grep -q -E "^($funcs)\$"; then
	ok 0 "contrast: the full build's dkimd names the client functions"
	echo "# dkimd size: full build $(stat -c %s "$DKIMD") bytes, no-DB build $(stat -c %s "$nodb" 2>/dev/null) bytes"
else
	echo "ok $((n += 1)) # SKIP no full build with the back ends at $DKIMD"
fi

# a configuration: key and file tables, then the same with database ones
mkdir -p "$tmp/c/keys"
"$tool" genkey -d example.com -s sel -a ed25519 -D "$tmp/c/keys" >/dev/null 2>&1
ok $? "dkimtool genkey (no-DB build)"
printf 'sel._domainkey.example.com example.com:sel:%s\n' \
    "$tmp/c/keys/sel.private" >"$tmp/c/key.table"
printf '*@example.com sel._domainkey.example.com\n' >"$tmp/c/signing.table"
# conf TABLE-SPEC KEYTABLE-SPEC - write $tmp/c/dkimd.conf
conf() {
	cat >"$tmp/c/dkimd.conf" <<EOT
Socket		inet:$(free_port)@127.0.0.1
KeyTable	$2
SigningTable	$1
EOT
}
conf "refile:$tmp/c/signing.table" "file:$tmp/c/key.table"
expect "no-DB dkimd -t: file tables still pass" 0 "" \
    "$nodb" -c "$tmp/c/dkimd.conf" -t

why="this dkimd was built without"
conf "sqlite:$tmp/x.db" "sqlite:$tmp/x.db"
expect "attack: no-DB dkimd -t: a sqlite: table is a configuration error" \
    '!0' "sqlite: $why SQLite support (configure found no sqlite3.h; install libsqlite3-dev and rebuild)" \
    "$nodb" -c "$tmp/c/dkimd.conf" -t
[ ! -e "$tmp/x.db" ]
ok $? "... and no database file was made"
conf "mysql://dkim@127.0.0.1/dkim" "mysql://dkim@127.0.0.1/dkim"
expect "attack: no-DB dkimd -t: a mysql:// table is a configuration error" \
    '!0' "mysql: $why MariaDB support (configure found no mysql.h; install libmariadb-dev and rebuild)" \
    "$nodb" -c "$tmp/c/dkimd.conf" -t
conf "postgresql://dkim@127.0.0.1/dkim" "file:$tmp/c/key.table"
expect "attack: no-DB dkimd -t: a postgresql:// SigningTable is a configuration error" \
    '!0' "postgresql: $why PostgreSQL support (configure found no libpq-fe.h; install libpq-dev and rebuild)" \
    "$nodb" -c "$tmp/c/dkimd.conf" -t
expect "no-DB dkimtool key list --db sqlite: fails, saying why" \
    '!0' "sqlite: $why SQLite support" \
    "$tool" key list --db "sqlite:$tmp/x.db"
conf "postgresql://dkim@127.0.0.1/dkim" "postgresql://dkim@127.0.0.1/dkim"
expect "no-DB dkimtool rotate -c CONF fails, saying why" \
    '!0' "postgresql: $why PostgreSQL support" \
    "$tool" rotate -c "$tmp/c/dkimd.conf" -d example.com --auto

# --with-sqlite asks for it: a missing one is then an error
mkdir -p "$tmp/y"
(cd "$tmp/y" && nice "$top_srcdir/configure" --with-sqlite \
    PKG_CONFIG="$tmp/pkg-config" >configure.out 2>&1)
st=$?
[ $st -ne 0 ] && grep -q -F -- "--with-sqlite: no (sqlite3.pc not found: install libsqlite3-dev)" \
    "$tmp/y/configure.out"
ok $? "configure --with-sqlite without sqlite3.pc stops, saying why (status $st)"

# --without-pgsql only: the other two stay (configure only)
if "$real_pc" --exists sqlite3 libmariadb libpq 2>/dev/null; then
	mkdir -p "$tmp/w"
	(cd "$tmp/w" && nice "$top_srcdir/configure" --without-pgsql \
	    >configure.out 2>&1)
	grep -q -F "database back ends: sqlite yes, mariadb yes, pgsql no (--without-pgsql)" \
	    "$tmp/w/configure.out" &&
	    grep -q -F '#define DB_PGSQL_ABSENT "configured --without-pgsql"' \
	    "$tmp/w/config.h" &&
	    grep -q '^#define HAVE_SQLITE3 1' "$tmp/w/config.h"
	ok $? "configure --without-pgsql: pgsql no, the other two built"
else
	echo "ok $((n += 1)) # SKIP the database -dev packages are not all installed"
fi

echo "1..$n"
exit $fail
