#include "decoding/logits_process.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

namespace qdq::decoding {

namespace {
constexpr float kNegInf = -std::numeric_limits<float>::infinity();
}

void repetition_penalty(float* s, const std::vector<int64_t>& seq, double penalty) {
  if (penalty == 1.0) return;
  const float p = static_cast<float>(penalty);
  // gather then scatter: a repeated token is penalised once.
  std::vector<int64_t> uniq(seq);
  std::sort(uniq.begin(), uniq.end());
  uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
  for (int64_t t : uniq) s[t] = s[t] < 0 ? s[t] * p : s[t] / p;
}

void no_repeat_ngram(float* s, const std::vector<int64_t>& seq, int64_t n) {
  const int64_t cur = static_cast<int64_t>(seq.size());
  if (n <= 0 || cur + 1 < n) return;
  const int64_t start = cur + 1 - n;  // the last n-1 tokens
  for (int64_t i = 0; i + n <= cur; ++i) {
    bool same = true;
    for (int64_t k = 0; k < n - 1 && same; ++k) same = seq[i + k] == seq[start + k];
    if (same) s[seq[i + n - 1]] = kNegInf;
  }
}

void min_length(float* s, int64_t cur_len, int64_t min_len, int64_t eos) {
  if (eos >= 0 && cur_len < min_len) s[eos] = kNegInf;
}

void temperature(float* s, int64_t V, double t) {
  if (t == 1.0) return;
  const float tf = static_cast<float>(t);
  for (int64_t i = 0; i < V; ++i) s[i] /= tf;
}

void top_k(float* s, int64_t V, int64_t k) {
  if (k <= 0 || k >= V) return;
  std::vector<float> v(s, s + V);
  std::nth_element(v.begin(), v.begin() + (k - 1), v.end(), std::greater<float>());
  const float kth = v[k - 1];
  for (int64_t i = 0; i < V; ++i)
    if (s[i] < kth) s[i] = kNegInf;
}

void top_p(float* s, int64_t V, double p) {
  if (p >= 1.0) return;
  std::vector<int64_t> idx(V);
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) { return s[a] < s[b]; });
  float mx = s[idx[V - 1]];
  double z = 0;
  for (int64_t i = 0; i < V; ++i) z += std::exp(static_cast<double>(s[i]) - mx);
  double cum = 0;
  std::vector<int64_t> drop;
  for (int64_t r = 0; r < V - 1; ++r) {  // the largest (last) is always kept: min_tokens_to_keep = 1
    cum += std::exp(static_cast<double>(s[idx[r]]) - mx) / z;
    if (cum <= 1.0 - p) drop.push_back(idx[r]);
  }
  for (int64_t i : drop) s[i] = kNegInf;
}

void log_softmax(float* x, int64_t V) {
  float m = x[0];
  for (int64_t i = 1; i < V; ++i) m = std::max(m, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < V; ++i) sum += std::exp(static_cast<double>(x[i]) - m);
  const float lse = static_cast<float>(std::log(sum));
  for (int64_t i = 0; i < V; ++i) x[i] = (x[i] - m) - lse;
}

int64_t argmax(const float* x, int64_t V) {
  int64_t best = 0;
  for (int64_t i = 1; i < V; ++i)
    if (x[i] > x[best]) best = i;
  return best;
}

}  // namespace qdq::decoding
