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
# Then the read bandwidth of this machine, measured in the same run (a 1 GB array summed by
# OMP_NUM_THREADS threads, best of 5), and per batch-1 greedy row the fraction of the memory bound:
# decoder forwards/s x weight bytes one forward reads (decoder layers without the cross-attention
# a causal LM never runs, plus the LM head; 1 byte per int8 weight, 2 bf16, 4 fp32) / bandwidth.
# Speculative rows (SPEC=0 skips them): --speculative streams and prompt lookup beside plain greedy on
# the trained models (TRAINED=dir of ../shared/fixtures/trained: prophetnet-synopsis on its first
# SPEC_RECORDS dev sources, prophetnet-lm on its dev prompts) and on the random large model, with
# acceptance and tokens per forward from generate's own log.
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
run() {  # arch group beams precision [generate args...] -> "first_s tok_per_s forwards_per_s accept tok_per_fwd"
  local extra=() log a=$1 g=$2 b=$3 p=$4
  shift 4
  [ "$p" = int8 ] && extra=(--precision int8 --amax "$(amax "$a")")
  [ "$p" = bf16 ] && extra=(--precision bf16)
  log=$("$BIN" generate -m "$DIR" --arch "$a" --tensors-in "$DIR/inputs.safetensors:$g" \
    --tensors-out /tmp/qdqrt_bench_out.safetensors --num-beams "$b" --max-new-tokens 64 --min-new-tokens 64 \
    --batch-size 8 "${extra[@]}" "$@" 2>&1 >/dev/null)
  parse_log "$log"
}
parse_log() {  # generate's log -> "first_s tok_per_s forwards_per_s accept tok_per_fwd" (- when not speculative)
  python3 - "$1" <<'PY'
import re, sys
log = sys.argv[1]
m = re.search(r'first token ([0-9.]+) s, (\d+) new tokens, decode ([0-9.]+) s, ([0-9.]+) new tokens/s', log)
if not m: sys.exit('no throughput line in: ' + log)
first, inputs_new, dec, tps = float(m[1]), int(m[2]), float(m[3]), float(m[4])
inputs = int(re.search(r'generate: (\d+) inputs', log)[1])
s = re.search(r'speculative: (\d+) forwards .* \(acceptance ([0-9.]+)\), ([0-9.]+) tokens per row forward', log)
if s: fps, acc, tpf = int(s[1]) / dec if dec > 0 else 0, s[2], s[3]
else: fps, acc, tpf = tps, '-', '-'  # plain: one forward per token (batch 1 rows)
print(f'{first} {tps} {fps:.2f} {acc} {tpf}')
PY
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
# Read bandwidth, same run: a 1 GB array summed by OMP_NUM_THREADS threads (best of 5). simd: without it
# the float sum is one dependent chain of adds per thread, which measured 14 GB/s where memory gives 61.
BW_SRC=/tmp/qdqrt_bench_bw.c BW_BIN=/tmp/qdqrt_bench_bw
cat >"$BW_SRC" <<'C'
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  const size_t n = (size_t)1 << 28;  /* 1 GiB of floats */
  float* a = malloc(n * sizeof(float));
  for (size_t i = 0; i < n; ++i) a[i] = (float)(i & 7);
  double best = 1e9, sink = 0;
  for (int r = 0; r < 5; ++r) {
    double t0 = omp_get_wtime(), s = 0;
#pragma omp parallel for simd reduction(+ : s) schedule(static)
    for (size_t i = 0; i < n; ++i) s += a[i];
    double t = omp_get_wtime() - t0;
    sink += s;
    if (t < best) best = t;
  }
  printf("%.2f %g\n", n * sizeof(float) / best / 1e9, sink);
  return 0;
}
C
gcc -O3 -march=native -fopenmp "$BW_SRC" -o "$BW_BIN"
BW=$("$BW_BIN" | cut -d' ' -f1)
echo "read bandwidth (1 GiB, $OMP_NUM_THREADS threads, best of 5): $BW GB/s"
# Weight bytes one decoder forward reads, per arch and precision (layers + LM head).
step_mb() {  # model_dir arch precision
  python3 - "$1/config.json" "$2" "$3" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c = c.get('decoder', c) if 'decoder' in c and isinstance(c['decoder'], dict) else c
H, F, L, V = c['hidden_size'], c['decoder_ffn_dim'], c['num_decoder_layers'], c['vocab_size']
NB, nh = c['num_buckets'], c['num_decoder_attention_heads']
cross = sys.argv[2] != 'ProphetNetForCausalLM' and c.get('add_cross_attention', True)
per_layer = 4 * H * H + H * NB * nh + 2 * H * F + (4 * H * H if cross else 0)
b = {'int8': 1, 'bf16': 2}.get(sys.argv[3], 4)
print(f'{(L * per_layer + V * H) * b / 1e6:.1f}')
PY
}
printf "%-36s %-12s %5s %9s %-9s %9s %12s %8s %7s %8s %9s\n" model input beams precision speculate first_s new_tok/s fwd/s accept tok/fwd bound_frac
row() {  # arch group beams prec spec model_dir result...
  local arch=$1 group=$2 beams=$3 prec=$4 spec=$5 dir=$6 first=$7 tps=$8 fps=$9 acc=${10} tpf=${11} frac=-
  if [ "$beams" = 1 ] && [[ "$group" == b1* ]]; then
    frac=$(python3 -c "print(f'{$fps * $(step_mb "$dir" "$arch" "$prec") / 1e3 / $BW:.2f}')")
  fi
  printf "%-36s %-12s %5s %9s %-9s %9s %12s %8s %7s %8s %9s\n" "$arch" "$group" "$beams" "$prec" "$spec" "$first" "$tps" \
    "$fps" "$acc" "$tpf" "$frac"
}
for c in $CONFIGS; do
  IFS=: read -r arch group beams prec <<<"$c"
  read -r first tps fps acc tpf <<<"$(run "$arch" "$group" "$beams" "$prec")"
  row "$arch" "$group" "$beams" "$prec" off "$DIR" "$first" "$tps" "$fps" "$acc" "$tpf"
