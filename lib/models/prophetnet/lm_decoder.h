#pragma once
// A ProphetNet decoder with its tied LM head: what ForConditionalGeneration,
// ForCausalLM and EncoderDecoderModel's decoder share (logits from the
// predicting streams, cached generation steps).
#include <string>

#include "models/prophetnet/decoder.h"
#include "models/prophetnet/gen_state.h"

namespace qdq::models::prophetnet {

class LmDecoder {
 public:
  LmDecoder() = default;
  // decoder_module: "prophetnet.decoder"; head_module: "lm_head" (quant names).
  LmDecoder(const std::string& decoder_module, const std::string& head_module, WeightStore& ws, const Config& c,
            Tensor word_embeddings, Tensor head_weight, quant::QuantPlan& plan);

  Decoder& decoder() { return dec_; }
  // lm_head over the predicting streams: [B, ngram*T, H] -> [B, ngram, T, V].
  Tensor predict_logits(const Tensor& ngram_hidden, int64_t T);
  Tensor prefill(GenState& st, const std::vector<int64_t>& seqs, int64_t len, const Tensor& enc,
                 const std::vector<int64_t>& enc_mask, RelPosMode mode);
  Tensor step(GenState& st, const std::vector<int64_t>& tokens);
  // Decoder::extend with the LM head: stream 0's logits [rows, n, V], with `drafts` stream 1's too.
  Generative::Extended extend(GenState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts);
  void prepare();

 private:
  Decoder dec_;
  layers::QuantLinear head_;
};

// Loads the (tied) word embedding matrix of a ProphetNet checkpoint under `prefix` ("prophetnet." or
// "decoder.prophetnet."), marking the tied copies as used.
Tensor take_word_embeddings(WeightStore& ws, const std::string& prefix, const Config& c);
// The LM head weight: the word embeddings when tied, else `<head>.weight`.
Tensor take_head_weight(WeightStore& ws, const std::string& head, const Config& c, const Tensor& word);

}  // namespace qdq::models::prophetnet
