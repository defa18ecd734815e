#!/usr/bin/env bash
# Builds if needed and runs the whole test suite through ctest.
#   scripts/test.sh             Release build in build/
#   scripts/test.sh --sanitize  ASan + UBSan build in build-sanitize/
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
if [ "${1:-}" = "--sanitize" ]; then
  export BUILD_DIR=build-sanitize BUILD_TYPE=RelWithDebInfo
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  scripts/build.sh -DQDQRT_SANITIZE=ON
else
  export BUILD_DIR=build
  scripts/build.sh
fi
cd "$BUILD_DIR"
ctest --output-on-failure -j 2
