#!/usr/bin/env bash
# The main job on the bundled fixture models: what a new user runs first.
set -euo pipefail
cd "$(dirname "$0")/.."
Q=build/qdqrt
F=tests/fixtures
echo "== qdqrt tokenize (BERT vocabulary)"
echo '{"text": "Hello, world! Quantized transformers on the CPU."}' | $Q tokenize --model $F/qdqbert-seqcls
