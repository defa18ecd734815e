#pragma once
// ProphetNetForConditionalGeneration and ProphetNetForCausalLM as models::Model
// (forward with Hugging Face's output names) and models::Generative.
#include <memory>

#include "models/model.h"
#include "models/prophetnet/encoder.h"
#include "models/prophetnet/gen_state.h"
#include "models/prophetnet/lm_decoder.h"

namespace qdq::models::prophetnet {

class ForConditionalGeneration : public Model, public Generative, public NgramRelPosOption {
 public:
  explicit ForConditionalGeneration(const Checkpoint& ckpt);
  std::string arch() const override { return "ProphetNetForConditionalGeneration"; }
  std::string family() const override { return "prophetnet"; }
  // Inputs input_ids (or inputs_embeds [B, S, hidden]), attention_mask, decoder_input_ids (or
  // decoder_inputs_embeds, or labels), decoder_attention_mask, labels, head_mask, decoder_head_mask,
  // cross_attn_head_mask ([heads] or [layers, heads]). Note: transformers
  // 4.37.2 applies the encoder and cross-attention head masks only together with output_attentions
  // (without, it fails on them); qdqrt applies every head mask always.
  TensorMap forward(const TensorMap& inputs) override { return forward(inputs, ForwardRequest{}); }
  // With `req`: encoder_hidden_states.K, encoder_attentions.K, decoder_hidden_states.K,
  // decoder_ngram_hidden_states.K, decoder_attentions.K, decoder_ngram_attentions.K,
  // cross_attentions.K, as transformers names and shapes them (its ProphetNetAttention returns the
  // scores before the softmax as encoder_attentions / cross_attentions).
  TensorMap forward(const TensorMap& inputs, const ForwardRequest& req) override;
  void prepare() override;

  bool is_encoder_decoder() const override { return true; }
  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t max_decoder_tokens() const override { return c_.max_position_embeddings - c_.pad_token_id - 2; }
  const nlohmann::json& generation_defaults() const override { return gen_; }
  std::unique_ptr<DecoderState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                  const std::vector<int64_t>& src_mask, int64_t expand, int64_t capacity) override;
  Tensor prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) override;
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override;
  void set_ngram_relpos(RelPosMode m) override { mode_ = m; }
  bool can_extend() const override { return true; }
  bool has_stream_drafts() const override { return c_.ngram >= 2; }
  Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    return lm_.extend(state_as<GenState>(st), tokens, n, drafts);
  }

 private:
  Config c_;
  nlohmann::json gen_;
  std::unique_ptr<Encoder> enc_;
  LmDecoder lm_;
  RelPosMode mode_ = RelPosMode::HuggingFace;
};

class ForCausalLM : public Model, public Generative, public NgramRelPosOption {
 public:
  explicit ForCausalLM(const Checkpoint& ckpt);
  std::string arch() const override { return "ProphetNetForCausalLM"; }
  std::string family() const override { return "prophetnet"; }
  // Inputs input_ids (or inputs_embeds [B, T, hidden]), attention_mask, labels, head_mask ([heads] or
  // [layers, heads]).
  TensorMap forward(const TensorMap& inputs) override { return forward(inputs, ForwardRequest{}); }
  // With `req`: hidden_states.K, hidden_states_ngram.K, attentions.K, ngram_attentions.K.
  TensorMap forward(const TensorMap& inputs, const ForwardRequest& req) override;
  void prepare() override { lm_.prepare(); }

  bool is_encoder_decoder() const override { return false; }
  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t max_decoder_tokens() const override { return c_.max_position_embeddings - c_.pad_token_id - 2; }
  const nlohmann::json& generation_defaults() const override { return gen_; }
  std::unique_ptr<DecoderState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                  const std::vector<int64_t>& src_mask, int64_t expand, int64_t capacity) override;
  Tensor prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) override;
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override {
    return lm_.step(state_as<GenState>(st), tokens);
  }
  void set_ngram_relpos(RelPosMode m) override { mode_ = m; }
  bool can_extend() const override { return true; }
  bool has_stream_drafts() const override { return c_.ngram >= 2; }
  Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    return lm_.extend(state_as<GenState>(st), tokens, n, drafts);
  }

 private:
  Config c_;
  nlohmann::json gen_;
  LmDecoder lm_;
  RelPosMode mode_ = RelPosMode::HuggingFace;
};

// Stream 0 of predict logits [B, NG, T, V] as `logits` [B, T, V], streams 1.. as `logits_ngram`.
void add_logits(TensorMap& out, const Tensor& predict_logits);
// Repeats each of B rows `expand` times (repeat_interleave along dim 0).
Tensor repeat_rows(const Tensor& x, int64_t expand);
std::vector<int64_t> repeat_rows(const std::vector<int64_t>& v, int64_t B, int64_t expand);

}  // namespace qdq::models::prophetnet
