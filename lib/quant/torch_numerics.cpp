#include "quant/torch_numerics.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"

// No FMA contraction may change these roundings: the project builds without
// -march flags, so x86-64 SSE evaluates each float operation on its own.
namespace qdq::quant::torchnum {

std::vector<float> linspace(float start, float end, int64_t steps, int lanes) {
  std::vector<float> out(static_cast<size_t>(std::max<int64_t>(steps, 0)));
  if (steps <= 0) return out;
  if (steps == 1) {
    out[0] = start;
    return out;
  }
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  // ATen's AVX2 build contracts these two into fused multiply-adds (the fixtures' edges show it);
  // the per-lane offsets of Vectorized::arange are not contracted.
  auto scalar_at = [&](int64_t idx) {
    return idx < halfway ? std::fmaf(step, static_cast<float>(idx), start)
                         : std::fmaf(-step, static_cast<float>(steps - idx - 1), end);
  };
  int64_t i = 0;
  // ATen's vectorized loop: two Vectorized blocks per round, each from its first index's base.
  for (; i + 2 * lanes <= steps; i += 2 * lanes)
    for (int64_t b = i; b < i + 2 * lanes; b += lanes) {
      const float base = scalar_at(b);
      for (int j = 0; j < lanes; ++j) out[b + j] = base + static_cast<float>(j) * step;
    }
  for (; i < steps; ++i) out[i] = scalar_at(i);
  return out;
}

std::vector<float> arange0(float end, float step, int lanes) {
  const double size_d = std::ceil(static_cast<double>(end) / static_cast<double>(step));
  check(std::isfinite(size_d) && size_d >= 0 && size_d < 1e9, "histogram: cannot grow to {} bins", size_d);
  const int64_t n = static_cast<int64_t>(size_d);
  const double st = step;
  std::vector<float> out(n);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes)
    for (int64_t b = i; b < i + 2 * lanes; b += lanes) {
      const float base = static_cast<float>(st * static_cast<double>(b));
      for (int j = 0; j < lanes; ++j) out[b + j] = static_cast<float>(static_cast<double>(base) + j * st);
    }
  for (; i < n; ++i) out[i] = static_cast<float>(st * static_cast<double>(i));
  return out;
}

void histc_add(const float* x, int64_t n, int64_t bins, double min, double max, std::vector<int64_t>& counts,
               int lanes) {
  check(bins > 0, "histc: {} bins", bins);
  double lo_d = min, hi_d = max;
  if (lo_d == hi_d && n > 0) {
    float mn = x[0], mx = x[0];
    for (int64_t i = 1; i < n; ++i) {
      mn = std::min(mn, x[i]);
      mx = std::max(mx, x[i]);
    }
    lo_d = mn;
    hi_d = mx;
  }
  if (lo_d == hi_d) {
    lo_d -= 1;
    hi_d += 1;
  }
  check(std::isfinite(lo_d) && std::isfinite(hi_d), "histc: range [{}, {}] is not finite", lo_d, hi_d);
  const std::vector<float> edges = linspace(static_cast<float>(lo_d), static_cast<float>(hi_d), bins + 1, lanes);
  const float lo = edges.front(), hi = edges.back();
  const float nb = static_cast<float>(bins);
  if (static_cast<int64_t>(counts.size()) < bins) counts.resize(bins, 0);
  for (int64_t i = 0; i < n; ++i) {
    const float e = x[i];
    if (!(e >= lo && e <= hi)) continue;  // outside, or NaN
    int64_t pos = static_cast<int64_t>((e - lo) * nb / (hi - lo));
    pos = std::min(std::max<int64_t>(pos, 0), bins - 1);  // e == hi goes to the last bin
    ++counts[pos];
  }
}

float sum(const std::vector<float>& v, int lanes) {
  using Vec = std::array<float, 16>;
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t vec_size = n / lanes;
  auto load = [&](int64_t vi) {
    Vec r{};
    for (int l = 0; l < lanes; ++l) r[l] = v[vi * lanes + l];
    return r;
  };
  auto add = [&](Vec& a, const Vec& b) {
    for (int l = 0; l < lanes; ++l) a[l] += b[l];
  };
  // row_sum: the vectors as rows of 4 (ILP), multi_row_sum over the rows with 4 cascade levels.
  constexpr int ilp = 4, levels = 4;
  const int64_t rows = vec_size / ilp;
  int64_t ceil_log2 = 1;
  if (rows > 2) {
    ceil_log2 = 0;
    for (uint64_t t = static_cast<uint64_t>(rows) - 1; t; t >>= 1) ++ceil_log2;
  }
  const int64_t level_power = std::max<int64_t>(4, ceil_log2 / levels);
  const int64_t level_step = int64_t{1} << level_power, level_mask = level_step - 1;
  Vec acc[levels][ilp] = {};
  int64_t i = 0;
  for (; i + level_step <= rows;) {
    for (int64_t j = 0; j < level_step; ++j, ++i)
      for (int k = 0; k < ilp; ++k) add(acc[0][k], load(i * ilp + k));
    for (int j = 1; j < levels; ++j) {
      for (int k = 0; k < ilp; ++k) {
        add(acc[j][k], acc[j - 1][k]);
        acc[j - 1][k] = Vec{};
      }
      if ((i & (level_mask << (j * level_power))) != 0) break;
    }
  }
  for (; i < rows; ++i)
    for (int k = 0; k < ilp; ++k) add(acc[0][k], load(i * ilp + k));
  for (int j = 1; j < levels; ++j)
    for (int k = 0; k < ilp; ++k) add(acc[0][k], acc[j][k]);
  Vec part = acc[0][0];
  for (int64_t r = rows * ilp; r < vec_size; ++r) add(part, load(r));
  for (int k = 1; k < ilp; ++k) add(part, acc[0][k]);
  float final_acc = 0.0f;
  for (int64_t k = vec_size * lanes; k < n; ++k) final_acc += v[k];
  for (int l = 0; l < lanes; ++l) final_acc += part[l];
  return final_acc;
}

double np_sum(const double* a, int64_t n) {
  if (n < 8) {
    double res = 0.0;
    for (int64_t i = 0; i < n; ++i) res += a[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = a[k];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += a[i + k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += a[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return np_sum(a, n2) + np_sum(a + n2, n - n2);
}

}  // namespace qdq::quant::torchnum
