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
  const size_t nc = hist.size();
  std::vector<float> counts(nc), centers(nc), terms(nc);
  for (size_t k = 0; k < nc; ++k) {
    counts[k] = static_cast<float>(hist[k]);
    centers[k] = (edges[k + 1] + edges[k]) / 2.0f;
  }
  // fake_tensor_quant's functional default is narrow_range=True.
  const QuantBounds b = quant_bounds(num_bits, is_unsigned, true);
  int64_t best = -1;
  float best_mse = 0.0f;
  for (size_t i = start_bin; i < nc; i += stride) {
    const float scale = quant_scale(centers[i], b.max_bound);
    for (size_t k = 0; k < nc; ++k) {
      const float d = dequant_code(quant_code(centers[k], scale, b), scale) - centers[k];
      terms[k] = d * d * counts[k];
    }
    const float mse = tn::sum(terms) / static_cast<float>(nc);  // torch mean on CPU: sum, then divide
    if (best < 0 || (!std::isnan(best_mse) && (std::isnan(mse) || mse < best_mse))) {  // np.argmin: first min, NaN wins
      best = static_cast<int64_t>(i);
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

  std::vector<double> space(nbins + 1), mass(nbins), p, q;
  std::vector<int64_t> cnt(nbins);
  std::vector<int> group;
  int64_t best = -1;
  double best_div = 0.0;
  for (int64_t i = start_bin; i <= len; i += stride) {
    // np.digitize(range(i), np.linspace(0, i, nbins + 1)) - 1, in float64.
    const double step = static_cast<double>(i) / nbins;
    for (int k = 0; k <= nbins; ++k) space[k] = static_cast<double>(k) * step;
    space[nbins] = static_cast<double>(i);
    group.assign(i, 0);
    int g = 0;
    for (int64_t x = 0; x < i; ++x) {
      while (g + 1 <= nbins && space[g + 1] <= static_cast<double>(x)) ++g;
      group[x] = g;  // number of edges <= x, minus one
    }
    std::fill(mass.begin(), mass.end(), 0.0);
    std::fill(cnt.begin(), cnt.end(), 0);
    for (int64_t x = 0; x < i; ++x)
      if (bins[x] != 0) {
        mass[group[x]] += static_cast<double>(bins[x]);
        ++cnt[group[x]];
      }
    for (int k = 0; k < nbins; ++k)
      if (cnt[k]) mass[k] /= static_cast<double>(cnt[k]);
    p.assign(i, 0.0);
    q.assign(i, 0.0);
    for (int64_t x = 0; x < i; ++x) {
      p[x] = static_cast<double>(bins[x]);
      if (bins[x] != 0) q[x] = mass[group[x]];
    }
    p[i - 1] += static_cast<double>(tail[i]);
    // scipy.stats.entropy(p, q): both normalised by np.sum, then sum of rel_entr.
    const double ps = tn::np_sum(p.data(), i), qs = tn::np_sum(q.data(), i);
    for (int64_t x = 0; x < i; ++x) {
      const double pk = p[x] / ps, qk = q[x] / qs;
      double r;
      if (std::isnan(pk) || std::isnan(qk)) r = std::numeric_limits<double>::quiet_NaN();
      else if (pk > 0 && qk > 0) r = pk * std::log(pk / qk);
      else if (pk == 0 && qk >= 0) r = 0.0;
      else r = std::numeric_limits<double>::infinity();
      p[x] = r;
    }
    const double div = tn::np_sum(p.data(), i);
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
