#!/usr/bin/env bash
# Installs every Debian package that building, testing, the demo, the sanitized/fuzz builds and the benches need on a
# brand-new Debian 12 machine, when any is missing (idempotent). CI checks the list on a fresh root (.ci/run).
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config                      # the build
  libdnnl-dev ocl-icd-opencl-dev                                    # oneDNN; Debian's dnnl-config.cmake needs OpenCL,
                                                                    # which libdnnl-dev only recommends
  libcli11-dev libspdlog-dev libfmt-dev doctest-dev nlohmann-json3-dev
  python3                                                           # test scripts, fixture and fuzz-seed helpers
  clang libclang-rt-14-dev libomp-14-dev                            # scripts/fuzz.sh, scripts/ci_sanitize.sh (clang's
                                                                    # sanitizer runtimes and its OpenMP, libomp)
  time                                                              # /usr/bin/time -v (peak RSS) in the benches
  libonnx-dev libprotobuf-dev                                       # qdqrt export: ONNX's protobuf, checker, shape
                                                                    # inference (ONNXConfig.cmake needs protobuf's CMake)
  nodejs npm                                                        # ONNX Runtime (npm onnxruntime-node) in the export test
  parallel                                                          # GNU parallel: tests/cli/parallel.sh (many machines)
)
missing=()
for p in "${PKGS[@]}"; do
  # A nodejs from elsewhere (e.g. NodeSource, which bundles npm and conflicts with Debian's npm) is fine as it is.
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  log=$(mktemp)
  if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; exit 1
  fi
  echo "installed $(grep -c '^Setting up ' "$log") packages (with dependencies): $(sed -n 's/^Setting up \([^:( ]*\).*/\1/p' "$log" | tr '\n' ' ')" >&2
  rm -f "$log"
fi
