#pragma once
// ProphetNetFeedForward: intermediate Linear, activation, output Linear.
#include <string>

#include "io/checkpoint.h"
#include "layers/quant_linear.h"

namespace qdq::models::prophetnet {

class FeedForward {
 public:
  FeedForward() = default;
  FeedForward(const std::string& module, WeightStore& ws, int64_t hidden, int64_t ffn, kernels::Activation act,
              quant::QuantPlan& plan);
  Tensor forward(const Tensor& x);
  void prepare();

 private:
  kernels::Activation act_ = kernels::Activation::GeluErf;
  layers::QuantLinear in_, out_;
};

// A LayerNorm's weights (gamma, beta), eps 1e-5 as torch.nn.LayerNorm.
struct Norm {
  Tensor gamma, beta;
  float eps = 1e-5f;
  static Norm load(const std::string& module, WeightStore& ws, int64_t hidden, float eps);
  // x = LayerNorm(x + residual), in place on x.
  void add_norm(Tensor& x, const Tensor& residual) const;
  void apply(Tensor& x) const;
};

}  // namespace qdq::models::prophetnet
