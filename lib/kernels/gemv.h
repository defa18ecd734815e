#pragma once
// y = x W^T + b for a few rows of x over the plain torch [N, K] weight: the
// decoding step's Linear (one row per sequence). oneDNN's matmul with the
// weight blocked for M = 128 runs far below memory bandwidth at M = 1..8;
// this streams each weight row once and reuses it for every x row.
#include <cstdint>

namespace qdq::kernels {

// Rows of x at which gemv_f32 stops paying off against the blocked GEMM.
constexpr int64_t kGemvMaxRows = 16;
// Shortest K worth it: below, the weights are small and oneDNN is as fast.
// gemv_f32 sums in 16 lanes, not in oneDNN's order, so its results differ in
// the last bits; small test models (hidden 32/64) keep oneDNN's numbers,
// which their fixtures' near-ties in the top-10 logits were checked against.
constexpr int64_t kGemvMinK = 256;

// x [M, K], w [N, K], bias [N] or nullptr, y [M, N]; all row-major contiguous.
// Threads (OpenMP) split N.
void gemv_f32(const float* x, int64_t M, int64_t K, const float* w, int64_t N, const float* bias, float* y);

}  // namespace qdq::kernels
