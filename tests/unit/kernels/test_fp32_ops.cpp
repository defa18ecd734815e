#include <doctest/doctest.h>
#include <omp.h>

#include "kernels/ops.h"
#include "ref.h"

using namespace qdq;
using kernels::Activation;

TEST_CASE("Linear matches the reference for every activation and several row counts") {
  const int64_t K = 96, N = 80;
  Tensor w = ref::randn({N, K}, 1, 0.2f), b = ref::randn({N}, 2);
  kernels::Linear lin(w, b);
  CHECK(lin.in_features() == K);
  CHECK(lin.out_features() == N);
  for (Activation a : {Activation::None, Activation::GeluErf, Activation::GeluTanh, Activation::Relu,
                       Activation::Silu, Activation::Tanh})
    for (int64_t M : {1, 3, 17, 128, 300}) {
      Tensor x = ref::randn({M, K}, 3 + M);
      Tensor y = lin.forward(x, a);
      CHECK(y.shape() == Shape{M, N});
      // fp32 accumulation over K=96 terms of O(1): 1e-5 of the output scale.
      CHECK(ref::rel_err(y, ref::linear(x, w, b, a)) < 1e-5);
    }
}

TEST_CASE("Linear without bias, 3-D input, repeated calls reuse the cache") {
  Tensor w = ref::randn({64, 48}, 4), none;
  kernels::Linear lin(w, none);
  Tensor x = ref::randn({2, 5, 48}, 5);
  for (int rep = 0; rep < 3; ++rep) {
    Tensor y = lin.forward(x);
    CHECK(y.shape() == Shape{2, 5, 64});
    CHECK(ref::rel_err(y, ref::linear(x, w, none, Activation::None)) < 1e-5);
  }
  Tensor empty(DType::F32, {0, 48});
  CHECK(lin.forward(empty).shape() == Shape{0, 64});
  CHECK_THROWS_AS(lin.forward(ref::randn({3, 47}, 6)), Error);
}

TEST_CASE("Linear rows do not depend on the other rows or the thread count (batch invariance)") {
  // Every row count from 1 to 130, on 1 to 3 threads, against one call of 250 rows on one thread
  // (AVX-512's brgemm and, in row blocks, AVX2's sgemm: tests/CMakeLists.txt also runs this under
  // ONEDNN_MAX_CPU_ISA=AVX2).
  const int threads = omp_get_max_threads();
  for (auto [N, K] : {std::pair<int64_t, int64_t>{768, 768}, {64, 64}, {256, 64}, {64, 256}, {3, 64}}) {
    CAPTURE(N);
    CAPTURE(K);
    Tensor w = ref::randn({N, K}, 7, 0.05f), b = ref::randn({N}, 8);
    kernels::Linear lin(w, b);
    const int64_t full_rows = 250;
    Tensor x = ref::randn({full_rows, K}, 9);
    omp_set_num_threads(1);
    Tensor full = lin.forward(x);
    for (int t = 1; t <= 3; ++t) {
      CAPTURE(t);
      omp_set_num_threads(t);
      int64_t differ = 0;
      for (int64_t m = 1; m <= 130; ++m) {
        Tensor part = Tensor(DType::F32, {m, K});
        const int64_t r0 = (m * 7) % (full_rows - m);  // rows from anywhere in the batch
        std::copy(x.data<float>() + r0 * K, x.data<float>() + (r0 + m) * K, part.data<float>());
        Tensor y = lin.forward(part);
        for (int64_t i = 0; i < m * N; ++i) differ += y.data<float>()[i] != full.data<float>()[r0 * N + i];
      }
      CHECK(differ == 0);
    }
  }
  omp_set_num_threads(threads);
}

TEST_CASE("batched_matmul with and without transpose_b, alpha, broadcast") {
  const int64_t B = 3, M = 7, K = 16, N = 11;
  Tensor a = ref::randn({B, M, K}, 10);
  for (bool tb : {false, true})
    for (int64_t bb : {B, int64_t{1}}) {
      Tensor b = tb ? ref::randn({bb, N, K}, 11) : ref::randn({bb, K, N}, 11);
      const float alpha = 0.125f;
      Tensor c = kernels::batched_matmul(a, b, tb, alpha);
      REQUIRE(c.shape() == Shape{B, M, N});
      Tensor r(DType::F32, {B, M, N});
      for (int64_t i = 0; i < B; ++i)
        for (int64_t m = 0; m < M; ++m)
          for (int64_t n = 0; n < N; ++n) {
            double acc = 0;
            const int64_t j = bb == 1 ? 0 : i;
            for (int64_t k = 0; k < K; ++k) {
              const float bv = tb ? b.data<float>()[(j * N + n) * K + k] : b.data<float>()[(j * K + k) * N + n];
              acc += double(a.data<float>()[(i * M + m) * K + k]) * bv;
            }
            r.data<float>()[(i * M + m) * N + n] = static_cast<float>(alpha * acc);
          }
      CHECK(ref::rel_err(c, r) < 1e-5);
    }
  // 4-D [batch, heads, M, K]
  Tensor a4 = ref::randn({2, 3, 5, 8}, 12), b4 = ref::randn({2, 3, 6, 8}, 13);
  CHECK(kernels::batched_matmul(a4, b4, true).shape() == Shape{2, 3, 5, 6});
  CHECK_THROWS_AS(kernels::batched_matmul(a4, b4, false), Error);
}

