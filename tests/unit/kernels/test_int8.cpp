#include <doctest/doctest.h>

#include <cmath>
#include <cstring>

#include "kernels/int8.h"
#include "quant/tensor_quantizer.h"
#include "ref.h"

using namespace qdq;
using kernels::Activation;

namespace {
// pytorch_quantization's fake quant of a copy.
Tensor fq(const Tensor& x, const std::vector<float>& amax, std::optional<int> axis, bool is_unsigned = false) {
  Tensor y = x.clone();
  quant::fake_quant(y.data<float>(), y.shape(), amax, axis, 8, is_unsigned, false);
  return y;
}
}  // namespace

TEST_CASE("quantize_s8/u8 round half to even and saturate like tensor_quant.py") {
  Tensor x = Tensor::from_vector<float>({0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 100.0f, -100.0f, 63.4f, -64.2f}, {9});
  Tensor q = kernels::quantize_s8(x, 2.0f);
  std::vector<int> want{0, 2, 2, 0, -2, 127, -128, 127, -128};
  for (int i = 0; i < 9; ++i) CHECK(int(q.data<int8_t>()[i]) == want[i]);
  Tensor u = kernels::quantize_u8(x, 2.0f);
  std::vector<int> wantu{0, 2, 2, 0, 0, 200, 0, 127, 0};
  for (int i = 0; i < 9; ++i) CHECK(int(u.data<uint8_t>()[i]) == wantu[i]);

  // Dequantized int8 == fake quant, element for element, on random data.
  Tensor r = ref::randn({4, 1000}, 21, 2.0f);
  const float amax = 5.0f, s = kernels::quant_scale(amax, false);
  Tensor dq = kernels::dequantize(kernels::quantize_s8(r, s), s);
  Tensor f = fq(r, {amax}, std::nullopt);
  CHECK(ref::rel_err(dq, f) < 1e-6);
  CHECK(kernels::quant_scale(0.0f, false) == 0.0f);
  CHECK(kernels::quant_scale(2.0f, true) == 127.5f);
  CHECK_THROWS_AS(kernels::quant_scale(-1.0f, false), Error);
}

TEST_CASE("Int8Linear equals the fake-quant fp32 Linear up to float rounding") {
  const int64_t K = 200, N = 72;
  Tensor w = ref::randn({N, K}, 22, 0.1f), b = ref::randn({N}, 23);
  std::vector<float> w_amax(N);
  for (int64_t n = 0; n < N; ++n) {
    float m = 0;
    for (int64_t k = 0; k < K; ++k) m = std::max(m, std::fabs(w.data<float>()[n * K + k]));
    w_amax[n] = m * (n % 3 == 0 ? 0.7f : 1.0f);  // some channels clip
  }
  w_amax[5] = 0.0f;  // a dead channel: output is exactly the bias
  Tensor wfq = fq(w, w_amax, 0);
  for (bool uns : {false, true})
    for (Activation a : {Activation::None, Activation::GeluErf, Activation::Relu})
      for (int64_t M : {1, 7, 128, 257}) {
        const float x_amax = 2.5f;
        Tensor x = ref::randn({M, K}, 24 + M);
        if (uns)
          for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = std::fabs(x.data<float>()[i]);
        kernels::Int8Linear lin(w, b, w_amax, x_amax, uns);
        Tensor y = lin.forward(x, a);
        Tensor r = ref::linear(fq(x, {x_amax}, std::nullopt, uns), wfq, b, a);
        // Integer accumulation is exact; only the final scale/bias/activation round.
        CHECK(ref::rel_err(y, r) < 1e-5);
        for (int64_t m = 0; m < M; ++m)
          CHECK(y.data<float>()[m * N + 5] == doctest::Approx(ref::act(b.data<float>()[5], a)).epsilon(1e-6));
        // Feeding pre-quantized activations gives the same bits.
        Tensor xq = uns ? kernels::quantize_u8(x, lin.input_scale()) : kernels::quantize_s8(x, lin.input_scale());
        Tensor y2 = lin.forward_quantized(xq, a);
        for (int64_t i = 0; i < y.numel(); ++i) REQUIRE(y.data<float>()[i] == y2.data<float>()[i]);
      }
}

TEST_CASE("Int8Linear: per-tensor weight amax, no bias, 3-D input, wrong dtype") {
  Tensor w = ref::randn({64, 32}, 30), none;
  kernels::Int8Linear lin(w, none, {3.0f}, 4.0f);
  Tensor x = ref::randn({2, 3, 32}, 31);
  Tensor y = lin.forward(x);
  CHECK(y.shape() == Shape{2, 3, 64});
  CHECK(ref::rel_err(y, ref::linear(fq(x, {4.0f}, std::nullopt), fq(w, {3.0f}, std::nullopt), none,
                                    Activation::None)) < 1e-5);
  CHECK_THROWS_AS(lin.forward_quantized(kernels::quantize_u8(x, 1.0f)), Error);
  CHECK_THROWS_AS(kernels::Int8Linear(w, none, {1.0f, 2.0f}, 1.0f), Error);
}

