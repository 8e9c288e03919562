#!/usr/bin/env bash
# t/run-all.sh - everything CI runs: deps, two builds, all tests, one total
#
# Usage: bash t/run-all.sh
# 1. ci/install-deps.sh (quick when nothing is missing; skip with
#    DKIMD_SKIP_DEPS=1);
# 2. autoreconf -fi in the source tree;
# 3. build out of tree with --enable-werror and run `make check`;
# 4. `make distcheck` of the first build (one test point: the tarball
#    builds and passes make check out of a read-only source tree);
# 5. a second build with --enable-werror --enable-sanitizers, `make check`
#    (4, 5 and the build of 7 run at the lowest CPU priority beside 6);
# 6. every t/it-*.sh and t/*/it-*.sh script, each under timeout
#    (IT_TIMEOUT seconds, default 300, or what the script's line
#    "# it-timeout: SECONDS" says), against the first build, through
#    automake's TAP driver; they get top_srcdir, top_builddir, DKIMTOOL
#    and DKIMD in their environment; t/it-dkimtool.sh, t/it-milter*.sh,
#    t/milter/it-postfix*.sh, t/it-sendmail.sh and the attack suites
#    (it-author, it-conn, it-key-safety, it-secrets, it-dns-flood) run
#    against the sanitizer build too. The fuzz run (IT_BACKGROUND) goes on beside the
#    others at the lowest CPU priority.
# 7. a third, lean build with --disable-sockio (libmilter still confined,
#    milter/sockio.c on its plain path): configure must say so, and
#    t/it-confine.sh, t/it-milter.sh and t/milter/it-postfix.sh run on it.
# The last line is "N passed, N failed", the sum of all TAP test points
# of all runs (a build that fails counts as one failed point). Exit status
# 0 only when nothing failed. Build trees live in a temporary directory,
# removed at the end unless KEEP=1.
set -uo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
work=$(mktemp -d /tmp/dkimd-run-all.XXXXXX)
buildfail=0

