#!/usr/bin/env bash
# Installs ONNX Runtime for Node (npm onnxruntime-node, CPU build bundled in
# the package) into .ort/ of the checkout (git-ignored), once, and prints the
# node_modules folder to put in NODE_PATH. 1.20.1 runs on Debian 12's nodejs 18
# and on newer node. --ignore-scripts: its postinstall only fetches CUDA binaries.
# Exit 77 (with a message) when node or npm is missing, or the npm registry cannot be reached (see below).
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
    log=$(mktemp)
    if ! npm install --prefix "$DIR" --no-save --ignore-scripts --no-audit --no-fund --loglevel=error \
        "onnxruntime-node@$VERSION" >"$log" 2>&1; then
      cat "$log" >&2
      # The registry cannot be reached (no network, or a TLS-intercepting proxy whose CA this machine lacks): that
      # is the machine's network, not a defect of qdqrt, so the test is skipped with this message (exit 77) unless
      # QDQRT_REQUIRE_ORT=1 (CI sets it: there the consumer must really run).
      if [ "${QDQRT_REQUIRE_ORT:-0}" != 1 ] &&
         grep -qE 'SELF_SIGNED_CERT|UNABLE_TO_(GET|VERIFY)|CERT_|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH' "$log"; then
        echo "ort_install: the npm registry cannot be reached from this machine ($(grep -oE 'code [A-Z_]+' "$log" | head -n1))" >&2
        rm -f "$log"; exit 77
      fi
      rm -f "$log"; exit 1
    fi
    rm -f "$log"
  fi
fi
echo "$DIR/node_modules"