TEST_CASE("batched_matmul_int8 equals the fake-quant fp32 product") {
  const int64_t B = 4, M = 9, K = 64, N = 13;
  for (bool tb : {false, true})
    for (bool ua : {false, true}) {
      Tensor a = ref::randn({B, M, K}, 40), b = tb ? ref::randn({B, N, K}, 41) : ref::randn({B, K, N}, 41);
      if (ua)
        for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = std::fabs(a.data<float>()[i]);
      const float amax_a = 2.0f, amax_b = 3.0f, alpha = 0.125f;
      const float sa = kernels::quant_scale(amax_a, ua), sb = kernels::quant_scale(amax_b, false);
      Tensor aq = ua ? kernels::quantize_u8(a, sa) : kernels::quantize_s8(a, sa);
      Tensor c = kernels::batched_matmul_int8(aq, sa, kernels::quantize_s8(b, sb), sb, tb, alpha);
      Tensor r = kernels::batched_matmul(fq(a, {amax_a}, std::nullopt, ua), fq(b, {amax_b}, std::nullopt), tb, alpha);
      CHECK(ref::rel_err(c, r) < 1e-5);
    }
}

TEST_CASE("Int8Linear::forward_requantized equals quantizing forward()'s output") {
  const int64_t K = 96, N = 64, M = 33;
  Tensor w = ref::randn({N, K}, 70, 0.1f), b = ref::randn({N}, 71), x = ref::randn({M, K}, 72);
  kernels::Int8Linear lin(w, b, {0.3f}, 3.0f);
  for (bool uns : {false, true})
    for (Activation a : {Activation::None, Activation::GeluErf}) {
      const float s = kernels::quant_scale(2.0f, uns);
      Tensor y = lin.forward(x, a);
      Tensor want = uns ? kernels::quantize_u8(y, s) : kernels::quantize_s8(y, s);
      Tensor got = lin.forward_requantized(x, a, s, uns);
      REQUIRE(got.dtype() == want.dtype());
      Tensor got2 = lin.forward_requantized(kernels::quantize_s8(x, lin.input_scale()), a, s, uns);
      int64_t diff = 0;
      for (int64_t i = 0; i < y.numel(); ++i) {
        const int g = uns ? got.data<uint8_t>()[i] : got.data<int8_t>()[i];
        const int g2 = uns ? got2.data<uint8_t>()[i] : got2.data<int8_t>()[i];
        const int wv = uns ? want.data<uint8_t>()[i] : want.data<int8_t>()[i];
        REQUIRE(g == g2);
        REQUIRE(std::abs(g - wv) <= 1);  // only a float tie can flip
        diff += g != wv;
      }
      CHECK(diff <= y.numel() / 1000);
    }
}

TEST_CASE("Int8Linear quantizes weights as tensor_quant.py: same codes as the scalar round/clamp, ties and NaN") {
  const int64_t N = 24, K = 40;
  Tensor w = ref::randn({N, K}, 41, 0.5f);
  std::vector<float> amax(N);
  for (int64_t n = 0; n < N; ++n) amax[n] = 0.25f + 0.05f * static_cast<float>(n);
  // Exact ties (k + 0.5 codes), values far past amax, and a NaN.
  for (int64_t n = 0; n < N; ++n) {
    const float s = kernels::quant_scale(amax[n], false);
    w.data<float>()[n * K + 0] = 2.5f / s;
    w.data<float>()[n * K + 1] = -3.5f / s;
    w.data<float>()[n * K + 2] = 40.0f * amax[n];
    w.data<float>()[n * K + 3] = -40.0f * amax[n];
  }
  w.data<float>()[5] = std::nanf("");
  Tensor codes(DType::I8, {N, K});
  for (int64_t n = 0; n < N; ++n) {
    const float s = kernels::quant_scale(amax[n], false);
    for (int64_t k = 0; k < K; ++k)
      codes.data<int8_t>()[n * K + k] =
          static_cast<int8_t>(std::fmin(std::fmax(std::nearbyint(w.data<float>()[n * K + k] * s), -128.0f), 127.0f));
  }
  Tensor b = ref::randn({N}, 42);
  kernels::Int8Linear from_float(w, b, amax, 2.0f, false, false);
  kernels::Int8Linear from_codes = kernels::Int8Linear::from_codes(codes, b, amax, 2.0f, false);
  Tensor x = ref::randn({7, K}, 43);
  const Tensor a = from_float.forward(x), c = from_codes.forward(x);
  // Same codes, same kernel: bit-identical outputs.
  CHECK(std::memcmp(a.raw(), c.raw(), a.nbytes()) == 0);
}
