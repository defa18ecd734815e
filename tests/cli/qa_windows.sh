#!/usr/bin/env bash
# Question answering as Hugging Face's question-answering pipeline does it (issue 17, item 6): a long
# context read in overlapping windows (--doc-stride), the question never cut, the best span over all
# windows, --max-answer-len and --top-k; a record without a context is an error naming its line.
# The fixture QA model is random, so a probe reader is built from it: every residual branch zeroed and
# every LayerNorm plain, so a token's hidden state is its own normalised embedding; embedding dims 0 and 1
# are zero except for "alpha" (dim 0, read by the start logit) and "omega" (dim 1, the end logit). Its
# answer to any question is the span "alpha ... omega" of the context, wherever that is.
# Usage: qa_windows.sh QDQRT FIXTURES
set -uo pipefail
Q=$1; F=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=2
fail() { echo "FAIL: $*"; exit 1; }
P=$T/probe; mkdir -p "$P"
python3 - "$F/qdqbert-qa-from-bert" "$P" "$HERE" <<'PY' || fail "probe model"
import json, shutil, sys
src, dst, here = sys.argv[1:]
sys.path.insert(0, here); import bert_check as b
for f in ("config.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
    shutil.copy(src + "/" + f, dst + "/" + f)
vocab = {t: i for i, t in enumerate(open(src + "/vocab.txt", encoding="utf-8").read().split("\n"))}
w = b.read_st(src + "/model.safetensors")
H = 64
def zero(k): dt, sh, v = w[k]; w[k] = (dt, sh, [0.0] * len(v))
def ones(k): dt, sh, v = w[k]; w[k] = (dt, sh, [1.0] * len(v))
for k in list(w):
    if k.endswith(("output.dense.weight", "output.dense.bias", "LayerNorm.bias")):  # attention and FFN outputs
        zero(k)
    if k.endswith("LayerNorm.weight"): ones(k)
for k in ("bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
          "bert.embeddings.token_type_embeddings.weight"):
    dt, sh, v = w[k]
    for r in range(sh[0]):
        v[r * H] = v[r * H + 1] = 0.0
    if "word" in k:
        v[vocab["alpha"] * H] = 8.0
        v[vocab["omega"] * H + 1] = 8.0
    w[k] = (dt, sh, v)
w["qa_outputs.weight"] = ("F32", [2, H], [1.0 if i == 0 else 0.0 for i in range(H)] + [1.0 if i == 1 else 0.0 for i in range(H)])
b.write_st(dst + "/model.safetensors", w)
PY

# Contexts of one-piece words ("the license applies ..."), so word k is context token k.
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
W = "the license applies to each covered work and its source code form may be distributed freely".split()
def ctx(n, at):
    words = [W[i % len(W)] for i in range(n)]
    words[at:at] = ["alpha", "one", "two", "omega"]
    return " ".join(words).capitalize() + "."
rec = lambda q, c, i: json.dumps({"question": q, "context": c, "id": i})
with open(t + "/long.jsonl", "w") as f:
    # answers past token 512 (the whole input is ~ 800 tokens), and in the middle, and at the start
    f.write(rec("where is alpha ?", ctx(800, 640), "past512") + "\n")
    f.write(rec("where is alpha ?", ctx(300, 150), "mid") + "\n")
    f.write(rec("where is alpha ?", ctx(120, 0), "start") + "\n")
    f.write(rec("where is alpha ?", "Alpha one two omega, and nothing else.", "short") + "\n")
# --max-length 64 with question "where is alpha ?" (4 tokens): windows hold 57 context tokens. With
# --doc-stride 0 they are [0, 57), [57, 114), ...: "alpha one" ends window 0, "two omega" opens window 1.
open(t + "/straddle.jsonl", "w").write(rec("where is alpha ?", ctx(200, 55), "straddle") + "\n")
open(t + "/nocontext.jsonl", "w").write(rec("q", "c", 1) + "\n" + json.dumps({"question": "where?"}) + "\n")
open(t + "/emptycontext.jsonl", "w").write(rec("q", "c", 1) + "\n" + rec("q", "c", 2) + "\n" + rec("where?", "", 3) + "\n")
open(t + "/notab.txt", "w").write("where is alpha?\n")
PY

check_answers() {  # FILE: every record's answer is "alpha one two omega" and its offsets slice the context to it
  python3 - "$1" "$2" <<'PY'
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
inp = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(inp), (len(got), len(inp))
for g, i in zip(got, inp):
    assert g["id"] == i["id"], (g, i)
    assert g["answer"].lower() == "alpha one two omega", (i["id"], g)  # in the context's own case
    assert i["context"][g["start"]:g["end"]] == g["answer"], (i["id"], g)  # code point offsets
    assert g["score"] > 0.5, g
print("ok: %d answers found, offsets slice the context" % len(got))
PY
}

same_answers() {  # A B: the same spans and answers; scores equal to float rounding (a GEMM's sums round
  # differently with the batch's shape, for every head: encode.sh compares at 1e-5)
  python3 - "$1" "$2" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]; b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) and a, (len(a), len(b))
for x, y in zip(a, b):
    assert [x[k] for k in ("id", "start", "end", "answer")] == [y[k] for k in ("id", "start", "end", "answer")], (x, y)
    assert abs(x["score"] - y["score"]) <= 1e-5 * max(abs(x["score"]), 1e-30), (x, y)
PY
}

