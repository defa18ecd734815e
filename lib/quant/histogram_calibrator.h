#pragma once
// calib/histogram.py (torch_hist=True, the default): a histogram of |x| over
// [0, max] whose bins keep their width as later batches widen the range, and
// the three ways to pick amax from it. Counts are int64 (the reference keeps
// float32 counts, which stop counting at 2^24 per bin: TensorRT #2757); below
// that they are identical.
#include <cstdint>

#include "quant/calibrator.h"

namespace qdq::quant {

struct HistogramOptions {
  int num_bits = 8;
  bool is_unsigned = false;
  int num_bins = 2048;
  bool skip_zeros = false;
  std::string method = "percentile";  // what compute_amax computes: percentile | mse | entropy
  double percentile = 99.99;          // double: the reference compares the cdf with the Python float p/100
  int start_bin = 128;
  int stride = 1;
};

class HistogramCalibrator : public Calibrator {
 public:
  explicit HistogramCalibrator(HistogramOptions o);
  void collect(const float* x, const Shape& shape) override;
  // method "" or "histogram": the one of the options; else percentile / mse / entropy.
  std::optional<std::vector<float>> compute_amax(const std::string& method) override;

  const std::vector<int64_t>& hist() const { return hist_; }
  const std::vector<float>& bin_edges() const { return edges_; }
  int64_t batches() const { return batches_; }

 private:
  HistogramOptions o_;
  int64_t num_bins_;
  std::vector<int64_t> hist_;
  std::vector<float> edges_;
  int64_t batches_ = 0;
};

// The reference's _compute_amax_* on a histogram (counts, edges of one more entry).
// Error for bad parameters, or when no candidate bin is left (start_bin past the end).
float compute_amax_percentile(const std::vector<int64_t>& hist, const std::vector<float>& edges, double percentile);
float compute_amax_mse(const std::vector<int64_t>& hist, const std::vector<float>& edges, int num_bits,
                       bool is_unsigned, int stride = 1, int start_bin = 128);
float compute_amax_entropy(const std::vector<int64_t>& hist, const std::vector<float>& edges, int num_bits,
                           bool is_unsigned, int stride = 1, int start_bin = 128);

}  // namespace qdq::quant
