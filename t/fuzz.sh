#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer targets in fuzz/ and run each for a while
#
#   t/fuzz.sh [SECONDS]     default 30 per target (FUZZ_SECONDS overrides)
#
# Targets are built with clang, -fsanitize=fuzzer,address,undefined, from
# the engine's sources directly (the automake build uses gcc). Each runs
# on a copy of its seed corpus in fuzz/corpus/NAME; a crash leaves its
# input in the work directory and fails the run. Output is TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-30}}
work=$(mktemp -d /tmp/dkimd-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
targets="sig keyrec canon ar msg dns arout conf table"
n=0; fail=0
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
CFLAGS="$CFLAGS -I$top/dkimcore -I$top/t -I$top/milter -I$top/fuzz"
CFLAGS="$CFLAGS -DVECTORS=\"$top/t/data/vectors\""
engine=$(ls "$top"/dkimcore/*.c)
# conf and table also need libdkimconf (its sources as Makefile.am lists
# them) and the database client libraries it links
conflib=$(sed -n '/^milter_libdkimconf_a_SOURCES/,/[^\\]$/p' \
    "$top/Makefile.am" | tr -d '\\' | tr ' \t' '\n' | grep '\.c$' |
    sed "s|^|$top/|")
for p in sqlite3 libmariadb libpq; do
	conflib="$conflib $(pkg-config --cflags --libs $p 2>/dev/null)"
done
for t in $targets; do
	n=$((n + 1))
	extra=
	case $t in conf|table) extra=$conflib;; esac
	if ! clang $CFLAGS "$top/fuzz/fuzz_$t.c" $extra $engine -o "$work/fuzz_$t" \
	    -lcrypto -lresolv -lpthread 2>"$work/build_$t.log"; then
		echo "not ok $n - fuzz_$t builds"; cat "$work/build_$t.log" | sed 's/^/# /' | head -20
		fail=$((fail + 1)); continue
	fi
	mkdir -p "$work/corpus_$t"
	cp "$top/fuzz/corpus/$t/"* "$work/corpus_$t/" 2>/dev/null
	if (cd "$work" && timeout $((secs + 60)) ./fuzz_$t -max_total_time="$secs" \
	    -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
	    "corpus_$t" >"$work/run_$t.log" 2>&1); then
		runs=$(grep -o 'Done [0-9]* runs' "$work/run_$t.log" | awk '{print $2}')
		echo "ok $n - fuzz_$t: ${secs}s, ${runs:-?} inputs, no crash"
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
