#!/bin/bash
# generate --speculative streams / --prompt-lookup-num-tokens on the trained models
# (tests/fixtures/trained, records in trained/spec/): greedy ids identical to transformers' greedy
# (the references' ids, trained/spec/*.greedy.jsonl) and to plain greedy, at batch sizes 1 and 8,
# in fp32 and int8 (int8: against int8 plain greedy, with an amax table calibrated here); the
# draft statistics line is logged; beam search with speculation fails with one line.
set -euo pipefail
BIN=$1; FX=$2; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# One thread: ~30 tiny runs, each far faster than a thread team on a shared machine (ids do not depend on it).
export OMP_NUM_THREADS=1
TR=$FX/trained; S=$TR/spec
same_ids() {  # got.jsonl want.jsonl (want: {"id", "ids"} or generate's own records)
  python3 - "$1" "$2" <<'PY'
import json, sys
def ids(p):
    out = {}
    for l in open(p):
        r = json.loads(l)
        out[r['id']] = r['generated'][0]['ids'] if 'generated' in r else r['ids']
    return out
a, b = ids(sys.argv[1]), ids(sys.argv[2])
bad = [k for k in b if a.get(k) != b[k]]
sys.exit(f'{sys.argv[1]}: {len(bad)} of {len(b)} differ from {sys.argv[2]}, e.g. {bad[:3]}' if bad or len(a) != len(b) else 0)
PY
}
run() {  # name model input max-new-tokens extra-args...
  local name=$1 m=$2 in=$3 new=$4; shift 4
  # shellcheck disable=SC2086
  "$BIN" generate -m "$m" --num-beams 1 --max-new-tokens $new -i "$in" -o "$T/$name.jsonl" "$@" 2>"$T/$name.log" \
    || { cat "$T/$name.log"; exit 1; }
}
for model in prophetnet-synopsis prophetnet-lm; do
  # As the references were made: sources truncated to 80 tokens, 32 / 24 new tokens.
  if [ $model = prophetnet-synopsis ]; then in=$S/dev-s2s.jsonl new="32 --max-input-length 80" calib=$S/calib-s2s.jsonl
  else in=$S/dev-lm.jsonl new=24 calib=$S/calib-lm.jsonl; fi
  "$BIN" calibrate -m "$TR/$model" -i "$calib" -o "$T/$model.amax.json" --max-length 80 2>/dev/null
  for prec in fp32 int8; do
    pargs=(); [ $prec = int8 ] && pargs=(--precision int8 --amax "$T/$model.amax.json")
    run $model.$prec.plain "$TR/$model" "$in" "$new" "${pargs[@]}" -b 8
    # fp32 plain greedy is transformers' greedy; int8 is checked against itself.
    [ $prec = fp32 ] && same_ids "$T/$model.$prec.plain.jsonl" "$S/$model.greedy.jsonl"
    for b in 1 8; do
      for mode in "--speculative streams" "--prompt-lookup-num-tokens 10" \
                  "--speculative streams --prompt-lookup-num-tokens 10"; do
        n=$model.$prec.$b.$(echo "$mode" | tr -dc 'a-z0-9')
        # shellcheck disable=SC2086
        run "$n" "$TR/$model" "$in" "$new" "${pargs[@]}" -b $b $mode
        same_ids "$T/$n.jsonl" "$T/$model.$prec.plain.jsonl"
        grep -q "speculative: .* drafts proposed, .* accepted (acceptance" "$T/$n.log" || { cat "$T/$n.log"; exit 1; }
      done
    done
  done
done
# Beam search stays without speculation: one line, non-zero exit, no output.
if "$BIN" generate -m "$TR/prophetnet-synopsis" "a text" --num-beams 2 --speculative streams -o "$T/beam.jsonl" \
  2>"$T/err"; then exit 1; fi
[ "$(wc -l < "$T/err")" = 1 ] && grep -q "not with beam search" "$T/err" && [ ! -e "$T/beam.jsonl" ]
# A model without n-gram streams refuses --speculative streams the same way.
if "$BIN" generate -m "$FX/qdqbert-decoder/lm" "a text" --speculative streams 2>"$T/err2"; then exit 1; fi
[ "$(wc -l < "$T/err2")" = 1 ]
echo ok
