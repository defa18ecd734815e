#pragma once
// QDQBertLMHeadModel / BertLMHeadModel (config is_decoder): a causal LM.
// forward: inputs input_ids (+ attention_mask, token_type_ids, labels);
// outputs logits [B, T, V], last_hidden_state, and with labels the loss after
// Hugging Face's internal shift. Generates as a causal LM (models::Generative).
#include <memory>

#include "models/bert/lm_decoder.h"
#include "models/generative.h"
#include "models/model.h"

namespace qdq::models::bert {

class LMHeadModel : public Model, public Generative {
 public:
  LMHeadModel(const Checkpoint& ckpt, const std::string& arch);
  std::string arch() const override { return arch_; }
  std::string family() const override { return "bert"; }
  TensorMap forward(const TensorMap& inputs) override;
  void prepare() override { lm_->prepare(); }
  BertLmDecoder& decoder() { return *lm_; }

  bool is_encoder_decoder() const override { return false; }
  int64_t vocab_size() const override { return lm_->config().vocab_size; }
  int64_t max_decoder_tokens() const override { return lm_->config().max_position_embeddings; }
  const nlohmann::json& generation_defaults() const override { return gen_; }
  std::unique_ptr<DecoderState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                      const std::vector<int64_t>& src_mask, int64_t expand,
                                      int64_t capacity) override;
  Tensor prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) override;
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override;
  bool can_extend() const override { return true; }
  bool rows_can_diverge() const override { return false; }
  Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    check(!drafts, "QDQBERT decoder: no n-gram streams to draft from");
    return {lm_->extend(state_as<BertDecoderState>(st), tokens, n), Tensor()};
  }

 private:
  std::string arch_;
  nlohmann::json gen_;
  std::unique_ptr<BertLmDecoder> lm_;
};

// "QDQBertLMHeadModel" / "BertLMHeadModel".
bool is_lm_head_arch(const std::string& arch);

}  // namespace qdq::models::bert
