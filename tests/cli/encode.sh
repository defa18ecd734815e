#!/usr/bin/env bash
# qdqrt encode for every BERT head: values against the PyTorch fixture outputs
# (the fixture test texts from meta.json), JSONL schemas, batch-size independence.
set -euo pipefail
BIN=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
check() { python3 "$HERE/bert_check.py" "$@"; }
S="$FIX/qdqbert-seqcls" Q="$FIX/qdqbert-qa-from-bert"

# Sequence classification: texts -> tokenizer -> model equals PyTorch's logits.
check test-texts "$S/meta.json" >"$T/s.txt"
"$BIN" -q encode -m "$S" -i "$T/s.txt" -o "$T/s.safetensors"
check compare-tokens "$T/s.safetensors" "$S/outputs_fp32.safetensors" last_hidden_state 1e-4 1e-4
"$BIN" -q encode -m "$S" -i "$T/s.txt" -o "$T/s.jsonl"
check seqcls-jsonl "$T/s.jsonl" "$S/outputs_fp32.safetensors" "$S/config.json"
# Same results whatever the batching (and stdin input, JSONL input).
"$BIN" -q encode -m "$S" --batch-size 1 -i - <"$T/s.txt" >"$T/s1.jsonl"
"$BIN" -q encode -m "$S" --batch-size 3 -i "$T/s.txt" >"$T/s3.jsonl"
check same-json "$T/s1.jsonl" "$T/s3.jsonl" 1e-5
check same-json "$T/s1.jsonl" "$T/s.jsonl" 1e-5
python3 -c "
import json
for l in open('$T/s.txt').read().splitlines():
    a = l.split('\t'); d = {'text': a[0]}
    if len(a) > 1: d['text_pair'] = a[1]
    print(json.dumps(d))" >"$T/s.jsonl.in"
"$BIN" -q encode -m "$S" --input-format jsonl -i "$T/s.jsonl.in" >"$T/sj.jsonl"
check same-json "$T/sj.jsonl" "$T/s.jsonl" 1e-5

# Bare model (pooler present: default pooling is the pooler output).
"$BIN" -q encode -m "$S" --arch QDQBertModel -i "$T/s.txt" -o "$T/b.jsonl"
check schema "$T/b.jsonl" bare 3
"$BIN" -q encode -m "$S" --arch QDQBertModel -i "$T/s.txt" -o "$T/b.npy"
python3 -c "
import json, struct, sys
sys.path.insert(0, '$HERE'); import bert_check as b
raw = open('$T/b.npy', 'rb').read(); hl = struct.unpack('<H', raw[8:10])[0]
vals = struct.unpack('<%df' % ((len(raw) - 10 - hl) // 4), raw[10 + hl:])
want = b.read_st('$S/outputs_fp32.safetensors')['pooler_output'][2]
assert len(vals) == len(want) and max(abs(x - y) for x, y in zip(vals, want)) < 2e-4, 'npy pooler_output'
rows = [json.loads(l)['embedding'] for l in open('$T/b.jsonl')]
assert max(abs(x - y) for x, y in zip(sum(rows, []), vals)) < 1e-6, 'jsonl vs npy'
print('ok: bare embeddings = fixture pooler_output')"
for p in cls mean; do
  "$BIN" -q encode -m "$S" --arch QDQBertModel --pooling $p "a short text" >"$T/b_$p.jsonl"
  check schema "$T/b_$p.jsonl" bare 1
done

# Question answering: start/end logits equal PyTorch's; answers lie in the context.
check test-texts "$Q/meta.json" >"$T/q.txt"
printf 'What is the license steward?\tMozilla Foundation is the license steward.\n' >"$T/qa.txt"
printf '{"question": "Who?", "context": "The Free Software Foundation publishes the license."}\n' >"$T/qa.jsonl"
"$BIN" -q encode -m "$Q" -i "$T/qa.txt" >"$T/qa1.jsonl"
"$BIN" -q encode -m "$Q" -i "$T/qa.jsonl" >"$T/qa2.jsonl"
check schema "$T/qa1.jsonl" qa 1
check schema "$T/qa2.jsonl" qa 1
# The fixture's third test input is a pair; QA runs it as (question, context).
tail -n 1 "$T/q.txt" >"$T/q3.txt"
"$BIN" -q encode -m "$Q" -i "$T/q3.txt" -o "$T/q3.safetensors"
python3 -c "
import sys; sys.path.insert(0, '$HERE'); import bert_check as b
got, want = b.read_st('$T/q3.safetensors'), b.read_st('$Q/outputs_fp32.safetensors')
n = sum(got['attention_mask'][2])
for k in ('start_logits', 'end_logits'):
    g = got[k][2][:n]; w = want[k][2][2 * 23:2 * 23 + n]
    assert max(abs(x - y) for x, y in zip(g, w)) < 1e-4, k
print('ok: QA logits of the pair input match the fixture')"

# Token classification and masked LM: fixture encoder + random head weights.
mkdir -p "$T/tok" "$T/mlm"
check make-head "$S" "$T/tok" token
check make-head "$S" "$T/mlm" mlm
"$BIN" -q encode -m "$T/tok" -i "$T/s.txt" >"$T/t.jsonl"
check schema "$T/t.jsonl" token 3
"$BIN" -q encode -m "$T/tok" --batch-size 1 -i "$T/s.txt" >"$T/t1.jsonl"
check same-json "$T/t.jsonl" "$T/t1.jsonl" 1e-5
"$BIN" -q encode -m "$T/mlm" "The [MASK] is the license steward." "No [MASK] of [MASK]." >"$T/m.jsonl"
check schema "$T/m.jsonl" mlm 2
python3 -c "
import json
r = [json.loads(l) for l in open('$T/m.jsonl')]
assert len(r[0]['masks']) == 1 and len(r[1]['masks']) == 2, r"
# A head missing from the checkpoint is an error, not random weights.
if "$BIN" -q encode -m "$S" --arch QDQBertForMaskedLM "x" 2>"$T/err"; then echo "FAIL: MLM without head weights"; exit 1; fi
grep -q "missing weight 'cls.predictions" "$T/err" || { cat "$T/err"; exit 1; }
# Too long without truncation is an error naming the input.
python3 -c "print(' '.join(['word'] * 600))" >"$T/long.txt"
if "$BIN" -q encode -m "$S" --truncation do_not_truncate -i "$T/long.txt" 2>"$T/err"; then echo "FAIL: long input"; exit 1; fi
grep -q "long.txt:1: .*more than max_position_embeddings 512" "$T/err" || { cat "$T/err"; exit 1; }
"$BIN" -q encode -m "$S" -i "$T/long.txt" >/dev/null  # truncated to 512 by default
echo "encode.sh: all ok"
