#!/usr/bin/env bash
# The main job on the bundled fixture models (random weights, real vocabulary):
# calibrate -> quantize -> encode in int8, and a generation, each printing its result.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=build/qdqrt
F=tests/fixtures
M=$F/qdqbert-seqcls
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT

echo "== tokenize"
echo '{"text": "Hello, world! Quantized transformers on the CPU."}' | $Q tokenize --model $M

echo "== calibrate (percentile 99.99 over the 4 stored calibration batches)"
$Q calibrate --model $M --method percentile --percentile 99.99 \
  --tensors-in $M/inputs.safetensors:calib0 --tensors-in $M/inputs.safetensors:calib1 \
  --tensors-in $M/inputs.safetensors:calib2 --tensors-in $M/inputs.safetensors:calib3 --out $W/amax.json
echo "   $(python3 -c "import json,sys; t=json.load(open(sys.argv[1])); print(len(t), 'quantizers, e.g.', next(iter(t.items())))" $W/amax.json)"

echo "== quantize -> int8 model directory"
$Q quantize --model $M --amax $W/amax.json --out $W/seqcls-int8
ls -l $W/seqcls-int8 | tail -n +2 | awk '{print "   " $5 "\t" $9}'

echo "== encode: fp32 and int8 (sequence classification, random weights)"
$Q encode --model $M "The license grants you the right to copy." "Warranty is disclaimed."
$Q encode --model $W/seqcls-int8 "The license grants you the right to copy." "Warranty is disclaimed."

echo "== generate: ProphetNet encoder-decoder, beam search (random weights: the words are noise)"
$Q generate --model $F/prophetnet --num-beams 4 --max-new-tokens 12 "the software is provided as is"
