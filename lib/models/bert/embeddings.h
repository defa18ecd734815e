#pragma once
// BertEmbeddings: word + absolute position (0..T-1) + token type, then LayerNorm.
// Not quantized in QDQBERT.
#include <string>

#include "io/checkpoint.h"
#include "models/bert/config.h"

namespace qdq::models::bert {

class BertEmbeddings {
 public:
  BertEmbeddings() = default;
  BertEmbeddings(const BertConfig& c, WeightStore& w, const std::string& prefix);  // prefix "bert.embeddings."
  // ids, token_type (may be null: zeros) [B*T] -> [B*T, hidden]. Ids must be validated by the caller.
  // Positions are past .. past+T-1 (a decoder continuing after `past` cached tokens), or
  // `positions` [B*T] (Hugging Face's position_ids, validated by the caller). With `embeds`
  // (inputs_embeds [B*T, hidden]) ids is ignored: they stand in for the word embeddings.
  Tensor forward(const int64_t* ids, const int64_t* token_type, int64_t B, int64_t T, int64_t past = 0,
                 const int64_t* positions = nullptr, const float* embeds = nullptr) const;
  const Tensor& word_embeddings() const { return word_; }

 private:
  Tensor word_, pos_, type_, ln_w_, ln_b_;
  int64_t hidden_ = 0;
  float eps_ = 0;
};

}  // namespace qdq::models::bert
