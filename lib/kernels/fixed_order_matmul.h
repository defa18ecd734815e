#pragma once
// f32 products summed in an order fixed by the reduction length alone, for CPUs where oneDNN 2.6's
// f32 matmul is the jit sgemm (no AVX-512, kernels/cpu.h), whose order changes with the row count:
// there a record's attention would depend on its batch's padded length. Internal to lib/kernels.
#include <cstdint>

namespace qdq::kernels::detail {

// One operand of a batch of products, element (b, h, row, col) at p + b*sb + h*sh + row*sr + col*sc.
struct Strided {
  const float* p;
  int64_t sb, sh, sr, sc;
};

// c(b, h, i, j) = oscale * sum_k a(b, h, i, k) * w(b, h, k, j) [+ mask(b, h, i, j)] for b < B, h < H,
// i < M, j < N, k < K; c(b, h, i, j) at c + b*cb + h*ch + i*ci + j (rows contiguous). mask: p null
// for none. The sum runs k = 0..K-1 in order when w's rows are contiguous (cols stride 1), else as a
// dot product vectorised over k; either way each element depends only on its own inputs and K, and
// zero terms (padded keys of probability 0) do not change it.
void fixed_order_matmul(int64_t B, int64_t H, int64_t M, int64_t N, int64_t K, const Strided& a, const Strided& w,
                        float oscale, const Strided& mask, float* c, int64_t cb, int64_t ch, int64_t ci);

}  // namespace qdq::kernels::detail
