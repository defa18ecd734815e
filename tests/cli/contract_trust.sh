#!/usr/bin/env bash
# Nothing a user gives is lost or silently misread (issue 17): outputs never over inputs (same name,
# symlink, hard link, stdout), one record reader for every command (multiple choice in calibrate and
# compare; positional JSON records), one flag table (one meaning, --out everywhere, HF snake_case
# spellings, unknown options named with the nearest, ranges exit 2), and the smaller rules (empty input,
# progress totals, hub names, -i DIR, bad calibrator settings, ids in safetensors, no-effect warnings).
# Every model directory the test could damage is a copy. Usage: contract_trust.sh QDQRT FIXTURES
set -uo pipefail
Q=$1; F=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=2 QDQRT_PROGRESS_SECONDS=0
fail() { echo "FAIL: $*"; exit 1; }
cp -r "$F/qdqbert-seqcls" "$T/S"; S=$T/S
cp -r "$F/prophetnet" "$T/PN"; PN=$T/PN
MC=$F/qdqbert-heads/multiple-choice QA=$F/qdqbert-qa-from-bert

# --- inputs are never outputs ---------------------------------------------------------
printf 'the license steward\na second text\n' > "$T/texts.txt"
sum0=$(sha256sum < "$T/texts.txt")
refused() {  # refused WHAT FILE-THAT-MUST-NOT-CHANGE -- command...
  local what=$1 keep=$2; shift 3
  local before; before=$(sha256sum < "$keep")
  "$@" >/dev/null 2>"$T/err"; local rc=$?
  [ $rc -ne 0 ] || fail "$what: exit 0"
  grep -q "refusing to" "$T/err" || fail "$what: no refusal: $(cat "$T/err")"
  [ "$(grep -c 'error' "$T/err")" -ge 1 ] || fail "$what: no error line"
  [ "$(sha256sum < "$keep")" = "$before" ] || fail "$what: $keep changed"
  echo "refused: $what"
}
refused "encode -o = -i" "$T/texts.txt" -- "$Q" encode -m "$S" -i "$T/texts.txt" -o "$T/texts.txt"
refused "generate -o = -i" "$T/texts.txt" -- "$Q" generate -m "$PN" --max-new-tokens 2 -i "$T/texts.txt" -o "$T/texts.txt"
refused "tokenize -o = -i" "$T/texts.txt" -- "$Q" tokenize -m "$S" -i "$T/texts.txt" -o "$T/texts.txt"
refused "calibrate -o = -i" "$T/texts.txt" -- "$Q" calibrate -m "$S" -i "$T/texts.txt" -o "$T/texts.txt"
ln -s "$T/texts.txt" "$T/link.jsonl"
refused "encode -o symlink to -i" "$T/texts.txt" -- "$Q" encode -m "$S" -i "$T/texts.txt" -o "$T/link.jsonl"
ln "$T/texts.txt" "$T/hard.txt"
refused "encode -o hard link of -i" "$T/texts.txt" -- "$Q" encode -m "$S" -i "$T/texts.txt" -o "$T/hard.txt"
refused "encode -o = the model's vocab" "$S/vocab.txt" -- "$Q" encode -m "$S" -o "$S/vocab.txt" "a text"
refused "encode -o = --amax" "$S/amax_max.json" -- "$Q" encode -m "$S" --amax "$S/amax_max.json" -o "$S/amax_max.json" "a text"
refused "calibrate -o = model config" "$S/config.json" -- "$Q" calibrate -m "$S" -o "$S/config.json" "a text"
refused "forward --tensors-out = --tensors-in" "$S/inputs.safetensors" -- \
  "$Q" forward -m "$S" --tensors-in "$S/inputs.safetensors:test" --tensors-out "$S/inputs.safetensors"
refused "generate --tensors-out = --tensors-in" "$PN/inputs.safetensors" -- \
  "$Q" generate -m "$PN" --tensors-in "$PN/inputs.safetensors:test" --tensors-out "$PN/inputs.safetensors"
refused "export -o = model weights" "$S/model.safetensors" -- "$Q" export -m "$S" -o "$S/model.safetensors"
refused "quantize -o = the model directory" "$S/model.safetensors" -- \
  "$Q" quantize -m "$S" --amax "$S/amax_max.json" -o "$S" --force
mkdir -p "$T/holder"; cp "$S/amax_max.json" "$T/holder/"
refused "quantize -o DIR holding --amax" "$T/holder/amax_max.json" -- \
  "$Q" quantize -m "$S" --amax "$T/holder/amax_max.json" -o "$T/holder" --force
refused "tokenize stdout >> its input" "$T/texts.txt" -- sh -c "exec '$Q' tokenize -m '$S' -i '$T/texts.txt' >> '$T/texts.txt'"
[ "$(sha256sum < "$T/texts.txt")" = "$sum0" ] || fail "texts.txt changed"
"$Q" -q encode -m "$S" -i "$T/texts.txt" -o "$T/new.jsonl" || fail "encode to a new file beside the input"

