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

# calibrate -> quantize -> generate in int8 from text, for each generative model class.
P=$F/prophetnet-quant
cat > $W/prompts.txt <<'TXT'
The licensor grants you a worldwide, royalty-free license.
Redistribution and use in source and binary forms are permitted.
You must give any other recipients a copy of this License.
TXT
echo "== ProphetNetForCausalLM (--arch on a seq2seq checkpoint): calibrate on prompts; its unused"
echo "   cross-attention quantizers see no data and stay in float (warning), then int8 greedy and beam"
$Q calibrate --model $P --arch ProphetNetForCausalLM -i $W/prompts.txt --out $W/causal.json 2>&1 | grep -E "warn|wrote" | cut -c1-160
$Q quantize -q --model $P --arch ProphetNetForCausalLM --amax $W/causal.json --out $W/causal-int8
$Q generate --model $W/causal-int8 --max-new-tokens 8 "The licensor grants you"
$Q generate --model $W/causal-int8 --max-new-tokens 8 --num-beams 3 "The licensor grants you"

echo "== ProphetNetForConditionalGeneration: JSONL {\"text\": source, \"target\": target} (teacher forcing)"
cat > $W/pairs.jsonl <<'TXT'
{"text": "The licensor grants you a worldwide, royalty-free license.", "target": "A free license."}
{"text": "You must give any other recipients a copy of this License.", "target": "Give recipients a copy."}
TXT
$Q calibrate -q --model $P -i $W/pairs.jsonl --out $W/s2s.json
$Q quantize -q --model $P --amax $W/s2s.json --out $W/s2s-int8
$Q generate --model $W/s2s-int8 --num-beams 2 --max-new-tokens 8 "the software is provided as is"

echo "== EncoderDecoderModel (BERT + ProphetNet decoder): sources alone, decoder inputs from greedy fp32 output"
$Q calibrate --model $F/encoder-decoder -i $W/prompts.txt --max-target-length 16 --out $W/ed.json 2>&1 | grep -E "greedy|wrote" | cut -c1-160
$Q quantize -q --model $F/encoder-decoder --amax $W/ed.json --out $W/ed-int8
$Q generate --model $W/ed-int8 --max-new-tokens 8 "the software is provided as is"
