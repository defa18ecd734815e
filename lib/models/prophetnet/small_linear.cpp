#include "models/prophetnet/small_linear.h"

#include "kernels/gemv.h"

namespace qdq::models::prophetnet {

Tensor linear(layers::QuantLinear& l, const Tensor& x, kernels::Activation act) {
  const Tensor& w = l.weight();
  const int64_t K = w.dim(1), N = w.dim(0);
  const int64_t M = x.dtype() == DType::F32 && x.ndim() >= 1 && x.dim(-1) == K ? x.numel() / K : 0;
  const bool fp32 = l.input_quantizer().mode() == quant::QuantMode::Disabled &&
                    l.weight_quantizer().mode() == quant::QuantMode::Disabled;
  if (!fp32 || M == 0 || M > kernels::kGemvMaxRows || K < kernels::kGemvMinK || w.dtype() != DType::F32) return l.forward(x, act);
  const Tensor& b = l.bias();
  Shape shape = x.shape();
  shape.back() = N;
  Tensor y(DType::F32, shape);
  kernels::gemv_f32(x.data<float>(), M, K, w.data<float>(), N, b.defined() ? b.data<float>() : nullptr,
                    y.data<float>());
  kernels::activation(y, act);
  return y;
}

}  // namespace qdq::models::prophetnet
