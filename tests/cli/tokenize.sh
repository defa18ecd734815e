#!/usr/bin/env bash
# qdqrt tokenize end to end: ids for "hello world" from the fixture vocabulary
# (tests/fixtures/tokenizer/README.md: 7592 = hello, 2088 = world), and a bad
# line (invalid UTF-8) failing with the file named and no output left behind.
set -u
bin=$1
fix=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$(printf '{"text": "Hello world"}\n' | "$bin" tokenize --model "$fix/tokenizer" --tokenizer bert) || fail "bert run"
echo "$out" | grep -q '"input_ids":\[101,7592,2088,102\]' || fail "bert ids: $out"
echo "$out" | grep -q '"tokens":\["\[CLS\]","hello","world","\[SEP\]"\]' || fail "bert tokens: $out"
echo "$out" | grep -q '"token_type_ids":\[0,0,0,0\]' || fail "bert token types: $out"

printf 'hello world\n' > "$tmp/in.txt"
"$bin" tokenize --model "$fix/prophetnet" -i "$tmp/in.txt" --input-format text -o "$tmp/out.jsonl" || fail "pn run"
grep -q '"input_ids":\[7592,2088,102\]' "$tmp/out.jsonl" || fail "prophetnet ids: $(cat "$tmp/out.jsonl")"
grep -q token_type_ids "$tmp/out.jsonl" && fail "prophetnet has no token_type_ids"

printf '{"text": "hello", "text_pair": "world"}\n' > "$tmp/pair.jsonl"
out=$("$bin" tokenize --model "$fix/qdqbert-seqcls" -i "$tmp/pair.jsonl") || fail "pair run"
echo "$out" | grep -q '"input_ids":\[101,7592,102,2088,102\]' || fail "pair ids: $out"
echo "$out" | grep -q '"token_type_ids":\[0,0,0,1,1\]' || fail "pair types: $out"

printf 'fine\nbad \xc3\x28 text\n' > "$tmp/bad.txt"
err=$("$bin" tokenize --model "$fix/tokenizer" --tokenizer bert -i "$tmp/bad.txt" --input-format text \
      -o "$tmp/bad_out.jsonl" 2>&1) && fail "invalid UTF-8 accepted"
echo "$err" | grep -q "$tmp/bad.txt:2:" || fail "error does not name file and line: $err"
[ -e "$tmp/bad_out.jsonl" ] && fail "output left behind"
ls -A "$tmp" | grep -q '\.tmp\.' && fail "temporary left behind"

err=$("$bin" tokenize --model "$tmp" 2>&1) && fail "missing vocab accepted"
echo "$err" | grep -q "no vocab.txt or prophetnet.tokenizer" || fail "missing vocab message: $err"
echo "ok"
