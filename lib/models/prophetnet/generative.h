#pragma once
// What lib/decoding needs from a model that generates with a ProphetNet
// decoder (ProphetNetForConditionalGeneration, ProphetNetForCausalLM,
// EncoderDecoderModel with a ProphetNet decoder): start a batch, feed one token
// per row, reorder rows for beam search.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/tensor.h"
#include "models/prophetnet/decoder.h"

namespace qdq::models {

struct GenState {
  int64_t rows = 0;
  prophetnet::DecoderCache cache;
};

class Generative {
 public:
  virtual ~Generative() = default;
  virtual bool is_encoder_decoder() const = 0;
  virtual int64_t vocab_size() const = 0;
  // Most decoder tokens (start/prompt included) the position table allows.
  virtual int64_t max_decoder_tokens() const = 0;
  // config.json's generation fields overlaid by generation_config.json's (HF's order of precedence).
  virtual const nlohmann::json& generation_defaults() const = 0;
  // Encoder-decoder: encodes src ids/mask [B*L] (mask may be empty) and repeats each row `expand`
  // times (beams). Causal LM: src is ignored. capacity: decoder tokens to reserve.
  virtual std::unique_ptr<GenState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                          const std::vector<int64_t>& src_mask, int64_t expand,
                                          int64_t capacity) = 0;
  // The decoder's first pass over the first `len` tokens of each row (decoder start token or prompt,
  // [rows*len]); returns the next-token logits [rows, V].
  virtual Tensor prefill(GenState& st, const std::vector<int64_t>& seqs, int64_t len) = 0;
  // Feeds one token per row; returns next-token logits [rows, V].
  virtual Tensor step(GenState& st, const std::vector<int64_t>& tokens) = 0;
  virtual void reorder(GenState& st, const std::vector<int64_t>& idx) { st.cache.reorder(idx); }
  virtual void set_ngram_relpos(prophetnet::RelPosMode m) = 0;
};

}  // namespace qdq::models
