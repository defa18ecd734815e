#pragma once
// Calibrators of pytorch_quantization (calib/max.py, calib/histogram.py).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "quant/tensor_quantizer.h"

namespace qdq::quant {

class Calibrator {
 public:
  virtual ~Calibrator() = default;
  // Sees one tensor (the quantizer's input for one batch).
  virtual void collect(const float* x, const Shape& shape) = 0;
  // method: "max" for MaxCalibrator; "percentile", "mse", "entropy" for histograms.
  // Returns nullopt when nothing was collected.
  virtual std::optional<std::vector<float>> compute_amax(const std::string& method) = 0;
};

// A calibrator for one quantizer by method name: "max" gives a MaxCalibrator
// on desc.axis; "percentile", "mse" and "entropy" a HistogramCalibrator
// (per tensor only, as in pytorch_quantization) whose compute_amax uses that
// method whatever it is asked. Error for an unknown method or a bad parameter.
std::unique_ptr<Calibrator> make_calibrator(const std::string& method, const QuantDescriptor& desc,
                                            int num_bins = 2048, double percentile = 99.99);

}  // namespace qdq::quant
