#!/usr/bin/env bash
# qdqrt calibrate on the 4 calibration batches of the QDQBERT fixtures against
# pytorch_quantization's tables: max within 1e-5 relative; percentile, mse and
# entropy within two histogram bins (the bin width is read from the reference's
# histograms.safetensors). Then quantize, and the int8 directory's amax tables
# round-trip. $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
QDQRT=$1
FIX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

compare() {  # compare GOT WANT HISTFILE BINS (BINS=0: 1e-5 relative only)
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, struct, sys
got, want = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# qdqrt's tables name their model (__metadata__: model_type, architecture, weights_hash); PyTorch's do not.
for t in (got, want):
    m = t.pop("__metadata__", None)
    assert m is None or set(m) == {"model_type", "architecture", "weights_hash"}, m
bins = float(sys.argv[4])
width = {}
if bins > 0:
    with open(sys.argv[3], 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        h = json.loads(f.read(n)); base = 8 + n
        for k, v in h.items():
            if k.endswith('.bin_edges'):
                f.seek(base + v['data_offsets'][0]); e = struct.unpack('<2f', f.read(8))
                width[k[:-len('.bin_edges')]] = e[1] - e[0]
assert set(got) == set(want), sorted(set(got) ^ set(want))
bad = 0
for k, w in want.items():
    g = got[k]
    ws, gs = (w, g) if isinstance(w, list) else ([w], [g])
    assert len(ws) == len(gs), k
    tol = bins * width.get(k, 0.0)
    for a, b in zip(gs, ws):
        if not (abs(a - b) <= max(1e-5 * abs(b), tol)):
            bad += 1; print(f"{k}: got {a} want {b} (tol {tol})", file=sys.stderr)
if bad: sys.exit(f"{bad} amax values differ")
PY
}

for set in qdqbert-seqcls qdqbert-qa-from-bert; do
  M="$FIX/$set"
  B=(--tensors-in "$M/inputs.safetensors:calib0" --tensors-in "$M/inputs.safetensors:calib1"
     --tensors-in "$M/inputs.safetensors:calib2" --tensors-in "$M/inputs.safetensors:calib3")
  "$QDQRT" -q calibrate -m "$M" --method max "${B[@]}" -o "$TMP/$set.max.json"
  compare "$TMP/$set.max.json" "$M/amax_max.json" "" 0
  "$QDQRT" -q calibrate -m "$M" --method max "${B[@]}" -o "$TMP/$set.max.safetensors"
  for m in percentile mse entropy; do
    want="$M/amax_hist_$m.json"; [ "$m" = percentile ] && want="$M/amax_hist_percentile99.99.json"
    "$QDQRT" -q calibrate -m "$M" --method "$m" "${B[@]}" -o "$TMP/$set.$m.json"
    compare "$TMP/$set.$m.json" "$want" "$M/histograms.safetensors" 2
  done
done

M="$FIX/qdqbert-seqcls"
# The bare QDQBertModel (--arch) names its quantizers as its named_modules() does: no "bert." prefix.
# Its table is PyTorch's headed table with the prefix removed (same weights, same calibration data).
B=(--tensors-in "$M/inputs.safetensors:calib0" --tensors-in "$M/inputs.safetensors:calib1"
   --tensors-in "$M/inputs.safetensors:calib2" --tensors-in "$M/inputs.safetensors:calib3")
"$QDQRT" -q calibrate -m "$M" --arch QDQBertModel --method max "${B[@]}" -o "$TMP/bare.max.json"
python3 - "$M/amax_max.json" "$TMP/bare.want.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
assert all(k.startswith("bert.") for k in t)
json.dump({k[len("bert."):]: v for k, v in t.items()}, open(sys.argv[2], "w"))
PY
compare "$TMP/bare.max.json" "$TMP/bare.want.json" "" 0
# ... and quantize / load that bare model's int8 directory with its own names.
"$QDQRT" -q quantize -m "$M" --arch QDQBertModel --amax "$TMP/bare.max.json" -o "$TMP/bare-q"
"$QDQRT" -q forward -m "$TMP/bare-q" --arch QDQBertModel --tensors-in "$M/inputs.safetensors:test" \
  --tensors-out "$TMP/bare-q.safetensors"
# Bad calibration data fails with one line and writes nothing.
if "$QDQRT" -q calibrate -m "$M" --tensors-in "$M/inputs.safetensors:nogroup" -o "$TMP/x.json" 2>"$TMP/err"; then
  echo "empty group accepted" >&2; exit 1
fi
[ ! -e "$TMP/x.json" ]
# quantize: int8 directory, refuses to overwrite.
"$QDQRT" -q quantize -m "$M" --amax "$TMP/qdqbert-seqcls.max.json" -o "$TMP/q"
[ -f "$TMP/q/model.safetensors" ] && [ -f "$TMP/q/config.json" ] && [ -f "$TMP/q/vocab.txt" ]
if "$QDQRT" -q quantize -m "$M" --amax "$TMP/qdqbert-seqcls.max.json" -o "$TMP/q" 2>/dev/null; then
  echo "quantize overwrote an existing directory" >&2; exit 1
fi
echo ok