TEST_CASE("layer_norm matches the reference") {
  for (float eps : {1e-12f, 1e-5f}) {
    Tensor x = ref::randn({2, 5, 64}, 14, 3.0f), g = ref::randn({64}, 15), be = ref::randn({64}, 16);
    Tensor r = x.clone();
    for (int64_t m = 0; m < 10; ++m) {
      float* row = r.data<float>() + m * 64;
      double mean = 0, var = 0;
      for (int i = 0; i < 64; ++i) mean += row[i];
      mean /= 64;
      for (int i = 0; i < 64; ++i) var += (row[i] - mean) * (row[i] - mean);
      var /= 64;
      for (int i = 0; i < 64; ++i)
        row[i] = static_cast<float>((row[i] - mean) / std::sqrt(var + eps) * g.data<float>()[i] + be.data<float>()[i]);
    }
    kernels::layer_norm(x, g, be, eps);
    CHECK(ref::rel_err(x, r) < 1e-5);
  }
}

TEST_CASE("softmax matches the reference, including fully masked rows") {
  Tensor x = ref::randn({4, 3, 33}, 17, 4.0f);
  const float fmin = std::numeric_limits<float>::lowest();
  for (int i = 0; i < 33; ++i) x.data<float>()[i] = fmin;            // row 0 fully masked (HF adds finfo.min)
  for (int i = 10; i < 33; ++i) x.data<float>()[33 + i] = fmin + 1.0f;  // row 1 partly masked
  Tensor r = x.clone();
  for (int64_t m = 0; m < 12; ++m) {
    float* row = r.data<float>() + m * 33;
    double mx = row[0], s = 0;
    for (int i = 0; i < 33; ++i) mx = std::max<double>(mx, row[i]);
    for (int i = 0; i < 33; ++i) s += std::exp(row[i] - mx);
    for (int i = 0; i < 33; ++i) row[i] = static_cast<float>(std::exp(row[i] - mx) / s);
  }
  kernels::softmax(x);
  for (int64_t i = 0; i < x.numel(); ++i) REQUIRE(std::isfinite(x.data<float>()[i]));
  CHECK(ref::rel_err(x, r) < 1e-6);
  CHECK(x.data<float>()[0] == doctest::Approx(1.0 / 33).epsilon(1e-5));
}

TEST_CASE("activation, add, activation_from_name") {
  for (Activation a : {Activation::GeluErf, Activation::GeluTanh, Activation::Relu, Activation::Silu,
                       Activation::Tanh}) {
    Tensor x = ref::randn({1000}, 18, 3.0f), r = x.clone();
    for (int i = 0; i < 1000; ++i) r.data<float>()[i] = static_cast<float>(ref::act(r.data<float>()[i], a));
    kernels::activation(x, a);
    CHECK(ref::rel_err(x, r) < 1e-5);
  }
  // gelu must be the erf form: at x = 1 erf gives 0.841345, tanh 0.841192.
  Tensor one = Tensor::from_vector<float>({1.0f}, {1});
  kernels::activation(one, Activation::GeluErf);
  CHECK(one.data<float>()[0] == doctest::Approx(0.8413447).epsilon(1e-6));

  Tensor x = ref::randn({3, 7}, 19), y = ref::randn({3, 7}, 20), s = x.clone();
  kernels::add(x, y);
  for (int i = 0; i < 21; ++i) CHECK(x.data<float>()[i] == s.data<float>()[i] + y.data<float>()[i]);
  CHECK_THROWS_AS(kernels::add(x, ref::randn({7, 3}, 1)), Error);

  CHECK(kernels::activation_from_name("gelu") == Activation::GeluErf);
  CHECK(kernels::activation_from_name("gelu_new") == Activation::GeluTanh);
  CHECK(kernels::activation_from_name("gelu_pytorch_tanh") == Activation::GeluTanh);
  CHECK(kernels::activation_from_name("gelu_fast") == Activation::GeluTanh);
  CHECK(kernels::activation_from_name("relu") == Activation::Relu);
  CHECK(kernels::activation_from_name("silu") == Activation::Silu);
  CHECK(kernels::activation_from_name("swish") == Activation::Silu);
  CHECK(kernels::activation_from_name("tanh") == Activation::Tanh);
  CHECK_THROWS_AS(kernels::activation_from_name("mish"), Error);
}
