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

// One row: out = LayerNorm(fq_out(out) + fq_x(x)) * gamma + beta (x null: no residual).
// The row loops are compute-bound at SSE2 width (the build targets any x86-64): clones for
// AVX2 and AVX-512 are picked at load time by the CPU (GCC function multiversioning).
__attribute__((target_clones("avx512f", "avx2", "default"))) void norm_row(float* row, const float* xr, int64_t C,
                                                                           FakeQuantStep fq_out, FakeQuantStep fq_x,
                                                                           const float* g, const float* b, float eps) {
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < C; ++i) {
    const float a = fq_out.on ? fake_quant(row[i], fq_out) : row[i];
    const float c = xr ? (fq_x.on ? fake_quant(xr[i], fq_x) : xr[i]) : 0.0f;
    row[i] = xr ? a + c : a;
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

namespace {
// Rows in parallel only when there is enough work to pay for waking the other threads (a decoding
// step's few rows run on the calling thread: under OMP_WAIT_POLICY=passive each parallel region
// costs a futex wake-up, ~40 us here, against ~1 us for a row of 1024).
void norm_rows(Tensor& out, const Tensor* x, FakeQuantStep fq_out, FakeQuantStep fq_x, const Tensor& gamma,
               const Tensor& beta, float eps, const char* what) {
  detail::require_f32(out, what);
  const int64_t C = out.dim(-1);
  if (gamma.numel() != C || beta.numel() != C || (x && x->numel() != out.numel()))
    throw Error("{}: {}{}{} with gamma/beta of {}/{} values", what, shape_str(out.shape()), x ? " + " : "",
                x ? shape_str(x->shape()) : std::string(), gamma.numel(), beta.numel());
  if (out.numel() == 0) return;
  if (x) detail::require_f32(*x, what);
  const int64_t rows = out.numel() / C;
  float* o = out.data<float>();
  const float* xs = x ? x->data<float>() : nullptr;
  const float* g = gamma.data<float>();
  const float* b = beta.data<float>();
#pragma omp parallel for schedule(static) if (rows * C > (1 << 14))
  for (int64_t r = 0; r < rows; ++r) norm_row(o + r * C, xs ? xs + r * C : nullptr, C, fq_out, fq_x, g, b, eps);
}
}  // namespace

void residual_add_layer_norm(Tensor& out, const Tensor& x, FakeQuantStep fq_out, FakeQuantStep fq_x,
                             const Tensor& gamma, const Tensor& beta, float eps) {
  norm_rows(out, &x, fq_out, fq_x, gamma, beta, eps, "residual add + LayerNorm");
}

void layer_norm(Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  norm_rows(x, nullptr, {}, {}, gamma, beta, eps, "layer_norm");
}

}  // namespace qdq::kernels
