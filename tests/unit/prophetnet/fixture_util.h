#pragma once
// Fixture access and tolerance checks for the ProphetNet tests.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>

#include "io/safetensors.h"

namespace pnt {

inline std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/" + rel; }

// max |a - b| - rtol*|b| must stay <= atol; reports the worst element.
inline void check_close(const qdq::Tensor& got, const qdq::Tensor& want, double atol, double rtol,
                        const std::string& what) {
  INFO(what);
  REQUIRE(got.shape() == want.shape());
  qdq::Tensor w = want.to_f32();
  const float* g = got.data<float>();
  const float* e = w.data<float>();
  double worst = 0;
  int64_t at = -1;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double ex = std::abs(double(g[i]) - e[i]) - rtol * std::abs(double(e[i]));
    if (!(ex <= worst)) {
      worst = ex;
      at = i;
    }
  }
  INFO("worst excess " << worst << " at " << at);
  CHECK(worst <= atol);
}

// The fixture's summary of X[..., V]: top10 values/ids, logsumexp, at_cols.
inline void check_summary(const qdq::Tensor& x, const qdq::TensorMap& ref, const std::string& name,
                          const qdq::Tensor& cols, double atol, double rtol) {
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
    std::partial_sort(idx.begin(), idx.begin() + 10, idx.end(), [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    for (int k = 0; k < 10; ++k) {
      topv.data<float>()[r * 10 + k] = p[idx[k]];
      topi.push_back(idx[k]);
    }
  }
  check_close(at, ref.at(name + ".at_cols"), atol, rtol, name + ".at_cols");
  check_close(lse, ref.at(name + ".logsumexp"), atol, rtol, name + ".logsumexp");
  check_close(topv, ref.at(name + ".top10_values"), atol, rtol, name + ".top10_values");
  // The ids in order, except where the reference's own values tie within the tolerance (random
  // weights give near-ties; an order flipped by float rounding there is not an error): then the token
  // we rank k-th must score, in our logits and in the reference's, within tolerance of the k-th value.
  const auto want_ids = ref.at(name + ".top10_ids").to_i64_vector();
  const qdq::Tensor& want_v = ref.at(name + ".top10_values");
  REQUIRE(want_ids.size() == topi.size());
  int64_t flips = 0, bad = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int k = 0; k < 10; ++k) {
      const size_t i = static_cast<size_t>(r * 10 + k);
      if (topi[i] == want_ids[i]) continue;
      ++flips;
      const double v = want_v.to_f32().data<float>()[i], tol = atol + rtol * std::abs(v);
      const float* p = x.data<float>() + r * V;
      if (std::abs(p[topi[i]] - v) > tol || std::abs(p[want_ids[i]] - v) > tol) ++bad;
    }
  INFO(name << ".top10_ids: " << flips << " order flips, " << bad << " of them not within tolerance of a tie");
  CHECK(bad == 0);
}

// A checkpoint directory holding only config.json and pytorch_model.bin of `src` (symlinks).
inline std::string bin_only_dir(const std::string& src, const std::string& tag) {
  namespace fs = std::filesystem;
  fs::path d = fs::temp_directory_path() / ("qdqrt_pn_" + tag + "_" + std::to_string(::getpid()));
  fs::create_directories(d);
  for (const char* f : {"config.json", "generation_config.json", "pytorch_model.bin"}) {
    fs::path t = d / f;
    if (!fs::exists(t) && fs::exists(fs::path(src) / f)) fs::create_symlink(fs::absolute(fs::path(src) / f), t);
  }
  return d.string();
}

}  // namespace pnt
