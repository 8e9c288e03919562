#!/usr/bin/env bash
# it-fuzz.sh - the fuzz targets for a bounded time in the test run
# (FUZZ_SECONDS each, default 8, so that the 14 targets and their build
# fit the run's 300 s per script at the lowest priority; `make fuzz` runs
# them longer).
exec bash "$(dirname "$0")/fuzz.sh" "${FUZZ_SECONDS:-8}"
