#!/usr/bin/env bash
# qdqrt forward --output-hidden-states --output-attentions against transformers 4.37.2
# (tests/fixtures/forward-outputs/, see its README: hidden states 1e-4, attention probabilities
# 1e-5), and encode --layer against the mean of a hidden state over the attention mask.
set -euo pipefail
BIN=$1 FIX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
FO="$FIX/forward-outputs"
py() { PYTHONPATH="$HERE" python3 -c "$@"; }

# Compares every tuple entry (NAME.K) of the reference (names under PREFIX, prefix dropped) with the
# output, and checks the output holds no other tuple entries. Hidden states 1e-4 + 1e-4 relative,
# probabilities 1e-5 + 1e-4 relative (the fixtures' rtol), ProphetNet's pre-softmax encoder / cross
# weights 1e-4 of the tensor's largest unmasked magnitude (dot products: their rounding scales with
# |q||k|); tests/unit/forward_outputs says why.
tuples() {  # got.safetensors ref.safetensors PREFIX
  py "
import sys, re
from bert_check import read_st, fail
got, ref, prefix = read_st('$1'), read_st('$2'), '$3'
want = {k[len(prefix):]: v for k, v in ref.items() if k.startswith(prefix) and not k.startswith('input.')
        and re.search(r'(hidden_states|attentions)(_ngram)?\.\d+$', k[len(prefix):])
        and (prefix or not k.startswith('causal.'))}
have = {k for k in got if re.search(r'\.\d+$', k)}
if have != set(want): fail('tuple names %s, expected %s' % (sorted(have), sorted(want)))
for k, (_, shape, w) in want.items():
    if got[k][1] != shape: fail('%s shape %s != %s' % (k, got[k][1], shape))
    scores = k.startswith(('encoder_attentions', 'cross_attentions'))
    if scores: atol, rtol = 1e-4 * max(abs(x) for x in w if abs(x) < 1e30), 0.0
    elif 'attentions' in k: atol, rtol = 1e-5, 1e-4
    else: atol, rtol = 1e-4, 1e-4
    worst = max((0.0 if g == x else abs(g - x)) - (atol + rtol * abs(x)) for g, x in zip(got[k][2], w))
    if worst > 0: fail('%s exceeds atol %g rtol %g by %g' % (k, atol, rtol, worst))
print('ok: %d tuple entries of %s' % (len(want), '$1'))
"
}

M="$FIX/qdqbert-seqcls"
"$BIN" -q forward -m "$M" --tensors-in "$FO/qdqbert.safetensors:input" --output-hidden-states --output-attentions \
  --tensors-out "$T/bert.safetensors"
tuples "$T/bert.safetensors" "$FO/qdqbert.safetensors" ""
# Only what was asked for.
"$BIN" -q forward -m "$M" --tensors-in "$FO/qdqbert.safetensors:input" --output-hidden-states --tensors-out "$T/h.safetensors"
py "
from bert_check import read_st, fail
g = read_st('$T/h.safetensors')
if any(k.startswith('attentions.') for k in g) or 'hidden_states.2' not in g: fail(sorted(g))
"
# int8 writes the same tuples (its attentions: the dequantized probability codes); their values are
# checked in tests/unit/forward_outputs, the int8 numbers against transformers by forward.sh.
"$BIN" -q forward -m "$M" --precision int8 --amax "$M/amax_max.json" --tensors-in "$FO/qdqbert.safetensors:input" \
  --output-hidden-states --output-attentions --tensors-out "$T/bert8.safetensors"
py "
from bert_check import read_st, fail
g, r = read_st('$T/bert8.safetensors'), read_st('$FO/qdqbert.safetensors')
for k in ['hidden_states.0', 'hidden_states.1', 'hidden_states.2', 'attentions.0', 'attentions.1']:
    if g[k][1] != r[k][1]: fail('%s shape %s' % (k, g[k][1]))
if g['hidden_states.2'][2] != g['last_hidden_state'][2]: fail('hidden_states.2 is not last_hidden_state')
print('ok: int8 tuples')
"

# ProphetNet encoder-decoder and causal LM.
P="$FIX/prophetnet"
"$BIN" -q forward -m "$P" --tensors-in "$FO/prophetnet.safetensors:input" --output-hidden-states --output-attentions \
  --tensors-out "$T/pn.safetensors"
