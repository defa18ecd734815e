// QuantLinear: pytorch_quantization's QuantLinear.forward, i.e.
//   y = F.linear(input_quantizer(x), weight_quantizer(W), b)
// with the weight side done once in prepare() instead of every call.
#include "layers/quant_linear.h"

#include "io/mapped_file.h"
#include "layers/quant_point.h"
#include "quant/calibrator.h"
#include "quant/int8_checkpoint.h"

namespace qdq::layers {

using quant::QuantMode;

namespace {
// The checkpoint's weight as the model keeps it: F32, or the I8 codes of a qdqrt int8 directory.
Tensor stored_weight(const Tensor& w) { return w.dtype() == DType::I8 ? w : w.to_f32(); }
}  // namespace

QuantLinear::QuantLinear(const std::string& module, Tensor weight, Tensor bias, quant::QuantPlan& plan,
                         const std::string& weight_key)
    : p_(&plan.add_linear(module, weight_key, stored_weight(weight), bias.defined() ? bias.to_f32() : bias)),
      in_q_(p_->input),
      w_q_(p_->weight_quantizer) {}

Tensor QuantLinear::float_weight() const {
  if (p_->weight.dtype() != DType::I8) return p_->weight;
  check(w_q_->has_amax(), "{}: int8 weight without amax", w_q_->name());
  return quant::dequantize_weight(p_->weight, w_q_->amax(), w_q_->name());
}

void QuantLinear::prepare() {
  check(w_q_ != nullptr, "QuantLinear used before construction");
  in_mode_ = in_q_->mode();
  w_mode_ = w_q_->mode();
  kernel_ = kernels::Linear();
  int8_ = kernels::Int8Linear();
  const auto& wd = w_q_->desc();
  const Tensor& bias = p_->bias;
  if (w_mode_ == QuantMode::Int8 && in_mode_ == QuantMode::Int8) {
    const auto& id = in_q_->desc();
    check(w_q_->has_amax() && in_q_->has_amax(), "{} / {}: int8 needs both amax values", in_q_->name(),
          w_q_->name());
    check(id.num_bits == 8 && wd.num_bits == 8 && !wd.is_unsigned && !id.narrow_range && in_q_->amax().size() == 1,
          "{}: int8 kernels need 8-bit, per-tensor inputs and signed weights", in_q_->name());
    // Codes from an int8 directory go to the kernel as they are.
    int8_ = p_->weight.dtype() == DType::I8
                ? kernels::Int8Linear::from_codes(p_->weight, bias, w_q_->amax(), in_q_->amax()[0], id.is_unsigned)
                : kernels::Int8Linear(p_->weight, bias, w_q_->amax(), in_q_->amax()[0], id.is_unsigned,
                                      wd.narrow_range);
  } else if (w_mode_ == QuantMode::FakeQuant || w_mode_ == QuantMode::Int8) {
    // Int8 weights next to a non-int8 input: the same numbers in fp32.
    check(w_q_->has_amax(), "quantizer {} has no amax", w_q_->name());
    Tensor w = float_weight().clone();
    quant::fake_quant(w.data<float>(), w.shape(), w_q_->amax(), wd.axis, wd.num_bits, wd.is_unsigned,
                      wd.narrow_range);
    kernel_ = kernels::Linear(w, bias);
  } else {
    // Calibration keeps fp32: the statistics must not depend on --precision.
    const bool bf16 = p_->float_math == quant::FloatMath::Bf16 && in_mode_ == QuantMode::Disabled &&
                      w_mode_ == QuantMode::Disabled;
    kernel_ = kernels::Linear(float_weight(), bias, bf16 ? quant::FloatMath::Bf16 : quant::FloatMath::Fp32);
  }
  prepared_ = true;
  // Every kernel above holds its own copy of the weight in its layout: the checkpoint's pages go back.
  release_mapped_pages(p_->weight.raw(), p_->weight.nbytes());
  // The plan of both points, as resolved here.
  if (int8_.defined()) {
    in_q_->set_plan({quant::Kernel::Int8, "linear", ""});
    w_q_->set_plan({quant::Kernel::Int8, "linear", ""});
  } else if (kernel_.math() == kernels::FloatMath::Bf16) {
    in_q_->set_plan({quant::Kernel::Bf16, "linear", ""});
    w_q_->set_plan({quant::Kernel::Bf16, "linear", ""});
  } else {
    const bool mixed = in_mode_ == QuantMode::Int8 || w_mode_ == QuantMode::Int8;
    const std::string why = mixed ? "the other quantizer of this Linear is not in int8 mode" : "";
    in_q_->plan_by_mode("linear", why);
    w_q_->plan_by_mode("linear", why);
  }
}

void QuantLinear::require_prepared() const {
  // The plan is resolved once: changing a mode without prepare() is a caller's bug, not a cue to rebuild.
  check(prepared_ && in_q_->mode() == in_mode_ && w_q_->mode() == w_mode_,
        "{}: quantizer modes changed since prepare() (call the model's prepare())", w_q_->name());
}

bool QuantLinear::plain_float() const {
  require_prepared();
  return !int8_.defined() && in_mode_ == QuantMode::Disabled && w_mode_ == QuantMode::Disabled;
}

void QuantLinear::release_kernel() {
  kernel_ = kernels::Linear();
  int8_ = kernels::Int8Linear();
  prepared_ = false;
}

bool QuantLinear::int8_ready() const {
  require_prepared();
  return int8_.defined();
}

Tensor QuantLinear::forward_requantized(const Tensor& x, kernels::Activation act, const quant::TensorQuantizer& next) {
  check(int8_ready(), "{}: forward_requantized needs the int8 kernel", w_q_->name());
  return int8_.forward_requantized(x, act, int8_scale(next), next.desc().is_unsigned);
}

Tensor QuantLinear::forward(const Tensor& x, kernels::Activation act) {
  require_prepared();
  if (int8_.defined())  // x may already be quantized with int8_kernel().input_scale()
    return x.dtype() == DType::F32 ? int8_.forward(x, act) : int8_.forward_quantized(x, act);

  // pytorch_quantization calls the weight quantizer on every forward; in
  // calibration that means the calibrator sees the weight once per batch.
  if (w_mode_ == QuantMode::Calibrate && w_q_->calibrator()) {
    const Tensor w = float_weight();
    w_q_->calibrator()->collect(w.data<float>(), w.shape());
  }

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
  Tensor w = ws.take(module + ".weight", {out, in}, /*allow_int8=*/true);
  return QuantLinear(module, w, ws.take(module + ".bias", {out}), plan, *ws.key_of(module + ".weight"));
}

}  // namespace qdq::layers
