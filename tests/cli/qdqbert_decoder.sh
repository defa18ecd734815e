#!/bin/bash
# qdqrt on QDQBERT as a decoder (tests/fixtures/qdqbert-decoder, transformers 4.37.2):
# generate on lm/ (QDQBertLMHeadModel) and bert2bert/ (EncoderDecoderModel) from tensors gives
# transformers' greedy / beam sequences exactly (beam scores within the README's 1e-5) and runs on
# text; forward with labels gives the fixture's losses (README atol: lm 2e-5, bert2bert 5e-5);
# calibrate from the fixture's calibration texts on lm/ writes amax_max.json's names (and values).
set -euo pipefail
BIN=$1; FX=$2/qdqbert-decoder; T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
HERE=$(cd "$(dirname "$0")" && pwd)
py() { python3 "$HERE/qdqbert_decoder_check.py" "$@"; }
IN=$FX/inputs.safetensors; GEN=$FX/generate.safetensors; OUT=$FX/outputs.safetensors

# lm/: the prompts ([CLS] + 5 word pieces, unpadded), 12 new tokens.
py subset "$IN" "$T/prompts.safetensors" input_ids=lm.prompt_input_ids attention_mask=lm.prompt_attention_mask
"$BIN" -q generate -m "$FX/lm" --tensors-in "$T/prompts.safetensors" --tensors-out "$T/lg.safetensors" --max-new-tokens 12
py same-ints "$T/lg.safetensors" sequences "$GEN" lm.greedy.sequences
"$BIN" -q generate -m "$FX/lm" --tensors-in "$T/prompts.safetensors" --tensors-out "$T/lb.safetensors" --max-new-tokens 12 \
  --num-beams 3 --no-repeat-ngram-size 3 --early-stopping true
py same-ints "$T/lb.safetensors" sequences "$GEN" lm.beam.sequences
py close "$T/lb.safetensors" sequences_scores "$GEN" lm.beam.sequences_scores 1e-5
out=$("$BIN" -q generate -m "$FX/lm" "You may add additional" --max-new-tokens 5)
[ -n "$out" ]

# bert2bert/: sources with their mask; max_length 20 counts the decoder start token.
"$BIN" -q generate -m "$FX/bert2bert" --tensors-in "$IN:bert2bert" --tensors-out "$T/bg.safetensors" --max-length 20
py same-ints "$T/bg.safetensors" sequences "$GEN" bert2bert.greedy.sequences
"$BIN" -q generate -m "$FX/bert2bert" --tensors-in "$IN:bert2bert" --tensors-out "$T/bb.safetensors" --max-length 20 \
  --num-beams 3 --no-repeat-ngram-size 3 --early-stopping true
py same-ints "$T/bb.safetensors" sequences "$GEN" bert2bert.beam.sequences
py close "$T/bb.safetensors" sequences_scores "$GEN" bert2bert.beam.sequences_scores 1e-5
out=$("$BIN" -q generate -m "$FX/bert2bert" "You may charge a fee for the physical act of transferring a copy." --max-length 10)
[ -n "$out" ]
# ProphetNet's n-gram setting means nothing to a QDQBERT decoder: said so, not silently taken.
"$BIN" generate -m "$FX/bert2bert" --ngram-relpos original "a text" --max-length 5 >/dev/null 2>"$T/warn"
grep -q "no effect" "$T/warn"

# forward with labels: QDQBertLMHeadModel shifts them itself; EncoderDecoderModel builds the decoder
# input from them (shift_tokens_right) and does not shift again.
py subset "$IN" "$T/lm_in.safetensors" input_ids=lm.input_ids attention_mask=lm.attention_mask labels=lm.labels
"$BIN" -q forward -m "$FX/lm" --tensors-in "$T/lm_in.safetensors" --tensors-out "$T/lf.safetensors"
py close "$T/lf.safetensors" loss "$OUT" lm.loss 2e-5
py subset "$IN" "$T/b2b_in.safetensors" input_ids=bert2bert.input_ids attention_mask=bert2bert.attention_mask \
  labels=bert2bert.labels
"$BIN" -q forward -m "$FX/bert2bert" --tensors-in "$T/b2b_in.safetensors" --tensors-out "$T/bf.safetensors"
py close "$T/bf.safetensors" loss "$OUT" bert2bert.loss 5e-5

# calibrate from text: the fixture's 2 batches of 4 texts, BERT-tokenized to at most 32 tokens.
"$BIN" -q calibrate -m "$FX/lm" --method max -b 4 --max-length 32 -i "$FX/calibration_texts.txt" -o "$T/amax.json"
py amax "$T/amax.json" "$FX/amax_max.json" 1e-5
echo ok
