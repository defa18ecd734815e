#!/usr/bin/env bash
# calibrate -> quantize -> generate in int8, from text, for the three generative models:
#   ProphetNetForCausalLM (--arch on the prophetnet-quant checkpoint, whose config has add_cross_attention),
#   ProphetNetForConditionalGeneration (JSONL {"text", "target"} and sources alone), EncoderDecoderModel.
# Checks: table names = the class's named_modules() quantizers (from the fixture's lists), the causal LM's
# cross-attention quantizers stay in float (null in the table, listed in the int8 metadata, no _amax), the
# int8 causal LM's logits agree with fake quant's within the fixture's fake-quant noise bound, one output
# line per input, --strict keeps pytorch_quantization's error.
# $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
Q=$1
F=$2
M=$F/prophetnet-quant
ED=$F/encoder-decoder
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

# Texts from the fixtures' meta.json: prompts (plain text), source/target JSONL, sources alone.
python3 - "$M/meta.json" "$T" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); t = sys.argv[2]
srcs = [s for b in m["calibration_inputs"] for s in b["sources"]]
tgts = [s for b in m["calibration_inputs"] for s in b["targets"]]
open(t + "/prompts.txt", "w").write("\n".join(m["decoder_texts"] + srcs[:5]) + "\n")
with open(t + "/pairs.jsonl", "w") as f:
    for s, g in zip(srcs, tgts): f.write(json.dumps({"text": s, "target": g}) + "\n")
open(t + "/sources.txt", "w").write("\n".join(m["encoder_texts"] + srcs[:3]) + "\n")
PY

# --- 1. ProphetNetForCausalLM -----------------------------------------------------------------------
"$Q" calibrate -m "$M" --arch ProphetNetForCausalLM -i "$T/prompts.txt" -b 3 -o "$T/causal.json" 2>"$T/causal.log"
grep -q "quantizers saw no calibration data and stay in float" "$T/causal.log" \
  || { cat "$T/causal.log"; echo "no warning listing the no-data quantizers"; exit 1; }
grep -q "prophetnet.decoder.layers.0.cross_attn.key_proj._input_quantizer" "$T/causal.log"
# named_modules() of ProphetNetForCausalLM: its `prophetnet` wrapper holds only the decoder, so its
# quantizers are the seq2seq class's (meta.json, reference named_modules()) without the encoder's.
python3 - "$T/causal.json" "$M/meta.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t.pop("__metadata__", None); q = json.load(open(sys.argv[2]))["quantizers"]
want = [n for n in q if not n.startswith("prophetnet.encoder.")]
assert list(t) == want, "names / order differ: %s" % sorted(set(t) ^ set(want))
floats = [n for n, v in t.items() if v is None]
cross = [n for n in t if ".cross_attn." in n]
assert floats == cross and len(cross) == 16, (floats, cross)   # 2 layers x 4 Linears x (input, weight)
assert all(isinstance(t[n], (int, float, list)) and t[n] != 0 for n in t if n not in cross)
print("ok: causal-LM table: %d quantizers as named_modules(), the %d cross-attention ones null (float)"
      % (len(t), len(cross)))
PY
if "$Q" -q calibrate -m "$M" --arch ProphetNetForCausalLM -i "$T/prompts.txt" --strict -o "$T/strict.json" 2>"$T/e"; then
  echo "--strict should fail"; exit 1
fi
grep -q "saw no calibration data" "$T/e" && [ ! -e "$T/strict.json" ]

