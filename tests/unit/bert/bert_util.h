#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "io/safetensors.h"

namespace bert_test {

inline std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/" + rel; }

// Worst |got - want| - (atol + rtol |want|); <= 0 means every element passes.
inline double worst_excess(const qdq::Tensor& got, const qdq::Tensor& want, double atol, double rtol) {
  REQUIRE(got.shape() == want.shape());
  const float* g = got.data<float>();
  const float* w = want.data<float>();
  double worst = -1e30;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double e = std::fabs(double(g[i]) - w[i]) - (atol + rtol * std::fabs(double(w[i])));
    if (!(e <= worst)) worst = e;  // NaN counts as the worst
  }
  return worst;
}

inline double max_abs_diff(const qdq::Tensor& got, const qdq::Tensor& want) {
  REQUIRE(got.shape() == want.shape());
  double m = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double d = std::fabs(double(got.data<float>()[i]) - want.data<float>()[i]);
    if (!(d <= m)) m = d;
  }
  return m;
}

inline double frac_above(const qdq::Tensor& got, const qdq::Tensor& want, double thr) {
  int64_t n = 0;
  for (int64_t i = 0; i < got.numel(); ++i)
    if (!(std::fabs(double(got.data<float>()[i]) - want.data<float>()[i]) <= thr)) ++n;
  return double(n) / double(got.numel());
}

}  // namespace bert_test
