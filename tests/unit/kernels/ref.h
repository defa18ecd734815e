#pragma once
// Straightforward reference loops (double accumulation) for the kernel tests.
#include <cmath>
#include <random>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace ref {

inline qdq::Tensor randn(qdq::Shape s, uint32_t seed, float scale = 1.0f) {
  qdq::Tensor t(qdq::DType::F32, std::move(s));
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = d(g);
  return t;
}

inline double act(double v, qdq::kernels::Activation a) {
  using A = qdq::kernels::Activation;
  switch (a) {
    case A::None: return v;
    case A::GeluErf: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case A::GeluTanh: return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case A::Relu: return v > 0 ? v : 0.0;
    case A::Silu: return v / (1.0 + std::exp(-v));
    case A::Tanh: return std::tanh(v);
  }
  return v;
}

// y = act(x W^T + b); x [M, K], W [N, K].
inline qdq::Tensor linear(const qdq::Tensor& x, const qdq::Tensor& w, const qdq::Tensor& b,
                          qdq::kernels::Activation a) {
  const int64_t K = w.dim(1), N = w.dim(0), M = x.numel() / K;
  qdq::Shape os = x.shape();
  os.back() = N;
  qdq::Tensor y(qdq::DType::F32, os);
  const float* xp = x.data<float>();
  const float* wp = w.data<float>();
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double acc = b.defined() ? b.data<float>()[n] : 0.0;
      for (int64_t k = 0; k < K; ++k) acc += double(xp[m * K + k]) * wp[n * K + k];
      y.data<float>()[m * N + n] = static_cast<float>(act(acc, a));
    }
  return y;
}

// Largest |a - b| divided by max(1, largest |b|).
inline double rel_err(const qdq::Tensor& a, const qdq::Tensor& b) {
  double md = 0, mb = 1;
  for (int64_t i = 0; i < a.numel(); ++i) {
    md = std::max(md, std::fabs(double(a.data<float>()[i]) - b.data<float>()[i]));
    mb = std::max(mb, std::fabs(double(b.data<float>()[i])));
  }
  return md / mb;
}

}  // namespace ref
