#!/usr/bin/env bash
# Encode throughput of a random bert-base (12 x 768, ffn 3072, vocab 30522) at
# 1 x 128 and 8 x 128 tokens, fp32, bf16 (where the CPU has it) and int8, next to the oneDNN GEMM peak
# measured in the same run (bench_gemm). About 2-3 minutes on 2 cores.
# Also: model size on disk (fp32 vs `qdqrt quantize` output) and peak RSS of
# each encode run (/usr/bin/time -v). Then ONNX Runtime on the same model exported
# by `qdqrt export` (fp32 and QDQ), when node is installed.
# Start-up first: wall time and peak RSS of load + one text, fp32 vs int8 directory.
# Env: BUILD (default build), THREADS (default: all cores), LOAD_ONLY=1 (start-up rows only).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
BIN=$BUILD/qdqrt
if [ ! -x "$BIN" ] || [ ! -x "$BUILD/make_random_bert" ] || [ ! -x "$BUILD/bench_gemm" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  ninja -C "$BUILD" qdqrt make_random_bert bench_gemm >/dev/null
fi
THREADS_OPT=()
[ -n "${THREADS:-}" ] && THREADS_OPT=(--threads "$THREADS")
B=$BUILD/bench
M=$B/bert-base
if [ ! -f "$M/model.safetensors" ]; then
  "$BUILD/make_random_bert" "$M" >/dev/null
  for f in vocab.txt tokenizer_config.json special_tokens_map.json; do
    cp "$ROOT/tests/fixtures/qdqbert-seqcls/$f" "$M/"
  done
fi

# Texts of >= 128 word pieces each (random whole words of the vocabulary);
# --max-length 128 then makes every sequence exactly 128 tokens.
python3 - "$M/vocab.txt" "$B/texts.txt" <<'PY'
import random, sys
words = [w for w in open(sys.argv[1]).read().split("\n")[1000:] if w.isalpha() and w.isascii()]
random.seed(0)
with open(sys.argv[2], "w") as f:
    for _ in range(64):
        f.write(" ".join(random.choice(words) for _ in range(160)) + "\n")
PY
head -n 8 "$B/texts.txt" >"$B/texts8.txt"

if [ ! -f "$B/amax.json" ]; then
  "$BIN" -q "${THREADS_OPT[@]}" calibrate -m "$M" --method max --max-length 128 -i "$B/texts8.txt" -o "$B/amax.json"
fi
Q=$B/bert-base-int8
if [ ! -f "$Q/model.safetensors" ]; then
  rm -rf "$Q"
  "$BIN" -q quantize -m "$M" --amax "$B/amax.json" -o "$Q"
  for f in vocab.txt tokenizer_config.json special_tokens_map.json; do cp "$M/$f" "$Q/"; done
fi

# Start-up: load + a one-text job, whole process (wall and peak RSS from /usr/bin/time), fp32 checkpoint
# vs the int8 directory. Page cache warm (one untimed run first). Times move with the machine's load; RSS
# does not.
load_row() {  # label model precision
  /usr/bin/time -v "$BIN" -q "${THREADS_OPT[@]}" encode -m "$2" --precision "$3" "hello world" -o /dev/null \
    2>"$B/load.log" || { cat "$B/load.log" >&2; return 1; }
  local wall rss
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)/\1/p' "$B/load.log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$B/load.log")
  echo "$wall $((rss / 1024))"
}
"$BIN" -q encode -m "$M" "hello world" -o /dev/null; "$BIN" -q encode -m "$Q" "hello world" -o /dev/null
read -r LW LR < <(load_row fp32 "$M" fp32)
read -r QW QR < <(load_row int8 "$Q" int8)
CK=$(($(stat -c %s "$M/model.safetensors") / 1048576))
echo "start-up (load + one text), page cache warm:"
printf "  %-6s %10s %12s\n" model "wall" "peak RSS MB"
printf "  %-6s %10s %12s\n" fp32 "$LW" "$LR" int8 "$QW" "$QR"
python3 -c "print(f'  int8/fp32 peak RSS {$QR/$LR:.2f}x; fp32 peak RSS / checkpoint ({$CK} MB) {$LR/$CK:.2f}x')"
[ "${LOAD_ONLY:-0}" = 1 ] && exit 0
echo

# bert-base GEMM work per 128-token sequence: 12 layers x 128 tokens x
# 2 (4 H^2 + 2 H F + 2 T H) FLOP = 22.35 GFLOP (pooler and classifier negligible).
GFLOP_PER_SEQ=$(python3 -c "H,F,T,L=768,3072,128,12; print(2*(4*H*H+2*H*F+2*T*H)*T*L/1e9)")

# Prints "sequences/s peak_rss_MB". int8 runs the quantized model directory.
run() {  # precision batch texts
  local model=$M
  [ "$1" = int8 ] && model=$Q
  /usr/bin/time -v "$BIN" "${THREADS_OPT[@]}" encode -m "$model" --precision "$1" --max-length 128 \
    --batch-size "$2" -i "$3" -o /dev/null 2>"$B/run.log" || { cat "$B/run.log" >&2; return 1; }
  local sps rss
  sps=$(sed -n 's/.*(\([0-9.]*\) sequences\/s).*/\1/p' "$B/run.log")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$B/run.log")
  echo "$sps $((rss / 1024))"
}

