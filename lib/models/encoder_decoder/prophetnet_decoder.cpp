// EncoderDecoderModel's ProphetNet decoder: logits from predicting stream 0,
// the main and n-gram hidden states as the decoder returns them.
#include "models/encoder_decoder/seq2seq_decoder.h"
#include "models/prophetnet/gen_state.h"
#include "models/prophetnet/lm_decoder.h"
#include "models/prophetnet/prophetnet_model.h"

namespace qdq::models::encoder_decoder {

namespace {

class ProphetNetDecoder : public Seq2SeqDecoder {
 public:
  ProphetNetDecoder(const nlohmann::json& j, const std::string& where, WeightStore& ws, quant::QuantPlan& plan)
      : c_(prophetnet::parse_config(j, where)) {
    check(c_.add_cross_attention, "{}: the decoder has no cross-attention (add_cross_attention)", where);
    Tensor word = prophetnet::take_word_embeddings(ws, "decoder.prophetnet.", c_);
    Tensor head = prophetnet::take_head_weight(ws, "decoder.lm_head", c_, word);
    lm_ = prophetnet::LmDecoder("decoder.prophetnet.decoder", "decoder.lm_head", ws, c_, word, head, plan);
  }
  int64_t vocab_size() const override { return c_.vocab_size; }
  int64_t hidden_size() const override { return c_.hidden_size; }
  int64_t max_decoder_tokens() const override { return c_.max_position_embeddings - c_.pad_token_id - 2; }
  int64_t default_decoder_start() const override { return c_.decoder_start_token_id; }
  int64_t default_pad() const override { return c_.pad_token_id; }
  void forward(const std::vector<int64_t>& dec, int64_t B, int64_t T, const std::vector<int64_t>& dec_mask,
               const Tensor& enc, const std::vector<int64_t>& enc_mask, TensorMap& out) override {
    auto o = lm_.decoder().forward(dec, B, T, dec_mask, enc, enc_mask, mode_);
    Tensor pl = lm_.predict_logits(o.ngram, T);
    TensorMap streams;
    prophetnet::add_logits(streams, pl);
    out.add("logits", streams.at("logits"));
    // Not in Seq2SeqLMOutput; what m.decoder(...) / its base decoder return, for validation.
    if (streams.has("logits_ngram")) out.add("decoder_logits_ngram", streams.at("logits_ngram"));
    out.add("decoder_last_hidden_state", o.main);
    out.add("decoder_last_hidden_state_ngram", o.ngram);
  }
  std::unique_ptr<DecoderState> start(int64_t rows, int64_t capacity, const Tensor& enc,
                                      const std::vector<int64_t>& enc_mask) override {
    auto st = std::make_unique<prophetnet::GenState>();
    st->rows = rows;
    st->cache = lm_.decoder().new_cache(rows, capacity, enc, enc_mask);
    return st;
  }
  Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) override {
    return lm_.step(state_as<prophetnet::GenState>(st), tokens);
  }
  bool can_extend() const override { return true; }
  bool has_stream_drafts() const override { return c_.ngram >= 2; }
  Generative::Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts) override {
    return lm_.extend(state_as<prophetnet::GenState>(st), tokens, n, drafts);
  }
  void prepare() override { lm_.prepare(); }
  void set_ngram_relpos(prophetnet::RelPosMode m) override { mode_ = m; }
  bool has_ngram_streams() const override { return true; }

 private:
  prophetnet::Config c_;
  prophetnet::LmDecoder lm_;
  prophetnet::RelPosMode mode_ = prophetnet::RelPosMode::HuggingFace;
};

}  // namespace

std::unique_ptr<Seq2SeqDecoder> make_prophetnet_decoder(const nlohmann::json& j, const std::string& where,
                                                        WeightStore& ws, quant::QuantPlan& plan) {
  return std::make_unique<ProphetNetDecoder>(j, where, ws, plan);
}

}  // namespace qdq::models::encoder_decoder
