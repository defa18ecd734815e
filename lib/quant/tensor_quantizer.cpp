#include "quant/tensor_quantizer.h"

#include <cmath>

#include "kernels/int8.h"
#include "quant/calibrator.h"

namespace qdq::quant {

TensorQuantizer::TensorQuantizer(std::string name, QuantDescriptor desc) : name_(std::move(name)), desc_(desc) {}
TensorQuantizer::~TensorQuantizer() = default;

void TensorQuantizer::set_amax(std::vector<float> a) {
  amax_ = std::move(a);
  if (!amax_.empty()) keep_float_ = false;
}

void TensorQuantizer::set_keep_float() {
  keep_float_ = true;
  amax_.clear();
  if (mode_ == QuantMode::FakeQuant || mode_ == QuantMode::Int8) mode_ = QuantMode::Disabled;
}

void TensorQuantizer::set_mode(QuantMode m) {
  mode_ = keep_float_ && (m == QuantMode::FakeQuant || m == QuantMode::Int8) ? QuantMode::Disabled : m;
}
void TensorQuantizer::set_calibrator(std::unique_ptr<Calibrator> c) { calib_ = std::move(c); }

const char* kernel_name(Kernel k) {
  switch (k) {
    case Kernel::Fp32: return "fp32";
    case Kernel::Calibrate: return "calibrate";
    case Kernel::FakeQuant: return "fake quant";
    case Kernel::Int8: return "int8";
    case Kernel::Bf16: return "bf16";
    default: return "unresolved";
  }
}

void TensorQuantizer::plan_by_mode(const std::string& op, const std::string& why_not_int8) {
  switch (mode_) {
    case QuantMode::Disabled: plan_ = {Kernel::Fp32, op, ""}; break;
    case QuantMode::Calibrate: plan_ = {Kernel::Calibrate, op, ""}; break;
    case QuantMode::FakeQuant: plan_ = {Kernel::FakeQuant, op, ""}; break;
    case QuantMode::Int8: plan_ = {Kernel::FakeQuant, op, why_not_int8}; break;
  }
}

void TensorQuantizer::apply(Tensor& x) {
  if (tap_) tap_(x);
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

LinearParams& QuantPlan::add_linear(const std::string& module, const std::string& weight_key, Tensor weight,
                                    Tensor bias) {
  check(weight.ndim() == 2, "{}: weight must be 2-D, got {}", module, shape_str(weight.shape()));
  auto p = std::make_unique<LinearParams>();
  p->module = module;
  p->weight_key = weight_key;
  p->weight = std::move(weight);
  p->bias = std::move(bias);
  p->input = &add(module + "._input_quantizer", input_desc());
  p->weight_quantizer = &add(module + "._weight_quantizer", weight_desc());
  p->weight_quantizer->set_channels(p->weight.dim(0));  // per output channel (axis 0)
  p->float_math = float_math_;
  linears_.push_back(std::move(p));
  return *linears_.back();
}

TensorQuantizer* QuantPlan::find(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const TensorQuantizer* QuantPlan::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

const LinearParams* QuantPlan::linear_of_weight(const TensorQuantizer* q) const {
  for (auto& l : linears_)
    if (l->weight_quantizer == q) return l.get();
  return nullptr;
}

void QuantPlan::set_float_math(FloatMath m) {
  float_math_ = m;
  for (auto& l : linears_) l->float_math = m;
}

void QuantPlan::set_mode(QuantMode m) {
  for (auto& q : all_) q->set_mode(m);
}

QuantBounds quant_bounds(int num_bits, bool is_unsigned, bool narrow_range) {
  check(num_bits >= 1 && num_bits <= 16 && !(num_bits == 1 && !is_unsigned), "unsupported num_bits {}", num_bits);
  const float max_bound = static_cast<float>((1 << (num_bits - 1 + (is_unsigned ? 1 : 0))) - 1);
  const float min_bound = is_unsigned ? 0.0f : narrow_range ? -max_bound : -max_bound - 1.0f;
  return {min_bound, max_bound};
}

float quant_scale(float amax, float max_bound) {
  // _tensor_quant treats amax below fp16's smallest subnormal as 0: scale 0 makes every code 0.
  const float eps = 1.0f / (1 << 24);
  return amax <= eps ? 0.0f : max_bound / amax;
}

float quant_code(float x, float scale, QuantBounds b) {
  // nearbyint rounds half to even under the default FE_TONEAREST mode, as torch.round does.
  const float q = std::nearbyint(x * scale);
  return std::fmin(std::fmax(q, b.min_bound), b.max_bound);
}

void fake_quant(float* x, const Shape& shape, const std::vector<float>& amax, std::optional<int> axis,
                int num_bits, bool is_unsigned, bool narrow_range) {
  const QuantBounds b = quant_bounds(num_bits, is_unsigned, narrow_range);
  const int64_t n = shape_numel(shape);
  int64_t channels = 1, inner = n;
  check(!amax.empty(), "fake_quant: no amax");
  if (axis && amax.size() > 1) {
    int ax = *axis < 0 ? *axis + static_cast<int>(shape.size()) : *axis;
    check(ax >= 0 && ax < static_cast<int>(shape.size()), "fake_quant: axis {} out of range", *axis);
    channels = shape[ax];
    inner = 1;
    for (size_t i = ax + 1; i < shape.size(); ++i) inner *= shape[i];
  }
  check(static_cast<int64_t>(amax.size()) == channels || amax.size() == 1,
        "fake_quant: {} amax values for {} channels", amax.size(), channels);
  for (float a : amax) check(!(a < 0.0f), "fake_quant: negative amax {}", a);
  if (is_unsigned)
    for (int64_t i = 0; i < n; ++i) check(!(x[i] < 0.0f), "fake_quant: negative values in unsigned quantization");
  std::vector<float> scales(amax.size());
  for (size_t c = 0; c < amax.size(); ++c) scales[c] = quant_scale(amax[c], b.max_bound);
  // Per tensor (every activation quantizer): the threaded, vectorised loop with the same arithmetic.
  if (scales.size() == 1) return kernels::fake_quant_per_tensor(x, n, scales[0], b.min_bound, b.max_bound);
  for (int64_t i = 0; i < n; ++i) {
    const float s = scales.size() == 1 ? scales[0] : scales[(i / inner) % channels];
    x[i] = dequant_code(quant_code(x[i], s, b), s);
  }
}

}  // namespace qdq::quant
