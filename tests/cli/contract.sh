#!/usr/bin/env bash
# The input/output contract every subcommand shares (README "Input and output"):
# one input rule, one output per input in order with ids echoed, one output
# rule (-o, --output-format, extensions in any case), streaming, output paths
# checked before work, progress lines, generate's per-input random streams,
# prompt handling and truncation, QA/NER character offsets, and the CLI's usage
# behaviour. Usage: contract.sh QDQRT FIXTURES
set -uo pipefail
Q=$1; F=$2
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
S=$F/qdqbert-seqcls QA=$F/qdqbert-qa-from-bert PN=$F/prophetnet
export OMP_NUM_THREADS=2
fail() { echo "FAIL: $*"; exit 1; }
lines() { wc -l < "$1" | tr -d ' '; }

# --- one input rule ----------------------------------------------------------------
printf '{"text": "the license steward", "id": "a"}\n{"text": "a second text", "id": 2}\n{"text": "third"}\n' > "$T/in.jsonl"
printf 'the license steward\na second text\nthird\n' > "$T/in.txt"
head -3 "$T/in.jsonl" | "$Q" -q encode -m "$S" > "$T/sniffed.jsonl" || fail "encode from stdin"
"$Q" -q encode -m "$S" --input-format jsonl -i "$T/in.jsonl" > "$T/forced.jsonl" || fail "encode --input-format jsonl"
cmp -s "$T/sniffed.jsonl" "$T/forced.jsonl" || fail "JSONL on stdin not read as JSONL: $(head -1 "$T/sniffed.jsonl")"
cp "$T/in.jsonl" "$T/in.ndjson"
"$Q" -q encode -m "$S" -i "$T/in.ndjson" > "$T/nd.jsonl" && cmp -s "$T/nd.jsonl" "$T/forced.jsonl" || fail "-i x.ndjson"
"$Q" -q encode -m "$S" -i "$T/in.txt" | python3 -c "
import json, sys
a = [json.loads(l) for l in sys.stdin]; b = [json.loads(l) for l in open('$T/forced.jsonl')]
assert [x['scores'] for x in a] == [{k: v for k, v in x['scores'].items()} for x in b], 'text vs jsonl differ'
assert [x.get('id') for x in b] == ['a', 2, None], [x.get('id') for x in b]
" || fail "text and JSONL inputs give different results, or ids not echoed"
"$Q" -q tokenize -m "$S" -i "$T/in.txt" > "$T/tok.jsonl" || fail "tokenize -i plain.txt"
[ "$(lines "$T/tok.jsonl")" = 3 ] || fail "tokenize plain text lines"
"$Q" -q tokenize -m "$S" --input-format text -i "$T/in.jsonl" | head -1 | grep -q '"{"' || fail "--input-format text keeps JSON as text"
# calibrate reads the same files the same way.
"$Q" -q calibrate -m "$S" -i "$T/in.jsonl" -o "$T/a1.json" && "$Q" -q calibrate -m "$S" -i "$T/in.txt" -o "$T/a2.json" \
  || fail "calibrate from text"
cmp -s "$T/a1.json" "$T/a2.json" || fail "calibrate: JSONL and text inputs give different amax"

# --- one output per input, blank lines included ---------------------------------------
printf 'first\n\nthird\n\n\n' > "$T/blank.txt"
"$Q" -q encode -m "$S" -i "$T/blank.txt" > "$T/blank.out" || fail "encode with blank lines"
[ "$(lines "$T/blank.out")" = 5 ] || fail "encode: 5 inputs gave $(lines "$T/blank.out") outputs"
"$Q" -q tokenize -m "$S" -i "$T/blank.txt" > "$T/blank.tok" || fail "tokenize with blank lines"
sed -n 2p "$T/blank.tok" | grep -q '"input_ids":\[101,102\]' || fail "blank line is not an empty text: $(sed -n 2p "$T/blank.tok")"
"$Q" -q generate -m "$PN" --max-new-tokens 3 -i "$T/blank.txt" > "$T/blank.gen" || fail "generate with blank lines"
[ "$(lines "$T/blank.gen")" = 5 ] || fail "generate: 5 inputs gave $(lines "$T/blank.gen") outputs"