cleanup() {
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

section() { printf '\n==== %s ==== (%d s)\n' "$*" "$SECONDS"; }

# build NAME CONFIGURE-ARGS... - configure and make in $work/NAME
build() {
	local name=$1
	shift
	section "build $name: configure $*"
	mkdir -p "$work/$name"
	(cd "$work/$name" && "$srcdir/configure" "$@" >configure.out 2>&1 &&
		make -j"$jobs" >make.out 2>&1)
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "run-all: build $name FAILED"
		tail -n 40 "$work/$name/configure.out" "$work/$name/make.out" 2>/dev/null
		buildfail=$((buildfail + 1))
	fi
	return $rc
}

# check NAME - make check in $work/NAME; show the logs of what failed.
# The test programs are built with make -k first: one that does not build
# is one failure, and the others still run.
check() {
	local name=$1 b=$work/$1 t tests= progs= all
	section "make check ($name)"
	(cd "$b" && make -k -j"$jobs" $(make -s print-check-programs) \
	    >build-tests.out 2>&1)
	for t in $(cd "$b" && make -s print-tests); do
		if [ -f "$b/$t" ]; then
			tests="$tests $t"
			progs="$progs $t"
		elif [ -f "$srcdir/$t" ]; then
			tests="$tests $t"
		else
			echo "run-all: $t did not build:"
			grep -E -B2 -A8 "${t}[.]|${t#t/}[.]c" "$b/build-tests.out" |
			    grep -E 'error|No rule' | head -n 10
			buildfail=$((buildfail + 1))
		fi
	done
	(cd "$b" && make -j"$jobs" check TESTS="$tests" \
	    check_PROGRAMS="$progs" >check.out 2>&1)
	local rc=$?
	grep -E '^# (TOTAL|PASS|FAIL|ERROR|XPASS|SKIP):' "$work/$name/check.out" |
		sed 's/^/  /'
	if [ $rc -ne 0 ]; then
		echo "run-all: make check ($name) FAILED"
		grep -v -E '^(PASS|SKIP|XFAIL): ' "$work/$name/check.out" | tail -n 30
		# the logs of the failing programs
		grep -l -E '^:test-result: (FAIL|ERROR|XPASS)' \
		    $(find "$work/$name" -name '*.trs') 2>/dev/null |
		while read -r trs; do
			echo "--- ${trs%.trs}.log"
			tail -n 40 "${trs%.trs}.log"
		done
		# a check that failed without any failed test point: a build error
		if ! grep -q -E '^:test-result: (FAIL|ERROR|XPASS)' \
		    $(find "$work/$name" -name '*.trs') /dev/null 2>/dev/null; then
			buildfail=$((buildfail + 1))
		fi
	fi
}

# it_run BUILD DIR T - run integration script T against build tree BUILD
# through the TAP driver (log and .trs in DIR); its seconds in DIR/NAME.secs
it_run() {
	local b=$1 dir=$2 t=$3 name start=$SECONDS limit
	name=$(echo "$t" | tr '/' '_')
	# a script may ask for more time with a line "# it-timeout: SECONDS"
	limit=$(sed -n 's/^# it-timeout: *\([0-9][0-9]*\).*/\1/p' \
	    "$srcdir/$t" | head -n 1)
	env top_srcdir="$srcdir" top_builddir="$b" \
	    DKIMTOOL="$b/tools/dkimtool" DKIMD="$b/milter/dkimd" \
	    AM_TAP_AWK=awk \
	    "$SHELL_BIN" "$srcdir/build-aux/tap-driver.sh" \
	    --test-name "$t" --log-file "$dir/$name.log" \
	    --trs-file "$dir/$name.trs" --color-tests no -- \
	    timeout -k 60 "${limit:-${IT_TIMEOUT:-300}}" bash "$srcdir/$t" \
	    >/dev/null 2>&1
	echo $((SECONDS - start)) > "$dir/$name.secs"
}

# it_report DIR T - one line for script T; its failures when it had any
it_report() {
	local dir=$1 t=$2 name
	name=$(echo "$t" | tr '/' '_')
	touch "$dir/$name.trs"
	printf '  %s: %d passed, %d failed (%s s)\n' "$t" \
	    "$(grep -c -E '^:test-result: (PASS|SKIP|XFAIL)' "$dir/$name.trs")" \
	    "$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$dir/$name.trs")" \
	    "$(cat "$dir/$name.secs" 2>/dev/null)"
	if grep -q -E '^:test-result: (FAIL|ERROR|XPASS)' "$dir/$name.trs"; then
		echo "--- $dir/$name.log (failures)"
		grep -E -A6 '^not ok|^Bail out|^ERROR' "$dir/$name.log" |
		    grep -v -E '^(PASS|FAIL|ERROR): ' | head -n 80
	fi
}

# integration NAME [GLOB] - run every it-*.sh script (or those matching
# GLOB) against build NAME. Scripts in IT_BACKGROUND (default the fuzz
# run: fixed-length, CPU-bound, no ports, no timing checks) run at the
# same time as the others, at the lowest CPU priority, so that they take
# no time from the ones that measure or wait.
integration() {
	local b=$work/$1 dir=$work/it-$1 glob=${2:-it-*.sh} t bg= pids=
	local background=${IT_BACKGROUND-t/it-fuzz.sh}
	section "integration tests (build $1: $glob)"
	mkdir -p "$dir"
	for t in $(find t -name "$glob" -type f | sort); do
		case " $background " in
		*" $t "*)
			nice -n 19 bash -c "$(declare -f it_run); srcdir='$srcdir'; \
			    SHELL_BIN='$SHELL_BIN'; it_run '$b' '$dir' '$t'" &
			pids="$pids $!"
			bg="$bg $t" ;;
		esac
	done
	for t in $(find t -name "$glob" -type f | sort); do
		case " $background " in
		*" $t "*) continue ;;
		esac
		it_run "$b" "$dir" "$t"
		it_report "$dir" "$t"
	done
	for t in $pids; do
		wait "$t"
	done
	for t in $bg; do
		it_report "$dir" "$t"
	done
}

