#pragma once
// ProphetNet's side of models::Generative: its decoder state (the KV cache)
// and the one ProphetNet-only generation setting, the n-gram relative-position
// semantics, which callers reach by dynamic_cast to NgramRelPosOption.
#include "models/generative.h"
#include "models/prophetnet/decoder.h"

namespace qdq::models::prophetnet {

struct GenState : DecoderState {
  DecoderCache cache;
  void reorder(const std::vector<int64_t>& idx) override { cache.reorder(idx); }
  void truncate(const std::vector<int64_t>& lengths) override { cache.truncate(lengths); }
};

class NgramRelPosOption {
 public:
  virtual ~NgramRelPosOption() = default;
  virtual void set_ngram_relpos(RelPosMode m) = 0;
  // False for a model that offers the setting but runs no n-gram decoder (an EncoderDecoderModel
  // whose decoder is QDQBERT): the setting then has no effect, and callers say so.
  virtual bool has_ngram_decoder() const { return true; }
};

}  // namespace qdq::models::prophetnet
