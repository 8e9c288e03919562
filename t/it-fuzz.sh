#!/usr/bin/env bash
# it-fuzz.sh - the fuzz targets for a bounded time in the test run
# (FUZZ_SECONDS each, default 20; `make fuzz` runs them longer).
exec bash "$(dirname "$0")/fuzz.sh" "${FUZZ_SECONDS:-20}"