"$Q" -q quantize -m "$M" --arch ProphetNetForCausalLM --amax "$T/causal.json" -o "$T/causal8"
python3 - "$T/causal8" "$M/meta.json" <<'PY'
import json, struct, sys
d = sys.argv[1]
mods = json.load(open(sys.argv[2]))["quant_linear_modules"]
# I8: every decoder Linear that ran; lm_head is tied to the F32 word embeddings (quantized on load).
want_i8 = sorted(m + ".weight" for m in mods if m.startswith("prophetnet.decoder.") and ".cross_attn." not in m)
assert json.load(open(d + "/config.json"))["architectures"] == ["ProphetNetForCausalLM"]
with open(d + "/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n))
md = h.pop("__metadata__")
floats = json.loads(md["qdqrt.float_quantizers"])
assert len(floats) == 16 and all(".cross_attn." in x for x in floats), floats
assert not [k for k in h if ".cross_attn." in k and k.endswith("._amax")]
assert all(h[m + ".weight"]["dtype"] == "F32" for m in {x.rsplit(".", 1)[0] for x in floats})
i8 = sorted(k for k, v in h.items() if v["dtype"] == "I8")
assert i8 == want_i8, sorted(set(i8) ^ set(want_i8))
print("ok: causal-LM int8 directory: %d I8 weights, %d float quantizers in the metadata" % (len(i8), len(floats)))
PY

# The int8 directory (loads as the causal LM without --arch) against fake quant with the same table.
python3 - "$M/inputs.safetensors" "$T/causal_in.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
out, blobs, off = {}, [], 0
for src, dst in (("test.decoder_input_ids", "input_ids"), ("test.decoder_attention_mask", "attention_mask")):
    v = h[src]; b = data[v["data_offsets"][0]:v["data_offsets"][1]]
    out[dst] = {"dtype": v["dtype"], "shape": v["shape"], "data_offsets": [off, off + len(b)]}; blobs.append(b); off += len(b)
hb = json.dumps(out).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
PY
"$Q" -q forward -m "$T/causal8" --tensors-in "$T/causal_in.safetensors" --tensors-out "$T/c_i8.safetensors"
"$Q" -q forward -m "$M" --arch ProphetNetForCausalLM --precision fakequant --amax "$T/causal.json" \
  --tensors-in "$T/causal_in.safetensors" --tensors-out "$T/c_fq.safetensors"
"$Q" -q forward -m "$M" --arch ProphetNetForCausalLM --tensors-in "$T/causal_in.safetensors" \
  --tensors-out "$T/c_fp.safetensors"
# Bound: the fixture README's fake-quant noise check for logits (at most 10% of the elements off by more
# than 0.01, none by more than 0.1): int8 kernels and fake quant differ only by such rounding flips.
# Quantization itself moves the logits much more (reported beside it).
python3 - "$T/c_i8.safetensors" "$T/c_fq.safetensors" "$T/c_fp.safetensors" <<'PY'
import json, struct, sys
def read(p, k):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    v = h[k]; a, b = v["data_offsets"]
    return struct.unpack("<%df" % ((b - a) // 4), d[a:b])
i8, fq, fp = (read(p, "logits") for p in sys.argv[1:4])
d = [abs(a - b) for a, b in zip(i8, fq)]
frac = sum(x > 0.01 for x in d) / len(d)
q = max(abs(a - b) for a, b in zip(fq, fp))
print("int8 vs fakequant logits: max |diff| %.3g, frac > 0.01: %.3g (fakequant vs fp32: max %.3g)" % (max(d), frac, q))
assert max(d) <= 0.1 and frac <= 0.1
assert q > 0.01, "fake quant should differ from fp32"
PY
"$Q" -q generate -m "$T/causal8" -i "$T/prompts.txt" --max-new-tokens 8 -o "$T/c_gen.txt"
"$Q" -q generate -m "$T/causal8" -i "$T/prompts.txt" --max-new-tokens 8 --num-beams 3 -o "$T/c_beam.txt"
for f in c_gen c_beam; do
  [ "$(wc -l <"$T/$f.txt")" = "$(wc -l <"$T/prompts.txt")" ] || { echo "$f: one line per prompt expected"; exit 1; }
done

# --- 2. ProphetNetForConditionalGeneration: teacher forcing, then sources alone ---------------------
"$Q" calibrate -m "$M" -i "$T/pairs.jsonl" --max-length 32 --max-target-length 16 -o "$T/s2s.json" 2>"$T/s2s.log"
! grep -q "greedy" "$T/s2s.log"
python3 - "$T/s2s.json" "$M/meta.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t.pop("__metadata__", None); q = json.load(open(sys.argv[2]))["quantizers"]
assert list(t) == q and all(v is not None for v in t.values())
print("ok: seq2seq table from JSONL text/target: %d quantizers as named_modules(), none float" % len(t))
PY
"$Q" calibrate -m "$M" -i "$T/sources.txt" --max-target-length 12 -o "$T/s2s_src.safetensors" 2>"$T/src.log"
grep -q "greedy output" "$T/src.log" || { cat "$T/src.log"; exit 1; }
"$Q" -q quantize -m "$M" --amax "$T/s2s_src.safetensors" -o "$T/s2s8"
"$Q" -q generate -m "$T/s2s8" -i "$T/sources.txt" --max-new-tokens 8 --num-beams 2 -o "$T/s_gen.txt"
[ "$(wc -l <"$T/s_gen.txt")" = "$(wc -l <"$T/sources.txt")" ]

# --- 3. EncoderDecoderModel (BERT encoder + ProphetNet decoder) -------------------------------------
python3 - "$ED/meta.json" "$T/ed.jsonl" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
with open(sys.argv[2], "w") as f:
    f.write(json.dumps({"text": m["source_texts"][0], "target": m["target_texts"][0]}) + "\n")
    f.write(json.dumps({"text": m["source_texts"][1]}) + "\n")   # no target: greedy
PY
"$Q" calibrate -m "$ED" -i "$T/ed.jsonl" --max-target-length 10 -o "$T/ed.json" 2>"$T/ed.log"
grep -q "1 of 2 sources have no \"target\"" "$T/ed.log" || { cat "$T/ed.log"; exit 1; }
# Every quantizer is a Linear's (<module>.weight in meta.json's state dict keys) or one of QDQBERT's
# matmul / residual-add quant points of a BERT encoder module that the checkpoint holds; none is float.
python3 - "$T/ed.json" "$ED/meta.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t.pop("__metadata__", None); keys = set(json.load(open(sys.argv[2]))["state_dict_keys"])
def ok(n):
    mod, q = n.rsplit(".", 1)
    if q in ("_input_quantizer", "_weight_quantizer"): return mod + ".weight" in keys
    return mod.startswith("encoder.") and q.endswith("_input_quantizer") and any(k.startswith(mod + ".") for k in keys)
bad = [n for n in t if not ok(n)]
assert not bad, bad[:5]
assert all(v is not None for v in t.values())
assert any(".cross_attn." in n for n in t)
print("ok: encoder-decoder table: %d quantizers, each on a checkpoint Linear, cross-attention calibrated" % len(t))
PY
"$Q" -q quantize -m "$ED" --amax "$T/ed.json" -o "$T/ed8"
"$Q" -q generate -m "$T/ed8" -i "$T/sources.txt" --max-new-tokens 6 -o "$T/ed_gen.txt"
[ "$(wc -l <"$T/ed_gen.txt")" = "$(wc -l <"$T/sources.txt")" ]

# --- 4. float quantizers in a BERT table: linear inputs, weights, matmul and residual-add quant points -------
S=$F/qdqbert-seqcls
python3 - "$S/amax_max.json" "$T/bert_null.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
for k in ("bert.encoder.layer.0.attention.self.matmul_q_input_quantizer",
          "bert.encoder.layer.1.output.add_local_input_quantizer",
          "bert.encoder.layer.0.attention.self.query._input_quantizer",
          "bert.encoder.layer.1.intermediate.dense._weight_quantizer"):
    assert k in t, k; t[k] = None
json.dump(t, open(sys.argv[2], "w"))
PY
for p in int8 fakequant; do
  "$Q" -q forward -m "$S" --precision $p --amax "$T/bert_null.json" --tensors-in "$S/inputs.safetensors:test" \
    --tensors-out "$T/b_$p.safetensors"
done
"$Q" -q forward -m "$S" --precision fakequant --amax "$S/amax_max.json" --tensors-in "$S/inputs.safetensors:test" \
  --tensors-out "$T/b_full.safetensors"
# int8 with those points in float vs fake quant with the same: the README's fake-quant bounds (max_abs);
# vs fake quant of the full table they must differ (the points really stay float).
python3 - "$T/b_int8.safetensors" "$T/b_fakequant.safetensors" "$T/b_full.safetensors" <<'PY'
import json, struct, sys
def read(p):
    with open(p, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    return {k: struct.unpack("<%df" % ((v["data_offsets"][1] - v["data_offsets"][0]) // 4),
                             d[v["data_offsets"][0]:v["data_offsets"][1]])
            for k, v in h.items() if k != "__metadata__" and v["dtype"] == "F32"}
i8, fq, full = (read(p) for p in sys.argv[1:4])
bound = {"last_hidden_state": 0.5, "pooler_output": 0.5, "logits": 0.2}
for k, b in bound.items():
    d = max(abs(x - y) for x, y in zip(i8[k], fq[k])); e = max(abs(x - y) for x, y in zip(fq[k], full[k]))
    print("%s: int8 vs fakequant (4 points float) %.3g (bound %g); vs full fake quant %.3g" % (k, d, b, e))
    assert d <= b and e > 0.01
PY
echo "pipeline.sh: all ok"
