# lib.sh - helpers of t/it-docs.sh and t/it-docs-postfix.sh (sourced)
#
#	. "$(dirname "$0")/docs/lib.sh"	sets here, top, DKIMD, DKIMTOOL
#	docs_records DIR		"NAME VALUE" lines for t/lib/dns.sh,
#					from every DIR/DOMAIN/SELECTOR.txt
#					that dkimtool genkey wrote
#	dkimd_run CONF PORT LOG		start dkimd -f -c CONF (log appended
#					to LOG), set DKIMD_PID; 0 once it
#					listens on 127.0.0.1:PORT (5 s at most)
#	dkimd_stop			stop it by its PID
#
# DKIMD and DKIMTOOL come from the environment (make's, or run-all's),
# else from $top_builddir, and are made absolute.

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
top_builddir=${top_builddir:-.}
DKIMD=${DKIMD:-$top_builddir/milter/dkimd}
DKIMTOOL=${DKIMTOOL:-$top_builddir/tools/dkimtool}
case "$DKIMD" in /*) ;; *) DKIMD=$(pwd)/$DKIMD ;; esac
case "$DKIMTOOL" in /*) ;; *) DKIMTOOL=$(pwd)/$DKIMTOOL ;; esac
DKIMD_PID=

docs_records()
{
	local f d s
	for f in "$1"/*/*.txt; do
		d=$(basename "$(dirname "$f")")
		s=$(basename "$f" .txt)
		printf '%s._domainkey.%s %s\n' "$s" "$d" \
		    "$(grep -o '"[^"]*"' "$f" | tr -d '"\n')"
	done
}

dkimd_run()
{
	"$DKIMD" -f -c "$1" >>"$3" 2>&1 &
	DKIMD_PID=$!
	for _ in $(seq 50); do
		/usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $2), 1)" \
		    2>/dev/null && return 0
		kill -0 "$DKIMD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

dkimd_stop()
{
	[ -n "$DKIMD_PID" ] || return 0
	kill "$DKIMD_PID" 2>/dev/null
	wait "$DKIMD_PID" 2>/dev/null
	DKIMD_PID=
}
