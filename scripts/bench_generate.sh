#!/bin/bash
# New tokens/s of `qdqrt generate` on a random prophetnet-large-sized model
# (hidden 1024, 12+12 layers, 16 heads, ffn 4096, vocab 30522): 64 new tokens
# after a 32-token prompt (causal LM) or a 256-token source (encoder-decoder),
# greedy and beam 4, batch 1 and 8, fp32, int8 and bf16 greedy (max calibration on the
# calib_* batches of inputs.safetensors). Figures come from generate's own
# info line: decode tokens/s counts the steps after the first token (inputs x
# steps / their wall time); "first" is encoder + prompt pass + first token.
# Usage: scripts/bench_generate.sh [BUILD_DIR] [arch:group:beams:precision ...]
# Start-up first: load time and peak RSS, fp32 vs int8 directory (LOAD_ONLY=1: only that).
# QUICK=1 runs fewer configs. OMP_WAIT_POLICY defaults to passive: libgomp's
# spinning threads otherwise eat the cores on a shared machine (measured 10x
# slower decoding under load; see the note in DESIGN/report).
set -euo pipefail
BUILD=${1:-build}; shift || true
BIN=$BUILD/qdqrt; MK=$BUILD/make_random_prophetnet
DIR=${BENCH_MODEL_DIR:-/tmp/qdqrt_bench_prophetnet_large}
if [ ! -f "$DIR/model.safetensors" ] || ! grep -q calib_causal "$DIR/inputs.safetensors"; then "$MK" "$DIR"; fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
CL=ProphetNetForCausalLM; CG=ProphetNetForConditionalGeneration
amax() {  # arch -> amax table (calibrated once)
  local f=/tmp/qdqrt_bench_amax_$1.json group=calib_causal
  [ "$1" = ProphetNetForConditionalGeneration ] && group=calib_seq2seq
  [ -f "$f" ] || "$BIN" calibrate -q -m "$DIR" --arch "$1" --method max --tensors-in "$DIR/inputs.safetensors:$group" -o "$f"
  echo "$f"
}
run() {  # arch group beams precision -> "first_s tok_per_s"
  local extra=() line
  [ "$4" = int8 ] && extra=(--precision int8 --amax "$(amax "$1")")
  [ "$4" = bf16 ] && extra=(--precision bf16)
  line=$("$BIN" generate -m "$DIR" --arch "$1" --tensors-in "$DIR/inputs.safetensors:$2" \
    --tensors-out /tmp/qdqrt_bench_out.safetensors --num-beams "$3" --max-new-tokens 64 --min-new-tokens 64 \
    --batch-size 8 "${extra[@]}" 2>&1 >/dev/null | grep "generate: .* new tokens/s")
  sed -E 's/.*first token ([0-9.]+) s.* ([0-9.]+) new tokens\/s.*/\1 \2/' <<<"$line"
}
# Start-up: load + one new token, whole process (wall, peak RSS), fp32 checkpoint vs its int8
# directory (`qdqrt quantize` with the seq2seq table). Page cache warm (one untimed run each first);
# times move with the machine's load, RSS does not.
QDIR=${DIR}_int8
[ -f "$QDIR/model.safetensors" ] || "$BIN" quantize -q -m "$DIR" --amax "$(amax $CG)" -o "$QDIR"
load_row() {  # model_dir -> "wall rss_mb"
  local log=/tmp/qdqrt_bench_load.log
  /usr/bin/time -v "$BIN" -q generate -m "$1" --arch $CG --tensors-in "$DIR/inputs.safetensors:b1_src256" \
    --tensors-out /tmp/qdqrt_bench_out.safetensors --max-new-tokens 1 2>"$log" >/dev/null || { cat "$log" >&2; return 1; }
  echo "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)/\1/p' "$log")" \
    "$(($(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$log") / 1024))"
}
load_row "$DIR" >/dev/null; load_row "$QDIR" >/dev/null
read -r LW LR <<<"$(load_row "$DIR")"
read -r QW QR <<<"$(load_row "$QDIR")"
CK=$(($(stat -c %s "$DIR/model.safetensors") / 1048576)); QK=$(($(stat -c %s "$QDIR/model.safetensors") / 1048576))
echo "start-up (load + 1 new token, $CG, b1_src256), page cache warm:"
printf "  %-6s %10s %10s %12s\n" model "file MB" wall "peak RSS MB" fp32 "$CK" "$LW" "$LR" int8 "$QK" "$QW" "$QR"
python3 -c "print(f'  int8/fp32 peak RSS {$QR/$LR:.2f}x; fp32 peak RSS / checkpoint {$LR/$CK:.2f}x')"
[ "${LOAD_ONLY:-0}" = 1 ] && exit 0
echo

DEFAULT="$CL:b1_prompt32:1:fp32 $CL:b1_prompt32:4:fp32 $CL:b8_prompt32:1:fp32
$CG:b1_src256:1:fp32 $CG:b1_src256:4:fp32 $CG:b8_src256:1:fp32
$CL:b1_prompt32:1:int8 $CL:b1_prompt32:4:int8 $CL:b8_prompt32:1:int8
$CG:b1_src256:1:int8 $CG:b1_src256:4:int8 $CG:b8_src256:1:int8"
# bf16 where the CPU runs it natively (qdqrt refuses it elsewhere).
if "$BIN" -q generate -m "$DIR" --arch $CL --precision bf16 --tensors-in "$DIR/inputs.safetensors:b1_prompt32" \
  --tensors-out /tmp/qdqrt_bench_out.safetensors --max-new-tokens 1 2>/dev/null; then
  DEFAULT="$DEFAULT $CL:b1_prompt32:1:bf16 $CG:b1_src256:1:bf16 $CG:b8_src256:1:bf16"
fi
CONFIGS=${*:-$DEFAULT}
# QUICK: the causal LM, greedy and beam 4, fp32 beside int8 (its cross-attention quantizers see no
# calibration data and stay in float; every other quant point runs int8).
[ "${QUICK:-0}" = 1 ] && CONFIGS="$CL:b1_prompt32:1:fp32 $CL:b1_prompt32:1:int8 $CL:b1_prompt32:4:fp32 $CL:b1_prompt32:4:int8"
printf "%-36s %-12s %5s %9s %9s %12s\n" model input beams precision first_s new_tok/s
for c in $CONFIGS; do
  IFS=: read -r arch group beams prec <<<"$c"
  read -r first tps <<<"$(run "$arch" "$group" "$beams" "$prec")"
  printf "%-36s %-12s %5s %9s %9s %12s\n" "$arch" "$group" "$beams" "$prec" "$first" "$tps"
done
