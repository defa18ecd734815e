#!/usr/bin/env bash
# Builds every tests/fuzz/fuzz_*.cpp with clang + libFuzzer (ASan, UBSan) in
# build-fuzz, seeds corpora from tests/fixtures, runs each target for SECONDS
# and prints executions per target. Exit status 1 if any target found a crash.
# usage: scripts/fuzz.sh [SECONDS per target, default 60]
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-fuzz
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQDQRT_FUZZ=ON >/dev/null
targets=()
for f in "$root"/tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
ninja -C "$build" "${targets[@]}"

seeds=$build/fuzz-seeds corpus=$build/fuzz-corpus logs=$build/fuzz-logs art=$build/fuzz-artifacts
rm -rf "$seeds"
python3 "$root/scripts/fuzz_seeds.py" "$root/tests/fixtures" "$seeds"
mkdir -p "$corpus" "$logs" "$art"

max_len_for() {
  case $1 in
    fuzz_safetensors | fuzz_unpickler) echo 65536 ;;
    fuzz_config) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

status=0
summary=""
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t" "$seeds/$t"
  log=$logs/$t.log
  echo "== $t: ${secs}s"
  # Scratch files of targets that touch the file system go to memory when possible.
  tmp=/dev/shm; [ -d $tmp ] && [ -w $tmp ] || tmp=${TMPDIR:-/tmp}
  if TMPDIR=$tmp ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz/$t" "$corpus/$t" "$seeds/$t" -max_total_time="$secs" -max_len="$(max_len_for "$t")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/$t-" >"$log" 2>&1; then
    result=ok
  else
    result="CRASH (see $log, artifacts in $art)"
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  line=$(printf '%-20s execs %-10s %-10s %s' "$t" "$execs" "$cov" "$result")
  echo "$line"
  summary+="$line"$'\n'
done
echo
echo "== summary"
printf '%s' "$summary"
exit $status
