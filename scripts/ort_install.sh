#!/usr/bin/env bash
# Installs ONNX Runtime for Node (npm onnxruntime-node, CPU build bundled in
# the package) into .ort/ of the checkout (git-ignored), once, and prints the
# node_modules folder to put in NODE_PATH. 1.20.1 runs on Debian 12's nodejs 18
# and on newer node. --ignore-scripts: its postinstall only fetches CUDA binaries.
# Exit 77 (with a message) when node or npm is missing.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=1.20.1
DIR=$ROOT/.ort
for t in node npm; do
  command -v $t >/dev/null || { echo "ort_install: $t not found (scripts/deps.sh installs nodejs and npm)" >&2; exit 77; }
done
if [ ! -f "$DIR/node_modules/onnxruntime-node/package.json" ] ||
   ! grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/onnxruntime-node/package.json"; then
  mkdir -p "$DIR"
  # A lock so parallel tests install once.
  exec 9>"$DIR/.lock"
  flock 9
  if [ ! -f "$DIR/node_modules/onnxruntime-node/package.json" ]; then
    npm install --prefix "$DIR" --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
      "onnxruntime-node@$VERSION" >&2
  fi
fi
echo "$DIR/node_modules"
