#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install packages, build, then run
# the main job on the bundled small models so you see qdqrt work.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
scripts/demo.sh