# --- one output rule: -o, --output-format, extensions in any case ------------------------
"$Q" -q encode -m "$S" --arch QDQBertModel -i "$T/in.txt" -o "$T/e.NPY" || fail "encode -o x.NPY"
head -c 6 "$T/e.NPY" | grep -q NUMPY || fail "-o x.NPY did not write npy"
"$Q" -q encode -m "$S" -i "$T/in.txt" -o "$T/e.JSONL" && [ "$(lines "$T/e.JSONL")" = 3 ] || fail "-o x.JSONL"
"$Q" -q encode -m "$S" -i "$T/in.txt" --output-format text > "$T/e.txt" || fail "encode --output-format text"
[ "$(lines "$T/e.txt")" = 3 ] && ! grep -q '{' "$T/e.txt" || fail "text output: $(cat "$T/e.txt")"
"$Q" -q generate -m "$PN" --max-new-tokens 3 "one source" > "$T/g.out" || fail "generate to stdout"
python3 -c "
import json; r = json.loads(open('$T/g.out').read())
g = r['generated'][0]
assert isinstance(g['generated_text'], str) and all(isinstance(i, int) for i in g['ids']), r
" || fail "generate JSONL on stdout: $(cat "$T/g.out")"
"$Q" -q generate -m "$PN" --max-new-tokens 3 "one source" --output-format text -o "$T/g.TXT" || fail "generate text"
grep -q '{' "$T/g.TXT" && fail "generate --output-format text wrote JSON"
python3 -c "
import json
for l in open('$T/tok.jsonl'):
    r = json.loads(l); assert all(isinstance(t, str) for t in r['tokens']) and all(isinstance(i, int) for i in r['input_ids'])
" || fail "tokenize field types"

# --- output paths checked before any work; quantize --force ------------------------------
for cmd in "encode -m $S" "generate -m $PN" "tokenize -m $S"; do
  # stdin never ends: only a check made before reading the input can fail in time.
  # shellcheck disable=SC2086
  if timeout 20 "$Q" -q $cmd -o "$T/missing/x.jsonl" 2>"$T/err" < <(sleep 30); then fail "$cmd -o missing/"; fi
  grep -q "does not exist" "$T/err" || fail "$cmd -o missing/: $(cat "$T/err")"
done
timeout 20 "$Q" -q calibrate -m "$S" --out "$T/missing/a.json" 2>"$T/err" < <(sleep 30) && fail "calibrate --out missing/"
grep -q "does not exist" "$T/err" || fail "calibrate --out missing/: $(cat "$T/err")"
"$Q" -q quantize -m "$S" --amax "$S/amax_max.json" -o "$T/q8" || fail "quantize"
"$Q" -q quantize -m "$S" --amax "$S/amax_max.json" -o "$T/q8" 2>"$T/err" && fail "quantize onto an existing directory"
grep -q -- "--force" "$T/err" || fail "quantize refusal does not mention --force: $(cat "$T/err")"
echo stale > "$T/q8/stale.txt"
"$Q" -q quantize -m "$S" --amax "$S/amax_max.json" -o "$T/q8" --force || fail "quantize --force"
[ -e "$T/q8/stale.txt" ] && fail "quantize --force kept the old directory's files"
[ -e "$T/q8/model.safetensors" ] || fail "quantize --force: no model"
ls -a "$T" | grep -q '^\.q8' && fail "quantize --force left a temporary"

# --- streaming: the first batch's results arrive before the input ends -------------------
{ for i in $(seq 16); do echo "line $i"; done; sleep 12; echo last; } \
  | "$Q" -q encode -m "$S" -b 1 | { IFS= read -r -t 10 first && echo "$first" > "$T/first"; cat > /dev/null; }
[ -s "$T/first" ] || fail "encode did not stream its first batch to stdout"
# ... and an info line reports progress when stderr is not a terminal.
QDQRT_PROGRESS_SECONDS=0 "$Q" encode -m "$S" -b 1 -i "$T/in.txt" 2>"$T/progress" >/dev/null
grep -q "encode: 3/3 done" "$T/progress" || fail "no progress line with the file's total: $(cat "$T/progress")"

