#pragma once
// A QDQBERT decoder with its LM head (QDQBertLMHeadModel's bert + cls): what
// the causal LM and an EncoderDecoderModel's QDQBERT decoder share (full
// forward, logits, cached generation steps). The head (cls.predictions) is
// plain nn.Linear in QDQBERT: not quantized.
#include <memory>
#include <string>

#include "models/bert/bert_model.h"
#include "models/bert/heads.h"

namespace qdq::models::bert {

class BertLmDecoder {
 public:
  // prefix: "" (QDQBertLMHeadModel) or "decoder." (EncoderDecoderModel): modules are
  // <prefix>bert.* and <prefix>cls.predictions.*.
  BertLmDecoder(const BertConfig& c, WeightStore& w, const std::string& prefix, quant::QuantPlan& plan);

  BertModel& bert() { return *bert_; }
  const BertConfig& config() const { return bert_->config(); }
  // hidden [B, T, H] -> logits [B, T, V].
  Tensor logits(const Tensor& hidden) const;
  // Full forward over ids [B, T] (mask / token types [B, T] or undefined) attending to enc [B, S, H]
  // (undefined without cross-attention; enc_mask [B*S] or empty). Returns the hidden states.
  Tensor forward(const Tensor& ids, const Tensor& mask, const Tensor& token_type_ids, const Tensor& enc,
                 const std::vector<int64_t>& enc_mask);

  // Generation: a state for `rows` rows (enc [rows, S, H] when cross-attending), the first pass over
  // `len` tokens per row ([rows*len], unpadded) and single-token steps. Both return the next-token
  // logits [rows, V]. Hugging Face's generate passes no token_type_ids to the decoder (zeros).
  std::unique_ptr<BertDecoderState> start(int64_t rows, int64_t capacity, const Tensor& enc, int64_t S,
                                          const std::vector<int64_t>& enc_mask);
  Tensor prefill(BertDecoderState& st, const std::vector<int64_t>& seqs, int64_t len);
  Tensor step(BertDecoderState& st, const std::vector<int64_t>& tokens) { return prefill(st, tokens, 1); }
  // Speculative verification: n tokens per row after the cache, logits at each [rows, n, V] (the
  // cached forward over several tokens, as prefill runs it).
  Tensor extend(BertDecoderState& st, const std::vector<int64_t>& tokens, int64_t n);
  void prepare() { bert_->prepare(); }

 private:
  std::unique_ptr<BertModel> bert_;
  std::unique_ptr<MaskedLMHead> head_;
};

// CrossEntropyLoss() over logits [B, T, V] against labels [B*T] (mean over labels != -100), after
// QDQBertLMHeadModel's shift when `shift` (position t predicts label t+1).
float lm_cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels, bool shift);

}  // namespace qdq::models::bert
