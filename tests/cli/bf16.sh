#!/usr/bin/env bash
# --precision bf16 on the fixtures vs PyTorch's fp32 outputs. bf16 rounds every
# Linear's input and weight to 8 significant bits (relative error <= 2^-9 each);
# through 2 layers the outputs measured here are within 0.3 to 1.2% relative L2
# and 0.03 max abs of fp32. The bounds below (2.5% relative L2 per output, max
# abs 0.1 on outputs of scale 1 to 3) leave 2x margin and still fail for a
# wrong conversion (e.g. truncated mantissas of the wrong half: ~100%). On a
# CPU without AVX-512 BF16 the refusal is checked instead.
# $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
BIN=$1 FIX=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)

if ! "$BIN" -q inspect -m "$FIX/qdqbert-seqcls" --precision bf16 >"$T/inspect.txt" 2>"$T/err"; then
  grep -q "needs a CPU with AVX-512 BF16" "$T/err" || { cat "$T/err"; exit 1; }
  echo "this CPU has no AVX-512 BF16: the refusal was checked"
  exit 0
fi
# Every quantized Linear of QDQBERT runs bf16; the residual-add points stay fp32.
grep -q "^counts: bf16 24 fp32 16" "$T/inspect.txt"

for d in qdqbert-seqcls qdqbert-qa-from-bert; do
  "$BIN" -q forward -m "$FIX/$d" --precision bf16 --tensors-in "$FIX/$d/inputs.safetensors:test" \
    --tensors-out "$T/$d.safetensors"
  python3 - "$T/$d.safetensors" "$FIX/$d/outputs_fp32.safetensors" "$HERE" <<'PY'
import math, sys
sys.path.insert(0, sys.argv[3])
from bert_check import read_st
got, want = read_st(sys.argv[1]), read_st(sys.argv[2])
for k, (_, shape, w) in want.items():
    g = got[k][2]
    d = [abs(a - b) for a, b in zip(g, w)]
    l2 = math.sqrt(sum(x * x for x in d) / sum(x * x for x in w))
    print("%s: bf16 vs fp32 max abs %.3g, rel L2 %.3g" % (k, max(d), l2))
    assert got[k][1] == shape and l2 < 2.5e-2 and max(d) < 0.1, (k, max(d), l2)
    assert l2 > 1e-5, (k, "identical to fp32: bf16 did not run")
PY
done
# compare --precision bf16: its report of the outputs' error equals what we measured above (within 1e-6).
"$BIN" -q compare -m "$FIX/qdqbert-seqcls" --precision bf16 --tensors-in "$FIX/qdqbert-seqcls/inputs.safetensors:test" \
  --output-format jsonl >"$T/cmp.jsonl"
python3 - "$T/cmp.jsonl" "$T/qdqbert-seqcls.safetensors" "$FIX/qdqbert-seqcls/outputs_fp32.safetensors" "$HERE" <<'PY'
import json, math, sys
sys.path.insert(0, sys.argv[4])
from bert_check import read_st
rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "output"}
got, want = read_st(sys.argv[2]), read_st(sys.argv[3])
assert set(rows) == set(want), (set(rows), set(want))
for k, (_, _, w) in want.items():
    d = [abs(a - b) for a, b in zip(got[k][2], w)]
    # fp32 here is ours, not PyTorch's: the two differ by <= 1e-4 (forward.sh), far below bf16's error.
    assert abs(rows[k]["max_abs"] - max(d)) < 2e-3, (k, rows[k], max(d))
PY
# --amax makes no sense without quantizers running.
if "$BIN" -q forward -m "$FIX/qdqbert-seqcls" --precision bf16 --amax "$FIX/qdqbert-seqcls/amax_max.json" \
  --tensors-in "$FIX/qdqbert-seqcls/inputs.safetensors:test" --tensors-out "$T/x.safetensors" 2>"$T/err"; then
  echo "FAIL: bf16 with --amax accepted"; exit 1
fi
grep -q "given with --precision bf16" "$T/err"
# Generation runs bf16 too (ProphetNet: every Linear, the LM head included).
"$BIN" -q generate -m "$FIX/prophetnet" --precision bf16 --max-new-tokens 5 "a source" >"$T/g.jsonl"
python3 -c "import json,sys; r=json.loads(open(sys.argv[1]).read()); assert len(r['generated'][0]['ids']) >= 2, r" "$T/g.jsonl"
echo ok