# --- encode: truncation warns; a huge line is tokenized only as far as needed ------------
python3 -c "print(' '.join(['word'] * 600))" > "$T/long.txt"
"$Q" encode -m "$S" -i "$T/long.txt" 2>"$T/err" >/dev/null || fail "encode long"
grep -q "long.txt:1: truncated to 512 tokens" "$T/err" || fail "no truncation warning: $(cat "$T/err")"
python3 -c "
import sys; w = 'lorem ipsum dolor sit amet ' * (40 * 1024 * 1024 // 27); sys.stdout.write(w + '\n')" > "$T/huge.txt"
python3 - "$Q" "$S" "$T" <<'PY' || fail "huge line"
import resource, subprocess, sys, time
q, s, t = sys.argv[1:]
t0 = time.time()
subprocess.run([q, "-q", "encode", "-m", s, "-i", t + "/huge.txt", "-o", t + "/huge.jsonl"], check=True)
secs = time.time() - t0
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print("40 MB line: %.1f s, peak RSS %.0f MB" % (secs, rss_mb))
# The line itself is held once (40 MB); its tokens are not (they would be ~2 GB).
assert rss_mb < 400, rss_mb
PY

# --- QA: the pipeline's answer, character offsets into the original context -------------
printf 'Interpretation of Sections 15 and 16.\tDistributing Source Code Form that is Incompatible With Secondary Licenses\n' \
  > "$T/qa.txt"
"$Q" -q encode -m "$QA" -i "$T/qa.txt" > "$T/qa.jsonl" || fail "QA"
python3 - "$T/qa.jsonl" "$QA" "$HERE" <<'PY' || fail "QA answer"
# The answer Hugging Face's question-answering pipeline picks from the fixture's
# PyTorch logits (row 2 of the test batch is this question/context pair):
# select_starts_ends + decode_spans, then the words' character span.
import json, math, re, sys
sys.path.insert(0, sys.argv[3]); import bert_check as b
got = json.loads(open(sys.argv[1]).readline())
inp, out = b.read_st(sys.argv[2] + "/inputs.safetensors"), b.read_st(sys.argv[2] + "/outputs_fp32.safetensors")
T, r = 23, 2
ids = inp["test.input_ids"][2][r * T:(r + 1) * T]; tt = inp["test.token_type_ids"][2][r * T:(r + 1) * T]
keep = [t == 0 or (tt[t] == 1 and ids[t] not in (101, 102, 0)) for t in range(T)]
def sm(x):
    m = max(x); e = [math.exp(v - m) for v in x]; s = sum(e); return [v / s for v in e]
s = sm([v if k else -10000.0 for v, k in zip(out["start_logits"][2][r * T:(r + 1) * T], keep)])
e = sm([v if k else -10000.0 for v, k in zip(out["end_logits"][2][r * T:(r + 1) * T], keep)])
ctx = [t for t in range(1, T) if keep[t]]
score, i, j = max((s[i] * e[j], i, j) for i in ctx for j in ctx if i <= j < i + 15)
context = "Distributing Source Code Form that is Incompatible With Secondary Licenses"
words = [m.span() for m in re.finditer(r"\w+|[^\w\s]", context)]  # one word piece per word here
first = ctx.index(i); last = ctx.index(j)
want = {"start": words[first][0], "end": words[last][1]}
want["answer"] = context[want["start"]:want["end"]]
assert got["answer"] == want["answer"] and got["start"] == want["start"] and got["end"] == want["end"], (got, want)
assert abs(got["score"] - score) < 1e-4, (got["score"], score)
print("ok: QA answer %r [%d, %d) score %.5f" % (got["answer"], got["start"], got["end"], got["score"]))
PY
printf '{"question": "Who is the steward?", "context": "The Mozilla Foundation, Inc. is the license steward of the MPL."}\n' \
  > "$T/qa2.jsonl"
"$Q" -q encode -m "$QA" -i "$T/qa2.jsonl" | python3 -c "
import json, sys
r = json.loads(sys.stdin.readline())
c = 'The Mozilla Foundation, Inc. is the license steward of the MPL.'
assert list(r) == ['score', 'start', 'end', 'answer'], list(r)
assert r['answer'] == c[r['start']:r['end']] and r['answer'].strip() == r['answer'] and r['answer'], r
" || fail "QA offsets / original case"

# --- token classification: entities carry character offsets -------------------------------
mkdir -p "$T/ner"; python3 "$HERE/bert_check.py" make-head "$S" "$T/ner" token >/dev/null
"$Q" -q encode -m "$T/ner" "Hello, Wörld of the Mozilla Foundation" | python3 -c "
import json, sys
text = 'Hello, Wörld of the Mozilla Foundation'
ents = json.loads(sys.stdin.readline())['entities']
assert ents, 'no entities'
for e in ents:
    assert list(e) == ['entity', 'score', 'index', 'word', 'start', 'end'], list(e)
    w = e['word'][2:] if e['word'].startswith('##') else e['word']
    assert text[e['start']:e['end']].lower().replace('ö', 'o') == w, (e, text[e['start']:e['end']])
" || fail "NER entity offsets"

# --- generate: truncation, prompts, random streams ----------------------------------------
python3 -c "print(' '.join(['word'] * 1000))" > "$T/long_src.txt"
printf 'short\n' >> "$T/long_src.txt"
"$Q" generate -m "$PN" --max-new-tokens 2 -i "$T/long_src.txt" 2>"$T/err" > "$T/long.gen" || fail "generate long source: $(cat "$T/err")"
grep -q "long_src.txt:1: truncated to 511 tokens" "$T/err" || fail "generate truncation warning: $(cat "$T/err")"
[ "$(lines "$T/long.gen")" = 2 ] || fail "generate long source outputs"
one=$("$Q" -q generate -m "$PN" --arch ProphetNetForCausalLM --max-new-tokens 3 "the license")
two=$("$Q" -q generate -m "$PN" --arch ProphetNetForCausalLM --max-new-tokens 3 "the license" "another prompt" | head -1)
[ "$one" = "$two" ] || fail "causal LM: one prompt '$one' vs two '$two'"
echo "$one" | grep -q '"generated_text":"the license' || fail "--include-prompt default: $one"
cont=$("$Q" -q generate -m "$PN" --arch ProphetNetForCausalLM --max-new-tokens 3 --include-prompt false "the license")
echo "$cont" | grep -q '"generated_text":"the license' && fail "--include-prompt false kept the prompt: $cont"
python3 -c "
import random
r = random.Random(3)
words = 'license source code form covered software contributor notice'.split()
for i in range(7): print('{\"id\": \"doc-%d\", \"text\": \"%s\"}' % (i, ' '.join(r.choice(words) for _ in range(1 + i % 4))))
" > "$T/ids.jsonl"
G=(-q generate -m "$PN" --do-sample --seed 7 --max-new-tokens 4)
"$Q" "${G[@]}" -b 1 -i "$T/ids.jsonl" > "$T/s1" && "$Q" "${G[@]}" -b 3 -i "$T/ids.jsonl" > "$T/s3" || fail "sampling runs"
cmp -s "$T/s1" "$T/s3" || fail "sampled output depends on the batch size"
tac "$T/ids.jsonl" | "$Q" "${G[@]}" -b 2 | tac > "$T/srev"
cmp -s "$T/s1" "$T/srev" || fail "sampled output of records with ids depends on their order"
"$Q" generate -m "$PN" --do-sample --max-new-tokens 4 "a text" 2>"$T/err" > "$T/d1" || fail "sampling without seed"
seed=$(sed -n 's/.*--seed \([0-9]*\).*/\1/p' "$T/err")
[ -n "$seed" ] || fail "drawn seed not logged: $(cat "$T/err")"
"$Q" -q generate -m "$PN" --do-sample --seed "$seed" --max-new-tokens 4 "a text" > "$T/d2"
cmp -s "$T/d1" "$T/d2" || fail "the logged seed does not repeat the run"

# --- CLI behaviour -------------------------------------------------------------------------
"$Q" >/dev/null 2>"$T/err"; [ $? = 2 ] || fail "no command: exit status"
grep -q "encode" "$T/err" || fail "no command does not list commands"
"$Q" encod -m x 2>"$T/err"; [ $? = 2 ] || fail "unknown command: exit status"
grep -q "did you mean 'encode'" "$T/err" || fail "no nearest name: $(cat "$T/err")"
"$Q" -V | grep -q "qdqrt 0" && "$Q" --version | grep -q "qdqrt 0" || fail "--version / -V"
"$Q" help encode > "$T/help" && grep -q -- "--batch-size" "$T/help" || fail "help encode"  # to a file: grep -q on a pipe can SIGPIPE a help longer than one write
"$Q" encode --help | grep -- "--batch-size" | grep -q "8" || fail "--help does not show the batch size default"
"$Q" encode -m "$S" --batch-size 0 x 2>"$T/err"; [ $? = 2 ] || fail "usage error exit status"
grep -qi "usage: qdqrt encode" "$T/err" || fail "usage error without the usage line: $(cat "$T/err")"
[ "$(wc -c < "$T/err")" -lt 400 ] || fail "usage error too long: $(cat "$T/err")"
"$Q" generate -m "$PN" --temperature 0.5 --max-new-tokens 2 x 2>"$T/err" >/dev/null
grep -q -- "--temperature has no effect without --do-sample" "$T/err" || fail "no warning for --temperature: $(cat "$T/err")"
"$Q" calibrate -m "$S" --method max --percentile 99 -o "$T/a3.json" "a text" 2>"$T/err"
grep -q -- "--percentile has no effect with --method max" "$T/err" || fail "no warning for --percentile: $(cat "$T/err")"
echo "contract.sh: all ok"
