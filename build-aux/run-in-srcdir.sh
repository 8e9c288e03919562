#!/bin/sh
# run-in-srcdir.sh - run one test with the source tree as its working folder
#
# Usage (as LOG_COMPILER in Makefile.am): run-in-srcdir.sh TEST [ARGS...]
# Unit tests open their data as t/data/..., relative to the top of the
# source tree; builds out of tree (CI's, make distcheck's) run them from the
# build tree. This wrapper makes TEST's path absolute, changes to
# $top_srcdir (exported by AM_TESTS_ENVIRONMENT) and runs it; a TEST that
# ends in .sh is run with bash.
set -e
test=$1
shift
case $test in
/*) ;;
*) test=$(pwd)/$test ;;
esac
cd "${top_srcdir:?run-in-srcdir.sh: top_srcdir is not set}"
case $test in
*.sh) exec bash "$test" "$@" ;;
*) exec "$test" "$@" ;;
esac
