#!/usr/bin/env bash
# An interrupted run leaves nothing behind (issue 17, "Signals"): SIGINT, SIGTERM (what Slurm sends at a
# time limit) and SIGHUP during encode, generate, calibrate and quantize with -o, sent at several points of
# the run, leave no output and no temporary, print "interrupted by SIG...", and end with 128 + the signal;
# a run the signal did not reach is complete. Records already streamed to stdout are whole and as many as
# the message says. Usage: signals.sh QDQRT FIXTURES
set -uo pipefail
Q=$1; F=$2
S=$F/qdqbert-seqcls PN=$F/prophetnet
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=2
fail() { echo "FAIL: $*"; exit 1; }

python3 - "$T" <<'PY'
import sys
T = sys.argv[1]
words = "the license steward of a package keeps its copyright file up to date".split()
with open(T + "/many.txt", "w") as f:
    for i in range(3000):
        f.write(" ".join(words[(i + j) % len(words)] for j in range(40)) + "\n")
with open(T + "/gen.txt", "w") as f:
    for i in range(400):
        f.write(" ".join(words[(i + j) % len(words)] for j in range(12)) + "\n")
PY

sig_num() { case $1 in INT) echo 2;; TERM) echo 15;; HUP) echo 1;; esac; }

# check NAME SIG DELAY OUTPUT -- command...: run, signal after DELAY seconds, check what is left.
check() {
  local name=$1 sig=$2 delay=$3 out=$4; shift 5
  local dir; dir=$(dirname "$out")
  rm -rf "$out"
  timeout --preserve-status -s "$sig" "$delay" "$@" 2>"$T/err" >/dev/null; local rc=$?
  local left; left=$(ls -A "$dir" | grep -E '\.tmp\.|\.new\.' || true)
  [ -z "$left" ] || fail "$name SIG$sig after ${delay}s: left temporaries: $left"
  if [ $rc -eq 0 ]; then
    [ -e "$out" ] || fail "$name finished (exit 0) without writing $out"
    echo "$name SIG$sig after ${delay}s: finished first, output complete"
    return
  fi
  [ $rc -eq $((128 + $(sig_num "$sig"))) ] || fail "$name SIG$sig after ${delay}s: exit $rc, want $((128 + $(sig_num "$sig"))): $(head -3 "$T/err")"
  if [ -e "$out" ]; then
    # The signal came after the output was committed (renamed into place): it is whole, and the
    # message must not call it unwritten.
    grep -q "$out.* not written" "$T/err" && fail "$name SIG$sig after ${delay}s: $out exists but is called not written"
    echo "$name SIG$sig after ${delay}s: interrupted after the output was committed"
    return
  fi
  grep -q "interrupted by SIG$sig: \(.*, \)\?$out\(, .*\)\? not written" "$T/err" ||
    fail "$name SIG$sig: no 'interrupted by' line naming the output: $(cat "$T/err")"
  echo "$name SIG$sig after ${delay}s: interrupted cleanly"
}

mkdir -p "$T/o"
for d in 0.3 0.8 1.5; do
  check encode INT "$d" "$T/o/e.jsonl" -- "$Q" encode -m "$S" -i "$T/many.txt" -o "$T/o/e.jsonl"
  check encode-npy TERM "$d" "$T/o/e.safetensors" -- "$Q" encode -m "$S" -i "$T/many.txt" -o "$T/o/e.safetensors"
  check generate TERM "$d" "$T/o/g.jsonl" -- "$Q" generate -m "$PN" --max-new-tokens 16 -i "$T/gen.txt" -o "$T/o/g.jsonl"
  check calibrate HUP "$d" "$T/o/a.json" -- "$Q" calibrate -m "$S" --method entropy -i "$T/many.txt" -o "$T/o/a.json"
done
for d in 0.05 0.15 0.3 0.6; do
  check quantize TERM "$d" "$T/o/int8" -- "$Q" quantize -m "$S" --amax "$S/amax_max.json" -o "$T/o/int8"
done
# --force over an existing directory: interrupted, the old directory stays as it was (here: empty).
for d in 0.05 0.15 0.3 0.6; do
  rm -rf "$T/o/int8f"; mkdir -p "$T/o/int8f"
  timeout --preserve-status -s INT "$d" "$Q" quantize -m "$S" --amax "$S/amax_max.json" -o "$T/o/int8f" --force 2>"$T/err"; rc=$?
  left=$(ls -A "$T/o" | grep -E '\.tmp\.|\.new\.' || true)
  [ -z "$left" ] || fail "quantize --force SIGINT after ${d}s: left $left"
  if [ $rc -eq 0 ]; then
    [ -f "$T/o/int8f/model.safetensors" ] || fail "quantize --force finished without a model"
  else
    [ $rc -eq 130 ] || fail "quantize --force SIGINT: exit $rc"
    [ -z "$(ls -A "$T/o/int8f")" ] || fail "quantize --force interrupted: the old directory changed: $(ls "$T/o/int8f")"
  fi
done

# Streaming to stdout: what was written is whole records, as many as the message says.
timeout --preserve-status -s TERM 2.5 "$Q" encode -m "$S" -b 1 -i "$T/many.txt" >"$T/stream.jsonl" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ]; then
  [ $rc -eq 143 ] || fail "stdout stream: exit $rc"
  n=$(sed -n 's/.*stdout has the first \([0-9]*\) records.*/\1/p' "$T/err")
  [ -n "$n" ] || fail "stdout stream: no record count in: $(cat "$T/err")"
  [ "$(wc -l < "$T/stream.jsonl" | tr -d ' ')" = "$n" ] || fail "stdout has $(wc -l < "$T/stream.jsonl") lines, message says $n"
  python3 -c "
import json, sys
for i, l in enumerate(open('$T/stream.jsonl')):
    json.loads(l)
" || fail "stdout stream: a partial record"
  echo "stdout stream: $n whole records before SIGTERM"
fi
echo "signals: ok"
