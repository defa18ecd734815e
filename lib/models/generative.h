#pragma once
// What lib/decoding needs from a model that generates (ProphetNet, QDQBERT as
// a decoder, EncoderDecoderModel): start a batch, feed tokens, reorder rows
// for beam search. The decoder state (KV caches, encoder output, masks) is the
// model's own type behind DecoderState, so decoding depends on no model.
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

namespace qdq::models {

class DecoderState {
 public:
  virtual ~DecoderState() = default;
  int64_t rows = 0;  // batch * beams (or * samples) being decoded
  // Row i of the batch takes the state of row idx[i] (beam search). Only rows that share an encoder
  // input are permuted among each other, so encoder-side state may stay as it is.
  virtual void reorder(const std::vector<int64_t>& idx) = 0;
  // Speculative decoding: row i keeps its first lengths[i] decoder tokens (what verification
  // accepted) and forgets the later ones, so the next forward writes over them.
  virtual void truncate(const std::vector<int64_t>& lengths);
};

// The model's own state type, checked (a state from another model is a programming error).
template <class S>
S& state_as(DecoderState& st) {
  auto* s = dynamic_cast<S*>(&st);
  check(s != nullptr, "generate: decoder state of another model");
  return *s;
}

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
  virtual std::unique_ptr<DecoderState> start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                              const std::vector<int64_t>& src_mask, int64_t expand,
                                              int64_t capacity) = 0;
  // The decoder's first pass over the first `len` tokens of each row (decoder start token or prompt,
  // [rows*len]); returns the next-token logits [rows, V].
  virtual Tensor prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) = 0;
  // Feeds one token per row; returns next-token logits [rows, V].
  virtual Tensor step(DecoderState& st, const std::vector<int64_t>& tokens) = 0;

  // Speculative decoding (lib/decoding/speculative.h). A model that can verify drafts feeds n
  // tokens per row (tokens [rows*n]) at each row's own next positions, as n cached steps would,
  // and returns the next-token logits at each [rows, n, V]. With `drafts` (has_stream_drafts()),
  // also logits of a guess at the token after each next one, computed in the same pass [rows, n, V].
  struct Extended {
    Tensor logits, drafts;
  };
  virtual bool can_extend() const { return false; }
  virtual bool has_stream_drafts() const { return false; }
  // False when every row of a state must keep one length (truncate() to unequal lengths fails):
  // speculative decoding then runs the rows of a batch one by one.
  virtual bool rows_can_diverge() const { return true; }
  virtual Extended extend(DecoderState& st, const std::vector<int64_t>& tokens, int64_t n, bool drafts);
};

// Copies, for each outer row i, `used` leading elements of each of `blocks` blocks (stride `block`)
// from row idx[i] of t into spare, then swaps: the part of a pre-allocated cache that holds data
// moves, not its whole capacity, and no allocation happens after the first call.
void reorder_rows(Tensor& t, Tensor& spare, const std::vector<int64_t>& idx, int64_t blocks, int64_t block,
                  int64_t used);

}  // namespace qdq::models
