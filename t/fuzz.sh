#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets in fuzz/ and run each for a while
#
#   t/fuzz.sh [SECONDS]     default 30 per target (FUZZ_SECONDS overrides)
#
# Targets are built with clang, -fsanitize=fuzzer,address,undefined, from
# the engine's sources directly (the automake build uses gcc); the
# sources are compiled once, to objects every target links. Each target
# first replays its regression inputs, fuzz/regress/NAME/* (one file per
# crash ever found, named for the bug: a replay that crashes is a failed
# test point), then fuzzes a copy of its seed corpus fuzz/corpus/NAME. A
# crash found leaves its input in fuzz/crashes/ and fails the run; turn
# it into a regression input once fixed. FUZZ_TARGETS limits the run to
# some targets; FUZZ_MERGE=1 merges what a run found that adds coverage
# into fuzz/corpus/NAME (libFuzzer's -merge=1). Output is TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-30}}
work=$(mktemp -d /tmp/dkimd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
targets=${FUZZ_TARGETS:-"sig keyrec canon ar msg dns arout conf table addr dbname authz update arc"}
n=0; fail=0
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
# the engine is compiled seeing only dkimcore/ (as Makefile.am builds it);
# libdkimconf and the targets add milter/, t/ and fuzz/
ENGINE_CFLAGS="-g -O1 -I$top/dkimcore"
CFLAGS="$ENGINE_CFLAGS -I$top/t -I$top/milter -I$top/fuzz"
CFLAGS="$CFLAGS -DVECTORS=\"$top/t/data/vectors\" -DARCDATA=\"$top/t/data/arc\""
# conf and table also need libdkimconf (its sources as Makefile.am lists
# them) and the database client libraries it links
conflib=$(sed -n '/^milter_libdkimconf_a_SOURCES/,/[^\\]$/p' \
    "$top/Makefile.am" | tr -d '\\' | tr ' \t' '\n' | grep '\.c$' |
    sed "s|^|$top/|")
dbflags=
# the back ends' part of config.h (configure.ac's DK_DB_BACKEND): a
# module pkg-config knows is built, the others refuse their tables
: >"$work/config.h"
for p in sqlite3:SQLITE3:SQLITE libmariadb:MARIADB:MARIADB libpq:LIBPQ:PGSQL; do
	if pkg-config --exists "${p%%:*}" 2>/dev/null; then
		dbflags="$dbflags $(pkg-config --cflags --libs "${p%%:*}")"
		p=${p#*:}
		echo "#define HAVE_${p%%:*} 1" >>"$work/config.h"
	else
		echo "#define DB_${p##*:}_ABSENT \"not in the fuzzing build\"" \
		    >>"$work/config.h"
	fi
done
CFLAGS="$CFLAGS -I$work"

# objects SRC... - compile each source once (coverage, sanitizers), in
# parallel, with $OBJ_CFLAGS (default $CFLAGS); prints the object files
objects() {
	mkdir -p "$work/obj"
	printf '%s\n' "$@" | xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} \
	    sh -c 'o="$1/obj/$(basename "$2" .c).o"; clang $3 -c "$2" -o "$o" ||
	    echo "$2" >>"$1/obj/failed"' _ "$work" {} \
	    "${OBJ_CFLAGS:-$CFLAGS} $SAN -fsanitize=fuzzer-no-link $dbflags" \
	    2>>"$work/obj/build.log"
	for s in "$@"; do
		echo "$work/obj/$(basename "$s" .c).o"
	done
}
engine=$(OBJ_CFLAGS=$ENGINE_CFLAGS objects "$top"/dkimcore/*.c)
conflibo=$(objects $conflib)
if [ -s "$work/obj/failed" ]; then
	echo "not ok 1 - the engine and libdkimconf build for fuzzing"
	sed 's/^/# /' "$work/obj/build.log" | head -20
	echo "1..1"
	exit 1
fi

for t in $targets; do
	extra=
	case $t in conf|table|dbname|authz) extra="$conflibo $dbflags" ;; esac
	if ! clang $CFLAGS $SAN -fsanitize=fuzzer "$top/fuzz/fuzz_$t.c" \
	    $extra $engine -o "$work/fuzz_$t" -lcrypto -lresolv -pthread \
	    2>"$work/build_$t.log"; then
		n=$((n + 1))
		echo "not ok $n - fuzz_$t builds"
		sed 's/^/# /' "$work/build_$t.log" | head -20
		fail=$((fail + 1)); continue
	fi
	if [ -d "$top/fuzz/regress/$t" ]; then
		n=$((n + 1))
		if (cd "$work" && timeout 300 ./fuzz_$t -runs=1 \
		    "$top/fuzz/regress/$t"/* >"$work/regress_$t.log" 2>&1); then
			echo "ok $n - fuzz_$t: $(ls "$top/fuzz/regress/$t" | wc -l) regression inputs replayed, no crash"
		else
			echo "not ok $n - fuzz_$t: a regression input crashes again"
			grep -E 'Running:|ERROR|SUMMARY|#[0-3] ' "$work/regress_$t.log" |
			    tail -n 20 | sed 's/^/# /'
			fail=$((fail + 1))
		fi
	fi
	n=$((n + 1))
	mkdir -p "$work/corpus_$t"
	cp "$top/fuzz/corpus/$t/"* "$work/corpus_$t/" 2>/dev/null
	if (cd "$work" && timeout $((secs + 60)) ./fuzz_$t -max_total_time="$secs" \
	    -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	    "corpus_$t" >"$work/run_$t.log" 2>&1); then
		runs=$(grep -o 'Done [0-9]* runs' "$work/run_$t.log" | awk '{print $2}')
		echo "ok $n - fuzz_$t: ${secs}s, ${runs:-?} inputs, no crash"
		# FUZZ_MERGE=1 (long runs, make fuzz): the inputs that add
		# coverage go back into the seed corpus, to be committed
		if [ "${FUZZ_MERGE:-0}" = 1 ]; then
			before=$(ls "$top/fuzz/corpus/$t" | wc -l)
			(cd "$work" && ./fuzz_$t -merge=1 -max_len=65536 \
			    -rss_limit_mb=2048 -timeout=10 \
			    "$top/fuzz/corpus/$t" "corpus_$t" \
			    >"$work/merge_$t.log" 2>&1)
			echo "# fuzz_$t: corpus $before -> $(ls "$top/fuzz/corpus/$t" | wc -l) inputs"
		fi
	else
		echo "not ok $n - fuzz_$t found a crash"
		grep -E 'ERROR|SUMMARY|#0|#1|#2|#3' "$work/run_$t.log" | head -20 | sed 's/^/# /'
		for c in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do
			[ -f "$c" ] && mkdir -p "$top/fuzz/crashes" && cp "$c" "$top/fuzz/crashes/$t-$(basename "$c")"
		done
		fail=$((fail + 1))
	fi
done
echo "1..$n"
exit $((fail > 0))
