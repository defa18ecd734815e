#pragma once
// Calibrators of pytorch_quantization (calib/max.py, calib/histogram.py).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"

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

}  // namespace qdq::quant
