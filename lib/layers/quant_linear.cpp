// QuantLinear: pytorch_quantization's QuantLinear.forward, i.e.
//   y = F.linear(input_quantizer(x), weight_quantizer(W), b)
// with the weight side done once in prepare() instead of every call.
#include "layers/quant_linear.h"

#include "layers/quant_point.h"
#include "quant/calibrator.h"

namespace qdq::layers {

using quant::QuantMode;

QuantLinear::QuantLinear(const std::string& module, Tensor weight, Tensor bias, quant::QuantPlan& plan)
    : weight_(weight.to_f32()), bias_(bias.defined() ? bias.to_f32() : bias) {
  check(weight_.ndim() == 2, "{}: weight must be 2-D, got {}", module, shape_str(weight_.shape()));
  in_q_ = &plan.add(module + "._input_quantizer", quant::input_desc());
  w_q_ = &plan.add(module + "._weight_quantizer", quant::weight_desc());
  w_q_->set_channels(weight_.dim(0));  // per output channel (axis 0)
}

void QuantLinear::prepare() {
  check(w_q_ != nullptr, "QuantLinear used before construction");
  in_mode_ = in_q_->mode();
  w_mode_ = w_q_->mode();
  kernel_ = kernels::Linear();
  int8_ = kernels::Int8Linear();
  const auto& wd = w_q_->desc();
  if (w_mode_ == QuantMode::Int8 && in_mode_ == QuantMode::Int8) {
    const auto& id = in_q_->desc();
    check(w_q_->has_amax() && in_q_->has_amax(), "{} / {}: int8 needs both amax values", in_q_->name(),
          w_q_->name());
    check(id.num_bits == 8 && wd.num_bits == 8 && !wd.is_unsigned && !id.narrow_range && in_q_->amax().size() == 1,
          "{}: int8 kernels need 8-bit, per-tensor inputs and signed weights", in_q_->name());
    int8_ = kernels::Int8Linear(weight_, bias_, w_q_->amax(), in_q_->amax()[0], id.is_unsigned, wd.narrow_range);
  } else if (w_mode_ == QuantMode::FakeQuant || w_mode_ == QuantMode::Int8) {
    // Int8 weights next to a non-int8 input: the same numbers in fp32.
    check(w_q_->has_amax(), "quantizer {} has no amax", w_q_->name());
    Tensor w = weight_.clone();
    quant::fake_quant(w.data<float>(), w.shape(), w_q_->amax(), wd.axis, wd.num_bits, wd.is_unsigned,
                      wd.narrow_range);
    kernel_ = kernels::Linear(w, bias_);
  } else {
    kernel_ = kernels::Linear(weight_, bias_);
  }
  prepared_ = true;
}

bool QuantLinear::int8_ready() {
  if (!prepared_ || in_q_->mode() != in_mode_ || w_q_->mode() != w_mode_) prepare();
  return int8_.defined();
}

Tensor QuantLinear::forward_requantized(const Tensor& x, kernels::Activation act, const quant::TensorQuantizer& next) {
  check(int8_ready(), "{}: forward_requantized needs the int8 kernel", w_q_->name());
  return int8_.forward_requantized(x, act, int8_scale(next), next.desc().is_unsigned);
}

Tensor QuantLinear::forward(const Tensor& x, kernels::Activation act) {
  int8_ready();
  if (int8_.defined())  // x may already be quantized with int8_kernel().input_scale()
    return x.dtype() == DType::F32 ? int8_.forward(x, act) : int8_.forward_quantized(x, act);

  // pytorch_quantization calls the weight quantizer on every forward; in
  // calibration that means the calibrator sees the weight once per batch.
  if (w_mode_ == QuantMode::Calibrate && w_q_->calibrator())
    w_q_->calibrator()->collect(weight_.data<float>(), weight_.shape());

  switch (in_mode_) {
    case QuantMode::Calibrate: {
      Tensor view = x;  // apply() leaves x unchanged in this mode
      in_q_->apply(view);
      return kernel_.forward(x, act);
    }
    case QuantMode::FakeQuant:
    case QuantMode::Int8: {  // Int8 input next to non-int8 weights: fake quant, same numbers
      Tensor xq = x.to_f32().clone();  // x may be the caller's tensor or a view of it
      quant_point(*in_q_, xq);
      return kernel_.forward(xq, act);
    }
    default:
      return kernel_.forward(x, act);
  }
}

QuantLinear load_quant_linear(WeightStore& ws, const std::string& module, int64_t out, int64_t in,
                              quant::QuantPlan& plan) {
  return QuantLinear(module, ws.take(module + ".weight", {out, in}), ws.take(module + ".bias", {out}), plan);
}

}  // namespace qdq::layers
