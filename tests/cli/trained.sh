#!/usr/bin/env bash
# Task metrics of `compare` and accuracy-driven `quantize` on the trained models (tests/fixtures/trained).
#  1. bert-section, a hand-made set (parity/hand-seqcls.jsonl: dev-0..3 with labels chosen against Hugging
#     Face's fp32 predictions libs, net, devel, net, which test_trained proves qdqrt's fp32 gives):
#       gold libs, net, text, 5 (= devel by id2label)  ->  fp32 accuracy 2/4 = 0.5;
#       macro-F1 over {libs, net, devel, text}: libs 1 (tp 1); net 2/3 (tp 1, fp 1: dev-3 is gold devel);
#       devel 0 (tp 0); text 0 (tp 0)  ->  (1 + 2/3) / 4 = 5/12.
#     On the 32 dev records: fp32 accuracy = HF's labels against the gold labels (computed here from the
#     reference file).
#  2. prophetnet-synopsis greedy (32 new tokens, sources 80 tokens), a hand-made set (parity/hand-s2s.jsonl):
#     HF's greedy texts "fast - level interface to the c + + library ( development files )", "opengl library
#     for opengl", "gnu - based tool ..." against targets: the first text capitalised (exact match 1, ROUGE-L 1),
#     "OpenGL library" (LCS 2 of 4 and 2 words: P 1/2, R 1, F1 2/3, no exact match), "zzz qqq" (0)  ->
#     fp32 ROUGE-L (1 + 2/3 + 0) / 3 = 5/9, exact match 1/3. On 24 dev records: fp32 ROUGE-L and exact match
#     equal those of HF's greedy texts against the targets (computed here, in Python).
#  3. prophetnet-lm: the continuation's loss (fp32 and int8), perplexity = exp(loss).
#  4. quantize --calib --eval --max-loss: report, metadata and inspect.
# $1 = qdqrt binary, $2 = fixtures dir.
set -euo pipefail
QDQRT=$1
FIX=$2
T="$FIX/trained"
P="$T/parity"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# 1. bert-section
"$QDQRT" -q calibrate -m "$T/bert-section" --max-length 80 -i "$P/calib-seqcls.jsonl" -o "$TMP/bert.json"
"$QDQRT" -q compare -m "$T/bert-section" --max-length 80 --amax "$TMP/bert.json" -i "$P/hand-seqcls.jsonl" \
  --format jsonl >"$TMP/hand.jsonl"
"$QDQRT" -q compare -m "$T/bert-section" --max-length 80 --amax "$TMP/bert.json" -i "$P/dev-seqcls.jsonl" \
  --format jsonl >"$TMP/dev.jsonl"
"$QDQRT" -q compare -m "$T/bert-section" --max-length 80 --amax "$TMP/bert.json" -i "$P/dev-seqcls.jsonl" \
  >"$TMP/dev.txt"
python3 - "$TMP/hand.jsonl" "$TMP/dev.jsonl" "$P/dev-seqcls.jsonl" "$P/bert-section.ref.jsonl" <<'PY'
import json, sys
def task(p):
    return {r["metric"]: r for r in map(json.loads, open(p)) if r["kind"] == "task"}
h = task(sys.argv[1])
assert abs(h["accuracy"]["fp32"] - 0.5) < 1e-12, h
assert abs(h["macro_f1"]["fp32"] - 5 / 12) < 1e-12, h
for r in h.values():
    assert abs(r["difference"] - (r["int8"] - r["fp32"])) < 1e-12 and 0 <= r["int8"] <= 1 and r["records"] == 4, r
assert h["label_agreement"]["fp32"] == 1.0
d = task(sys.argv[2])
gold = [json.loads(l)["label"] for l in open(sys.argv[3])]
hf = [json.loads(l)["label"] for l in open(sys.argv[4])]
acc = sum(a == b for a, b in zip(gold, hf)) / len(gold)
assert abs(d["accuracy"]["fp32"] - acc) < 1e-12, (d, acc)
speed = [r for r in map(json.loads, open(sys.argv[2])) if r["kind"] == "speed"]
assert [s["precision"] for s in speed] == ["fp32", "int8"] and all(s["sequences_per_s"] > 0 for s in speed), speed
PY
grep -q "^accuracy " "$TMP/dev.txt"
grep -q "^task metric .* fp32 .* int8 .* difference" "$TMP/dev.txt"

# 2. prophetnet-synopsis
G=(--num-beams 1 --max-new-tokens 32 --max-length 80)
"$QDQRT" -q calibrate -m "$T/prophetnet-synopsis" --max-length 80 --max-target-length 32 -i "$P/calib-s2s.jsonl" \
  -o "$TMP/s2s.json"
"$QDQRT" -q compare -m "$T/prophetnet-synopsis" --amax "$TMP/s2s.json" "${G[@]}" -i "$P/hand-s2s.jsonl" \
  --format jsonl >"$TMP/hs.jsonl"
"$QDQRT" -q compare -m "$T/prophetnet-synopsis" --amax "$TMP/s2s.json" "${G[@]}" -i "$P/dev-s2s.jsonl" \
  --format jsonl >"$TMP/ds.jsonl"
python3 - "$TMP/hs.jsonl" "$TMP/ds.jsonl" "$P/dev-s2s.jsonl" "$P/prophetnet-synopsis.ref.jsonl" <<'PY'
import json, sys
def task(p):
    return {r["metric"]: r for r in map(json.loads, open(p)) if r["kind"] == "task"}
