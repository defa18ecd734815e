#include "models/prophetnet/relative_buckets.h"

#include <algorithm>
#include <cmath>

namespace qdq::models::prophetnet {

int64_t relative_bucket(int64_t n, int64_t num_buckets, int64_t max_distance) {
  n = std::max<int64_t>(n, 0);
  const int64_t max_exact = num_buckets / 2;
  if (n < max_exact) return n;
  const float ratio = static_cast<float>(n) / static_cast<float>(max_exact);
  // math.log(max_distance / max_exact) is a Python float; torch applies it to a float32 tensor.
  const float denom = static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)));
  float v = static_cast<float>(max_exact) + std::log(ratio) / denom * static_cast<float>(num_buckets - max_exact);
  v = std::min(v, static_cast<float>(num_buckets - 1));
  return static_cast<int64_t>(v);  // .int() truncates
}

}  // namespace qdq::models::prophetnet
