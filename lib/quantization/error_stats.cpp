#include "quantization/error_stats.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace qdq::quantization {

void ErrorStats::add(const Tensor& ref, const Tensor& test) {
  const Tensor r = ref.to_f32(), t = test.to_f32();
  check(r.numel() == t.numel(), "compare: {} values against {}", t.numel(), r.numel());
  const float* a = r.data<float>();
  const float* b = t.data<float>();
  for (int64_t i = 0; i < r.numel(); ++i) {
    const double x = a[i], y = b[i], d = y - x;
    max_abs = std::max(max_abs, std::fabs(d));
    if (std::isnan(d)) max_abs = NAN;
    sum_sq_diff += d * d;
    sum_sq_ref += x * x;
    sum_sq_test += y * y;
    dot += x * y;
  }
  count += r.numel();
}

void ErrorStats::merge(const ErrorStats& o) {
  max_abs = std::isnan(max_abs) || std::isnan(o.max_abs) ? NAN : std::max(max_abs, o.max_abs);
  sum_sq_diff += o.sum_sq_diff;
  sum_sq_ref += o.sum_sq_ref;
  sum_sq_test += o.sum_sq_test;
  dot += o.dot;
  count += o.count;
}

double ErrorStats::rel_l2() const {
  if (sum_sq_ref == 0) return sum_sq_diff == 0 ? 0.0 : INFINITY;
  return std::sqrt(sum_sq_diff / sum_sq_ref);
}

double ErrorStats::cosine() const {
  if (sum_sq_ref == 0 || sum_sq_test == 0) return sum_sq_ref == sum_sq_test ? 1.0 : 0.0;
  return dot / std::sqrt(sum_sq_ref * sum_sq_test);
}

}  // namespace qdq::quantization
