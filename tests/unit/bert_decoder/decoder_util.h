#pragma once
// Fixture access and the tolerance checks of tests/fixtures/qdqbert-decoder/README.md.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "decoding/generate.h"
#include "io/safetensors.h"
#include "models/model.h"

namespace bdt {

inline std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/qdqbert-decoder/" + rel; }

// Every element: |got - want| <= atol + rtol * |want| (reports the worst excess).
inline void check_close(const qdq::Tensor& got, const qdq::Tensor& want, double atol, double rtol,
                        const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  qdq::Tensor g = got.to_f32(), w = want.to_f32();
  double worst = -1e30, max_abs = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const double d = std::abs(double(g.data<float>()[i]) - w.data<float>()[i]);
    max_abs = std::max(max_abs, d);
    worst = std::max(worst, d - rtol * std::abs(double(w.data<float>()[i])));
  }
  MESSAGE(what << ": max abs diff " << max_abs);
  CHECK(worst <= atol);
}

// The README's fake-quant check: at most `frac` of the elements differ by more than 0.01, none by
// more than max_abs.
inline void check_loose(const qdq::Tensor& got, const qdq::Tensor& want, double frac, double max_abs,
                        const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  qdq::Tensor g = got.to_f32(), w = want.to_f32();
  double worst = 0;
  int64_t over = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const double d = std::abs(double(g.data<float>()[i]) - w.data<float>()[i]);
    worst = std::max(worst, d);
    over += d > 0.01;
  }
  const double f = double(over) / double(g.numel());
  MESSAGE(what << ": max abs diff " << worst << ", fraction > 0.01: " << f);
  CHECK(worst <= max_abs);
  CHECK(f <= frac);
}

// The fixture's summary of X[..., V] (top10 values / ids, logsumexp, at_cols). Values within
// atol/rtol (or the loose check when loose_max > 0); ids compared where the reference's
// neighbouring values (and ours, for the 10th) are more than atol apart, so a legitimate swap of
// near-equal logits does not fail, and not at all for the loose check (fake-quant ids are unstable).
inline void check_summary(const qdq::Tensor& x, const qdq::TensorMap& ref, const std::string& name, double atol,
                          double rtol, double loose_max = 0) {
  const qdq::Tensor& cols = ref.at("vocab_cols");
  const int64_t V = x.dim(-1), rows = x.numel() / V;
  auto cv = cols.to_i64_vector();
  qdq::Shape lead(x.shape().begin(), x.shape().end() - 1);
  auto with = [&](int64_t n) {
    qdq::Shape s = lead;
    s.push_back(n);
    return s;
  };
  qdq::Tensor at(qdq::DType::F32, with(static_cast<int64_t>(cv.size())));
  qdq::Tensor lse(qdq::DType::F32, lead);
  qdq::Tensor topv(qdq::DType::F32, with(10));
  std::vector<int64_t> topi;
  std::vector<float> eleventh;
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = x.data<float>() + r * V;
    for (size_t c = 0; c < cv.size(); ++c) at.data<float>()[r * cv.size() + c] = p[cv[c]];
    double m = p[0];
    for (int64_t i = 1; i < V; ++i) m = std::max<double>(m, p[i]);
    double s = 0;
    for (int64_t i = 0; i < V; ++i) s += std::exp(p[i] - m);
    lse.data<float>()[r] = static_cast<float>(m + std::log(s));
    std::vector<int64_t> idx(V);
    for (int64_t i = 0; i < V; ++i) idx[i] = i;
    std::partial_sort(idx.begin(), idx.begin() + 11, idx.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    for (int k = 0; k < 10; ++k) {
      topv.data<float>()[r * 10 + k] = p[idx[k]];
      topi.push_back(idx[k]);
    }
    eleventh.push_back(p[idx[10]]);
  }
  if (loose_max > 0) {
    for (auto& [t, n] : {std::pair{&at, ".at_cols"}, std::pair{&lse, ".logsumexp"}, std::pair{&topv, ".top10_values"}})
      check_loose(*t, ref.at(name + n), 1.0, loose_max, name + n);
    return;
  }
  check_close(at, ref.at(name + ".at_cols"), atol, rtol, name + ".at_cols");
  check_close(lse, ref.at(name + ".logsumexp"), atol, rtol, name + ".logsumexp");
  check_close(topv, ref.at(name + ".top10_values"), atol, rtol, name + ".top10_values");
  auto want_ids = ref.at(name + ".top10_ids").to_i64_vector();
  const qdq::Tensor wv = ref.at(name + ".top10_values");
  int64_t compared = 0, differing = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < 10; ++k) {
      const float* v = wv.data<float>() + r * 10;
      const bool above = k == 0 || v[k - 1] - v[k] > atol;
      const bool below = k < 9 ? v[k] - v[k + 1] > atol : topv.data<float>()[r * 10 + 9] - eleventh[r] > atol;
      if (!above || !below) continue;
      ++compared;
      differing += topi[r * 10 + k] != want_ids[r * 10 + k];
    }
  INFO(name << ".top10_ids: " << compared << " compared");
  CHECK(differing == 0);
}

inline std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (int64_t x : v) s += (s.empty() ? "" : " ") + std::to_string(x);
  return s;
}

inline qdq::decoding::Request prompts(const qdq::TensorMap& in, const std::string& ids, const std::string& mask) {
  qdq::decoding::Request r;
  r.src = in.at(ids).to_i64_vector();
  r.mask = in.at(mask).to_i64_vector();
  r.B = in.at(ids).dim(0);
  r.L = in.at(ids).dim(1);
  return r;
}

// [B, steps, V] from per-step [B, V].
inline qdq::Tensor stack_steps(const std::vector<qdq::Tensor>& steps) {
  const int64_t B = steps[0].dim(0), V = steps[0].dim(1), S = static_cast<int64_t>(steps.size());
  qdq::Tensor t(qdq::DType::F32, {B, S, V});
  for (int64_t s = 0; s < S; ++s)
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(steps[s].data<float>() + b * V, V, t.data<float>() + (b * S + s) * V);
  return t;
}

}  // namespace bdt
