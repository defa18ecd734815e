#!/usr/bin/env bash
# QDQBertForMultipleChoice and QDQBertForNextSentencePrediction against the
# PyTorch fixtures (tests/fixtures/qdqbert-heads, tolerances from each
# meta.json: fp32 atol/rtol 1e-4, fake quant atol 0.1 on logits): forward in
# fp32, fake quant and int8 (logits and the loss from `labels`), max
# calibration vs the reference amax table, an int8 directory, and encode.
set -euo pipefail
BIN=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
check() { python3 "$HERE/bert_check.py" "$@"; }
H=$FIX/qdqbert-heads
for d in multiple-choice nsp; do
  M=$H/$d in=$H/$d/inputs.safetensors:test
  read -r fa fr fq < <(python3 -c "import json; t=json.load(open('$M/meta.json'))['recommended_tolerance']; print(t['fp32']['atol'], t['fp32']['rtol'], t['fakequant']['atol'])")
  "$BIN" -q forward -m "$M" --tensors-in "$in" --tensors-out "$T/$d.fp32.safetensors"
  check compare "$T/$d.fp32.safetensors" "$M/outputs_fp32.safetensors" "$fa" "$fr"
  for p in fakequant int8; do
    "$BIN" -q forward -m "$M" --precision $p --amax "$M/amax_max.json" --tensors-in "$in" --tensors-out "$T/$d.$p.safetensors"
    check compare "$T/$d.$p.safetensors" "$M/outputs_max.safetensors" "$fq" 0
  done
  # Max calibration on the fixture's two batches gives the reference table (rtol 1e-6, the README's bound).
  "$BIN" -q calibrate -m "$M" --method max --tensors-in "$H/$d/inputs.safetensors:calib0" \
    --tensors-in "$H/$d/inputs.safetensors:calib1" -o "$T/$d.amax.json"
  python3 - "$T/$d.amax.json" "$M/amax_max.json" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
# qdqrt's table also records which model it was calibrated on (__metadata__); the reference has none.
a.pop("__metadata__", None)
assert set(a) == set(b), sorted(set(a) ^ set(b))[:5]
for k in b:
    x, y = (a[k], b[k]) if isinstance(b[k], list) else ([a[k]], [b[k]])
    assert len(x) == len(y) and all(abs(p - q) <= 1e-6 * abs(q) for p, q in zip(x, y)), k
print("ok: %s matches %s (%d quantizers)" % (sys.argv[1], sys.argv[2], len(b)))
PY
  "$BIN" -q quantize -m "$M" --amax "$M/amax_max.json" -o "$T/$d-int8"
  "$BIN" -q forward -m "$T/$d-int8" --tensors-in "$in" --tensors-out "$T/$d.dir.safetensors"
  check compare "$T/$d.dir.safetensors" "$M/outputs_max.safetensors" "$fq" 0
done

# encode, multiple choice: one JSONL record per question; scores are the softmax over its choices,
# independent of the other records, and follow the choices when they are reordered.
MC=$H/multiple-choice
cat >"$T/mc.jsonl" <<'J'
{"context": "The cat sat on the mat.", "choices": ["It purred.", "The car exploded loudly.", "It slept."]}
{"context": "Paris is", "choices": ["in France.", "a fish."]}
J
"$BIN" -q encode -m "$MC" -i "$T/mc.jsonl" -o "$T/mc.out"
sed -n 2p "$T/mc.jsonl" >"$T/mc2.jsonl"
echo '{"context": "Paris is", "choices": ["a fish.", "in France."]}' >"$T/mc2r.jsonl"
"$BIN" -q encode -m "$MC" -i "$T/mc2.jsonl" -o "$T/mc2.out"
"$BIN" -q encode -m "$MC" -i "$T/mc2r.jsonl" -o "$T/mc2r.out"
printf 'Paris is\tin France.\ta fish.\n' | "$BIN" -q encode -m "$MC" --input-format text >"$T/mc2t.out"
python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
rows = [json.loads(l) for l in open(T + "/mc.out")]
assert len(rows) == 2 and [len(r["scores"]) for r in rows] == [3, 2], rows
for r in rows:
    assert abs(sum(r["scores"]) - 1) < 1e-5 and r["score"] == max(r["scores"]) and r["scores"][r["choice"]] == r["score"]
one, rev, txt = (json.loads(open(T + f).read()) for f in ("/mc2.out", "/mc2r.out", "/mc2t.out"))
assert all(abs(a - b) < 1e-6 for a, b in zip(one["scores"], rows[1]["scores"])), (one, rows[1])
assert all(abs(a - b) < 1e-6 for a, b in zip(rev["scores"], one["scores"][::-1])), (rev, one)
assert txt == one, (txt, one)
print("ok: multiple-choice encode")
PY
# Batching: inputs with the same number of choices share one [batch, choices, T] forward; a record
# does not depend on the batch size or its neighbours (padding is masked): -b 1 vs -b 4 within 1e-6.
cat >"$T/mcb.jsonl" <<'J'
{"context": "The cat sat on the mat.", "choices": ["It purred.", "The car exploded loudly.", "It slept."]}
{"context": "Paris is", "choices": ["in France.", "a fish."]}
{"context": "Water boils at", "choices": ["a hundred degrees.", "noon on a long and sunny afternoon.", "home."]}
{"context": "Birds", "choices": ["fly.", "swim."]}
{"context": "A long context about many things that keeps going for a while", "choices": ["yes.", "no."]}
J
"$BIN" -q encode -m "$MC" -i "$T/mcb.jsonl" -b 1 -o "$T/mcb1.out"
"$BIN" -q encode -m "$MC" -i "$T/mcb.jsonl" -b 4 -o "$T/mcb4.out"
python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
a = [json.loads(l) for l in open(T + "/mcb1.out")]
b = [json.loads(l) for l in open(T + "/mcb4.out")]
assert [len(r["scores"]) for r in a] == [3, 2, 3, 2, 2], a
for x, y in zip(a, b):
    assert x["choice"] == y["choice"] and all(abs(p - q) < 1e-6 for p, q in zip(x["scores"], y["scores"])), (x, y)
print("ok: multiple-choice batching")
PY
# encode, next sentence prediction: text pairs (tab or JSONL text_pair), probabilities of is_next / not_next.
printf '{"text": "The cat sat.", "text_pair": "It purred."}\n' >"$T/nsp.jsonl"
"$BIN" -q encode -m "$H/nsp" -i "$T/nsp.jsonl" -o "$T/nsp.out"
printf 'The cat sat.\tIt purred.\n' | "$BIN" -q encode -m "$H/nsp" >"$T/nsp2.out"
cmp "$T/nsp.out" "$T/nsp2.out"
python3 -c "
import json; r = json.loads(open('$T/nsp.out').read()); s = r['scores']
assert set(s) == {'is_next', 'not_next'} and abs(s['is_next'] + s['not_next'] - 1) < 1e-5 and r['score'] == s[r['label']]
print('ok: nsp encode', r)"
echo "heads.sh: all ok"