# The oneDNN matmul peak on these shapes, first: each row below prints its fraction of it.
"$BUILD/bench_gemm" 10 >"$B/gemm.tsv" 2>/dev/null || true
read -r PEAK_F32 PEAK_U8S8 < <(python3 - "$B/gemm.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l[0].isdigit()]
best = {}
for m, k, n, impl, ms, g in rows:
    impl = impl.strip()
    if impl in ("onednn_f32", "onednn_u8s8"):
        best[impl] = max(best.get(impl, 0.0), float(g))
print(best.get("onednn_f32", 0), best.get("onednn_u8s8", 0))
PY
)
echo "oneDNN matmul peak on the bert-base GEMM shapes (bench_gemm, best of 10): fp32 $PEAK_F32 GFLOP/s, u8s8 $PEAK_U8S8 GOP/s"
echo

echo "qdqrt bench: random bert-base, 128 tokens, threads ${THREADS:-default}"
printf "%-10s %-6s %14s %18s %12s %14s\n" precision batch "sequences/s" "effective GFLOP/s" "of peak" "peak RSS MB"
declare -A RES
PRECISIONS=(fp32 int8)
# bf16 where the CPU runs it natively (qdqrt refuses it elsewhere).
"$BIN" -q encode -m "$M" --precision bf16 "x" -o /dev/null 2>/dev/null && PRECISIONS=(fp32 bf16 int8)
for p in "${PRECISIONS[@]}"; do
  for b in 1 8; do
    # 64 sequences at either batch size: with fewer, the one-time costs of a process's first
    # batch (primitive creation, first touch of activation memory) weigh on the figure (with 32, 4
    # batches of 8, bf16 batch 8 measured 22-24 seq/s against 29-30 steady, below its batch 1).
    texts=$B/texts.txt
    read -r s rss < <(run $p $b "$texts")
    RES[$p$b]=$s
    peak=$PEAK_F32
    [ $p = int8 ] && peak=$PEAK_U8S8
    frac=$(python3 -c "print('-' if '$p' == 'bf16' or $peak == 0 else f'{$s*$GFLOP_PER_SEQ/$peak:.2f}')")
    printf "%-10s %-6s %14s %18s %12s %14s\n" $p $b "$s" "$(python3 -c "print(f'{$s*$GFLOP_PER_SEQ:.1f}')")" "$frac" "$rss"
  done
done
python3 -c "print(f'int8 / fp32 speed-up: batch 1 {${RES[int81]}/${RES[fp321]}:.2f}x, batch 8 {${RES[int88]}/${RES[fp328]}:.2f}x')"
[ -n "${RES[bf161]:-}" ] &&
  python3 -c "print(f'bf16 / fp32 speed-up: batch 1 {${RES[bf161]}/${RES[fp321]}:.2f}x, batch 8 {${RES[bf168]}/${RES[fp328]}:.2f}x')"
# The strongest CPU peer on the user's own path: ONNX Runtime (npm onnxruntime-node, CPU execution provider,
# all graph optimizations, which fuse the Q/DQ pairs into its int8 kernels) running the same model exported by
# `qdqrt export`, fp32 and QDQ (the amax table above), same batch shapes and thread count.
ORT_THREADS=${THREADS:-$(nproc)}
if NODE_PATH=$("$ROOT/scripts/ort_install.sh" 2>"$B/ort_install.log"); then
  export NODE_PATH
  [ -f "$B/bert-base.onnx" ] || "$BIN" -q export -m "$M" -o "$B/bert-base.onnx"
  [ -f "$B/bert-base-qdq.onnx" ] || "$BIN" -q export -m "$M" --amax "$B/amax.json" -o "$B/bert-base-qdq.onnx"
  echo
  echo "ONNX Runtime $(node -p "require('onnxruntime-node/package.json').version") on the exported graphs, $ORT_THREADS threads:"
  printf "%-10s %-6s %14s %18s %12s\n" graph batch "sequences/s" "effective GFLOP/s" "qdqrt/ORT"
  for g in fp32 qdq; do
    model=$B/bert-base.onnx
    [ $g = qdq ] && model=$B/bert-base-qdq.onnx
    for b in 1 8; do
      s=$(node "$ROOT/tests/onnx/ort_run.js" bench "$model" "$b" 128 --threads "$ORT_THREADS" --seconds 8)
      ours=${RES[fp32$b]}
      [ $g = qdq ] && ours=${RES[int8$b]}
      printf "%-10s %-6s %14s %18s %12s\n" $g $b "$s" "$(python3 -c "print(f'{$s*$GFLOP_PER_SEQ:.1f}')")" \
        "$(python3 -c "print(f'{$ours/$s:.2f}x')")"
    done
  done
else
  echo "ONNX Runtime rows skipped: $(tail -n 1 "$B/ort_install.log")"
fi
echo "model.safetensors: fp32 $(($(stat -c %s "$M/model.safetensors") / 1048576)) MB, int8 $(($(stat -c %s "$Q/model.safetensors") / 1048576)) MB"
echo
