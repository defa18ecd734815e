#pragma once
// transformers v4.37.2 beam search (generation/beam_search.py BeamSearchScorer,
// BeamHypotheses; generation/utils.py beam_search), step by step.
#include <vector>

#include "core/tensor.h"
#include "decoding/generate.h"
#include "decoding/options.h"

namespace qdq::decoding {

class BeamSearch {
 public:
  BeamSearch(const Options& o, int64_t batch, int64_t max_len, int64_t min_len, int64_t prefix_len);
  // logits [B*beams, V] for the last tokens of seqs (B*beams rows). Chooses the next beams, rewrites
  // seqs (reordered, one token longer) and returns the row each new beam continues (for the cache).
  std::vector<int64_t> advance(Tensor& logits, std::vector<std::vector<int64_t>>& seqs);
  bool finished() const { return finished_; }
  Result finalize(const std::vector<std::vector<int64_t>>& seqs);

 private:
  struct Hyps {
    std::vector<std::pair<double, std::vector<int64_t>>> beams;
    double worst = 1e9;
    bool done = false;
    void add(std::vector<int64_t> hyp, double sum_logprobs, int64_t generated_len, int64_t num_beams, double lp);
    bool is_done(double best_sum_logprobs, int64_t cur_len, const BeamSearch& bs) const;
  };
  Options o_;
  int64_t B_, nb_, max_len_, min_len_, prefix_len_, cur_len_;
  std::vector<float> beam_scores_;
  std::vector<Hyps> hyps_;
  bool finished_ = false;
};

}  // namespace qdq::decoding
