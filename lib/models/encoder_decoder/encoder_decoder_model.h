#pragma once
// transformers' EncoderDecoderModel with a BERT encoder (encoder.*) and a
// decoder with cross-attention (decoder.*), as from_encoder_decoder_pretrained
// builds it: ProphetNetForCausalLM or QDQBertLMHeadModel / BertLMHeadModel,
// chosen by the decoder config's model_type. Its loss is plain cross-entropy
// over `logits` (labels not shifted again; no n-gram streams, no label
// smoothing); enc_to_dec_proj maps the encoder output when the hidden sizes differ.
#include <memory>
#include <optional>

#include "layers/quant_linear.h"
#include "models/bert/bert_model.h"
#include "models/model.h"
#include "models/encoder_decoder/seq2seq_decoder.h"
#include "models/prophetnet/gen_state.h"

namespace qdq::models::encoder_decoder {

class EncoderDecoderModel : public Model, public Generative, public prophetnet::NgramRelPosOption {
 public:
  explicit EncoderDecoderModel(const Checkpoint& ckpt);
  std::string arch() const override { return "EncoderDecoderModel"; }
  std::string family() const override { return "encoder-decoder"; }
  TensorMap forward(const TensorMap& inputs) override;
  void prepare() override;

  bool is_encoder_decoder() const override { return true; }
  int64_t vocab_size() const override { return dec_->vocab_size(); }
  int64_t max_decoder_tokens() const override { return dec_->max_decoder_tokens(); }
  const nlohmann::json& generation_defaults() const override { return gen_; }
  std::unique_ptr<DecoderState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                  const std::vector<int64_t>& src_mask, int64_t expand, int64_t capacity) override;
  Tensor prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) override;
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override;
  bool can_extend() const override { return dec_->can_extend(); }
  bool has_stream_drafts() const override { return dec_->has_stream_drafts(); }
  bool rows_can_diverge() const override { return dec_->rows_can_diverge(); }
  Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    return dec_->extend(st, tokens, n, drafts);
  }
  void set_ngram_relpos(prophetnet::RelPosMode m) override { dec_->set_ngram_relpos(m); }
  bool has_ngram_decoder() const override { return dec_->has_ngram_streams(); }
  Seq2SeqDecoder& decoder() { return *dec_; }

 private:
  // BERT output, then enc_to_dec_proj when present: what the decoder cross-attends to.
  Tensor encode(const std::vector<int64_t>& src, int64_t B, int64_t L, const std::vector<int64_t>& mask,
                const Tensor& token_type_ids, Tensor* encoder_last_hidden_state);

  int64_t decoder_start_ = 0, pad_ = 0;
  nlohmann::json gen_;
  std::unique_ptr<bert::BertModel> enc_;
  std::optional<layers::QuantLinear> proj_;
  std::unique_ptr<Seq2SeqDecoder> dec_;
};

}  // namespace qdq::models::encoder_decoder
