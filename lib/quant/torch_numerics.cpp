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

float sum(const float* v, int64_t n, const int64_t* nz_prefix, int lanes) {
  constexpr int kMax = 16, ilp = 4, levels = 4;
  check(lanes >= 1 && lanes <= kMax, "sum: {} lanes", lanes);
  // Skipping a block that holds only zeros is exact: x + 0 == x for every accumulator here.
  auto any = [&](int64_t lo, int64_t hi) { return !nz_prefix || nz_prefix[hi] > nz_prefix[lo]; };
  const int64_t vec_size = n / lanes;
  auto add_vec = [&](float* acc, int64_t vi) {
    const float* p = v + vi * lanes;
    for (int l = 0; l < lanes; ++l) acc[l] += p[l];
  };
  // row_sum: the vectors as rows of 4 (ILP), multi_row_sum over the rows with 4 cascade levels.
  const int64_t rows = vec_size / ilp;
  int64_t ceil_log2 = 1;
  if (rows > 2) {
    ceil_log2 = 0;
    for (uint64_t t = static_cast<uint64_t>(rows) - 1; t; t >>= 1) ++ceil_log2;
  }
  const int64_t level_power = std::max<int64_t>(4, ceil_log2 / levels);
  const int64_t level_step = int64_t{1} << level_power, level_mask = level_step - 1;
  float acc[levels][ilp][kMax] = {};
  const int64_t row_len = static_cast<int64_t>(ilp) * lanes;
  auto add_row = [&](int64_t r) {
    if (!any(r * row_len, (r + 1) * row_len)) return;
    for (int k = 0; k < ilp; ++k) add_vec(acc[0][k], r * ilp + k);
  };
  int64_t i = 0;
  for (; i + level_step <= rows;) {
    if (any(i * row_len, (i + level_step) * row_len))
      for (int64_t j = 0; j < level_step; ++j) add_row(i + j);
    i += level_step;
    for (int j = 1; j < levels; ++j) {
      for (int k = 0; k < ilp; ++k)
        for (int l = 0; l < lanes; ++l) {
          acc[j][k][l] += acc[j - 1][k][l];
          acc[j - 1][k][l] = 0.0f;
        }
      if ((i & (level_mask << (j * level_power))) != 0) break;
    }
  }
  for (; i < rows; ++i) add_row(i);
  for (int j = 1; j < levels; ++j)
    for (int k = 0; k < ilp; ++k)
      for (int l = 0; l < lanes; ++l) acc[0][k][l] += acc[j][k][l];
  float* part = acc[0][0];
  for (int64_t r = rows * ilp; r < vec_size; ++r) add_vec(part, r);
  for (int k = 1; k < ilp; ++k)
    for (int l = 0; l < lanes; ++l) part[l] += acc[0][k][l];
  float final_acc = 0.0f;
  for (int64_t k = vec_size * lanes; k < n; ++k) final_acc += v[k];
  for (int l = 0; l < lanes; ++l) final_acc += part[l];
  return final_acc;
}

namespace {
double np_sum_rec(const double* a, int64_t off, int64_t n, const int64_t* nz) {
  if (nz && nz[off + n] == nz[off]) return 0.0;  // all zeros: exact shortcut
  const double* p = a + off;
  if (n < 8) {
    double res = 0.0;
    for (int64_t i = 0; i < n; ++i) res += p[i];
    return res;
  }
  if (n <= 128) {
    double r[8];
    for (int k = 0; k < 8; ++k) r[k] = p[k];
    int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; ++k) r[k] += p[i + k];
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) res += p[i];
    return res;
  }
  int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return np_sum_rec(a, off, n2, nz) + np_sum_rec(a, off + n2, n - n2, nz);
}
}  // namespace

double np_sum(const double* a, int64_t n, const int64_t* nz_prefix) { return np_sum_rec(a, 0, n, nz_prefix); }

}  // namespace qdq::quant::torchnum
