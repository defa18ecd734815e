#pragma once
// ProphetNetNgramSelfAttention: one set of projections shared by the main
// stream and the `ngram` predicting streams. The main stream attends causally
// to itself; predicting stream s at position t attends to main positions
// <= t - s (and always position 0) and to its own token. Both add a relative
// position bias: a Linear on the query's hidden state, read at the bucket of
// the query-key distance.
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "layers/fused_linears.h"
#include "layers/quant_linear.h"
#include "models/prophetnet/config.h"

namespace qdq::models::prophetnet {

// How the predicting streams' relative-position bias is gathered in a forward
// over T > 1 tokens. HuggingFace: as transformers v4.37.2
// get_predict_relative_pos_embeddings does, which pairs the bias rows of
// (position, stream, head) order with queries in (stream, head, position)
// order. Original: each query reads its own bias row (microsoft/ProphetNet
// ngram_multihead_attention.py). Both agree when T = 1.
enum class RelPosMode { HuggingFace, Original };

// Main-stream keys/values of one layer, [B, heads, capacity, d].
struct SelfKV {
  Tensor k, v;
};

class NgramSelfAttention {
 public:
  NgramSelfAttention() = default;
  NgramSelfAttention(const std::string& module, WeightStore& ws, const Config& c, quant::QuantPlan& plan);

  // x [B, (1+ngram)*T, H] (main rows, then each stream's T rows); mask [B*T]
  // decoder attention mask or empty. With `cache`, the main keys/values land
  // in its positions [0, T).
  // head_mask: [heads] factors on both streams' probabilities, or null. main_probs / pred_probs
  // (output_attentions), or null: set to the probabilities [B, heads, T, T] of the main stream and
  // [B, ngram, heads, T, 2T] of the predicting streams (keys: the T main positions, then the
  // stream's own T), head mask applied, as transformers returns attentions / ngram_attentions.
  Tensor forward(const Tensor& x, int64_t T, const std::vector<int64_t>& mask, RelPosMode mode, SelfKV* cache,
                 const float* head_mask = nullptr, Tensor* main_probs = nullptr, Tensor* pred_probs = nullptr);

  // One cached step at position index p (position id p+1): x [B, 2, H] holds
  // the main row and predicting stream 0's row; the cache holds positions
  // [0, p) and gets position p. key_add [B*cap] masks cached keys (or empty).
  Tensor step(const Tensor& x, int64_t p, SelfKV& cache, const std::vector<float>& key_add);
  // Speculative verification: n fed tokens per row, row b's i-th at position index pos[b] + i.
  // x [B, R, H], R = n * (2 + draft): n main rows, n rows of predicting stream 0 at the same
  // positions, and with `draft` n rows of stream 1 at the *next* positions (pos[b] + i + 1), which
  // see exactly the main positions stream 0 at pos[b] + i sees. Every query is the computation of
  // step() (the original ProphetNet ordering: each query reads its own bias row), so n fed tokens
  // equal n cached steps. The main keys/values land in the cache at their positions.
  Tensor extend(const Tensor& x, int64_t n, bool draft, const std::vector<int64_t>& pos, SelfKV& cache,
                const std::vector<float>& key_add);
  void prepare();
  int64_t heads() const { return heads_; }

 private:
  int64_t hidden_ = 0, heads_ = 0, ngram_ = 0, buckets_ = 0, max_distance_ = 0;
  layers::QuantLinear q_, k_, v_, o_, rel_;
  layers::FusedLinears qkvr_;  // q_, k_, v_, rel_ as one GEMM when they run alike (they read the same x)
};

}  // namespace qdq::models::prophetnet
