#include "models/bert/lm_decoder.h"

#include "models/prophetnet/lm_loss.h"

namespace qdq::models::bert {

BertLmDecoder::BertLmDecoder(const BertConfig& c, WeightStore& w, const std::string& prefix,
                             quant::QuantPlan& plan) {
  check(c.is_decoder, "QDQBERT LM head model: config.is_decoder is false (Hugging Face warns and runs it as an "
                      "encoder; set is_decoder: true)");
  bert_ = std::make_unique<BertModel>(c, w, prefix + "bert.", plan, Pooler::Optional);
  head_ = std::make_unique<MaskedLMHead>(c, w, bert_->embeddings().word_embeddings(), prefix + "cls.predictions.");
}

Tensor BertLmDecoder::logits(const Tensor& hidden) const {
  const int64_t B = hidden.dim(0), T = hidden.dim(1), H = hidden.dim(2);
  return head_->forward(hidden.reshape({B * T, H})).reshape({B, T, -1});
}

Tensor BertLmDecoder::forward(const Tensor& ids, const Tensor& mask, const Tensor& tt, const Tensor& enc,
                              const std::vector<int64_t>& enc_mask) {
  validate_inputs(config(), ids, mask, tt);
  const int64_t B = ids.dim(0), T = ids.dim(1);
  const int64_t S = enc.defined() ? enc.dim(1) : 0;
  // One code path with generation: a state sized to this call (the KV copy is negligible).
  BertDecoderState st = bert_->new_decoder_state(B, T, enc, S, enc_mask);
  std::vector<int64_t> m = mask.defined() ? mask.to_i64_vector() : std::vector<int64_t>();
  return bert_->forward_decoder(ids.data<int64_t>(), tt.defined() ? tt.data<int64_t>() : nullptr, B, T, m, st);
}

std::unique_ptr<BertDecoderState> BertLmDecoder::start(int64_t rows, int64_t capacity, const Tensor& enc, int64_t S,
                                                       const std::vector<int64_t>& enc_mask) {
  return std::make_unique<BertDecoderState>(bert_->new_decoder_state(rows, capacity, enc, S, enc_mask));
}

Tensor BertLmDecoder::prefill(BertDecoderState& st, const std::vector<int64_t>& seqs, int64_t len) {
  const int64_t rows = st.rows, H = config().hidden_size;
  check(static_cast<int64_t>(seqs.size()) == rows * len, "QDQBERT decoder: {} ids for {} rows of {}", seqs.size(),
        rows, len);
  // generate's attention mask: all ones over past + new (unpadded prompts).
  Tensor h = bert_->forward_decoder(seqs.data(), nullptr, rows, len, {}, st);
  Tensor last(DType::F32, {rows, 1, H});
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(h.data<float>() + (r * len + len - 1) * H, H, last.data<float>() + r * H);
  return logits(last).reshape({rows, -1});
}

Tensor BertLmDecoder::extend(BertDecoderState& st, const std::vector<int64_t>& tokens, int64_t n) {
  check(static_cast<int64_t>(tokens.size()) == st.rows * n, "QDQBERT decoder: {} ids for {} rows of {}",
        tokens.size(), st.rows, n);
  return logits(bert_->forward_decoder(tokens.data(), nullptr, st.rows, n, {}, st));
}

float lm_cross_entropy(const Tensor& logits, const std::vector<int64_t>& labels, bool shift) {
  const int64_t B = logits.dim(0), T = logits.dim(1), V = logits.dim(2);
  check(static_cast<int64_t>(labels.size()) == B * T, "input 'labels' has {} values, logits are [{}, {}]",
        labels.size(), B, T);
  if (!shift || T < 1) return prophetnet::cross_entropy(logits, labels);
  // logits[:, :-1] against labels[:, 1:].
  Tensor l(DType::F32, {B, T - 1, V});
  std::vector<int64_t> y;
  for (int64_t b = 0; b < B; ++b) {
    std::copy_n(logits.data<float>() + b * T * V, (T - 1) * V, l.data<float>() + b * (T - 1) * V);
    y.insert(y.end(), labels.begin() + b * T + 1, labels.begin() + (b + 1) * T);
  }
  return prophetnet::cross_entropy(l, y);
}

}  // namespace qdq::models::bert
