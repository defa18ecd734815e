#pragma once
// torch.nn.Linear with pytorch_quantization's two quant points, named as
// named_modules() names them: "<module>._input_quantizer" and
// "<module>._weight_quantizer". One class serves every precision: the mode of
// the quantizers (quant/tensor_quantizer.h) decides fp32, calibration, fake
// quant or int8. Call prepare() after modes or amax values change; it
// rebuilds the kernel (fake-quantized or int8 weights) once, not per call.
#include <string>

#include "kernels/int8.h"
#include "io/checkpoint.h"
#include "kernels/ops.h"
#include "quant/tensor_quantizer.h"

namespace qdq::layers {

class QuantLinear {
 public:
  QuantLinear() = default;
  // weight [out, in], bias [out] or undefined. Registers the Linear and both
  // quantizers in plan; weight_key: the checkpoint tensor the weight came from
  // (empty when the weight is tied to another parameter, e.g. an LM head).
  QuantLinear(const std::string& module, Tensor weight, Tensor bias, quant::QuantPlan& plan,
              const std::string& weight_key = "");

  // x is never modified (fake quant works on a copy). In int8 mode x may also
  // be I8/U8, quantized with int8_kernel().input_scale(). Error when a
  // quantizer's mode changed since prepare() (nothing is rebuilt in forward).
  Tensor forward(const Tensor& x, kernels::Activation act = kernels::Activation::None);
  // Resolves the plan of both quantizers (quant::PointPlan) and builds the
  // kernel: int8, fake-quantized float weights, or plain float.
  void prepare();
  // True when forward() runs the int8 kernel (as prepare() resolved it).
  bool int8_ready() const;
  // Int8 only: the output quantized in the same primitive for the quantizer
  // next in line (which must satisfy layers::int8_ready), e.g. a matmul
  // input or the next Linear's input quantizer, when nothing between the
  // two changes the values. act is applied before quantization.
  Tensor forward_requantized(const Tensor& x, kernels::Activation act, const quant::TensorQuantizer& next);
  // True when forward() runs the int8 kernel (both quantizers in Int8 mode).
  bool is_int8() const { return prepared_ && int8_.defined(); }
  // The int8 kernel, for callers that keep activations quantized (valid when is_int8()).
  const kernels::Int8Linear& int8_kernel() const { return int8_; }
  // True when forward() is the plain float kernel (both quantizers disabled), of math float_math().
  bool plain_float() const;
  kernels::FloatMath float_math() const { return kernel_.math(); }
  // Frees the kernel's weight copy, for a caller that runs this Linear inside a fused one
  // (layers::FusedLinears); forward() is then an error until the next prepare().
  void release_kernel();

  // The stored weight: F32, or I8 codes from an int8 directory (see float_weight()).
  const Tensor& weight() const { return p_->weight; }
  // The weight as floats (I8 codes dequantized as fake quant does; needs the weight amax).
  Tensor float_weight() const;
  const Tensor& bias() const { return p_->bias; }
  quant::TensorQuantizer& input_quantizer() { return *in_q_; }
  quant::TensorQuantizer& weight_quantizer() { return *w_q_; }

 private:
  void require_prepared() const;
  quant::LinearParams* p_ = nullptr;  // owned by the model's plan
  quant::TensorQuantizer* in_q_ = nullptr;
  quant::TensorQuantizer* w_q_ = nullptr;
  kernels::Linear kernel_;
  kernels::Int8Linear int8_;
  quant::QuantMode in_mode_ = quant::QuantMode::Disabled, w_mode_ = quant::QuantMode::Disabled;
  bool prepared_ = false;
};

// The QuantLinear of a checkpoint's torch.nn.Linear "<module>": weight [out, in] and bias [out].
QuantLinear load_quant_linear(WeightStore& ws, const std::string& module, int64_t out, int64_t in,
                              quant::QuantPlan& plan);

}  // namespace qdq::layers
