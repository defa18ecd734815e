#pragma once
// torch.nn.Linear with pytorch_quantization's two quant points, named as
// named_modules() names them: "<module>._input_quantizer" and
// "<module>._weight_quantizer". One class serves every precision: the mode of
// the quantizers (quant/tensor_quantizer.h) decides fp32, calibration, fake
// quant or int8. Call prepare() after modes or amax values change; it
// rebuilds the kernel (fake-quantized or int8 weights) once, not per call.
#include <string>

#include "kernels/ops.h"
#include "quant/tensor_quantizer.h"

namespace qdq::layers {

class QuantLinear {
 public:
  QuantLinear() = default;
  // weight [out, in], bias [out] or undefined. Registers both quantizers in plan.
  QuantLinear(const std::string& module, Tensor weight, Tensor bias, quant::QuantPlan& plan);

  Tensor forward(const Tensor& x, kernels::Activation act = kernels::Activation::None);
  void prepare();

  const Tensor& weight() const { return weight_; }
  const Tensor& bias() const { return bias_; }
  quant::TensorQuantizer& input_quantizer() { return *in_q_; }
  quant::TensorQuantizer& weight_quantizer() { return *w_q_; }

 private:
  Tensor weight_, bias_;
  quant::TensorQuantizer* in_q_ = nullptr;
  quant::TensorQuantizer* w_q_ = nullptr;
  kernels::Linear kernel_;
  bool prepared_ = false;
};

}  // namespace qdq::layers
