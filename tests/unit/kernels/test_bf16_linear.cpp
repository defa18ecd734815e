// --precision bf16: kernels::Linear with FloatMath::Bf16 must compute exactly
// act(round_bf16(x) round_bf16(W)^T + b) with f32 accumulation, i.e. the only
// error is the rounding of both operands to bfloat16 (round to nearest even).
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "kernels/ops.h"
#include "ref.h"

using namespace qdq;
using kernels::Activation;

namespace {
// bfloat16 round to nearest even, back to float (the operands the kernel must see).
float round_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  std::memcpy(&f, &u, 4);
  return f;
}
Tensor rounded(const Tensor& t) {
  Tensor r = t.clone();
  for (int64_t i = 0; i < r.numel(); ++i) r.data<float>()[i] = round_bf16(r.data<float>()[i]);
  return r;
}
}  // namespace

TEST_CASE("bf16 Linear equals the reference on bf16-rounded operands, f32 accumulation") {
  if (!kernels::cpu_has_bf16()) {
    // Not skipped silently: the refusal itself is what a user on such a CPU sees.
    MESSAGE("this CPU runs " << kernels::cpu_isa_name() << ": checking that bf16 is refused");
    CHECK_THROWS_WITH_AS(kernels::Linear(ref::randn({4, 4}, 1), Tensor(), kernels::FloatMath::Bf16),
                         doctest::Contains("AVX-512 BF16"), Error);
    return;
  }
  const int64_t K = 96, N = 80;
  Tensor w = ref::randn({N, K}, 11, 0.2f), b = ref::randn({N}, 12);
  kernels::Linear lin(w, b, kernels::FloatMath::Bf16);
  CHECK(lin.math() == kernels::FloatMath::Bf16);
  for (Activation a : {Activation::None, Activation::GeluErf, Activation::Tanh})
    for (int64_t M : {1, 7, 128, 300}) {
      Tensor x = ref::randn({M, K}, 13 + M);
      Tensor y = lin.forward(x, a);
      REQUIRE(y.shape() == Shape{M, N});
      // Against the exact product of the rounded operands: only f32 accumulation differs (1e-5
      // of the output scale, as for fp32).
      CHECK(ref::rel_err(y, ref::linear(rounded(x), rounded(w), b, a)) < 1e-5);
      // Against the unrounded fp32 product, element by element: rounding each operand to bf16
      // changes it by at most 2^-9 relatively, so a product x_k w_k by at most (2^-8 + 2^-18) of
      // |x_k w_k|, and the output by at most that of sum_k |x_k||w_k|, times the activation's
      // slope (<= 1.13 for GELU, 1 for the others); 1e-5 of the scale covers f32 accumulation.
      const Tensor exact = ref::linear(x, w, b, a);
      double worst = 0;
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          double mag = 0;
          for (int64_t k = 0; k < K; ++k)
            mag += std::fabs(double(x.data<float>()[m * K + k]) * w.data<float>()[n * K + k]);
          const double bound = 1.13 * (std::ldexp(1.0, -8) + std::ldexp(1.0, -18)) * mag + 1e-5 * (1 + mag);
          const double err = std::fabs(double(y.data<float>()[m * N + n]) - exact.data<float>()[m * N + n]);
          worst = std::max(worst, err / bound);
        }
      CHECK(worst <= 1.0);
      const double e = ref::rel_err(y, exact);
      CHECK(e > 1e-5);  // really bf16: fp32 would be ~1e-7
    }
}
