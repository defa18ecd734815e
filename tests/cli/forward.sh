#!/usr/bin/env bash
# qdqrt forward on the QDQBERT fixtures vs the PyTorch outputs (tolerances
# from each fixture's meta.json), and its input validation errors.
set -euo pipefail
BIN=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
check() { python3 "$HERE/bert_check.py" "$@"; }

"$BIN" -q forward -m "$FIX/qdqbert-seqcls" --tensors-in "$FIX/qdqbert-seqcls/inputs.safetensors:test" --tensors-out "$T/s.safetensors"
check compare "$T/s.safetensors" "$FIX/qdqbert-seqcls/outputs_fp32.safetensors" 1e-4 1e-4
"$BIN" -q forward -m "$FIX/qdqbert-qa-from-bert" --tensors-in "$FIX/qdqbert-qa-from-bert/inputs.safetensors:test" --tensors-out "$T/q.safetensors"
check compare "$T/q.safetensors" "$FIX/qdqbert-qa-from-bert/outputs_fp32.safetensors" 5e-5 1e-4
# Fake quant and int8 with the max-calibrated amax table vs PyTorch's fake quant (README check).
for d in qdqbert-seqcls qdqbert-qa-from-bert; do
  for p in fakequant int8; do
    "$BIN" -q forward -m "$FIX/$d" --precision $p --amax "$FIX/$d/amax_max.json" \
      --tensors-in "$FIX/$d/inputs.safetensors:test" --tensors-out "$T/$d-$p.safetensors"
    check bulk "$T/$d-$p.safetensors" "$FIX/$d/outputs_max.safetensors" "$FIX/$d/meta.json"
  done
done
# A calibration batch of the same file (different shape) through the group syntax.
"$BIN" -q forward -m "$FIX/qdqbert-seqcls" --tensors-in "$FIX/qdqbert-seqcls/inputs.safetensors:calib0" --tensors-out "$T/c.safetensors"

# Bad inputs: exit 1, one line naming the file and tensor, no output left behind.
expect_error() {  # pattern, then the command
  local pat=$1; shift
  if "$@" 2>"$T/err"; then echo "FAIL: expected an error: $*"; exit 1; fi
  grep -q -- "$pat" "$T/err" || { echo "FAIL: error lacks '$pat':"; cat "$T/err"; exit 1; }
  [ "$(wc -l <"$T/err")" -eq 1 ] || { echo "FAIL: error is not one line:"; cat "$T/err"; exit 1; }
}
python3 -c "
import sys; sys.path.insert(0, '$HERE'); import bert_check as b
b.write_st('$T/big_id.safetensors', {'input_ids': ('I64', [1, 3], [101, 40000, 102])})
b.write_st('$T/f32.safetensors', {'input_ids': ('F32', [1, 3], [101.0, 2.0, 102.0])})
b.write_st('$T/shape.safetensors', {'input_ids': ('I64', [1, 3], [101, 2, 102]), 'attention_mask': ('I64', [1, 2], [1, 1])})
b.write_st('$T/long.safetensors', {'input_ids': ('I64', [1, 513], [1] * 513)})
b.write_st('$T/noids.safetensors', {'attention_mask': ('I64', [1, 2], [1, 1])})
"
M="$FIX/qdqbert-seqcls"
expect_error "big_id.safetensors: input 'input_ids' holds 40000" "$BIN" forward -m "$M" --tensors-in "$T/big_id.safetensors" --tensors-out "$T/o1.safetensors"
expect_error "f32.safetensors: input 'input_ids' is F32, expected I64" "$BIN" forward -m "$M" --tensors-in "$T/f32.safetensors" --tensors-out "$T/o2.safetensors"
expect_error "shape.safetensors: input 'attention_mask' has shape \[1, 2\]" "$BIN" forward -m "$M" --tensors-in "$T/shape.safetensors" --tensors-out "$T/o3.safetensors"
expect_error "long.safetensors: input 'input_ids' has 513 tokens, more than max_position_embeddings 512" "$BIN" forward -m "$M" --tensors-in "$T/long.safetensors" --tensors-out "$T/o4.safetensors"
expect_error "noids.safetensors: input 'input_ids' is missing" "$BIN" forward -m "$M" --tensors-in "$T/noids.safetensors" --tensors-out "$T/o5.safetensors"
expect_error "architecture 'QDQBertForNothing' is not supported" "$BIN" forward -m "$M" --arch QDQBertForNothing --tensors-in "$T/big_id.safetensors" --tensors-out "$T/o6.safetensors"
expect_error "missing weight 'qa_outputs.weight'" "$BIN" forward -m "$M" --arch QDQBertForQuestionAnswering --tensors-in "$T/big_id.safetensors" --tensors-out "$T/o7.safetensors"
for i in 1 2 3 4 5 6 7; do [ ! -e "$T/o$i.safetensors" ] || { echo "FAIL: partial output o$i"; exit 1; }; done
echo "forward.sh: all ok"
