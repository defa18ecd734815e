#!/usr/bin/env bash
# qdqrt export, checked in a real consumer: ONNX Runtime (npm onnxruntime-node,
# CPU) runs the exported fixture models.
#  * fp32 graphs: within the fixture's fp32 tolerance of PyTorch's outputs
#    (and of `qdqrt forward` for heads the fixtures have no outputs for);
#  * QDQ graphs with graph optimizations off (QuantizeLinear/DequantizeLinear
#    executed literally): within the fixture's fake-quant tolerance of PyTorch's
#    fake quant (and of `qdqrt forward --precision fakequant`);
#  * QDQ graphs with optimizations on (ORT's fused int8 kernels): reported.
# Exit 77 (ctest: skipped, with the message) when node / npm are missing.
set -euo pipefail
BIN=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
rc=0; NODE_PATH=$("$ROOT/scripts/ort_install.sh") || rc=$?
if [ $rc -eq 77 ]; then echo "SKIPPED: ONNX Runtime cannot be installed here (see the message above); the exported graphs were not run"; exit 77; fi
[ $rc -eq 0 ] || { echo "FAIL: scripts/ort_install.sh failed ($rc)"; exit 1; }
export NODE_PATH
ort() { node "$ROOT/tests/onnx/ort_run.js" run "$@" --threads 2; }
check() { python3 "$ROOT/tests/onnx/onnx_check.py" "$@"; }

S=$FIX/qdqbert-seqcls Q=$FIX/qdqbert-qa-from-bert
for d in "$S" "$Q"; do
  n=$(basename "$d"); in="$d/inputs.safetensors:test"
  read -r atol rtol < <(python3 -c "import json; t=json.load(open('$d/meta.json'))['recommended_tolerance']['fp32']; print(t['atol'], t['rtol'])")
  "$BIN" -q export -m "$d" -o "$T/$n.onnx"
  ort "$T/$n.onnx" "$in" "$T/$n.ort.safetensors" --opt all
  check close "$T/$n.ort.safetensors" "$d/outputs_fp32.safetensors" "$atol" "$rtol"
  "$BIN" -q export -m "$d" --amax "$d/amax_max.json" -o "$T/$n.qdq.onnx"
  ort "$T/$n.qdq.onnx" "$in" "$T/$n.qdq.off.safetensors" --opt disabled
  check bulk "$T/$n.qdq.off.safetensors" "$d/outputs_max.safetensors" "$d/meta.json"
  "$BIN" -q forward -m "$d" --precision fakequant --amax "$d/amax_max.json" --tensors-in "$in" --tensors-out "$T/$n.fq.safetensors"
  check bulk "$T/$n.qdq.off.safetensors" "$T/$n.fq.safetensors" "$d/meta.json"
  ort "$T/$n.qdq.onnx" "$in" "$T/$n.qdq.on.safetensors" --opt all
  check report "$T/$n.qdq.on.safetensors" "$d/outputs_max.safetensors" "$n QDQ, ORT optimizations on vs PyTorch fake quant"
  check report "$T/$n.qdq.off.safetensors" "$d/outputs_max.safetensors" "$n QDQ, ORT optimizations off vs PyTorch fake quant"
done

# The bare model (last_hidden_state, pooler_output) from the seqcls checkpoint: PyTorch's outputs of model.bert.
"$BIN" -q export -m "$S" --arch QDQBertModel -o "$T/base.onnx"
ort "$T/base.onnx" "$S/inputs.safetensors:test" "$T/base.safetensors"
check close "$T/base.safetensors" "$S/outputs_fp32.safetensors" 1e-4 1e-4
# opset 17 (LayerNormalization), weights as external data, QDQ bare model.
"$BIN" -q export -m "$S" --arch QDQBertModel --opset 17 --save-as-external-data always -o "$T/base17.onnx"
[ -s "$T/base17.onnx.data" ] || { echo "FAIL: no external data file"; exit 1; }
[ "$(stat -c %s "$T/base17.onnx")" -lt 200000 ] || { echo "FAIL: weights not external"; exit 1; }
ort "$T/base17.onnx" "$S/inputs.safetensors:test" "$T/base17.safetensors"
check close "$T/base17.safetensors" "$S/outputs_fp32.safetensors" 1e-4 1e-4
# The bare class's quantizers have PyTorch's bare-model names (no "bert." prefix): the headed table minus it.
python3 -c "import json,sys; t=json.load(open(sys.argv[1])); json.dump({k[5:]: v for k, v in t.items()}, open(sys.argv[2], 'w'))" \
  "$S/amax_max.json" "$T/bare_amax.json"
