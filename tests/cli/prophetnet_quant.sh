#!/usr/bin/env bash
# Quantized ProphetNet end to end on tests/fixtures/prophetnet-quant:
#   calibrate (max: 1e-5 relative of amax_max.json; percentile: within two histogram bins),
#   forward --precision fakequant and the int8 directory vs outputs_max (README bulk + max check),
#   quantize, then generate from the int8 directory and with fake quant (agreement reported).
# $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
QDQRT=$1
FIX=$2
M="$FIX/prophetnet-quant"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

py() { python3 - "$@"; }

compare_amax() {  # GOT WANT BINS (0: 1e-5 relative only; else also BINS reference bin widths)
  py "$1" "$2" "$M/histograms.safetensors" "$3" <<'PY'
import json, struct, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# qdqrt's tables name their model (__metadata__: model_type, architecture, weights_hash); PyTorch's do not.
for t in (got, want):
    m = t.pop("__metadata__", None)
    assert m is None or set(m) == {"model_type", "architecture", "weights_hash"}, m
bins = float(sys.argv[4])
width = {}
with open(sys.argv[3], 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    h = json.loads(f.read(n)); base = 8 + n
    for k, v in h.items():
        if k.endswith('.bin_edges'):
            f.seek(base + v['data_offsets'][0]); e = struct.unpack('<2f', f.read(8))
            width[k[:-len('.bin_edges')]] = e[1] - e[0]
assert list(got) == list(want), "names / order differ: %s" % sorted(set(got) ^ set(want))
bad, worst = 0, 0.0
for k, w in want.items():
    g = got[k]
    ws, gs = (w, g) if isinstance(w, list) else ([w], [g])
    assert len(ws) == len(gs), k
    tol = bins * width.get(k, 0.0)
    for a, b in zip(gs, ws):
        worst = max(worst, abs(a - b) / max(abs(b), 1e-30))
        if not (abs(a - b) <= max(1e-5 * abs(b), tol)):
            bad += 1; print(f"{k}: got {a} want {b} (tol {tol})", file=sys.stderr)
if bad: sys.exit(f"{bad} amax values differ")
print(f"ok: {len(want)} amax entries, worst relative difference {worst:.3g}")
PY
}

# README check on a forward output file (bulk): hidden states as they are, logits through the fixture's
# summaries; plus report-only helpers. Stdlib Python only.
PYCHECK="$TMP/pq_check.py"
cat >"$PYCHECK" <<'PY'
import json, math, struct, sys
DT = {"F32": ("f", 4), "I64": ("q", 8)}
def read_st(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n)); data = f.read()
    out = {}
    for k, v in h.items():
        if k == "__metadata__": continue
        fmt, size = DT[v["dtype"]]; a, b = v["data_offsets"]
        out[k] = (v["shape"], list(struct.unpack("<%d%s" % ((b - a) // size, fmt), data[a:b])))
    return out
def summaries(name, shape, vals, cols):
    V = shape[-1]; rows = len(vals) // V
    out = {name + ".top10_values": [], name + ".logsumexp": [], name + ".at_cols": []}
    for r in range(rows):
        row = vals[r * V:(r + 1) * V]
        m = max(row)
        out[name + ".logsumexp"].append(m + math.log(sum(math.exp(x - m) for x in row)))
        out[name + ".top10_values"] += sorted(row, reverse=True)[:10]
        out[name + ".at_cols"] += [row[c] for c in cols]
    return out
def fixture_form(path, cols):
    t = read_st(path); out = {}
    for k, (shape, v) in t.items():
        if k in ("logits", "logits_ngram"): out.update(summaries(k, shape, v, cols))
        else: out[k] = v
    return out
cmd = sys.argv[1]
if cmd == "bulk":  # GOT WANT META INPUTS [LABEL]
    cols = read_st(sys.argv[5])["vocab_cols"][1]
    fq = json.load(open(sys.argv[4]))["recommended_tolerance"]["fakequant"]
    got, want = fixture_form(sys.argv[2], cols), read_st(sys.argv[3])
    bad = 0
    for k, (shape, w) in want.items():
        if k.endswith("top10_ids"): continue
        t = fq["per_output"][k.split(".")[0]]
        d = [abs(g - x) for g, x in zip(got[k], w)]
        assert len(d) == len(w), k
        frac = sum(x > fq["bulk_atol"] for x in d) / len(d)
        ok = max(d) <= t["max_abs"] and frac <= t["max_fraction_outside_bulk_atol"]
        bad += not ok
        print("%s %s: %s max |diff| %.3g (bound %g), frac > %g: %.3g (bound %g)" % (
            "ok" if ok else "FAIL", sys.argv[6] if len(sys.argv) > 6 else "", k, max(d), t["max_abs"],
            fq["bulk_atol"], frac, t["max_fraction_outside_bulk_atol"]))
    sys.exit(1 if bad else 0)
if cmd == "maxdiff":  # A B: per-output max |a - b| over full tensors (report only)
    a, b = read_st(sys.argv[2]), read_st(sys.argv[3])
    for k in b:
        print("  %s: max |diff| %.3g" % (k, max(abs(x - y) for x, y in zip(a[k][1], b[k][1]))))
if cmd == "encoder_inputs":  # INPUTS GROUP OUT: input_ids + attention_mask of a group
    t = read_st(sys.argv[2]); g = sys.argv[3]
    with open(sys.argv[4], "wb") as f:
        header, blobs, off = {}, [], 0
        for n in ("input_ids", "attention_mask"):
            shape, v = t[g + "." + n]; b = struct.pack("<%dq" % len(v), *v)
            header[n] = {"dtype": "I64", "shape": shape, "data_offsets": [off, off + len(b)]}
            blobs.append(b); off += len(b)
        h = json.dumps(header).encode(); h += b" " * ((8 - len(h) % 8) % 8)
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
if cmd == "sequences":  # A B VOCAB START: both generated, agreement reported
    a, b = read_st(sys.argv[2])["sequences"], read_st(sys.argv[3])["sequences"]
    V, start = int(sys.argv[4]), int(sys.argv[5])
    for name, (shape, v) in (("int8", a), ("fakequant", b)):
        assert len(shape) == 2 and shape[0] == 3 and shape[1] >= 2, (name, shape)
        assert all(0 <= x < V for x in v), name
        assert all(v[r * shape[1]] == start for r in range(shape[0])), name + ": rows must start with the decoder start"
    rows = []
    for r in range(3):
        ra, rb = a[1][r * a[0][1]:(r + 1) * a[0][1]], b[1][r * b[0][1]:(r + 1) * b[0][1]]
        same = 0
        while same < min(len(ra), len(rb)) and ra[same] == rb[same]: same += 1
        rows.append("row %d: %s (common prefix %d of %d/%d)" % (r, "identical" if ra == rb else "differs", same, len(ra), len(rb)))
    print("int8 vs fakequant generate: " + "; ".join(rows))
PY

# 1. Calibration on the fixture's 4 batches (input_ids, attention_mask, decoder_input_ids each).
B=()
for i in 0 1 2 3; do B+=(--tensors-in "$M/inputs.safetensors:calib$i"); done
"$QDQRT" -q calibrate -m "$M" --method max "${B[@]}" -o "$TMP/max.json"
compare_amax "$TMP/max.json" "$M/amax_max.json" 0
"$QDQRT" -q calibrate -m "$M" --method percentile "${B[@]}" -o "$TMP/pct.json"
compare_amax "$TMP/pct.json" "$M/amax_hist_percentile99.99.json" 2

# 2. forward --precision fakequant on the fixture with the reference tables.
for t in max hist_percentile; do
  amax="$M/amax_$t.json"; [ "$t" = hist_percentile ] && amax="$M/amax_hist_percentile99.99.json"
  "$QDQRT" -q forward -m "$M" --precision fakequant --amax "$amax" \
    --tensors-in "$M/inputs.safetensors:test" --tensors-out "$TMP/fq_$t.safetensors"
  python3 "$PYCHECK" bulk "$TMP/fq_$t.safetensors" "$M/outputs_$t.safetensors" "$M/meta.json" "$M/inputs.safetensors" "fakequant-$t"
done

# 3. quantize with our own max table, then the int8 directory: forward (int8 by default) vs outputs_max.
"$QDQRT" -q quantize -m "$M" --amax "$TMP/max.json" -o "$TMP/q8"
[ -f "$TMP/q8/model.safetensors" ] && [ -f "$TMP/q8/config.json" ] && [ -f "$TMP/q8/prophetnet.tokenizer" ]
# The tied LM head: the word embedding matrix (stored once, as prophetnet.word_embeddings.weight) stays F32 for
# the embedding lookups; lm_head keeps its per-channel amax and quantizes that matrix on load. Every other
# QuantLinear weight is I8; every quantizer's _amax equals the table's.
python3 - "$TMP/q8/model.safetensors" "$TMP/max.json" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); base = 8 + n
    table = json.load(open(sys.argv[2]))
    # The directory names the model it was quantized from, as calibrate's table does (same weights hash).
    meta = table.pop("__metadata__")
    assert all(h["__metadata__"][k] == v for k, v in meta.items()) and len(meta) == 3, (meta, h["__metadata__"])
    i8 = [k for k, v in h.items() if k != "__metadata__" and v["dtype"] == "I8"]
    assert len(i8) == 34, len(i8)
    assert h["prophetnet.word_embeddings.weight"]["dtype"] == "F32"
    assert "lm_head.weight" not in h
    for q, a in table.items():
        v = h[q + "._amax"]; f.seek(base + v["data_offsets"][0])
        cnt = (v["data_offsets"][1] - v["data_offsets"][0]) // 4
        got = list(struct.unpack("<%df" % cnt, f.read(4 * cnt)))
        want = a if isinstance(a, list) else [a]
        assert v["shape"] == ([len(want), 1] if isinstance(a, list) else []), (q, v["shape"])
        assert all(struct.unpack("<f", struct.pack("<f", w))[0] == g for g, w in zip(got, want)), q
print("ok: int8 directory: 34 I8 Linear weights, tied lm_head on the F32 embeddings, 70 _amax entries")
PY
"$QDQRT" -q forward -m "$TMP/q8" --tensors-in "$M/inputs.safetensors:test" --tensors-out "$TMP/i8.safetensors"
python3 "$PYCHECK" bulk "$TMP/i8.safetensors" "$M/outputs_max.safetensors" "$M/meta.json" "$M/inputs.safetensors" "int8-dir"
# The int8 directory in fake quant gives the fixture's fake quant (dequantized weights are exact).
"$QDQRT" -q forward -m "$TMP/q8" --precision fakequant --tensors-in "$M/inputs.safetensors:test" --tensors-out "$TMP/q8fq.safetensors"
python3 "$PYCHECK" bulk "$TMP/q8fq.safetensors" "$M/outputs_max.safetensors" "$M/meta.json" "$M/inputs.safetensors" "int8-dir-fakequant"
echo "int8 directory vs fakequant on the fixture (full tensors, report only):"
python3 "$PYCHECK" maxdiff "$TMP/i8.safetensors" "$TMP/fq_max.safetensors"

# 4. generate from the int8 directory and with fake quant: both produce sequences; agreement reported.
python3 "$PYCHECK" encoder_inputs "$M/inputs.safetensors" test "$TMP/src.safetensors"
"$QDQRT" -q generate -m "$TMP/q8" --tensors-in "$TMP/src.safetensors" --tensors-out "$TMP/gen_i8.safetensors" --max-length 12
"$QDQRT" -q generate -m "$M" --precision fakequant --amax "$M/amax_max.json" --tensors-in "$TMP/src.safetensors" \
  --tensors-out "$TMP/gen_fq.safetensors" --max-length 12
python3 "$PYCHECK" sequences "$TMP/gen_i8.safetensors" "$TMP/gen_fq.safetensors" 30522 102
# Beam search on the int8 directory runs too.
"$QDQRT" -q generate -m "$TMP/q8" --tensors-in "$TMP/src.safetensors" --tensors-out "$TMP/gen_b.safetensors" \
  --max-length 12 --num-beams 3
echo "prophetnet_quant.sh: all ok"