tuples "$T/pn.safetensors" "$FO/prophetnet.safetensors" ""
py "
from bert_check import read_st, write_st
r = read_st('$FO/prophetnet.safetensors')
write_st('$T/causal_in.safetensors', {'input_ids': r['input.causal_input_ids'], 'attention_mask': r['input.causal_attention_mask']})
"
"$BIN" -q forward -m "$P" --arch ProphetNetForCausalLM --tensors-in "$T/causal_in.safetensors" --output-hidden-states \
  --output-attentions --tensors-out "$T/causal.safetensors"
tuples "$T/causal.safetensors" "$FO/prophetnet.safetensors" "causal."

# encode --layer -2 --pooling mean: the mean over the attention mask of hidden_states.{L-1}.
py "
import json
texts = json.load(open('$M/meta.json'))['test_inputs']
with open('$T/texts.jsonl', 'w') as f:
    for t in texts:
        f.write(json.dumps({'text': t[0], 'text_pair': t[1]} if isinstance(t, list) else {'text': t}) + '\n')
"
"$BIN" -q encode -m "$M" --arch QDQBertModel --layer -2 --pooling mean -i "$T/texts.jsonl" -o "$T/emb.jsonl"
py "
import json
from bert_check import read_st, fail
r = read_st('$FO/qdqbert.safetensors')
_, (B, S, H), hs = r['hidden_states.1']
mask = r['input.attention_mask'][2]
got = [json.loads(l)['embedding'] for l in open('$T/emb.jsonl')]
if len(got) != B: fail('%d records' % len(got))
for b in range(B):
    n = sum(mask[b * S:(b + 1) * S])
    want = [sum(hs[(b * S + t) * H + i] for t in range(S) if mask[b * S + t]) / n for i in range(H)]
    d = max(abs(x - y) for x, y in zip(got[b], want))
    if d > 1e-5: fail('row %d: |embedding - mean(hidden_states.1)| = %g > 1e-5' % (b, d))
print('ok: encode --layer -2 --pooling mean')
"
# --pooling pooler --layer 1: the pooler (dense + tanh) on hidden_states.1's first token.
"$BIN" -q encode -m "$M" --arch QDQBertModel --layer 1 --pooling pooler -i "$T/texts.jsonl" -o "$T/pool.jsonl"
py "
import json, math
from bert_check import read_st, fail
r, w = read_st('$FO/qdqbert.safetensors'), read_st('$M/model.safetensors')
_, (B, S, H), hs = r['hidden_states.1']
W, bias = w['bert.pooler.dense.weight'][2], w['bert.pooler.dense.bias'][2]
got = [json.loads(l)['embedding'] for l in open('$T/pool.jsonl')]
for b in range(B):
    cls = hs[b * S * H:b * S * H + H]
    want = [math.tanh(sum(W[o * H + i] * cls[i] for i in range(H)) + bias[o]) for o in range(H)]
    d = max(abs(x - y) for x, y in zip(got[b], want))
    if d > 1e-5: fail('row %d: |pooled - tanh(W hidden_states.1[CLS] + b)| = %g > 1e-5' % (b, d))
print('ok: encode --layer 1 --pooling pooler')
"
# --layer -1 is the default; on a head model it warns that head outputs ignore it.
"$BIN" -q encode -m "$M" --arch QDQBertModel --pooling mean -i "$T/texts.jsonl" -o "$T/last.jsonl"
"$BIN" -q encode -m "$M" --arch QDQBertModel --layer -1 --pooling mean -i "$T/texts.jsonl" -o "$T/last1.jsonl"
cmp "$T/last.jsonl" "$T/last1.jsonl"
"$BIN" encode -m "$M" --layer -2 "some text" >"$T/head.jsonl" 2>"$T/warn"
grep -q -- "--layer has no effect on the head outputs" "$T/warn" || { echo "FAIL: no --layer warning"; cat "$T/warn"; exit 1; }
if "$BIN" encode -m "$M" --arch QDQBertModel --layer 3 "x" >"$T/o" 2>"$T/err"; then echo "FAIL: --layer 3 accepted"; exit 1; fi
grep -q -- "--layer 3: QDQBertModel has hidden states 0..2" "$T/err" || { echo "FAIL: error:"; cat "$T/err"; exit 1; }
echo "forward_outputs.sh: all ok"
