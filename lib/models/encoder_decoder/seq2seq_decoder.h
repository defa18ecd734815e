#pragma once
// The decoder half of an EncoderDecoderModel, whichever family it is
// (config.decoder.model_type): ProphetNet (ProphetNetForCausalLM with
// cross-attention) or QDQBERT / BERT (QDQBertLMHeadModel with
// add_cross_attention). EncoderDecoderModel owns the encoder, the optional
// enc_to_dec_proj, the loss and the generation bookkeeping; this does the rest.
#include <memory>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "models/generative.h"
#include "models/prophetnet/ngram_attention.h"
#include "quant/tensor_quantizer.h"

namespace qdq::models::bert {
class BertLmDecoder;
}

namespace qdq::models::encoder_decoder {

class Seq2SeqDecoder {
 public:
  virtual ~Seq2SeqDecoder() = default;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t hidden_size() const = 0;
  virtual int64_t max_decoder_tokens() const = 0;
  // The decoder config's ids, used when the top-level config has none.
  virtual int64_t default_decoder_start() const = 0;
  virtual int64_t default_pad() const = 0;
  // Teacher-forced forward: dec ids [B*T] (mask [B*T] or empty) attending to enc [B, S, H] (mask
  // [B*S] or empty). Adds `logits` [B, T, V] and the decoder's hidden states (names as the HF
  // decoder returns them, prefixed decoder_) to out.
  virtual void forward(const std::vector<int64_t>& dec, int64_t B, int64_t T, const std::vector<int64_t>& dec_mask,
                       const Tensor& enc, const std::vector<int64_t>& enc_mask, TensorMap& out) = 0;
  // Generation: rows = B * expand (enc and enc_mask already repeated), one token per step.
  virtual std::unique_ptr<DecoderState> start(int64_t rows, int64_t capacity, const Tensor& enc,
                                              const std::vector<int64_t>& enc_mask) = 0;
  virtual Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) = 0;
  // Speculative decoding (models::Generative::extend); decoders without it keep the defaults.
  virtual bool can_extend() const { return false; }
  virtual bool has_stream_drafts() const { return false; }
  virtual bool rows_can_diverge() const { return true; }
  virtual Generative::Extended extend(DecoderState&, const std::vector<int64_t>&, int64_t, bool) {
    throw Error("generate: this decoder has no multi-token cached forward (no speculative decoding)");
  }
  virtual void prepare() = 0;
  // ProphetNet only; others ignore it.
  virtual void set_ngram_relpos(prophetnet::RelPosMode) {}
  virtual bool has_ngram_streams() const { return false; }
  // The QDQBERT decoder itself (validation of its cache), or null.
  virtual bert::BertLmDecoder* bert_lm() { return nullptr; }
};

// config: the `decoder` object of config.json. Modules and weights under "decoder.".
std::unique_ptr<Seq2SeqDecoder> make_prophetnet_decoder(const nlohmann::json& config, const std::string& where,
                                                        WeightStore& ws, quant::QuantPlan& plan);
std::unique_ptr<Seq2SeqDecoder> make_bert_decoder(const nlohmann::json& config, const std::string& where,
                                                  WeightStore& ws, quant::QuantPlan& plan);

}  // namespace qdq::models::encoder_decoder
