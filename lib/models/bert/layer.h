#pragma once
// QDQBertLayer: attention, cross-attention to an encoder output (decoders
// with add_cross_attention), then the feed-forward (intermediate dense + act,
// output dense) with its quantized residual add + LayerNorm.
#include <optional>

#include "models/bert/attention.h"

namespace qdq::models::bert {

class BertLayer {
 public:
  // prefix: "bert.encoder.layer.N."
  BertLayer(const BertConfig& c, WeightStore& w, const std::string& prefix, quant::QuantPlan& plan);
  // x [B*T, hidden] is consumed (quantized in place as a residual). head_mask [heads] or null;
  // probs_out: the attention probabilities (output_attentions), or null (see Attend).
  Tensor forward(Tensor& x, const float* mask_add, int64_t B, int64_t T, const float* head_mask = nullptr,
                 Tensor* probs_out = nullptr);
  // Decoder: self-attention as `self` says, then cross-attention as `cross` says (required when the
  // layer has cross-attention, ignored otherwise).
  Tensor forward(Tensor& x, int64_t B, int64_t Tq, const Attend& self, const Attend* cross);
  void prepare();
  BertAttention& attention() { return attention_; }
  BertAttention* crossattention() { return crossattention_ ? &*crossattention_ : nullptr; }

 private:
  // Initialised in this order = named_modules() order of the quantizers.
  BertAttention attention_;
  std::optional<BertAttention> crossattention_;
  layers::QuantLinear intermediate_, output_;
  quant::TensorQuantizer *local_ = nullptr, *residual_ = nullptr;
  Tensor ln_w_, ln_b_;
  kernels::Activation act_ = kernels::Activation::GeluErf;
  float eps_ = 0;
  bool int8_ffn_ = false;  // resolved by prepare()
};

}  // namespace qdq::models::bert
