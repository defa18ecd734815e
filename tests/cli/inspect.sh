#!/usr/bin/env bash
# qdqrt inspect: every quant point in named_modules() order (checked against the
# names and amax values PyTorch wrote in the fixtures' amax tables) with its
# resolved plan. $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
QDQRT=$1
FIX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
M="$FIX/qdqbert-seqcls"

check() {  # check REPORT.json TABLE.json PRECISION STRIP_PREFIX
  python3 - "$@" <<'PY'
import json, sys
r, table, precision, strip = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4]
names = [k[len(strip):] if k.startswith(strip) else k for k in table]
got = [p["name"] for p in r["quant_points"]]
assert got == names, (got[:3], names[:3])  # same names, same (named_modules) order
for p, (k, want) in zip(r["quant_points"], table.items()):
    if precision == "fp32":
        assert p["kernel"] == "fp32", p
        continue
    a = p["amax"]
    if isinstance(want, list) and len(want) > 1:
        assert p["granularity"] == "per-channel" and a["channels"] == len(want), p
        assert abs(a["min"] - min(want)) <= 1e-6 * abs(min(want)) and abs(a["max"] - max(want)) <= 1e-6 * max(want), p
    else:
        w = want[0] if isinstance(want, list) else want
        assert p["granularity"] == "per-tensor" and abs(a - w) <= 1e-6 * abs(w), (p, w)
    if precision == "fakequant":
        assert p["kernel"] == "fake quant", p
    elif "add_" in p["name"]:  # residual adds: fake quant, as Hugging Face applies them, and the plan says why
        assert p["kernel"] == "fake quant" and "residual" in p["note"], p
    else:
        assert p["kernel"] == "int8" and p["dtype"] in ("s8", "u8"), p
counts = {}
for p in r["quant_points"]:
    counts[p["kernel"]] = counts.get(p["kernel"], 0) + 1
assert counts == r["counts"], (counts, r["counts"])
PY
}

# Headed QDQBERT: fp32, fake quant and int8 plans from the PyTorch table.
"$QDQRT" -q inspect -m "$M" --format json >"$TMP/fp32.json"
check "$TMP/fp32.json" "$M/amax_max.json" fp32 ""
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['class']=='QDQBertForSequenceClassification' and r['config']['num_hidden_layers']==2, r['config']" "$TMP/fp32.json"
"$QDQRT" -q inspect -m "$M" --precision fakequant --amax "$M/amax_max.json" --format json >"$TMP/fq.json"
check "$TMP/fq.json" "$M/amax_max.json" fakequant ""
"$QDQRT" -q inspect -m "$M" --precision int8 --amax "$M/amax_max.json" --format json >"$TMP/i8.json"
check "$TMP/i8.json" "$M/amax_max.json" int8 ""
# The bare class names its points without "bert." (PyTorch's bare-model table is the headed one minus the prefix).
python3 -c "import json,sys; t=json.load(open(sys.argv[1])); json.dump({k[5:]: v for k, v in t.items()}, open(sys.argv[2], 'w'))" \
  "$M/amax_max.json" "$TMP/bare.json"
"$QDQRT" -q inspect -m "$M" --arch QDQBertModel --precision int8 --amax "$TMP/bare.json" --format json >"$TMP/bare.out.json"
check "$TMP/bare.out.json" "$M/amax_max.json" int8 "bert."
# An int8 directory: int8 by default, its metadata shown.
"$QDQRT" -q quantize -m "$M" --amax "$M/amax_max.json" -o "$TMP/q"
"$QDQRT" -q inspect -m "$TMP/q" --format json >"$TMP/q.json"
check "$TMP/q.json" "$M/amax_max.json" int8 ""
python3 -c "import json,sys; md=json.load(open(sys.argv[1]))['int8_metadata']; assert md['qdqrt.quantized']=='int8' and md['qdqrt.calibration']=='amax_max.json', md" "$TMP/q.json"
# ProphetNet: every quant point is a Linear's, all int8.
P="$FIX/prophetnet-quant"
"$QDQRT" -q inspect -m "$P" --precision int8 --amax "$P/amax_max.json" --format json >"$TMP/p.json"
check "$TMP/p.json" "$P/amax_max.json" int8 ""
# The readable table.
"$QDQRT" -q inspect -m "$M" --precision int8 --amax "$M/amax_max.json" >"$TMP/i8.txt"
grep -q "^bert.encoder.layer.0.attention.self.matmul_q_input_quantizer .* int8 " "$TMP/i8.txt"
grep -q "why: Hugging Face applies the residual-add quantizers as fake quant" "$TMP/i8.txt"
grep -q "^counts: fake quant 8 int8 32" "$TMP/i8.txt"
# -o FILE (the shared output rule): the same bytes as stdout; the format follows the extension.
"$QDQRT" -q inspect -m "$M" --precision int8 --amax "$M/amax_max.json" -o "$TMP/i8b.txt"
cmp "$TMP/i8.txt" "$TMP/i8b.txt"
"$QDQRT" -q inspect -m "$M" --precision int8 --amax "$M/amax_max.json" -o "$TMP/i8b.json"
cmp "$TMP/i8.json" "$TMP/i8b.json"
echo ok
