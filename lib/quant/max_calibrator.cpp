#include "quant/max_calibrator.h"

#include <cmath>

namespace qdq::quant {

namespace {
// torch.max propagates NaN; std::fmax would drop it.
float nan_max(float a, float b) { return (std::isnan(a) || a > b) ? a : b; }
}  // namespace

void MaxCalibrator::collect(const float* x, const Shape& shape) {
  const int64_t n = shape_numel(shape);
  int64_t channels = 1, inner = n;
  if (axis_) {
    const int nd = static_cast<int>(shape.size());
    const int ax = *axis_ < 0 ? *axis_ + nd : *axis_;
    check(ax >= 0 && ax < nd, "MaxCalibrator: axis {} out of range for shape {}", *axis_, shape_str(shape));
    channels = shape[ax];
    inner = 1;
    for (int i = ax + 1; i < nd; ++i) inner *= shape[i];
  }
  // reduce_amax of an empty tensor fails in the reference as well.
  check(n > 0, "MaxCalibrator: empty tensor of shape {}", shape_str(shape));
  std::vector<float> local(channels, 0.0f);
  for (int64_t i = 0; i < n; ++i) {
    float& m = local[(i / inner) % channels];
    m = nan_max(m, std::fabs(x[i]));
  }
  if (amax_.empty()) {
    amax_ = std::move(local);
  } else {
    check(amax_.size() == local.size(), "MaxCalibrator: amax shape changed ({} channels, then {})", amax_.size(),
          local.size());
    for (size_t c = 0; c < amax_.size(); ++c) amax_[c] = nan_max(amax_[c], local[c]);
  }
  ++batches_;
}

std::optional<std::vector<float>> MaxCalibrator::compute_amax(const std::string&) {
  if (amax_.empty()) return std::nullopt;
  return amax_;
}

}  // namespace qdq::quant
