#pragma once
// ProphetNetDecoder: a main stream (word + position embeddings) and `ngram`
// predicting streams (ngram embedding + the next position's embedding) share
// one LayerNorm and every layer: n-gram self-attention, cross-attention to the
// encoder when given, feed-forward, each post-LN. The main stream feeds the
// keys/values; predicting stream 0 gives the next-token logits.
#include <string>
#include <vector>

#include "models/prophetnet/attention.h"
#include "models/prophetnet/config.h"
#include "models/prophetnet/feed_forward.h"
#include "models/prophetnet/ngram_attention.h"
#include "models/forward_outputs.h"

namespace qdq::models::prophetnet {

// Keys/values of a batch being decoded: main-stream self-attention keys per
// layer (growing), cross-attention keys per layer (fixed).
struct DecoderCache {
  int64_t batch = 0, capacity = 0, length = 0;
  std::vector<SelfKV> self;
  std::vector<Attention::KV> cross;
  std::vector<float> enc_key_add;   // [B*S] or empty
  std::vector<float> self_key_add;  // [B*capacity] or empty (padded prompt positions)
  // Speculative decoding: each row's own length once rows accept different numbers of drafts
  // (empty: every row holds `length`). extend() and truncate() keep it; step() needs it empty.
  std::vector<int64_t> row_length;
  int64_t length_of(int64_t b) const { return row_length.empty() ? length : row_length[b]; }
  // Forgets the positions at and after lengths[b] of each row b (a rejected draft's keys/values).
  void truncate(const std::vector<int64_t>& lengths);
  // Row i of the batch takes the self-attention state of row idx[i]. The
  // cross-attention state is left alone: callers reorder only among rows that
  // share an encoder input (beams of one source).
  void reorder(const std::vector<int64_t>& idx);
  // Second buffers for reorder (allocated on the first reorder, then swapped with the live ones).
  std::vector<SelfKV> spare;
  std::vector<float> spare_key_add;
};

// Hugging Face's tuple names for a decoder's optional outputs: ProphetNetForConditionalGeneration
// (and ProphetNetModel) prefix them with decoder_, ProphetNetForCausalLM names them as the decoder does.
struct DecoderOutputNames {
  const char *hidden, *hidden_ngram, *attentions, *ngram_attentions, *cross_attentions;
};
inline constexpr DecoderOutputNames kSeq2SeqOutputNames{"decoder_hidden_states", "decoder_ngram_hidden_states",
                                                        "decoder_attentions", "decoder_ngram_attentions",
                                                        "cross_attentions"};
inline constexpr DecoderOutputNames kCausalOutputNames{"hidden_states", "hidden_states_ngram", "attentions",
                                                       "ngram_attentions", "cross_attentions"};

// A full forward's optional inputs and outputs (none on the default path).
struct DecoderExtras {
  std::vector<float> head_mask, cross_attn_head_mask;  // [layers * heads] (layer_head_masks) or empty
  Tensor inputs_embeds;  // [B, T, H] F32 in place of the ids' word embeddings (ids then unused), or undefined
  ForwardCollector* collect = nullptr;                  // hidden states (main, ngram) and attentions
  DecoderOutputNames names = kSeq2SeqOutputNames;
};

class Decoder {
 public:
  struct Output {
    Tensor main;   // [B, T, H]
    Tensor ngram;  // [B, ngram*T, H]
  };
  Decoder() = default;
  // module: "prophetnet.decoder" (or "decoder.prophetnet.decoder").
  Decoder(const std::string& module, WeightStore& ws, const Config& c, Tensor word_embeddings,
          quant::QuantPlan& plan);

  // Full forward over T tokens. ids/mask [B*T] (mask may be empty); enc [B, S, H] or undefined with
  // enc_mask [B*S] or empty. With `cache` (from new_cache), it is filled for positions [0, T).
  // `extra`: head masks and the optional outputs (DecoderExtras), or null.
  Output forward(const std::vector<int64_t>& ids, int64_t B, int64_t T, const std::vector<int64_t>& mask,
                 const Tensor& enc, const std::vector<int64_t>& enc_mask, RelPosMode mode,
                 DecoderCache* cache = nullptr, const DecoderExtras* extra = nullptr);

  DecoderCache new_cache(int64_t B, int64_t capacity, const Tensor& enc, const std::vector<int64_t>& enc_mask);
  // One token per row at position index cache.length; returns predicting stream 0's hidden state [B, H].
  Tensor step(const std::vector<int64_t>& ids, DecoderCache& cache);
  // Speculative verification: n tokens per row (ids [B*n]) at each row's next positions
  // (cache.length_of(b) + i), as n cached steps compute them; with `draft`, also predicting stream 1
  // at each next position (the draft for the token after next). Returns the predicting rows
  // [B, n * (1 + draft), H]: stream 0 at the n positions, then stream 1 at the n next ones.
  // Row lengths advance by n (truncate() takes back what verification rejects).
  Tensor extend(const std::vector<int64_t>& ids, int64_t n, bool draft, DecoderCache& cache);
  void prepare();
  const Config& config() const { return c_; }
  bool has_cross_attention() const { return c_.add_cross_attention; }

 private:
  struct Layer {
    NgramSelfAttention self;
    Norm self_norm;
    Attention cross;
    Norm cross_norm;
    FeedForward ffn;
    Norm ffn_norm;
  };
  void check_position(int64_t last_index) const;
  // A cached pass's layer after its self-attention: cross-attention (when there is an encoder) and
  // the feed-forward, each with its residual norm; step and extend share it.
  Tensor cached_layer_tail(Layer& l, size_t li, Tensor x, const DecoderCache& cache);
  Config c_;
  Tensor word_, pos_, ngram_emb_;
  Norm emb_norm_;
  std::vector<Layer> layers_;
};

}  // namespace qdq::models::prophetnet
