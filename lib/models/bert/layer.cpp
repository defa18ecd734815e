#include "models/bert/layer.h"

namespace qdq::models::bert {

BertLayer::BertLayer(const BertConfig& c, WeightStore& w, const std::string& p, quant::QuantPlan& plan)
    : attention_(c, w, p + "attention.", plan),
      crossattention_(c.is_decoder && c.add_cross_attention
                          ? std::optional<BertAttention>(std::in_place, c, w, p + "crossattention.", plan)
                          : std::nullopt),
      intermediate_(layers::load_quant_linear(w, p + "intermediate.dense", c.intermediate_size, c.hidden_size, plan)),
      output_(layers::load_quant_linear(w, p + "output.dense", c.hidden_size, c.intermediate_size, plan)),
      local_(&plan.add(p + "output.add_local_input_quantizer", quant::input_desc())),
      residual_(&plan.add(p + "output.add_residual_input_quantizer", quant::input_desc())),
      ln_w_(w.take(p + "output.LayerNorm.weight", {c.hidden_size})),
      ln_b_(w.take(p + "output.LayerNorm.bias", {c.hidden_size})),
      act_(c.act()),
      eps_(c.layer_norm_eps) {}

void BertLayer::prepare() {
  attention_.prepare();
  if (crossattention_) crossattention_->prepare();
  intermediate_.prepare();
  output_.prepare();
  // The activation is fused; output.dense's input quantizer then sees its result, so with both
  // Linears int8 the intermediate writes that quantizer's codes (its output scale chained in).
  int8_ffn_ = intermediate_.int8_ready() && output_.int8_ready();
  plan_residual_points(*local_, *residual_);
}

Tensor BertLayer::forward(Tensor& x, const float* mask_add, int64_t B, int64_t T, const float* head_mask,
                          Tensor* probs_out) {
  Attend self;
  self.mask_add = mask_add;
  self.head_mask = head_mask;
  self.probs_out = probs_out;
  return forward(x, B, T, self, nullptr);
}

Tensor BertLayer::forward(Tensor& x, int64_t B, int64_t Tq, const Attend& self, const Attend* cross) {
  Tensor a = attention_.forward(x, B, Tq, self);
  if (crossattention_) {
    check(cross != nullptr && cross->kv != nullptr, "QDQBERT decoder: cross-attention without encoder states");
    Tensor c = crossattention_->forward(a, B, Tq, *cross);
    a = c;
  }
  Tensor out;
  {
    Tensor inter = int8_ffn_ ? intermediate_.forward_requantized(a, act_, output_.input_quantizer())
                             : intermediate_.forward(a, act_);
    out = output_.forward(inter);
  }
  residual_add_norm(*local_, out, *residual_, a, ln_w_, ln_b_, eps_);
  return out;
}

}  // namespace qdq::models::bert
