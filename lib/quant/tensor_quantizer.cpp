#include "quant/tensor_quantizer.h"

#include <cfenv>
#include <cmath>

#include "quant/calibrator.h"

namespace qdq::quant {

TensorQuantizer::TensorQuantizer(std::string name, QuantDescriptor desc) : name_(std::move(name)), desc_(desc) {}
TensorQuantizer::~TensorQuantizer() = default;

void TensorQuantizer::set_amax(std::vector<float> a) { amax_ = std::move(a); }
void TensorQuantizer::set_calibrator(std::unique_ptr<Calibrator> c) { calib_ = std::move(c); }

void TensorQuantizer::apply(Tensor& x) {
  switch (mode_) {
    case QuantMode::Calibrate:
      check(calib_ != nullptr, "quantizer {} is calibrating without a calibrator", name_);
      calib_->collect(x.data<float>(), x.shape());
      break;
    case QuantMode::FakeQuant:
      check(has_amax(), "quantizer {} has no amax", name_);
      fake_quant(x.data<float>(), x.shape(), amax_, desc_.axis, desc_.num_bits, desc_.is_unsigned,
                 desc_.narrow_range);
      break;
    default:
      break;
  }
}

TensorQuantizer& QuantPlan::add(const std::string& name, QuantDescriptor desc) {
  check(!by_name_.count(name), "duplicate quantizer name {}", name);
  all_.push_back(std::make_unique<TensorQuantizer>(name, desc));
  by_name_[name] = all_.back().get();
  return *all_.back();
}

TensorQuantizer* QuantPlan::find(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

void QuantPlan::set_mode(QuantMode m) {
  for (auto& q : all_) q->set_mode(m);
}

void fake_quant(float* x, const Shape& shape, const std::vector<float>& amax, std::optional<int> axis,
                int num_bits, bool is_unsigned, bool narrow_range) {
  const float max_bound = static_cast<float>((1 << (num_bits - 1 + (is_unsigned ? 1 : 0))) - 1);
  const float min_bound = is_unsigned ? 0.0f : narrow_range ? -max_bound : -max_bound - 1.0f;
  const float eps = 1.0f / (1 << 24);
  const int64_t n = shape_numel(shape);
  int64_t channels = 1, inner = n;
  if (axis && amax.size() > 1) {
    int ax = *axis < 0 ? *axis + static_cast<int>(shape.size()) : *axis;
    check(ax >= 0 && ax < static_cast<int>(shape.size()), "fake_quant: axis {} out of range", *axis);
    channels = shape[ax];
    inner = 1;
    for (size_t i = ax + 1; i < shape.size(); ++i) inner *= shape[i];
  }
  check(static_cast<int64_t>(amax.size()) == channels || amax.size() == 1,
        "fake_quant: {} amax values for {} channels", amax.size(), channels);
  for (float a : amax) check(a >= 0.0f, "fake_quant: negative amax {}", a);
  // nearbyint rounds half to even under the default FE_TONEAREST mode, as torch.round does.
  for (int64_t i = 0; i < n; ++i) {
    const float a = amax.size() == 1 ? amax[0] : amax[(i / inner) % channels];
    if (a <= eps) {
      x[i] = 0.0f;
      continue;
    }
    const float scale = max_bound / a;
    float q = std::nearbyint(x[i] * scale);
    q = std::fmin(std::fmax(q, min_bound), max_bound);
    x[i] = q / scale;
  }
}

}  // namespace qdq::quant
