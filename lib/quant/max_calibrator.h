#pragma once
// calib/max.py: running max of |x|, per tensor or per channel of one axis
// (reducing over every other axis, as utils/reduce_amax.py does).
#include "quant/calibrator.h"

namespace qdq::quant {

class MaxCalibrator : public Calibrator {
 public:
  explicit MaxCalibrator(std::optional<int> axis) : axis_(axis) {}
  // Error "amax shape changed" when the channel count differs from an earlier batch.
  void collect(const float* x, const Shape& shape) override;
  std::optional<std::vector<float>> compute_amax(const std::string& method) override;
  int64_t batches() const { return batches_; }

 private:
  std::optional<int> axis_;
  std::vector<float> amax_;
  int64_t batches_ = 0;
};

}  // namespace qdq::quant