# (2) an answer past token 512 is found (default --max-length 512, windows of 512), and with windows of 64.
"$Q" -q encode -m "$P" -i "$T/long.jsonl" > "$T/a512.jsonl" || fail "encode long contexts"
check_answers "$T/a512.jsonl" "$T/long.jsonl" || fail "answers with --max-length 512"
"$Q" -q encode -m "$P" --max-length 64 --doc-stride 16 -i "$T/long.jsonl" > "$T/a64.jsonl" || fail "encode --max-length 64"
check_answers "$T/a64.jsonl" "$T/long.jsonl" || fail "answers with --max-length 64"

# (4) the same answers for every batch size, and whether the records come in one file or one at a time.
for bs in 1 3 16; do
  "$Q" -q encode -m "$P" --max-length 64 --doc-stride 16 -b $bs -i "$T/long.jsonl" > "$T/b$bs.jsonl" || fail "-b $bs"
  same_answers "$T/b$bs.jsonl" "$T/a64.jsonl" || fail "--batch-size $bs changes the answers"
done
: > "$T/split.jsonl"
while IFS= read -r line; do
  printf '%s\n' "$line" | "$Q" -q encode -m "$P" --max-length 64 --doc-stride 16 >> "$T/split.jsonl" || fail "one record"
done < "$T/long.jsonl"
same_answers "$T/split.jsonl" "$T/a64.jsonl" || fail "answers depend on how the input is split"
# The random fixture model too (real attention across the window): batch sizes agree on long contexts.
"$Q" -q encode -m "$F/qdqbert-qa-from-bert" --max-length 48 --doc-stride 8 -b 1 -i "$T/long.jsonl" > "$T/r1.jsonl" &&
  "$Q" -q encode -m "$F/qdqbert-qa-from-bert" --max-length 48 --doc-stride 8 -b 7 -i "$T/long.jsonl" > "$T/r7.jsonl" ||
  fail "random model, long contexts"
same_answers "$T/r1.jsonl" "$T/r7.jsonl" || fail "random model: --batch-size changes the answers"
echo "ok: answers independent of --batch-size and of the input split"

# (5) --doc-stride: with no overlap the answer straddling two windows cannot be returned whole; with overlap it is.
"$Q" -q encode -m "$P" --max-length 64 --doc-stride 0 -i "$T/straddle.jsonl" | grep -q '"answer":"alpha one two omega"' &&
  fail "--doc-stride 0 returned a span no window holds"
"$Q" -q encode -m "$P" --max-length 64 --doc-stride 16 -i "$T/straddle.jsonl" | grep -q '"answer":"alpha one two omega"' ||
  fail "--doc-stride 16: the straddling answer not found"
# --max-answer-len: the 4-token answer cannot come back when the limit is 3.
"$Q" -q encode -m "$P" --max-answer-len 3 -i "$T/long.jsonl" > "$T/len3.jsonl" || fail "--max-answer-len 3"
python3 - "$T/len3.jsonl" <<'PY' || fail "--max-answer-len 3 still returns the 4-token answer"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    assert r["answer"].lower() != "alpha one two omega" and len(r["answer"].split()) <= 3, r
print("ok: --max-answer-len 3 keeps answers within 3 tokens")
PY
# --top-k: a list of answers best first (and no "no effect" warning for QA).
"$Q" encode -m "$P" --top-k 3 -i "$T/long.jsonl" > "$T/k3.jsonl" 2> "$T/k3.err" || fail "--top-k 3"
grep -q "no effect" "$T/k3.err" && fail "--top-k warned as having no effect on QA: $(cat "$T/k3.err")"
python3 - "$T/k3.jsonl" <<'PY' || fail "--top-k 3 answers"
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    a = r["answers"]
    assert len(a) == 3 and a[0]["answer"] == r["answer"] and r["answer"].lower() == "alpha one two omega", r
    assert a[0]["score"] >= a[1]["score"] >= a[2]["score"], a
print("ok: --top-k 3 lists three answers best first")
PY

# (1) a context that fits one window: --doc-stride changes nothing.
"$Q" -q encode -m "$F/qdqbert-qa-from-bert" -i "$T/long.jsonl" --doc-stride 0 | tail -1 > "$T/s0.jsonl" &&
  "$Q" -q encode -m "$F/qdqbert-qa-from-bert" -i "$T/long.jsonl" --doc-stride 200 | tail -1 > "$T/s200.jsonl" ||
  fail "short context"
cmp -s "$T/s0.jsonl" "$T/s200.jsonl" || fail "--doc-stride changed the answer of a context that fits"

# (3) the question is never cut: one that leaves no room for the context is refused, not truncated.
printf '{"question": "%s", "context": "alpha one two omega"}\n' "$(printf 'where %.0s' $(seq 70))" > "$T/longq.jsonl"
out=$("$Q" -q encode -m "$P" --max-length 64 -i "$T/longq.jsonl" 2>&1); rc=$?
[ $rc = 1 ] && grep -q "longq.jsonl:1: the question has 70 tokens" <<<"$out" || fail "long question: rc $rc: $out"
# Records without a context, or with an empty one: an error naming the line, exit 1, no output.
for c in "nocontext.jsonl:2" "emptycontext.jsonl:3" "notab.txt:1"; do
  f=${c%%:*}
  out=$("$Q" -q encode -m "$P" -i "$T/$f" -o "$T/none.jsonl" 2>&1); rc=$?
  [ $rc = 1 ] && grep -q "$c: " <<<"$out" && grep -qi "context" <<<"$out" || fail "$f: rc $rc: $out"
  [ ! -e "$T/none.jsonl" ] || fail "$f: output written"
done
echo "ok: a missing or empty context is an error naming its line"
echo "PASS qa_windows"
