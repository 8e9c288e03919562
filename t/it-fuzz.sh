#!/usr/bin/env bash
# it-fuzz.sh - the fuzz targets for a bounded time in the test run
# (FUZZ_SECONDS each, default 8; `make fuzz` runs them longer). It runs
# at the lowest priority beside the other scripts and the background
# builds, so its build and 15 targets may take long on a busy machine:
# it-timeout: 900
exec bash "$(dirname "$0")/fuzz.sh" "${FUZZ_SECONDS:-8}"
