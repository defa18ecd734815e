// The strided attention products against split heads + batched_matmul.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "kernels/attention.h"
#include "kernels/int8.h"
#include "kernels/ops.h"

using namespace qdq;

namespace {

Tensor randn(Shape s, uint32_t seed) {
  Tensor t(DType::F32, std::move(s));
  std::mt19937 g(seed);
  std::normal_distribution<float> d;
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(g);
  return t;
}

// [B*T, H*d] -> [B*H, T, d]
Tensor split(const Tensor& x, int64_t B, int64_t T, int64_t H) {
  const int64_t d = x.dim(1) / H;
  Tensor o(x.dtype(), {B * H, T, d});
  const size_t es = dtype_size(x.dtype());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(static_cast<char*>(o.raw()) + (((b * H + h) * T + t) * d) * es,
                    static_cast<const char*>(x.raw()) + ((b * T + t) * H * d + h * d) * es, d * es);
  return o;
}

double max_diff(const float* a, const float* b, int64_t n) {
  double m = 0;
  for (int64_t i = 0; i < n; ++i) m = std::fmax(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

}  // namespace

TEST_CASE("attention_scores / attention_context equal split heads + batched_matmul") {
  const int64_t B = 2, T = 5, H = 3, d = 4;
  Tensor q = randn({B * T, H * d}, 1), k = randn({B * T, H * d}, 2), v = randn({B * T, H * d}, 3);
  std::vector<float> mask(B * T, 0.0f);
  mask[B * T - 1] = -1e4f;
  Tensor s = kernels::attention_scores(q, k, kernels::AttnDims{B, T, T, T, 1}, H, 0.5f, mask.data());
  Tensor ref = kernels::batched_matmul(split(q, B, T, H), split(k, B, T, H), true, 0.5f);
  for (int64_t r = 0; r < B * H * T; ++r)
    for (int64_t j = 0; j < T; ++j) ref.data<float>()[r * T + j] += mask[(r / (H * T)) * T + j];
  CHECK(max_diff(s.data<float>(), ref.data<float>(), s.numel()) <= 1e-4);

  kernels::softmax(s);
  Tensor ctx = kernels::attention_context(s, v, kernels::AttnDims{B, T, T, T, 1}, H);
  Tensor cref = kernels::batched_matmul(s.reshape({B * H, T, T}), split(v, B, T, H), false);
  CHECK(max_diff(split(ctx, B, T, H).data<float>(), cref.data<float>(), ctx.numel()) <= 1e-5);
}

TEST_CASE("int8 attention products equal batched_matmul_int8, requantized context rounds the f32 one") {
  const int64_t B = 2, T = 6, H = 2, d = 8;
  const float sq = 20.0f, sk = 25.0f, sp = 127.0f, sv = 30.0f;
  Tensor q = kernels::quantize_s8(randn({B * T, H * d}, 4), sq), k = kernels::quantize_s8(randn({B * T, H * d}, 5), sk);
  Tensor v = kernels::quantize_s8(randn({B * T, H * d}, 6), sv);
  Tensor s = kernels::attention_scores_int8(q, sq, k, sk, kernels::AttnDims{B, T, T, T, 1}, H, 0.25f, nullptr);
  Tensor ref = kernels::batched_matmul_int8(split(q, B, T, H), sq, split(k, B, T, H), sk, true, 0.25f);
  CHECK(max_diff(s.data<float>(), ref.data<float>(), s.numel()) <= 1e-5);

  kernels::softmax(s);
  Tensor p = kernels::quantize_s8(s, sp);
  Tensor ctx = kernels::attention_context_int8(p, sp, v, sv, kernels::AttnDims{B, T, T, T, 1}, H);
  Tensor cref = kernels::batched_matmul_int8(p.reshape({B * H, T, T}), sp, split(v, B, T, H), sv, false);
  CHECK(max_diff(split(ctx, B, T, H).data<float>(), cref.data<float>(), ctx.numel()) <= 1e-5);

  const float so = 40.0f;
  Tensor cq = kernels::attention_context_int8(p, sp, v, sv, kernels::AttnDims{B, T, T, T, 1}, H, DType::I8, so);
  int64_t off = 0;
  for (int64_t i = 0; i < ctx.numel(); ++i) {
    const float want = std::fmin(std::fmax(std::nearbyint(ctx.data<float>()[i] * so), -128.0f), 127.0f);
    off += std::fabs(want - cq.data<int8_t>()[i]) > 1.0f;  // a tie may round either way after float rounding
  }
  CHECK(off == 0);
}

TEST_CASE("fake_quant_per_tensor equals quant::fake_quant's arithmetic") {
  Tensor x = randn({1000}, 7);
  x.data<float>()[0] = 2.5f / 10.0f;  // a tie at scale 10
  x.data<float>()[1] = 1e9f;
  x.data<float>()[2] = -1e9f;
  Tensor y = x.clone();
  const float scale = 10.0f;
  kernels::fake_quant_per_tensor(y.data<float>(), y.numel(), scale, -128.0f, 127.0f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float q = std::fmin(std::fmax(std::nearbyint(x.data<float>()[i] * scale), -128.0f), 127.0f);
    CHECK(y.data<float>()[i] == q / scale);
  }
  Tensor z = x.clone();
  kernels::fake_quant_per_tensor(z.data<float>(), z.numel(), 0.0f, -128.0f, 127.0f);
  for (int64_t i = 0; i < z.numel(); ++i) CHECK(z.data<float>()[i] == 0.0f);
}

TEST_CASE("int8 scores equal the reference product, with masks (broadcast and causal) and a KV cache") {
  const int64_t B = 2, H = 3, d = 16, kv_rows = 48;
  const float sq = 20.0f, sk = 25.0f;
  for (int64_t T : {8, 40}) {
    for (int causal = 0; causal < 2; ++causal) {
      CAPTURE(T);
      CAPTURE(causal);
      // K stored as a cache of kv_rows rows per sequence, the first T filled.
      Tensor q = kernels::quantize_s8(randn({B * T, H * d}, 7), sq);
      Tensor kc = kernels::quantize_s8(randn({B * kv_rows, H * d}, 8), sk);
      Tensor k(DType::I8, {B * T, H * d});
      for (int64_t b = 0; b < B; ++b)
        std::copy_n(kc.data<int8_t>() + b * kv_rows * H * d, T * H * d, k.data<int8_t>() + b * T * H * d);
      const int64_t mq = causal ? T : 1;
      std::vector<float> mask(B * mq * T);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < mq; ++i)
          for (int64_t j = 0; j < T; ++j)
            mask[(b * mq + i) * T + j] = (causal && j > i) || (b == 1 && j >= T - 3) ? -10000.0f : 0.0f;
      Tensor s = kernels::attention_scores_int8(q, sq, kc, sk, kernels::AttnDims{B, T, T, kv_rows, mq}, H, 0.25f,
                                                mask.data());
      Tensor ref = kernels::batched_matmul_int8(split(q, B, T, H), sq, split(k, B, T, H), sk, true, 0.25f);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j)
              ref.data<float>()[((b * H + h) * T + i) * T + j] += mask[(b * mq + (causal ? i : 0)) * T + j];
      // Masked entries sit near -1e4, where one float ulp is 1e-3.
      CHECK(max_diff(s.data<float>(), ref.data<float>(), s.numel()) <= 2e-3);
    }
  }
}

