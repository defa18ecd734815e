#!/usr/bin/env bash
# qdqrt compare. (1) Fake quant vs fp32 on qdqbert-qa-from-bert (no rounding flips in PyTorch's probes, so
# both of our runs agree with PyTorch's recorded outputs to 1e-4): the reported max abs error of every output
# equals the one between PyTorch's outputs_fp32 and outputs_max within 2e-4, and rel L2 / cosine agree
# with them to 1e-3. (2) --sensitivity names the quantizer whose amax we broke on purpose (1/50 of
# PyTorch's value: it clips most of its tensor) as the worst. $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
QDQRT=$1
FIX=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
M="$FIX/qdqbert-qa-from-bert"

"$QDQRT" -q compare -m "$M" --amax "$M/amax_max.json" --precision fakequant --tensors-in "$M/inputs.safetensors:test" \
  --format jsonl >"$TMP/fq.jsonl"
python3 - "$TMP/fq.jsonl" "$M/outputs_fp32.safetensors" "$M/outputs_max.safetensors" <<'PY'
import json, math, struct, sys
def read(p):
    d = open(p, "rb").read(); n = struct.unpack("<Q", d[:8])[0]; h = json.loads(d[8:8 + n]); h.pop("__metadata__", None)
    return {k: struct.unpack("<%df" % ((v["data_offsets"][1] - v["data_offsets"][0]) // 4),
                             d[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]) for k, v in h.items()}
rows = [json.loads(l) for l in open(sys.argv[1])]
ref, fq = read(sys.argv[2]), read(sys.argv[3])
outs = {r["name"]: r for r in rows if r["kind"] == "output"}
assert set(outs) == set(ref), (set(outs), set(ref))
for name, a in ref.items():
    b = fq[name]
    mx = max(abs(x - y) for x, y in zip(a, b))
    l2 = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)) / sum(x * x for x in a))
    cos = sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))
    r = outs[name]
    assert abs(r["max_abs"] - mx) <= 2e-4, (name, r, mx)
    assert abs(r["rel_l2"] - l2) <= 1e-3 and abs(r["cosine"] - cos) <= 1e-3, (name, r, l2, cos)
errs = [r["rel_l2"] for r in rows if r["kind"] == "output"]
assert errs == sorted(errs, reverse=True), errs  # worst first
pts = [r for r in rows if r["kind"] == "quant_point"]
assert pts and all(p["rel_l2"] >= 0 and p["values"] > 0 for p in pts)
PY

# One quantizer made the worst by construction.
BAD=bert.encoder.layer.1.attention.output.dense._input_quantizer
python3 - "$M/amax_max.json" "$TMP/bad.json" "$BAD" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t[sys.argv[3]] = t[sys.argv[3]] / 50; json.dump(t, open(sys.argv[2], "w"))
PY
for p in int8 fakequant; do
  "$QDQRT" -q compare -m "$M" --amax "$TMP/bad.json" --precision $p --tensors-in "$M/inputs.safetensors:test" \
    --sensitivity --format jsonl >"$TMP/s.jsonl"
  python3 - "$TMP/s.jsonl" "$BAD" <<'PY'
import json, sys
s = [json.loads(l) for l in open(sys.argv[1])]
s = [r for r in s if r["kind"] == "sensitivity"]
assert s[0]["name"] == sys.argv[2], s[:3]
assert s[0]["improvement"] > 0
PY
done
# The readable table names it too.
"$QDQRT" -q compare -m "$M" --amax "$TMP/bad.json" --tensors-in "$M/inputs.safetensors:test" --sensitivity >"$TMP/s.txt"
grep -A1 "^left float" "$TMP/s.txt" | tail -1 | grep -q "^$BAD "
# Texts go through the model's tokenizer, as in calibrate (a QA model reads question TAB context).
"$QDQRT" -q compare -m "$M" --amax "$M/amax_max.json" --format jsonl "$(printf 'which one\ta first sentence')" \
  "$(printf 'how long\tand a second, longer one')" >"$TMP/t.jsonl"
python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])]; assert {x['name'] for x in r if x['kind']=='output'} == {'last_hidden_state','start_logits','end_logits'}, r" "$TMP/t.jsonl"
# The report goes through the shared output rule: -o FILE (atomic) holds what stdout would.
"$QDQRT" -q compare -m "$M" --amax "$M/amax_max.json" --output-format jsonl "$(printf 'which one\ta first sentence')" \
  "$(printf 'how long\tand a second, longer one')" -o "$TMP/t2.jsonl"
cmp "$TMP/t.jsonl" "$TMP/t2.jsonl"
# An encoder-decoder from texts, as calibrate reads them: a JSONL source with its target (teacher
# forcing) and one without (its decoder input is the fp32 greedy output). Both reach the decoder.
P="$FIX/prophetnet-quant"
printf '%s\n' '{"text": "the cat sat on the mat", "target": "a cat sat"}' '{"text": "it rained all day"}' \
  >"$TMP/src.jsonl"
"$QDQRT" -q compare -m "$P" --amax "$P/amax_max.json" -i "$TMP/src.jsonl" -o "$TMP/p.jsonl"
python3 - "$TMP/p.jsonl" <<'PY'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
outs = {x["name"]: x for x in r if x["kind"] == "output"}
assert "logits" in outs and outs["logits"]["values"] > 0 and outs["logits"]["max_abs"] > 0, outs
pts = {x["name"] for x in r if x["kind"] == "quant_point"}
assert any(n.startswith("prophetnet.decoder.") for n in pts) and any(n.startswith("prophetnet.encoder.") for n in pts), pts
PY
# QA task metrics: the fp32 answer (from encode, the QA pipeline tested against Hugging Face elsewhere) as the
# reference of one record and a wrong answer of another: fp32 SQuAD exact match and F1 are (1 + 0) / 2.
Q="$FIX/qdqbert-qa-from-bert"
printf '%s\n' '{"question": "who sat on the mat", "context": "the cat sat on the mat all day long"}' >"$TMP/q.jsonl"
ANS=$("$QDQRT" -q encode -m "$Q" -i "$TMP/q.jsonl" | python3 -c "import json,sys; print(json.loads(sys.stdin.read())['answer'])")
python3 - "$TMP/qa.jsonl" "$ANS" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    c = "the cat sat on the mat all day long"
    f.write(json.dumps({"question": "who sat on the mat", "context": c, "answers": {"text": [sys.argv[2]], "answer_start": [0]}}) + "\n")
    f.write(json.dumps({"question": "who sat on the mat", "context": c, "answers": ["zzz qqq"]}) + "\n")
PY
"$QDQRT" -q compare --task-only -m "$Q" --amax "$Q/amax_max.json" -i "$TMP/qa.jsonl" --format jsonl >"$TMP/qa.out"
python3 - "$TMP/qa.out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
t = {r["metric"]: r for r in rows if r["kind"] == "task"}
assert t["squad_em"]["fp32"] == 0.5 and t["squad_f1"]["fp32"] == 0.5, t
assert 0 <= t["span_agreement"]["int8"] <= 1, t
assert not [r for r in rows if r["kind"] in ("output", "quant_point")], rows  # --task-only
PY
echo ok
