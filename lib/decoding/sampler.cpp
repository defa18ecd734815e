#include "decoding/sampler.h"

#include <cmath>
#include <vector>

namespace qdq::decoding {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

int64_t RowSampler::sample(const float* s, int64_t V) {
  float m = -INFINITY;
  for (int64_t i = 0; i < V; ++i) m = std::max(m, s[i]);
  std::vector<double> p(V);
  double z = 0;
  for (int64_t i = 0; i < V; ++i) z += p[i] = std::exp(static_cast<double>(s[i]) - m);
  const double u = uniform() * z;
  double c = 0;
  int64_t last = 0;
  for (int64_t i = 0; i < V; ++i) {
    if (p[i] <= 0) continue;
    last = i;
    c += p[i];
    if (c > u) return i;
  }
  return last;  // rounding left u at the very top
}

}  // namespace qdq::decoding
