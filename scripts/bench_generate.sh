#!/bin/bash
# New tokens/s of `qdqrt generate` on a random prophetnet-large-sized model
# (hidden 1024, 12+12 layers, 16 heads, ffn 4096, vocab 30522): 64 new tokens
# after a 32-token prompt (causal LM) or a 256-token source (encoder-decoder),
# greedy and beam 4, batch 1 and 8. Each figure: B*63 / (t(64 new) - t(1 new)),
# so model loading, encoding and the prompt pass are not counted.
# Usage: scripts/bench_generate.sh [BUILD_DIR] [configs...]; QUICK=1 runs fewer configs.
set -euo pipefail
BUILD=${1:-build}; shift || true
BIN=$BUILD/qdqrt; MK=$BUILD/make_random_prophetnet
DIR=${BENCH_MODEL_DIR:-/tmp/qdqrt_bench_prophetnet_large}
[ -f "$DIR/model.safetensors" ] || "$MK" "$DIR"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
run() {  # arch group beams precision new_tokens
  local s e
  s=$(date +%s.%N)
  "$BIN" generate -q -m "$DIR" --arch "$1" --tensors-in "$DIR/inputs.safetensors:$2" --tensors-out /tmp/qdqrt_bench_out.safetensors \
    --num-beams "$3" --max-new-tokens "$5" --min-new-tokens "$5" --batch-size 8 --precision "$4" >/dev/null
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
CONFIGS=${*:-"ProphetNetForCausalLM:b1_prompt32:1 ProphetNetForCausalLM:b1_prompt32:4 ProphetNetForCausalLM:b8_prompt32:1 ProphetNetForConditionalGeneration:b1_src256:1 ProphetNetForConditionalGeneration:b1_src256:4 ProphetNetForConditionalGeneration:b8_src256:1"}
[ "${QUICK:-0}" = 1 ] && CONFIGS="ProphetNetForCausalLM:b1_prompt32:1 ProphetNetForConditionalGeneration:b1_src256:4"
printf "%-36s %-12s %5s %9s %12s\n" model input beams precision new_tok/s
for c in $CONFIGS; do
  IFS=: read -r arch group beams <<<"$c"
  B=${group#b}; B=${B%%_*}
  t1=$(run "$arch" "$group" "$beams" fp32 1)
  t64=$(run "$arch" "$group" "$beams" fp32 64)
  printf "%-36s %-12s %5s %9s %12.1f\n" "$arch" "$group" "$beams" fp32 "$(echo "$B * 63 / ($t64 - $t1)" | bc -l)"
done
