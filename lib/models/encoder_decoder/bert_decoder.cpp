// EncoderDecoderModel's QDQBERT / BERT decoder (QDQBertLMHeadModel with
// cross-attention, as from_encoder_decoder_pretrained builds it): modules
// decoder.bert.* (cross-attention quantizers decoder.bert.encoder.layer.N.crossattention.*)
// and decoder.cls.predictions.*.
#include "models/bert/lm_decoder.h"
#include "models/encoder_decoder/seq2seq_decoder.h"

namespace qdq::models::encoder_decoder {

namespace {

class BertDecoder : public Seq2SeqDecoder {
 public:
  BertDecoder(const nlohmann::json& j, const std::string& where, WeightStore& ws, quant::QuantPlan& plan) {
    bert::BertConfig c = bert::parse_bert_config(j, where);
    // from_encoder_decoder_pretrained sets both; a decoder without them would not see the encoder.
    check(c.is_decoder && c.add_cross_attention, "{}: the decoder needs is_decoder and add_cross_attention", where);
    lm_ = std::make_unique<bert::BertLmDecoder>(c, ws, "decoder.", plan);
    ws.ignore_prefix("decoder.cls.seq_relationship.");
    for (const char* key : {"decoder_start_token_id", "bos_token_id"})
      if (start_ < 0 && j.contains(key) && j[key].is_number_integer()) start_ = j[key].get<int64_t>();
  }
  int64_t vocab_size() const override { return lm_->config().vocab_size; }
  int64_t hidden_size() const override { return lm_->config().hidden_size; }
  int64_t max_decoder_tokens() const override { return lm_->config().max_position_embeddings; }
  int64_t default_decoder_start() const override { return start_; }
  int64_t default_pad() const override { return lm_->config().pad_token_id; }
  void forward(const std::vector<int64_t>& dec, int64_t B, int64_t T, const std::vector<int64_t>& dec_mask,
               const Tensor& enc, const std::vector<int64_t>& enc_mask, TensorMap& out) override {
    Tensor ids = Tensor::from_vector(dec, {B, T});
    Tensor mask = dec_mask.empty() ? Tensor() : Tensor::from_vector(dec_mask, {B, T});
    Tensor h = lm_->forward(ids, mask, Tensor(), enc, enc_mask);
    out.add("logits", lm_->logits(h));
    // Not in Seq2SeqLMOutput: m.decoder.bert(...).last_hidden_state, for validation.
    out.add("decoder_last_hidden_state", h);
  }
  std::unique_ptr<DecoderState> start(int64_t rows, int64_t capacity, const Tensor& enc,
                                      const std::vector<int64_t>& enc_mask) override {
    return lm_->start(rows, capacity, enc, enc.dim(1), enc_mask);
  }
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override {
    return lm_->step(state_as<bert::BertDecoderState>(st), tokens);
  }
  bool can_extend() const override { return true; }
  bool rows_can_diverge() const override { return false; }
  Generative::Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    check(!drafts, "QDQBERT decoder: no n-gram streams to draft from");
    return {lm_->extend(state_as<bert::BertDecoderState>(st), tokens, n), Tensor()};
  }
  void prepare() override { lm_->prepare(); }
  bert::BertLmDecoder* bert_lm() override { return lm_.get(); }

 private:
  std::unique_ptr<bert::BertLmDecoder> lm_;
  int64_t start_ = -1;
};

}  // namespace

std::unique_ptr<Seq2SeqDecoder> make_bert_decoder(const nlohmann::json& j, const std::string& where, WeightStore& ws,
                                                  quant::QuantPlan& plan) {
  return std::make_unique<BertDecoder>(j, where, ws, plan);
}

}  // namespace qdq::models::encoder_decoder
