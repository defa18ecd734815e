#pragma once
// ProphetNetAttention: the encoder's self-attention and the decoder's
// cross-attention (no relative positions). Keys/values are projected apart from
// the queries so the decoder can keep the cross-attention ones for a whole
// generation.
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "layers/quant_linear.h"

namespace qdq::models::prophetnet {

class Attention {
 public:
  struct KV {
    Tensor k, v;  // [B*heads, S, d]
  };
  Attention() = default;
  // `module`: HF module path, e.g. "prophetnet.encoder.layers.0.self_attn" (weights and quant names).
  Attention(const std::string& module, WeightStore& ws, int64_t hidden, int64_t heads, quant::QuantPlan& plan);

  KV project_kv(const Tensor& states);
  // x [B, T, H]; key_add [B, S] additive key mask ((1 - mask) * finfo.min) or empty. head_mask:
  // [heads] factors on the probabilities, or null. weights_out (output_attentions), or null: set to
  // what transformers 4.37.2's ProphetNetAttention returns as its attention weights, [B, heads, T, S]:
  // the scores before the softmax (key mask added), times the head mask.
  Tensor forward(const Tensor& x, const KV& kv, const std::vector<float>& key_add, const float* head_mask = nullptr,
                 Tensor* weights_out = nullptr);
  void prepare();

 private:
  int64_t hidden_ = 0, heads_ = 0;
  layers::QuantLinear q_, k_, v_, o_;
};

// (1 - mask) * finfo(float32).min per key, as transformers builds it; empty mask -> empty.
std::vector<float> additive_key_mask(const std::vector<int64_t>& mask);

}  // namespace qdq::models::prophetnet