h = task(sys.argv[1])
assert abs(h["rouge_l"]["fp32"] - 5 / 9) < 1e-12, h
assert abs(h["exact_match"]["fp32"] - 1 / 3) < 1e-12, h
def lcs(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]
def rouge(p, r):
    p, r = p.lower().split(), r.lower().split()
    if not p or not r:
        return float(p == r)
    l = lcs(p, r)
    return 0.0 if l == 0 else 2 * (l / len(p)) * (l / len(r)) / (l / len(p) + l / len(r))
tg = [json.loads(l)["target"] for l in open(sys.argv[3])]
hf = [json.loads(l)["greedy"]["text"] for l in open(sys.argv[4])]
d = task(sys.argv[2])
want = sum(rouge(p, r) for p, r in zip(hf, tg)) / len(tg)
em = sum(p.lower().split() == r.lower().split() for p, r in zip(hf, tg)) / len(tg)
assert abs(d["rouge_l"]["fp32"] - want) < 1e-12, (d, want)
assert abs(d["exact_match"]["fp32"] - em) < 1e-12, (d, em)
assert 0 <= d["identical_ids"]["int8"] <= 1
speed = [r for r in map(json.loads, open(sys.argv[2])) if r["kind"] == "speed"]
assert all(s["tokens_per_s"] > 0 for s in speed), speed
PY

# 3. prophetnet-lm: the continuation's loss.
"$QDQRT" -q calibrate -m "$T/prophetnet-lm" -i "$P/calib-lm.jsonl" -o "$TMP/lm.json"
"$QDQRT" -q compare -m "$T/prophetnet-lm" --amax "$TMP/lm.json" -i "$P/dev-lm.jsonl" --format jsonl >"$TMP/lm.jsonl"
python3 - "$TMP/lm.jsonl" <<'PY'
import json, math, sys
t = {r["metric"]: r for r in map(json.loads, open(sys.argv[1])) if r["kind"] == "task"}
assert set(t) == {"loss", "perplexity"}, t
for p in ("fp32", "int8"):
    assert 1 < t["loss"][p] < 12, t
    assert abs(t["perplexity"][p] - math.exp(t["loss"][p])) < 1e-9 * t["perplexity"][p], t
assert t["loss"]["higher_is_better"] is False
PY

# 4. Tuning by accuracy on the 32 dev records; --max-loss 1 (any loss) stops at the first recipe.
"$QDQRT" -q quantize -m "$T/bert-section" --calib "$P/calib-seqcls.jsonl" --eval "$P/dev-seqcls.jsonl" --max-length 80 \
  --max-loss 1 -o "$TMP/tuned"
python3 - "$TMP/tuned/quantization_report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["metric"] == "accuracy" and r["within_tolerance"] and r["stop_reason"] == "within tolerance", r
assert len(r["trials"]) == 1 and r["trials"][0]["recipe"] == "max" and r["chosen"]["trial"] == 1, r
assert abs(r["loss"] - (r["fp32"]["accuracy"] - r["result"]["accuracy"])) < 1e-12, r
PY
"$QDQRT" -q encode -m "$TMP/tuned" --max-length 80 -i "$P/hand-seqcls.jsonl" >/dev/null
# Calibrate-then-quantize in one step equals calibrate + quantize --amax.
"$QDQRT" -q quantize -m "$T/bert-section" --calib "$P/calib-seqcls.jsonl" --max-length 80 -o "$TMP/q1"
"$QDQRT" -q quantize -m "$T/bert-section" --amax "$TMP/bert.json" -o "$TMP/q2"
"$QDQRT" -q encode -m "$TMP/q1" --max-length 80 -i "$P/dev-seqcls.jsonl" >"$TMP/e1.jsonl"
"$QDQRT" -q encode -m "$TMP/q2" --max-length 80 -i "$P/dev-seqcls.jsonl" >"$TMP/e2.jsonl"
cmp "$TMP/e1.jsonl" "$TMP/e2.jsonl"
# Why quantizers stay float is in the metadata and inspect shows it: a causal LM from a seq2seq checkpoint never
# runs its cross-attention, whose quantizers see no calibration data.
"$QDQRT" -q quantize -m "$FIX/prophetnet-quant" --arch ProphetNetForCausalLM --calib "$P/calib-lm.jsonl" -o "$TMP/lmq"
"$QDQRT" -q inspect -m "$TMP/lmq" >"$TMP/inspect.txt"
grep -q "why: left float: no calibration data" "$TMP/inspect.txt"
python3 - "$TMP/lmq/model.safetensors" <<'PY'
import json, struct, sys
d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]
md = json.loads(d[8:8 + n])["__metadata__"]
reasons = json.loads(md["qdqrt.float_reasons"]); floats = json.loads(md["qdqrt.float_quantizers"])
assert sorted(reasons) == sorted(floats) and all(v == "left float: no calibration data" for v in reasons.values()), md
assert md["qdqrt.calibration"].startswith("calibrated: max on calib-lm.jsonl"), md
PY
# A --max-loss that is not a number or a percentage is refused before any work.
if "$QDQRT" -q quantize -m "$T/bert-section" --calib "$P/calib-seqcls.jsonl" --eval "$P/dev-seqcls.jsonl" \
  --max-loss 1x -o "$TMP/bad" 2>"$TMP/err"; then
  echo "bad --max-loss accepted"; exit 1
fi
grep -q -- "--max-loss 1x" "$TMP/err"
test ! -e "$TMP/bad"
echo ok
