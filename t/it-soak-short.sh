#!/usr/bin/env bash
# it-soak-short.sh - the short version of bench/soak.sh, for CI (TAP)
#
# bench/soak.sh --quick: about 60 s of mixed signing and verification,
# hostile messages included, through bench/loadgen; every reply checked,
# dkimd's descriptors no more at the end than at the start and its RSS
# within bounds. Then, when valgrind is installed, bench/soak.sh
# --valgrind 3: three messages of each kind through dkimd under memcheck,
# no error and no leaked block.
#
# Environment: DKIMD, DKIMTOOL, LOADGEN, top_srcdir, top_builddir;
# SOAK_SECONDS (default 60).
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
export top_srcdir top_builddir
LOADGEN=${LOADGEN:-$top_builddir/bench/loadgen}
export LOADGEN
# shellcheck source=t/milter/lib.sh
. "$top_srcdir/t/milter/lib.sh"
[ -x "$LOADGEN" ] || skip_all "no loadgen at $LOADGEN"
out=$(mktemp /tmp/it-soak-short.XXXXXX)
trap 'rm -f "$out"' EXIT

# field KEY - a key=value from soak.sh's "soak" lines
field() { sed -n "s/^soak .*\<$1=\([^ ]*\).*/\1/p" "$out" | tail -n 1; }

bash "$top_srcdir/bench/soak.sh" --quick --seconds "${SOAK_SECONDS:-60}" \
    >"$out" 2>&1
rc=$?
grep '^#' "$out" | tail -n 8
grep '^soak ' "$out" | sed 's/^/# /'
[ -n "$(field messages)" ] && [ "$(field failed)" = 0 ]
ok $? "soak: $(field messages) mixed messages in $(field seconds) s, every reply as expected"
[ -n "$(field fds_end)" ] && [ "$(field fds_end)" -le "$(field fds_start)" ]
ok $? "soak: open descriptors $(field fds_start) at the start, $(field fds_end) at the end"
[ "$(field verdict)" = flat ]
ok $? "soak: RSS $(field rss_start_kb) kB at the start, $(field rss_end_kb) kB at the end (max $(field rss_max_kb))"
[ $rc -eq 0 ]
ok $? "soak: bench/soak.sh exits 0"

if command -v valgrind >/dev/null; then
	bash "$top_srcdir/bench/soak.sh" --quick --valgrind 3 >"$out" 2>&1
	rc=$?
	grep '^#' "$out" | tail -n 12
	[ $rc -eq 0 ] && [ "$(field verdict)" = clean ]
	ok $? "valgrind memcheck: $(field messages) messages, no error, nothing definitely or indirectly lost"
else
	echo "ok $((n + 1)) # SKIP valgrind not installed"
	n=$((n + 1))
fi
echo "1..$n"
exit $fail