# --- one reader: multiple choice in calibrate and compare, from JSONL and tabs ---------
printf '{"context": "a cat sat", "choices": ["on the mat", "in the sky"]}\n{"context": "it rains", "choices": ["take an umbrella", "go swim"]}\n' > "$T/mc.jsonl"
printf 'a cat sat\ton the mat\tin the sky\nit rains\ttake an umbrella\tgo swim\n' > "$T/mc.txt"
"$Q" -q encode -m "$MC" -i "$T/mc.jsonl" > "$T/mc.out" || fail "encode multiple choice"
"$Q" -q calibrate -m "$MC" -i "$T/mc.jsonl" -o "$T/mc_a.json" || fail "calibrate multiple choice from JSONL: $(cat "$T/err" 2>/dev/null)"
"$Q" -q calibrate -m "$MC" -i "$T/mc.txt" -o "$T/mc_b.json" || fail "calibrate multiple choice from tab-separated text"
cmp -s "$T/mc_a.json" "$T/mc_b.json" || fail "multiple choice: JSONL and tab forms calibrate differently"
"$Q" -q compare -m "$MC" --amax "$T/mc_a.json" -i "$T/mc.jsonl" --output-format jsonl > "$T/mc_cmp.jsonl" ||
  fail "compare multiple choice from text"
grep -q '"name":"logits"' "$T/mc_cmp.jsonl" || fail "compare MC: no logits row: $(head -2 "$T/mc_cmp.jsonl")"
# QA reads {"question", "context"} in calibrate too.
printf '{"question": "who keeps it", "context": "the license steward keeps the file"}\n' > "$T/qa.jsonl"
"$Q" -q calibrate -m "$QA" -i "$T/qa.jsonl" -o "$T/qa_a.json" || fail "calibrate QA records"

# --- positional records ------------------------------------------------------------------
"$Q" -q encode -m "$QA" --input-format jsonl '{"question": "who keeps it", "context": "the license steward keeps the file"}' \
  > "$T/qa.out" || fail "encode QA positional record"
grep -q '"answer"' "$T/qa.out" || fail "positional QA record not answered: $(cat "$T/qa.out")"
"$Q" tokenize -m "$S" '{"text": "Hello"}' > "$T/tok.out" 2>"$T/err" || fail "tokenize positional record"
grep -q '"tokens":\["\[CLS\]","hello","\[SEP\]"\]' "$T/tok.out" || fail "positional JSON object not read as a record: $(cat "$T/tok.out")"
grep -q "JSON records" "$T/err" || fail "no info line for positional records: $(cat "$T/err")"
"$Q" -q tokenize -m "$S" --input-format text '{"text": "Hello"}' | grep -q '"{"' || fail "--input-format text keeps braces"

# --- QA without a context ----------------------------------------------------------------
printf 'who keeps it\n' > "$T/noctx.txt"
"$Q" -q encode -m "$QA" -i "$T/noctx.txt" >/dev/null 2>"$T/err" && fail "QA without a context: exit 0"
grep -q "noctx.txt:1: question answering needs a context" "$T/err" || fail "QA no-context error: $(cat "$T/err")"

# --- numeric flags: ranges, exit 2 --------------------------------------------------------
usage2() {  # usage2 WHAT EXPECTED-TEXT -- command...
  local what=$1 want=$2; shift 3
  "$@" >/dev/null 2>"$T/err"; local rc=$?
  [ $rc -eq 2 ] || fail "$what: exit $rc, want 2: $(cat "$T/err")"
  grep -q -- "$want" "$T/err" || fail "$what: message lacks '$want': $(cat "$T/err")"
  grep -q "^usage: qdqrt" "$T/err" || fail "$what: no usage line: $(cat "$T/err")"
  [ "$(wc -c < "$T/err")" -lt 600 ] || fail "$what: message too long: $(cat "$T/err")"
}
usage2 "-t 100000" "1..1024" -- "$Q" -t 100000 encode -m "$S" "a"
usage2 "-t 40000" "1..1024" -- "$Q" encode -t 40000 -m "$S" "a"
usage2 "-t -1" "1..1024" -- "$Q" -t -1 encode -m "$S" "a"
usage2 "-b 0" "positive integer" -- "$Q" encode -m "$S" -b 0 "a"
usage2 "--max-new-tokens -5" "positive integer" -- "$Q" generate -m "$PN" --max-new-tokens -5 "a"
usage2 "--modle" "did you mean '--model'" -- "$Q" encode --modle "$S" "a"
usage2 "--percentile 0" "(0, 100]" -- "$Q" calibrate -m "$S" --method percentile --percentile 0 "a"
usage2 "--num-bins 2 --method mse" "more than 128 bins" -- "$Q" calibrate -m "$S" --method mse --num-bins 2 "a"
usage2 "--amax with --precision fp32" "--amax" -- "$Q" encode -m "$S" --precision fp32 --amax "$S/amax_max.json" "a"

