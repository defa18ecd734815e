#include "models/prophetnet/lm_loss.h"

#include <cmath>

#include "core/error.h"

namespace qdq::models::prophetnet {

namespace {
// log-softmax pieces of one row: max and log(sum exp(x - max)).
void row_stats(const float* x, int64_t V, double& mx, double& lse) {
  float m = x[0];
  for (int64_t i = 1; i < V; ++i) m = std::max(m, x[i]);
  double s = 0;
  for (int64_t i = 0; i < V; ++i) s += std::exp(static_cast<double>(x[i]) - m);
  mx = m;
  lse = std::log(s);
}
}  // namespace

float prophetnet_loss(const Tensor& logits, const std::vector<int64_t>& labels, double eps, bool disable_ngram_loss) {
  const int64_t B = logits.dim(0), NG = logits.dim(1), T = logits.dim(2), V = logits.dim(3);
  check(static_cast<int64_t>(labels.size()) == B * T, "labels: {} values, the decoder has {}x{} positions",
        labels.size(), B, T);
  double nll = 0, smooth = 0;
  int64_t n = 0;
  const float* L = logits.data<float>();
  for (int64_t s = 0; s < NG; ++s) {
    if (s > 0 && disable_ngram_loss) break;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) {
        const int64_t y = labels[b * T + t];
        if (y == kIgnoreIndex) continue;
        check(y >= 0 && y < V, "labels: {} is neither -100 nor a token id below {}", y, V);
        const float* x = L + ((b * NG + s) * T + t) * V;
        double mx, lse;
        row_stats(x, V, mx, lse);
        nll += -(x[y] - mx - lse);
        if (eps > 0) {
          double sum = 0;
          for (int64_t i = 0; i < V; ++i) sum += x[i] - mx - lse;
          smooth += -sum;
        }
        ++n;
      }
  }
  // nll_loss(mean) over zero targets is NaN in torch; so is this.
  double loss = nll / static_cast<double>(n);
  if (eps > 0) loss = (1.0 - eps) * loss + eps / static_cast<double>(V) * (smooth / static_cast<double>(n));
  return static_cast<float>(loss);
}

float cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels) {
  const int64_t V = logits.dim(-1), N = logits.numel() / V;
  check(static_cast<int64_t>(labels.size()) == N, "labels: {} values for {} logit rows", labels.size(), N);
  double nll = 0;
  int64_t n = 0;
  for (int64_t r = 0; r < N; ++r) {
    const int64_t y = labels[r];
    if (y == kIgnoreIndex) continue;
    check(y >= 0 && y < V, "labels: {} is neither -100 nor a token id below {}", y, V);
    const float* x = logits.data<float>() + r * V;
    double mx, lse;
    row_stats(x, V, mx, lse);
    nll += -(x[y] - mx - lse);
    ++n;
  }
  return static_cast<float>(nll / static_cast<double>(n));
}

}  // namespace qdq::models::prophetnet
