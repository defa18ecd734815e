#!/usr/bin/env bash
# (1) Killing `quantize` at any moment leaves the destination absent or complete.
# (2) Same inputs, same thread count: bit-identical outputs across runs.
# Usage: atomic_and_deterministic.sh QDQRT FIXTURES
set -euo pipefail
Q=$1; F=$2; S=$F/qdqbert-seqcls
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=2

# --- (1) kill quantize at several points in its run ---------------------------
"$Q" quantize -q --model "$S" --amax "$S/amax_max.json" --out "$T/ref"
ref_files=$(cd "$T/ref" && ls | sort | tr '\n' ' ')
for delay in 0.02 0.05 0.1 0.2 0.3 0.5 0.8; do
  dst="$T/killed_$delay"
  "$Q" quantize -q --model "$S" --amax "$S/amax_max.json" --out "$dst" &
  pid=$!
  sleep "$delay"; kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  if [ -e "$dst" ]; then
    got=$(cd "$dst" && ls | sort | tr '\n' ' ')
    [ "$got" = "$ref_files" ] || { echo "FAIL: killed after ${delay}s: $dst has '$got', want '$ref_files'"; exit 1; }
    cmp -s "$dst/model.safetensors" "$T/ref/model.safetensors" || { echo "FAIL: killed after ${delay}s: incomplete model"; exit 1; }
    echo "killed after ${delay}s: complete"
  else
    echo "killed after ${delay}s: absent"
  fi
done
# A failed run (bad amax) must not leave the destination behind either.
echo '{}' > "$T/empty_amax.json"
if "$Q" quantize -q --model "$S" --amax "$T/empty_amax.json" --out "$T/failed" 2>/dev/null; then
  echo "FAIL: quantize accepted an empty amax table"; exit 1
fi
[ ! -e "$T/failed" ] || { echo "FAIL: failed quantize left $T/failed"; exit 1; }

# --- (2) determinism ------------------------------------------------------------
for run in 1 2; do
  "$Q" forward -q --model "$S" --precision int8 --amax "$S/amax_max.json" \
      --tensors-in "$S/inputs.safetensors:test" --tensors-out "$T/fwd_$run.safetensors"
  "$Q" encode -q --model "$S" --batch-size 2 -o "$T/enc_$run.jsonl" "first text" "a second, longer text here" "third"
  "$Q" calibrate -q --model "$S" --method entropy --tensors-in "$S/inputs.safetensors:calib0" \
      --tensors-in "$S/inputs.safetensors:calib1" --out "$T/amax_$run.json"
  "$Q" generate -q --model "$F/prophetnet" --do-sample --seed 7 --max-new-tokens 8 \
      -o "$T/gen_$run.jsonl" "some source text" "another one"
done
for f in fwd enc amax gen; do
  ext=$(ls "$T" | grep "^${f}_1" | sed 's/.*\.//')
  cmp -s "$T/${f}_1.$ext" "$T/${f}_2.$ext" || { echo "FAIL: $f output differs between identical runs"; exit 1; }
done
echo "deterministic: forward, encode, calibrate, sampled generate"
echo "ok"
