#pragma once
// ProphetNetEncoder: word + learned position embeddings (positions 1..L, no
// mask: right padding only), LayerNorm, then post-LN layers of self-attention
// and feed-forward.
#include <string>
#include <vector>

#include "models/prophetnet/attention.h"
#include "models/prophetnet/config.h"
#include "models/prophetnet/feed_forward.h"
#include "models/forward_outputs.h"

namespace qdq::models::prophetnet {

class Encoder {
 public:
  // module: "prophetnet.encoder"; word_embeddings: the shared [V, H] table.
  Encoder(const std::string& module, WeightStore& ws, const Config& c, Tensor word_embeddings,
          quant::QuantPlan& plan);
  // ids [B*L]; mask [B*L] or empty. Returns [B, L, H]. head_mask: [layers * heads] (see
  // layer_head_masks) or empty; `out` collects encoder_hidden_states.K / encoder_attentions.K.
  Tensor forward(const std::vector<int64_t>& ids, int64_t B, int64_t L, const std::vector<int64_t>& mask,
                 const std::vector<float>& head_mask = {}, ForwardCollector* out = nullptr);
  // The same from inputs_embeds [B, L, H] (F32) in place of the ids' word embeddings.
  Tensor forward_embedded(Tensor embeds, const std::vector<int64_t>& mask, const std::vector<float>& head_mask = {},
                          ForwardCollector* out = nullptr);
  void prepare();

 private:
  struct Layer {
    Attention attn;
    Norm attn_norm;
    FeedForward ffn;
    Norm ffn_norm;
  };
  Config c_;
  Tensor word_, pos_;
  Norm emb_norm_;
  std::vector<Layer> layers_;
};

}  // namespace qdq::models::prophetnet
