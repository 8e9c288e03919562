#!/usr/bin/env bash
# ci/format-check.sh - do the C sources match .clang-format? (one TAP point)
#
# Usage: bash ci/format-check.sh [SRCDIR]
# Runs `clang-format --dry-run -Werror` over dkimcore/, milter/ and tools/
# (*.c, *.h: the files `make format` rewrites) and prints TAP: one point,
# ok when no file would change. Otherwise it names each file and how many
# of its lines clang-format would change, and the total; `make format`
# (or clang-format -i -style=file FILE) fixes them. No clang-format
# installed: a skip, not a pass.
set -u
src=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$src" || exit 1
echo "1..1"
if ! command -v clang-format >/dev/null 2>&1; then
	echo "ok 1 # SKIP clang-format not installed"
	exit 0
fi
echo "# $(clang-format --version)"
bad=0 lines=0 files=0
for f in dkimcore/*.[ch] milter/*.[ch] tools/*.[ch]; do
	[ -f "$f" ] || continue
	files=$((files + 1))
	if ! clang-format --dry-run -Werror -style=file "$f" >/dev/null 2>&1; then
		n=$(clang-format -style=file "$f" | diff "$f" - | grep -c '^<')
		echo "# $f: $n lines differ from .clang-format"
		bad=$((bad + 1))
		lines=$((lines + n))
	fi
done
if [ "$bad" -eq 0 ]; then
	echo "ok 1 - all $files C files match .clang-format"
else
	echo "not ok 1 - $bad of $files C files ($lines lines) differ from .clang-format (make format)"
	exit 1
fi