TEST_CASE("attention_probs_int8: mask, softmax and P's codes in one call equal the three steps") {
  const int64_t B = 2, H = 3, T = 20;
  for (int causal = 0; causal < 2; ++causal)
    for (bool u : {true, false}) {
      CAPTURE(causal);
      CAPTURE(u);
      const int64_t mq = causal ? T : 1;
      std::vector<float> mask(B * mq * T);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t i = 0; i < mq; ++i)
          for (int64_t j = 0; j < T; ++j)
            mask[(b * mq + i) * T + j] = (causal && j > i) || (b == 1 && j >= T - 4) ? -10000.0f : 0.0f;
      Tensor s = randn({B, H, T, T}, 9);
      Tensor ref = s.clone();
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h)
          for (int64_t i = 0; i < T; ++i)
            for (int64_t j = 0; j < T; ++j)
              ref.data<float>()[((b * H + h) * T + i) * T + j] += mask[(b * mq + (causal ? i : 0)) * T + j];
      kernels::softmax(ref);
      const float scale = u ? 255.0f : 127.0f;
      Tensor want = u ? kernels::quantize_u8(ref, scale) : kernels::quantize_s8(ref, scale);
      Tensor got = kernels::attention_probs_int8(s, mask.data(), kernels::AttnDims{B, T, T, T, mq}, scale, u);
      REQUIRE(got.dtype() == want.dtype());
      // Both are oneDNN softmaxes with their own exp: a code may differ by one at a rounding tie.
      int64_t worst = 0, off = 0;
      for (int64_t i = 0; i < got.numel(); ++i) {
        const int64_t a = u ? got.data<uint8_t>()[i] : got.data<int8_t>()[i];
        const int64_t b = u ? want.data<uint8_t>()[i] : want.data<int8_t>()[i];
        worst = std::max<int64_t>(worst, std::abs(a - b));
        off += a != b;
      }
      CHECK(worst <= 1);
      CHECK(off <= got.numel() / 100);
    }
}