# --- one flag table: aliases and HF spellings ---------------------------------------------
"$Q" -q generate -m "$PN" --max_new_tokens 2 --num_beams 2 "a source" > "$T/snake.out" || fail "--max_new_tokens (HF spelling)"
"$Q" -q generate -m "$PN" --max-new-tokens 2 --num-beams 2 "a source" | cmp -s - "$T/snake.out" || fail "snake_case differs"
"$Q" -q encode -m "$S" --out "$T/out_alias.jsonl" "a text" && [ -s "$T/out_alias.jsonl" ] || fail "encode --out"
"$Q" -q export -m "$S" --out "$T/m.onnx" && [ -s "$T/m.onnx" ] || fail "export --out"
"$Q" -q calibrate -m "$S" "a text" > "$T/stdout_amax.json" && python3 -c "import json; json.load(open('$T/stdout_amax.json'))" ||
  fail "calibrate without -o: the table on stdout"
"$Q" -q encode -m "$S" --amax "$S/amax_max.json" "a text" > "$T/amax_int8.jsonl" || fail "--amax alone (implies int8)"
"$Q" -q encode -m "$S" --precision int8 --amax "$S/amax_max.json" "a text" | cmp -s - "$T/amax_int8.jsonl" ||
  fail "--amax alone is not int8"
"$Q" help calibrate | grep -A1 -- '-o,--output' | grep -q 'required' && fail "calibrate's help marks -o required"

# --- smaller ones ----------------------------------------------------------------------
: > "$T/empty.txt"
"$Q" encode -m "$S" -i "$T/empty.txt" -o "$T/empty.jsonl" 2>"$T/err" || fail "empty input: exit $?"
[ -f "$T/empty.jsonl" ] && [ ! -s "$T/empty.jsonl" ] || fail "empty input: no empty output file"
grep -q "no inputs; the output is empty" "$T/err" || fail "empty input: no warning: $(cat "$T/err")"
"$Q" -q generate -m "$PN" -i "$T/empty.txt" > "$T/empty.gen" || fail "generate on empty input"
[ ! -s "$T/empty.gen" ] || fail "generate on empty input wrote something"
"$Q" -q tokenize -m "$S" -i "$T/empty.txt" > /dev/null || fail "tokenize on empty input"
"$Q" encode -m "$S" -i "$T/texts.txt" 2>"$T/err" >/dev/null || fail "encode for progress"
grep -q "encode: 2/2 done" "$T/err" || fail "progress does not know the file's total: $(cat "$T/err")"
"$Q" encode -m bert-base-uncased "a" 2>"$T/err" >/dev/null && fail "hub name: exit 0"
grep -q "huggingface-cli download bert-base-uncased --local-dir" "$T/err" || fail "no hub hint: $(cat "$T/err")"
"$Q" encode -m "$S" -i "$T" 2>"$T/err" >/dev/null && fail "-i DIR: exit 0"
grep -q "is a directory" "$T/err" || fail "-i DIR: $(cat "$T/err")"
printf '{"text": "one", "id": "x1"}\n{"text": "two", "id": 7}\n' > "$T/ids.jsonl"
"$Q" -q encode -m "$S" -i "$T/ids.jsonl" -o "$T/ids.safetensors" || fail "encode to safetensors"
python3 - "$T/ids.safetensors" <<'PY' || fail "safetensors output lacks the ids"
import json, struct, sys
d = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", d[:8])[0]
meta = json.loads(d[8:8 + n])["__metadata__"]
assert json.loads(meta["ids"]) == ["x1", 7], meta
PY
warns() {  # warns WHAT TEXT -- command...
  local what=$1 want=$2; shift 3
  "$@" >/dev/null 2>"$T/err" || fail "$what: exit $?: $(cat "$T/err")"
  grep -q -- "$want" "$T/err" || fail "$what: no warning '$want': $(cat "$T/err")"
}
warns "--pooling on a classifier" "--pooling has no effect" -- "$Q" encode -m "$S" --pooling mean "a"
warns "--top-k on a classifier" "--top-k has no effect" -- "$Q" encode -m "$S" --top-k 3 "a"
warns "--include-prompt on seq2seq" "--include-prompt has no effect" -- "$Q" generate -m "$PN" --max-new-tokens 2 --include-prompt true "a"
warns "--max-length with --max-new-tokens" "--max-length has no effect" -- "$Q" generate -m "$PN" --max-length 5 --max-new-tokens 2 "a"
echo "contract_trust: ok"
