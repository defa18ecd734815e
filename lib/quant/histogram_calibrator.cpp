#include "quant/histogram_calibrator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "quant/torch_numerics.h"

namespace qdq::quant {

namespace tn = torchnum;

HistogramCalibrator::HistogramCalibrator(HistogramOptions o) : o_(std::move(o)), num_bins_(o_.num_bins) {
  check(o_.num_bins >= 2, "histogram calibrator: num_bins must be at least 2, got {}", o_.num_bins);
  check(o_.stride >= 1 && o_.start_bin >= 0, "histogram calibrator: bad stride {} / start_bin {}", o_.stride,
        o_.start_bin);
}

void HistogramCalibrator::collect(const float* x, const Shape& shape) {
  const int64_t n = shape_numel(shape);
  check(n > 0, "histogram calibrator: empty tensor of shape {}", shape_str(shape));
  // torch.min / torch.max propagate NaN; a NaN min skips the abs as in the reference.
  float mn = x[0];
  for (int64_t i = 1; i < n && !std::isnan(mn); ++i) mn = std::isnan(x[i]) ? x[i] : std::min(mn, x[i]);
  const bool take_abs = mn < 0.0f;
  std::vector<float> a;
  a.reserve(n);
  for (int64_t i = 0; i < n; ++i) {
    const float v = take_abs ? std::fabs(x[i]) : x[i];
    if (o_.skip_zeros && v == 0.0f) continue;
    a.push_back(v);
  }
  check(!a.empty(), "histogram calibrator: no non-zero value to collect");
  float x_max = a[0];
  for (float v : a) x_max = (std::isnan(v) || std::isnan(x_max)) ? std::numeric_limits<float>::quiet_NaN()
                                                                  : std::max(x_max, v);
  check(std::isfinite(x_max), "histogram calibrator: NaN or Inf in the calibration data");
  const int64_t n_a = static_cast<int64_t>(a.size());
  if (edges_.empty()) {
    hist_.assign(num_bins_, 0);
    tn::histc_add(a.data(), n_a, num_bins_, 0.0, x_max, hist_);
    edges_ = tn::linspace(0.0f, x_max, num_bins_ + 1);
  } else {
    if (x_max > edges_.back()) {
      const float width = edges_[1] - edges_[0];
      check(width > 0.0f, "histogram calibrator: an all-zero first batch leaves no bin width to grow by");
      const float nb = std::ceil(x_max / width);
      check(nb < 1e9f, "histogram calibrator: cannot grow to {} bins", nb);
      num_bins_ = static_cast<int64_t>(nb);
      edges_ = tn::arange0(x_max + width, width);
    }
    std::vector<int64_t> h(num_bins_, 0);
    tn::histc_add(a.data(), n_a, num_bins_, 0.0, edges_.back(), h);
    check(h.size() >= hist_.size(), "histogram calibrator: histogram shrank from {} to {} bins", hist_.size(),
          h.size());
    for (size_t k = 0; k < hist_.size(); ++k) h[k] += hist_[k];
    hist_ = std::move(h);
  }
  ++batches_;
}

std::optional<std::vector<float>> HistogramCalibrator::compute_amax(const std::string& method) {
  if (hist_.empty()) return std::nullopt;
  const std::string m = (method.empty() || method == "histogram") ? o_.method : method;
  if (m == "percentile") return std::vector<float>{compute_amax_percentile(hist_, edges_, o_.percentile)};
  if (m == "mse")
    return std::vector<float>{compute_amax_mse(hist_, edges_, o_.num_bits, o_.is_unsigned, o_.stride, o_.start_bin)};
  if (m == "entropy")
    return std::vector<float>{
        compute_amax_entropy(hist_, edges_, o_.num_bits, o_.is_unsigned, o_.stride, o_.start_bin)};
  throw Error("unknown calibration method '{}' (percentile, mse, entropy)", m);
}

float compute_amax_percentile(const std::vector<int64_t>& hist, const std::vector<float>& edges, double percentile) {
  check(percentile >= 0.0 && percentile <= 100.0, "percentile {} is outside [0, 100]", percentile);
  check(!hist.empty(), "percentile: empty histogram");
  int64_t total = 0;
  for (int64_t c : hist) total += c;
  // np.cumsum(hist / total) in float64, then searchsorted (left) for p / 100.
  const double target = percentile / 100.0;
  size_t idx = hist.size();
  double cdf = 0.0;
  for (size_t k = 0; k < hist.size(); ++k) {
    cdf += static_cast<double>(hist[k]) / static_cast<double>(total);
    if (cdf >= target) {
      idx = k;
      break;
    }
  }
  if (total == 0) idx = 0;  // an all-NaN cdf sorts last: searchsorted gives 0
  check(idx < edges.size(), "percentile: index {} past the {} bin edges", idx, edges.size());
  return edges[idx];
}

float compute_amax_mse(const std::vector<int64_t>& hist, const std::vector<float>& edges, int num_bits,
                       bool is_unsigned, int stride, int start_bin) {
  check(stride >= 1 && start_bin >= 0, "mse: bad stride {} / start_bin {}", stride, start_bin);
  check(edges.size() == hist.size() + 1, "mse: {} bin edges for {} bins", edges.size(), hist.size());
  const int64_t nc = static_cast<int64_t>(hist.size());
  std::vector<float> counts(nc), centers(nc), terms(nc, 0.0f);
  std::vector<int64_t> nz_prefix(nc + 1, 0), nz;
  for (int64_t k = 0; k < nc; ++k) {
    counts[k] = static_cast<float>(hist[k]);
    centers[k] = (edges[k + 1] + edges[k]) / 2.0f;
    nz_prefix[k + 1] = nz_prefix[k] + (hist[k] != 0);
    if (hist[k] != 0) nz.push_back(k);
  }
  // fake_tensor_quant's functional default is narrow_range=True.
  const QuantBounds b = quant_bounds(num_bits, is_unsigned, true);
  int64_t best = -1;
  float best_mse = 0.0f;
  for (int64_t i = start_bin; i < nc; i += stride) {
    const float scale = quant_scale(centers[i], b.max_bound);
    // Empty bins contribute exact zeros (finite error times 0), so only the others are computed.
    for (int64_t k : nz) {
      const float d = dequant_code(quant_code(centers[k], scale, b), scale) - centers[k];
      terms[k] = d * d * counts[k];
    }
    // torch's mean on the CPU: the cascade sum, then a float32 division.
    const float mse = tn::sum(terms.data(), nc, nz_prefix.data()) / static_cast<float>(nc);
    if (best < 0 || (!std::isnan(best_mse) && (std::isnan(mse) || mse < best_mse))) {  // np.argmin: first min, NaN wins
      best = i;
      best_mse = mse;
    }
  }
  check(best >= 0, "mse: no candidate bin (start_bin {} with {} bins): attempt to get argmin of an empty sequence",
        start_bin, nc);
  return centers[best];
}

float compute_amax_entropy(const std::vector<int64_t>& hist, const std::vector<float>& edges, int num_bits,
                           bool is_unsigned, int stride, int start_bin) {
  check(stride >= 1 && start_bin >= 1, "entropy: bad stride {} / start_bin {}", stride, start_bin);
  check(hist.size() >= 2 && edges.size() >= hist.size(), "entropy: {} bins / {} edges", hist.size(), edges.size());
  std::vector<int64_t> bins = hist;
  bins[0] = bins[1];  // the reference's suppression of the zero bin
  const int64_t len = static_cast<int64_t>(bins.size());
  const int nbins = 1 << (num_bits - 1 + (is_unsigned ? 1 : 0));
  std::vector<int64_t> tail(len + 1, 0);  // tail[i] = sum(bins[i:])
  for (int64_t k = len - 1; k >= 0; --k) tail[k] = tail[k + 1] + bins[k];
  std::vector<int64_t> nz, nz_prefix(len + 2, 0);
  for (int64_t k = 0; k < len; ++k) {
    if (bins[k] != 0) nz.push_back(k);
    nz_prefix[k + 1] = nz_prefix[k] + (bins[k] != 0);
  }
  nz_prefix[len + 1] = nz_prefix[len];
  const double total = static_cast<double>(tail[0]);  // integer sums: exact in any order

  // Only non-empty bins (and the last, which takes the tail) carry mass; the
  // buffers hold zeros elsewhere, so the pairwise sums skip all-zero blocks exactly.
  std::vector<double> space(nbins + 1), mass(nbins), q(len, 0.0), r(len, 0.0);
  std::vector<int64_t> cnt(nbins), rprefix(len + 1);
  int64_t best = -1;
  double best_div = 0.0;
  for (int64_t i = start_bin; i <= len; i += stride) {
    // np.digitize(x, np.linspace(0, i, nbins + 1)) - 1 in float64: the edges <= x, minus one.
    const double step = static_cast<double>(i) / nbins;
    for (int k = 0; k <= nbins; ++k) space[k] = static_cast<double>(k) * step;
    space[nbins] = static_cast<double>(i);
    auto group_of = [&](int64_t x) {
      const double xd = static_cast<double>(x);
      int g = static_cast<int>(std::min<double>(nbins - 1, std::floor(xd / step)));
      while (g > 0 && space[g] > xd) --g;
      while (g + 1 < nbins && space[g + 1] <= xd) ++g;
      return g;
    };
    const int64_t n_nz = nz_prefix[i];  // non-empty bins below i: nz[0 .. n_nz)
    std::fill(mass.begin(), mass.end(), 0.0);
    std::fill(cnt.begin(), cnt.end(), 0);
    for (int64_t t = 0; t < n_nz; ++t) {
      const int g = group_of(nz[t]);
      mass[g] += static_cast<double>(bins[nz[t]]);
      ++cnt[g];
    }
    for (int k = 0; k < nbins; ++k)
      if (cnt[k]) mass[k] /= static_cast<double>(cnt[k]);
    for (int64_t t = 0; t < n_nz; ++t) q[nz[t]] = mass[group_of(nz[t])];
    const double qs = tn::np_sum(q.data(), i, nz_prefix.data());
    // scipy.stats.entropy(p, q): p = bins[:i] with the tail added to the last; both normalised; sum of rel_entr.
    auto rel_entr = [](double pk, double qk) {
      if (std::isnan(pk) || std::isnan(qk)) return std::numeric_limits<double>::quiet_NaN();
      if (pk > 0 && qk > 0) return pk * std::log(pk / qk);
      if (pk == 0 && qk >= 0) return 0.0;
      return std::numeric_limits<double>::infinity();
    };
    for (int64_t t = 0; t < n_nz; ++t) {
      const int64_t x = nz[t];
      double pv = static_cast<double>(bins[x]);
      if (x == i - 1) pv += static_cast<double>(tail[i]);
      r[x] = rel_entr(pv / total, q[x] / qs);
    }
    const double last_p = static_cast<double>(bins[i - 1] + tail[i]);
    const bool last_extra = bins[i - 1] == 0 && last_p != 0.0;
    if (last_extra) r[i - 1] = rel_entr(last_p / total, 0.0 / qs);
    // r may be non-zero at non-empty bins and at i - 1.
    const int64_t* rp = nz_prefix.data();
    if (last_extra) {
      std::copy(nz_prefix.begin(), nz_prefix.begin() + i + 1, rprefix.begin());
      rprefix[i] += 1;
      rp = rprefix.data();
    }
    const double div = tn::np_sum(r.data(), i, rp);
    for (int64_t t = 0; t < n_nz; ++t) q[nz[t]] = r[nz[t]] = 0.0;
    if (last_extra) r[i - 1] = 0.0;
    // Last argmin (a NaN counts as the minimum, as np.argmin has it).
    if (best < 0 || std::isnan(div) || (!std::isnan(best_div) && div <= best_div)) {
      if (!(best >= 0 && std::isnan(best_div) && !std::isnan(div))) {
        best = i;
        best_div = div;
      }
    }
  }
  check(best >= 0, "entropy: no candidate bin (start_bin {} with {} bins): attempt to get argmin of an empty sequence",
        start_bin, len);
  check(best < static_cast<int64_t>(edges.size()), "entropy: bin {} past the {} edges", best, edges.size());
  return edges[best];
}

}  // namespace qdq::quant
