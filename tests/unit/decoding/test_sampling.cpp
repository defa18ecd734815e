// Logits warpers and the sampler on toy distributions (expected values worked
// out by hand from transformers' logits_process.py definitions).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "decoding/logits_process.h"
#include "decoding/sampler.h"

using namespace qdq::decoding;

namespace {
const float kInf = std::numeric_limits<float>::infinity();

std::vector<double> frequencies(const std::vector<float>& s, uint64_t seed, int n) {
  std::vector<double> f(s.size(), 0.0);
  for (int i = 0; i < n; ++i) {
    RowSampler r(seed, static_cast<uint64_t>(i));
    f[r.sample(s.data(), static_cast<int64_t>(s.size()))] += 1.0 / n;
  }
  return f;
}
}  // namespace

TEST_CASE("top_k keeps the k largest (ties with the k-th kept); k=1 is argmax") {
  std::vector<float> s{1.0f, 3.0f, 2.0f, 3.0f, 0.5f};
  top_k(s.data(), 5, 2);
  CHECK(s == std::vector<float>{-kInf, 3.0f, -kInf, 3.0f, -kInf});
  std::vector<float> t{0.1f, 2.0f, 1.9f};
  top_k(t.data(), 3, 1);
  RowSampler r(7, 0);
  for (int i = 0; i < 20; ++i) CHECK(r.sample(t.data(), 3) == argmax(t.data(), 3));
}

TEST_CASE("top_p drops the low tail whose cumulative mass is <= 1 - p") {
  // softmax(log p) = p: probabilities 0.5, 0.3, 0.15, 0.05.
  std::vector<float> s{std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)};
  auto t = s;
  top_p(t.data(), 4, 0.8);  // ascending cumsum 0.05, 0.20, 0.50, 1.0: drop <= 0.2
  CHECK(t[0] == s[0]);
  CHECK(t[1] == s[1]);
  CHECK(t[2] == -kInf);
  CHECK(t[3] == -kInf);
  auto u = s;
  top_p(u.data(), 4, 0.01);  // only the most likely survives
  CHECK(u[0] == s[0]);
  CHECK(u[1] == -kInf);
}

TEST_CASE("sampling follows the distribution; temperature sharpens and flattens it") {
  std::vector<float> s{std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  auto f = frequencies(s, 11, 20000);
  CHECK(f[0] == doctest::Approx(0.6).epsilon(0.03));
  CHECK(f[1] == doctest::Approx(0.3).epsilon(0.05));
  CHECK(f[2] == doctest::Approx(0.1).epsilon(0.1));
  auto cold = s;
  temperature(cold.data(), 3, 0.5);  // p^2 normalised: 0.36/0.46 = 0.783
  CHECK(frequencies(cold, 11, 20000)[0] == doctest::Approx(0.7826).epsilon(0.03));
  auto hot = s;
  temperature(hot.data(), 3, 1e6);  // nearly uniform
  CHECK(frequencies(hot, 11, 20000)[2] == doctest::Approx(1.0 / 3).epsilon(0.05));
}

TEST_CASE("same seed and stream give the same draws; different streams differ") {
  std::vector<float> s(100, 0.0f);
  RowSampler a(5, 3), b(5, 3), c(5, 4);
  std::vector<int64_t> da, db, dc;
  for (int i = 0; i < 50; ++i) {
    da.push_back(a.sample(s.data(), 100));
    db.push_back(b.sample(s.data(), 100));
    dc.push_back(c.sample(s.data(), 100));
  }
  CHECK(da == db);
  CHECK(da != dc);
}

TEST_CASE("no_repeat_ngram, repetition penalty and min_length as transformers") {
  std::vector<float> s(6, 1.0f);
  no_repeat_ngram(s.data(), {1, 2, 3, 1, 2}, 3);  // last 2 tokens (1,2) were followed by 3
  CHECK(s[3] == -kInf);
  CHECK(s[4] == 1.0f);
  std::vector<float> r{2.0f, -2.0f, 1.0f};
  repetition_penalty(r.data(), {0, 1, 1}, 2.0);
  CHECK(r == std::vector<float>{1.0f, -4.0f, 1.0f});
  std::vector<float> m(3, 0.0f);
  min_length(m.data(), 2, 3, 1);
  CHECK(m[1] == -kInf);
}