# distcheck NAME - make distcheck in $work/NAME, one test point in a .trs
distcheck() {
	local name=$1 res=PASS
	section "make distcheck ($name)"
	if ! (cd "$work/$name" &&
	    make distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror \
	    >distcheck.out 2>&1); then
		res=FAIL
		grep -E '^(FAIL|ERROR):|\*\*\*|rror' "$work/$name/distcheck.out" |
			tail -n 30
	fi
	echo "  make distcheck: $res"
	printf ':test-result: %s\n' "$res" > "$work/$name/distcheck.trs"
}

SHELL_BIN=$(command -v bash)

if [ "${DKIMD_SKIP_DEPS:-0}" != 1 ]; then
	section "dependencies"
	bash "$srcdir/ci/install-deps.sh" || buildfail=$((buildfail + 1))
fi

section "autoreconf"
if ! autoreconf -fi >"$work/autoreconf.out" 2>&1; then
	cat "$work/autoreconf.out"
	echo "run-all: autoreconf FAILED"
	echo "0 passed, 1 failed"
	exit 1
fi

# background - what needs CPU but no quiet machine: make distcheck of the
# plain build and the sanitizer and --disable-sockio builds with their
# make check, at the lowest CPU priority while the plain build's
# integration tests run (they mostly wait on daemons and time-outs).
# Its output is shown after them; its failed builds counted in a file.
background() {
	distcheck plain
	if build sanitizers --enable-werror --enable-sanitizers; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		check sanitizers
		unset ASAN_OPTIONS UBSAN_OPTIONS
	fi
	build nosockio --enable-werror --disable-sockio
	echo "$buildfail" > "$work/background.fail"
}

if build plain --enable-werror; then
	check plain
	buildfail_fg=$buildfail
	buildfail=0
	(renice -n 19 -p "$BASHPID" >/dev/null 2>&1; background) \
	    > "$work/background.out" 2>&1 < /dev/null &
	bgpid=$!
	integration plain
	wait "$bgpid"
	cat "$work/background.out"
	buildfail=$((buildfail_fg + $(cat "$work/background.fail" 2>/dev/null ||
	    echo 1)))
	if [ -x "$work/sanitizers/milter/dkimd" ]; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		# dkimtool and dkimd under ASan and UBSan, end to end: dkimd
		# driven by miltertest, by broken MTA clients, by Postfix and
		# by Sendmail
		integration sanitizers it-dkimtool.sh
		integration sanitizers 'it-milter*.sh'
		integration sanitizers it-postfix.sh
		integration sanitizers it-postfix-sasl.sh
		integration sanitizers it-sendmail.sh
		# the attacks of the trust boundaries, under the sanitizers
		integration sanitizers it-author.sh
		integration sanitizers it-conn.sh
		integration sanitizers it-key-safety.sh
		integration sanitizers it-secrets.sh
		integration sanitizers it-dns-flood.sh
		unset ASAN_OPTIONS UBSAN_OPTIONS
	fi
	if [ -x "$work/nosockio/milter/dkimd" ]; then
		res=PASS
		grep -q 'sockio: the plain path' \
		    "$work/nosockio/configure.out" || res=FAIL
		echo "  configure --disable-sockio says the plain path: $res"
		printf ':test-result: %s\n' "$res" > "$work/nosockio/plain.trs"
		integration nosockio it-confine.sh
		integration nosockio it-milter.sh
		integration nosockio it-postfix.sh
	fi
fi

# Sum the test points of every run: tap-driver.sh writes one
# ":test-result:" line per point into each .trs file.
trs=$(find "$work" -name '*.trs' -not -path '*/_build/*')
passed=0
failed=0
if [ -n "$trs" ]; then
	passed=$(cat $trs | grep -c -E '^:test-result: (PASS|SKIP|XFAIL)')
	failed=$(cat $trs | grep -c -E '^:test-result: (FAIL|ERROR|XPASS)')
fi
failed=$((failed + buildfail))
section "summary"
for f in $trs; do
	c=$(grep -c -E '^:test-result: (FAIL|ERROR|XPASS)' "$f")
	[ "$c" -eq 0 ] || echo "  failed: $c in ${f#"$work"/}"
done
[ "$buildfail" -eq 0 ] || echo "  failed: $buildfail builds or steps"
[ "${KEEP:-0}" = 1 ] && echo "run-all: build trees kept in $work"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
