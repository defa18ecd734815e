#!/usr/bin/env bash
# Many machines (README "Many machines"): qdqrt is an exact filter, so a corpus
# split by GNU parallel into several jobs gives, joined, the bytes one process
# gives: encode, and sampled generate with a seed (records carry ids, so each
# record's random stream does not depend on which job it lands in).
# Usage: parallel.sh QDQRT FIXTURES
set -uo pipefail
Q=$1; F=$2
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=1
fail() { echo "FAIL: $*"; exit 1; }
command -v parallel >/dev/null || fail "GNU parallel is not installed (scripts/deps.sh installs it)"

python3 - > "$T/corpus.jsonl" <<'PY'
import json, random
r = random.Random(11)
words = ("license source code form covered software contributor notice patent grant file "
         "executable larger work modification distribution").split()
for i in range(1000):
    rec = {"id": "doc-%04d" % i, "text": " ".join(r.choice(words) for _ in range(r.randint(0, 12)))}
    print(json.dumps(rec))
PY
[ "$(wc -l < "$T/corpus.jsonl")" = 1000 ] || fail "corpus"

run_both() {  # name, qdqrt arguments...
  local name=$1; shift
  "$Q" -q "$@" -i "$T/corpus.jsonl" > "$T/$name.one" || fail "$name: one process"
  # 7 jobs of at most 150 records, two at a time, outputs joined in input order.
  parallel --will-cite --pipe -N 150 --keep-order -j 2 "$Q" -q "$@" < "$T/corpus.jsonl" > "$T/$name.split" \
    || fail "$name: parallel"
  [ "$(wc -l < "$T/$name.one")" = 1000 ] || fail "$name: $(wc -l < "$T/$name.one") outputs for 1000 inputs"
  cmp "$T/$name.one" "$T/$name.split" || fail "$name: split output differs from one process's"
  echo "ok: $name, 1000 records in 7 jobs = one process, byte for byte"
}
run_both encode encode -m "$F/qdqbert-seqcls" -b 8
run_both generate generate -m "$F/prophetnet" --do-sample --seed 1234 --max-new-tokens 4 -b 8
echo "parallel.sh: all ok"
