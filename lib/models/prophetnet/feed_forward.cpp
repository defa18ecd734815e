#include "models/prophetnet/feed_forward.h"

#include "kernels/residual_norm.h"

#include "kernels/ops.h"

namespace qdq::models::prophetnet {

FeedForward::FeedForward(const std::string& m, WeightStore& ws, int64_t hidden, int64_t ffn, kernels::Activation act,
                         quant::QuantPlan& plan)
    : act_(act) {
  in_ = layers::load_quant_linear(ws, m + ".intermediate", ffn, hidden, plan);
  out_ = layers::load_quant_linear(ws, m + ".output", hidden, ffn, plan);
}

Tensor FeedForward::forward(const Tensor& x) { return out_.forward(in_.forward(x, act_)); }

void FeedForward::prepare() {
  in_.prepare();
  out_.prepare();
}

Norm Norm::load(const std::string& m, WeightStore& ws, int64_t hidden, float eps) {
  return {ws.take(m + ".weight", {hidden}), ws.take(m + ".bias", {hidden}), eps};
}

void Norm::add_norm(Tensor& x, const Tensor& residual) const {
  kernels::residual_add_layer_norm(x, residual, {}, {}, gamma, beta, eps);  // BERT's block, quantizers off
}

void Norm::apply(Tensor& x) const { kernels::layer_norm(x, gamma, beta, eps); }

}  // namespace qdq::models::prophetnet