done
[ "${SPEC:-1}" = 0 ] && exit 0
# Speculation, same run: the random large model (nothing to accept: the cost of trying), then the
# trained models, plain greedy beside --speculative streams / prompt lookup.
for prec in fp32 int8; do
  for spec in off streams; do
    read -r first tps fps acc tpf <<<"$(run $CL b1_prompt32 1 $prec --speculative $spec)"
    row $CL b1_prompt32 1 $prec $spec "$DIR" "$first" "$tps" "$fps" "$acc" "$tpf"
  done
done
TRAINED=${TRAINED:-$(dirname "$0")/../../shared/fixtures/trained}
if [ ! -d "$TRAINED/prophetnet-synopsis" ]; then echo "no trained models at $TRAINED (set TRAINED=)"; exit 0; fi
SRC=/tmp/qdqrt_bench_spec_s2s.jsonl
head -n "${SPEC_RECORDS:-150}" "$TRAINED/data/dev-s2s.jsonl" >"$SRC"
for model in prophetnet-synopsis prophetnet-lm; do
  m=$TRAINED/$model
  if [ $model = prophetnet-synopsis ]; then in=$SRC args=(--max-new-tokens 32 --max-input-length 80) cal=calib-s2s
  else in=$TRAINED/data/dev-lm.jsonl args=(--max-new-tokens 24) cal=calib-lm; fi
  tab=/tmp/qdqrt_bench_amax_$model.json
  [ -f "$tab" ] || "$BIN" calibrate -q -m "$m" -i "$TRAINED/data/$cal.jsonl" --max-length 80 -o "$tab"
  for prec in fp32 int8; do
    pargs=(); [ $prec = int8 ] && pargs=(--precision int8 --amax "$tab")
    for spec in "off" "streams" "off:10" "streams:10"; do
      IFS=: read -r sp pl <<<"$spec"
      log=$("$BIN" generate -m "$m" -i "$in" -o /tmp/qdqrt_bench_out.jsonl --num-beams 1 -b 1 "${args[@]}" \
        "${pargs[@]}" --speculative "$sp" --prompt-lookup-num-tokens "${pl:-0}" 2>&1 >/dev/null)
      read -r first tps fps acc tpf <<<"$(parse_log "$log")"
      row "$model" "b1_dev" 1 $prec "$spec" "$m" "$first" "$tps" "$fps" "$acc" "$tpf"
    done
  done
done
