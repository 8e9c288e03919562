#!/usr/bin/env bash
# arc-suite.sh - `make check`'s run of the open ARC validation suite
# (t/data/arc/arc-validation-tests.yml): every scenario through the
# engine's chain validation, TAP from t/test_arc, skips counted there.
# Needs python3 with PyYAML (python3-yaml) to read the suite.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-.}
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-yaml not installed"
	exit 0
fi
dir=$(mktemp -d /tmp/arc-suite.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
python3 "$top_srcdir/t/arc-suite.py" \
    "$top_srcdir/t/data/arc/arc-validation-tests.yml" "$dir" || exit 1
"$top_builddir/t/test_arc" "$dir"