"$BIN" -q export -m "$S" --arch QDQBertModel --amax "$T/bare_amax.json" -o "$T/baseq.onnx"
ort "$T/baseq.onnx" "$S/inputs.safetensors:test" "$T/baseq.safetensors" --opt disabled
check bulk "$T/baseq.safetensors" "$S/outputs_max.safetensors" "$S/meta.json"

# An int8 directory written by qdqrt quantize exports the same QDQ graph.
"$BIN" -q quantize -m "$S" --amax "$S/amax_max.json" -o "$T/int8"
"$BIN" -q export -m "$T/int8" -o "$T/int8.onnx"
ort "$T/int8.onnx" "$S/inputs.safetensors:test" "$T/int8.safetensors" --opt disabled
check bulk "$T/int8.safetensors" "$S/outputs_max.safetensors" "$S/meta.json"

# Token classification and masked LM (fixture encoder + random head weights): against qdqrt forward,
# itself checked against PyTorch in forward.sh.
for kind in token mlm; do
  mkdir -p "$T/$kind"
  python3 -c "import sys; sys.path.insert(0, '$HERE'); import bert_check as b; b.make_head('$S', '$T/$kind', '$kind')"
  "$BIN" -q export -m "$T/$kind" -o "$T/$kind.onnx"
  ort "$T/$kind.onnx" "$S/inputs.safetensors:test" "$T/$kind.ort.safetensors"
  "$BIN" -q forward -m "$T/$kind" --tensors-in "$S/inputs.safetensors:test" --tensors-out "$T/$kind.fwd.safetensors"
  check close "$T/$kind.ort.safetensors" "$T/$kind.fwd.safetensors" 1e-4 1e-4
  "$BIN" -q export -m "$T/$kind" --amax "$S/amax_max.json" -o "$T/$kind.qdq.onnx"
  ort "$T/$kind.qdq.onnx" "$S/inputs.safetensors:test" "$T/$kind.qdq.safetensors" --opt disabled
  "$BIN" -q forward -m "$T/$kind" --precision fakequant --amax "$S/amax_max.json" \
    --tensors-in "$S/inputs.safetensors:test" --tensors-out "$T/$kind.fq.safetensors"
  # The fixture's fake-quant bounds for hidden-state-sized outputs (bulk atol 0.01, max 0.5): the logits of
  # these heads are last_hidden_state through one or two random Linears, so its flip noise is theirs.
  check bound "$T/$kind.qdq.safetensors" "$T/$kind.fq.safetensors" 0.01 1.0 0.5
done
# Multiple choice ([batch, num_choices, seq] inputs) and next sentence prediction vs PyTorch (their meta.json:
# fp32 atol/rtol 1e-4, fake quant atol 0.1 on logits).
for d in multiple-choice nsp; do
  M=$FIX/qdqbert-heads/$d in=$FIX/qdqbert-heads/$d/inputs.safetensors:test
  "$BIN" -q export -m "$M" -o "$T/$d.onnx"
  ort "$T/$d.onnx" "$in" "$T/$d.ort.safetensors"
  check close "$T/$d.ort.safetensors" "$M/outputs_fp32.safetensors" 1e-4 1e-4
  "$BIN" -q export -m "$M" --amax "$M/amax_max.json" -o "$T/$d.qdq.onnx"
  ort "$T/$d.qdq.onnx" "$in" "$T/$d.qdq.safetensors" --opt disabled
  check close "$T/$d.qdq.safetensors" "$M/outputs_max.safetensors" 0.1 0
  ort "$T/$d.qdq.onnx" "$in" "$T/$d.qdq.on.safetensors" --opt all
  check report "$T/$d.qdq.on.safetensors" "$M/outputs_max.safetensors" "$d QDQ, ORT optimizations on vs PyTorch fake quant"
done
echo "export_onnxruntime.sh: all ok"
