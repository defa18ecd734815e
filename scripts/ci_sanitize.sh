#!/usr/bin/env bash
# The sanitized part of CI, sized to fit beside the fresh-machine run: one clang build with ASan, UBSan
# and libFuzzer's coverage instrumentation (build-ci-san/), then
#   1. the unit tests of the parsers of outside bytes: test_io (safetensors, zip, unpickler, npy, JSONL,
#      checkpoints), test_text (tokenizers, all fixture cases) and test_quant's amax-table files (JSON and
#      safetensors tables, float-quantizer lists);
#   2. tests/cli/errors.sh: every bad input of docs/errors.md against the sanitized binary;
#   3. every fuzz target for SECONDS (default 15) from the fixture seeds.
# Any sanitizer report fails the step (halt_on_error, abort_on_error). The whole suite under sanitizers
# (scripts/test.sh --sanitize) takes about 24 minutes and is not part of CI.
# usage: scripts/ci_sanitize.sh [SECONDS per fuzz target]
set -euo pipefail
secs=${1:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-ci-san
t0=$(date +%s)
# -O0 with line tables: the sanitized code only has to be fast enough for small parser tests and short fuzz runs;
# the build is what costs time here (2 cores), and line tables keep the sanitizers' stack traces readable.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=None \
  -DCMAKE_CXX_FLAGS="-O0 -gline-tables-only" -DQDQRT_FUZZ=ON -DQDQRT_BENCH=OFF >/dev/null
fuzz_targets=()
for f in "$root"/tests/fuzz/fuzz_*.cpp; do fuzz_targets+=("$(basename "$f" .cpp)"); done
ninja -C "$build" test_io test_text test_quant qdqrt "${fuzz_targets[@]}" >"$build/ninja.log" 2>&1 ||
  { grep -v '^\[' "$build/ninja.log" >&2; echo "ci-sanitize: the sanitized build failed" >&2; exit 1; }
t1=$(date +%s)
echo "ci-sanitize: build ${fuzz_targets[*]} and tests: $((t1 - t0)) s" >&2

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OMP_NUM_THREADS=2
"$build/tests/test_io"
"$build/tests/test_text"
"$build/tests/test_quant" --source-file='*amax_table_test.cpp,*float_quantizer_test.cpp'  # the amax-table parsers
bash "$root/tests/cli/errors.sh" "$build/qdqrt" "$root/tests/fixtures"
t2=$(date +%s)
echo "ci-sanitize: sanitized tests: $((t2 - t1)) s" >&2

# Fuzz: seeds from the fixtures, a fresh corpus each run, a fixed time per target.
seeds=$build/fuzz-seeds corpus=$build/fuzz-corpus art=$build/fuzz-artifacts
rm -rf "$seeds" "$corpus"; mkdir -p "$corpus" "$art"
python3 "$root/scripts/fuzz_seeds.py" "$root/tests/fixtures" "$seeds"
tmp=/dev/shm; [ -d $tmp ] && [ -w $tmp ] || tmp=${TMPDIR:-/tmp}
status=0
for t in "${fuzz_targets[@]}"; do
  mkdir -p "$corpus/$t" "$seeds/$t"
  case $t in fuzz_safetensors | fuzz_unpickler) len=65536 ;; fuzz_config) len=16384 ;; *) len=4096 ;; esac
  log=$build/$t.log
  if TMPDIR=$tmp "$build/fuzz/$t" "$corpus/$t" "$seeds/$t" -max_total_time="$secs" -max_len=$len -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/$t-" >"$log" 2>&1; then
    echo "ci-sanitize: $t ok, $(grep -o 'number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') execs in ${secs} s" >&2
  else
    echo "ci-sanitize: $t FAILED; its log:" >&2; tail -n 40 "$log" >&2; status=1
  fi
done
echo "ci-sanitize: fuzz: $(($(date +%s) - t2)) s; total $(($(date +%s) - t0)) s" >&2
exit $status
