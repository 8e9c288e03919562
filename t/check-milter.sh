#!/usr/bin/env bash
# check-milter.sh - `make check`'s run of the daemon: t/it-milter.sh (the
# built dkimd driven by miltertest) when miltertest is installed, else a
# TAP skip that says why. Run by the TAP driver with the environment of
# AM_TESTS_ENVIRONMENT (top_srcdir, top_builddir, DKIMD, DKIMTOOL); the
# suite works in a directory of its own under /tmp, so a read-only
# source tree (make distcheck) is fine.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
if ! command -v miltertest >/dev/null 2>&1; then
	echo "1..0 # SKIP miltertest not installed"
	exit 0
fi
exec bash "$top_srcdir/t/it-milter.sh"
