#!/usr/bin/env bash
# The README's "Accuracy on trained models" table: on the dev split of ../shared/fixtures/trained (or $TRAINED),
# for each model, fp32 against int8 for every calibration method and for the accuracy-tuned result
# (quantize --eval dev --max-loss 0.005), with the speed of each from the same compare run. Not run in CI
# (minutes to hours on a shared 2-core machine). Writes the markdown table to stdout, the raw compare JSONL
# and the tuning reports under $OUT (default /tmp/qdqrt-accuracy).
# usage: scripts/accuracy.sh [QDQRT_BINARY]
#   env: TRAINED, OUT, THREADS (default 2), S2S_RECORDS / LM_RECORDS (the first N dev records; default all),
#        MODELS (default "bert-section prophetnet-synopsis prophetnet-lm")
set -euo pipefail
cd "$(dirname "$0")/.."
Q=${1:-build/qdqrt}
T=${TRAINED:-../shared/fixtures/trained}
OUT=${OUT:-/tmp/qdqrt-accuracy}
THREADS=${THREADS:-2}
mkdir -p "$OUT"
D=$T/data

# METHODS: a ;-separated subset (default all six); TUNE=0 skips the tuned run; TABLE_ONLY=1 only prints the
# table from what $OUT holds. A run whose JSONL is already in $OUT is not repeated.
IFS=';' read -r -a METHODS <<<"${METHODS:-max;percentile 99.9;percentile 99.99;percentile 99.999;mse;entropy}"
ALL_METHODS=("max" "percentile 99.9" "percentile 99.99" "percentile 99.999" "mse" "entropy")

# model dir, calib file, dev file, calibrate flags, compare flags (task settings)
run_model() {
  local name=$1 calib=$2 dev=$3 cflags=$4 tflags=$5
  for m in "${METHODS[@]}"; do
    local tag=${m// /-}
    [ -s "$OUT/$name.$tag.jsonl" ] && continue
    read -r -a mm <<<"$m"
    local mflags=(--method "${mm[0]}")
    [ ${#mm[@]} -gt 1 ] && mflags+=(--percentile "${mm[1]}")
    # shellcheck disable=SC2086
    "$Q" -q -t "$THREADS" calibrate -m "$T/$name" $cflags "${mflags[@]}" -i "$calib" -o "$OUT/$name.$tag.amax.json"
    # shellcheck disable=SC2086
    "$Q" -q -t "$THREADS" compare --task-only -m "$T/$name" $tflags --amax "$OUT/$name.$tag.amax.json" -i "$dev" --format jsonl \
      >"$OUT/$name.$tag.jsonl"
  done
  [ "${TUNE:-1}" = 1 ] || return 0
  [ -s "$OUT/$name.tuned.jsonl" ] && return 0
  rm -rf "$OUT/$name.tuned"
  # shellcheck disable=SC2086
  "$Q" -t "$THREADS" quantize -m "$T/$name" $tflags --calib "$calib" --eval "$dev" --max-loss 0.005 \
    -o "$OUT/$name.tuned" 2>"$OUT/$name.tuned.log"
  # shellcheck disable=SC2086
  "$Q" -q -t "$THREADS" compare --task-only -m "$T/$name" $tflags --amax "$OUT/$name.tuned/model.safetensors" -i "$dev" \
    --format jsonl >"$OUT/$name.tuned.jsonl"
}

# The first N records of a dev file (all when N is empty).
subset() {
  if [ -z "$2" ]; then echo "$D/$1.jsonl"; else head -n "$2" "$D/$1.jsonl" >"$OUT/$1.$2.jsonl"; echo "$OUT/$1.$2.jsonl"; fi
}
MODELS=${MODELS:-bert-section prophetnet-synopsis prophetnet-lm}
for name in $MODELS; do
  [ "${TABLE_ONLY:-0}" = 1 ] && break
  case $name in
    bert-section) run_model bert-section "$D/calib-seqcls.jsonl" "$D/dev-seqcls.jsonl" "--max-length 80" "--max-length 80" ;;
    prophetnet-synopsis) run_model prophetnet-synopsis "$D/calib-s2s.jsonl" "$(subset dev-s2s "${S2S_RECORDS:-}")" \
      "--max-length 80 --max-target-length 32" "--max-length 80 --max-target-length 32 --num-beams 1 --max-new-tokens 32" ;;
    prophetnet-lm) run_model prophetnet-lm "$D/calib-lm.jsonl" "$(subset dev-lm "${LM_RECORDS:-}")" "--max-length 128" \
      "--max-length 128" ;;
  esac
done

python3 - "$OUT" "${ALL_METHODS[@]}" <<'PY'
import json, os, sys
out, methods = sys.argv[1], sys.argv[2:]
models = [("bert-section", ["accuracy", "macro_f1"]), ("prophetnet-synopsis", ["rouge_l", "exact_match"]),
          ("prophetnet-lm", ["loss", "perplexity"])]
def load(p):
    rows = [json.loads(l) for l in open(p)]
    task = {r["metric"]: r for r in rows if r["kind"] == "task"}
    speed = {r["precision"]: r for r in rows if r["kind"] == "speed"}
    return task, speed
def speed(s):
    return "%.1f seq/s" % s["sequences_per_s"] + (", %.0f tok/s" % s["tokens_per_s"] if s["tokens_per_s"] > 0 else "")
for name, metrics in models:
    print("\n**%s**\n" % name)
    print("| run | " + " | ".join(metrics) + " | difference (%s) | speed |" % metrics[0])
    print("|---|" + "---|" * (len(metrics) + 2))
    first = True
    for tag in [m.replace(" ", "-") for m in methods] + ["tuned"]:
        p = os.path.join(out, "%s.%s.jsonl" % (name, tag))
        if not os.path.exists(p):
            continue
        task, sp = load(p)
        if metrics[0] not in task:  # a run still writing, or one that failed
            continue
        if first:
            records = task[metrics[0]]["records"]
            print("| fp32 (%d records) | " % records + " | ".join("%.4f" % task[m]["fp32"] for m in metrics)
                  + " | | %s |" % speed(sp["fp32"]))
            first = False
        label = "int8 " + tag.replace("-", " ")
        if tag == "tuned":
            rep = json.load(open(os.path.join(out, name + ".tuned", "quantization_report.json")))
            label = "int8 tuned (--max-loss 0.005: %s, %d left float, %d trials)" % (
                rep["chosen"]["recipe"], len(rep["chosen"]["left_float"]), len(rep["trials"]))
        print("| %s | " % label + " | ".join("%.4f" % task[m]["int8"] for m in metrics)
              + " | %+.4f | %s |" % (task[metrics[0]]["difference"], speed(sp["int8"])))
PY
