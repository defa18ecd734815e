#include "models/prophetnet/encoder.h"

#include "kernels/ops.h"
#include "models/prophetnet/tensor_util.h"

namespace qdq::models::prophetnet {

Encoder::Encoder(const std::string& m, WeightStore& ws, const Config& c, Tensor word_embeddings,
                 quant::QuantPlan& plan)
    : c_(c), word_(std::move(word_embeddings)) {
  pos_ = ws.take(m + ".position_embeddings.weight", {c.max_position_embeddings, c.hidden_size});
  emb_norm_ = Norm::load(m + ".embeddings_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
  auto act = kernels::activation_from_name(c.activation);
  for (int64_t i = 0; i < c.num_encoder_layers; ++i) {
    std::string p = m + ".layers." + std::to_string(i);
    Layer l;
    l.attn = Attention(p + ".self_attn", ws, c.hidden_size, c.num_encoder_heads, plan);
    l.attn_norm = Norm::load(p + ".self_attn_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
    l.ffn = FeedForward(p + ".feed_forward", ws, c.hidden_size, c.encoder_ffn_dim, act, plan);
    l.ffn_norm = Norm::load(p + ".feed_forward_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
    layers_.push_back(std::move(l));
  }
}

void Encoder::prepare() {
  for (auto& l : layers_) {
    l.attn.prepare();
    l.ffn.prepare();
  }
}

Tensor Encoder::forward(const std::vector<int64_t>& ids, int64_t B, int64_t L, const std::vector<int64_t>& mask,
                        const std::vector<float>& head_mask, ForwardCollector* out) {
  check(L >= 1, "ProphetNet encoder: empty input");
  return forward_embedded(embedding(word_, ids, {B, L}, "input_ids"), mask, head_mask, out);
}

Tensor Encoder::forward_embedded(Tensor x, const std::vector<int64_t>& mask, const std::vector<float>& head_mask,
                                 ForwardCollector* out) {
  const int64_t B = x.dim(0), L = x.dim(1);
  check(L >= 1, "ProphetNet encoder: empty input");
  check(L < c_.max_position_embeddings, "ProphetNet encoder: {} tokens, the position table allows at most {}", L,
        c_.max_position_embeddings - 1);
  std::vector<int64_t> pos_ids(B * L);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < L; ++t) pos_ids[b * L + t] = c_.pad_token_id + t + 1;
  kernels::add(x, embedding(pos_, pos_ids, {B, L}, "encoder positions"));
  emb_norm_.apply(x);
  std::vector<float> key_add = mask.empty() ? std::vector<float>{} : additive_key_mask(mask);
  const int64_t heads = c_.num_encoder_heads;
  const Shape hs{B, L, c_.hidden_size};
  if (out) out->hidden("encoder_hidden_states", x, hs);
  for (size_t li = 0; li < layers_.size(); ++li) {
    auto& l = layers_[li];
    auto kv = l.attn.project_kv(x);
    Tensor weights;
    Tensor a = l.attn.forward(x, kv, key_add, head_mask_row(head_mask, static_cast<int64_t>(li), heads),
                              out && out->attentions() ? &weights : nullptr);
    if (weights.defined()) out->attention("encoder_attentions", weights);
    l.attn_norm.add_norm(a, x);
    x = a;
    Tensor f = l.ffn.forward(x);
    l.ffn_norm.add_norm(f, x);
    x = f;
    if (out) out->hidden("encoder_hidden_states", x, hs);
  }
  return x;
}

}  // namespace qdq::models::prophetnet
