#include "kernels/residual_norm.h"

#include <cmath>

#include "kernels/engine.h"
#include "kernels/int8.h"

namespace qdq::kernels {

namespace {
// kernels::fake_quant_per_tensor's element arithmetic.
inline float fake_quant(float x, const FakeQuantStep& q) {
  return quant_code(x, q.scale, q.lo, q.hi) / (q.scale == 0.0f ? 1.0f : q.scale);
}
}  // namespace

// The row loops are compute-bound at SSE2 width (the build targets any x86-64): clones for
// AVX2 and AVX-512 are picked at load time by the CPU (GCC function multiversioning).
__attribute__((target_clones("avx512f", "avx2", "default"))) void residual_add_layer_norm(
    Tensor& out, const Tensor& x, FakeQuantStep fq_out, FakeQuantStep fq_x, const Tensor& gamma, const Tensor& beta,
    float eps) {
  detail::require_f32(out, "residual add output");
  detail::require_f32(x, "residual add input");
  const int64_t C = out.dim(-1);
  check(x.numel() == out.numel() && gamma.numel() == C && beta.numel() == C,
        "residual add + LayerNorm: {} + {} with gamma/beta of {}/{} values", shape_str(out.shape()),
        shape_str(x.shape()), gamma.numel(), beta.numel());
  if (out.numel() == 0) return;
  const int64_t rows = out.numel() / C;
  float* o = out.data<float>();
  const float* xs = x.data<float>();
  const float* g = gamma.data<float>();
  const float* b = beta.data<float>();
#pragma omp parallel for schedule(static) if (rows * C > (1 << 14))
  for (int64_t r = 0; r < rows; ++r) {
    float* row = o + r * C;
    const float* xr = xs + r * C;
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < C; ++i) {
      const float a = fq_out.on ? fake_quant(row[i], fq_out) : row[i];
      const float c = fq_x.on ? fake_quant(xr[i], fq_x) : xr[i];
      row[i] = a + c;
      sum += row[i];
    }
    const float mean = sum / static_cast<float>(C);
    float sq = 0;
#pragma omp simd reduction(+ : sq)
    for (int64_t i = 0; i < C; ++i) sq += (row[i] - mean) * (row[i] - mean);
    const float inv = 1.0f / std::sqrt(sq / static_cast<float>(C) + eps);
#pragma omp simd
    for (int64_t i = 0; i < C; ++i) row[i] = (row[i] - mean) * inv * g[i] + b[i];
  }
}

}  // namespace qdq::kernels
