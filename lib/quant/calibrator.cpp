#include "quant/calibrator.h"

#include "quant/histogram_calibrator.h"
#include "quant/max_calibrator.h"

namespace qdq::quant {

std::unique_ptr<Calibrator> make_calibrator(const std::string& method, const QuantDescriptor& desc, int num_bins,
                                            double percentile) {
  if (method == "max") return std::make_unique<MaxCalibrator>(desc.axis);
  check(method == "percentile" || method == "mse" || method == "entropy",
        "unknown calibration method '{}' (max, percentile, mse, entropy)", method);
  // pytorch_quantization raises NotImplementedError for per-channel histograms.
  check(!desc.axis, "{} calibration is per tensor only (histogram calibrator); use max for per-channel", method);
  check(num_bins >= 2 && num_bins <= (1 << 24), "--num-bins must be in [2, 2^24], got {}", num_bins);
  check(percentile >= 0.0 && percentile <= 100.0, "--percentile must be in [0, 100], got {}", percentile);
  HistogramOptions o;
  o.num_bits = desc.num_bits;
  o.is_unsigned = desc.is_unsigned;
  o.num_bins = num_bins;
  o.method = method;
  o.percentile = percentile;
  return std::make_unique<HistogramCalibrator>(o);
}

}  // namespace qdq::quant
