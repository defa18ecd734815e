#pragma once
// Fixture access and comparisons for the quantized ProphetNet tests
// (tests/fixtures/prophetnet-quant/README.md).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/safetensors.h"

namespace pq {

inline std::string dir() { return std::string(QDQRT_FIXTURES) + "/prophetnet-quant"; }
inline std::string file(const std::string& rel) { return dir() + "/" + rel; }
inline nlohmann::json meta() { return nlohmann::json::parse(qdq::read_file(file("meta.json"))); }

struct Diff {
  double max_abs = 0;       // NaN counts as infinite
  double frac_above = 0;    // fraction of elements with |got - want| > thr
  double worst_excess = 0;  // max of |got - want| - (atol + rtol |want|)
};

inline Diff diff(const qdq::Tensor& got, const qdq::Tensor& want, double thr = 0.01, double atol = 0,
                 double rtol = 0) {
  REQUIRE(got.shape() == want.shape());
  const qdq::Tensor g = got.to_f32(), w = want.to_f32();
  const float *G = g.data<float>(), *W = w.data<float>();
  Diff d;
  d.worst_excess = -1e30;
  int64_t above = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    double e = std::fabs(double(G[i]) - W[i]);
    if (!(e <= 1e30)) e = INFINITY;
    d.max_abs = std::max(d.max_abs, e);
    if (e > thr) ++above;
    d.worst_excess = std::max(d.worst_excess, e - (atol + rtol * std::fabs(double(W[i]))));
  }
  d.frac_above = g.numel() ? double(above) / double(g.numel()) : 0.0;
  return d;
}

// The fixture's summaries of X[..., V]: X.top10_values, X.top10_ids, X.logsumexp, X.at_cols.
inline qdq::TensorMap summarize(const qdq::Tensor& x, const std::string& name, const qdq::Tensor& cols) {
  const int64_t V = x.dim(-1), rows = x.numel() / V;
  const auto cv = cols.to_i64_vector();
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
  std::vector<int64_t> idx(V);
  for (int64_t r = 0; r < rows; ++r) {
    const float* p = x.data<float>() + r * V;
    for (size_t c = 0; c < cv.size(); ++c) at.data<float>()[r * cv.size() + c] = p[cv[c]];
    double m = p[0];
    for (int64_t i = 1; i < V; ++i) m = std::max<double>(m, p[i]);
    double s = 0;
    for (int64_t i = 0; i < V; ++i) s += std::exp(p[i] - m);
    lse.data<float>()[r] = static_cast<float>(m + std::log(s));
    for (int64_t i = 0; i < V; ++i) idx[i] = i;
    std::partial_sort(idx.begin(), idx.begin() + 10, idx.end(), [&](int64_t a, int64_t b) {
      return p[a] > p[b] || (p[a] == p[b] && a < b);
    });
    for (int k = 0; k < 10; ++k) {
      topv.data<float>()[r * 10 + k] = p[idx[k]];
      topi.push_back(idx[k]);
    }
  }
  qdq::TensorMap out;
  out.add(name + ".top10_values", topv);
  out.add(name + ".top10_ids", qdq::Tensor::from_vector(topi, with(10)));
  out.add(name + ".logsumexp", lse);
  out.add(name + ".at_cols", at);
  return out;
}

// The model outputs in the fixture's form: hidden states as they are, logits as summaries.
inline qdq::TensorMap fixture_form(const qdq::TensorMap& o, const qdq::Tensor& cols) {
  qdq::TensorMap out;
  for (const char* n : {"encoder_last_hidden_state", "decoder_last_hidden_state", "decoder_last_hidden_state_ngram"})
    out.add(n, o.at(n));
  for (const char* n : {"logits", "logits_ngram"}) {
    qdq::TensorMap s = summarize(o.at(n), n, cols);
    for (auto& k : s.names) out.add(k, s.at(k));
  }
  return out;
}

// "logits.at_cols" -> "logits"
inline std::string output_of(const std::string& key) { return key.substr(0, key.find('.')); }

}  // namespace pq
