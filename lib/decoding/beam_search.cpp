#include "decoding/beam_search.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "decoding/logits_process.h"

namespace qdq::decoding {

void BeamSearch::Hyps::add(std::vector<int64_t> hyp, double sum_logprobs, int64_t generated_len, int64_t num_beams,
                           double lp) {
  const double score = sum_logprobs / std::pow(static_cast<double>(generated_len), lp);
  if (static_cast<int64_t>(beams.size()) < num_beams || score > worst) {
    beams.emplace_back(score, std::move(hyp));
    if (static_cast<int64_t>(beams.size()) > num_beams) {
      // sorted((score, idx)): drop the lowest score (lowest index among ties).
      std::vector<size_t> idx(beams.size());
      std::iota(idx.begin(), idx.end(), 0);
      std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return beams[a].first != beams[b].first ? beams[a].first < beams[b].first : a < b;
      });
      worst = beams[idx[1]].first;
      beams.erase(beams.begin() + idx[0]);
    } else {
      worst = std::min(score, worst);
    }
  }
}

bool BeamSearch::Hyps::is_done(double best, int64_t cur_len, const BeamSearch& bs) const {
  if (static_cast<int64_t>(beams.size()) < bs.nb_) return false;
  const double lp = bs.o_.length_penalty;
  switch (bs.o_.early_stopping) {
    case EarlyStopping::True:
      return true;
    case EarlyStopping::False:
      return worst >= best / std::pow(static_cast<double>(cur_len - bs.prefix_len_), lp);
    case EarlyStopping::Never: {
      const int64_t len = lp > 0.0 ? bs.max_len_ : cur_len;
      return worst >= best / std::pow(static_cast<double>(len - bs.prefix_len_), lp);
    }
  }
  return false;
}

BeamSearch::BeamSearch(const Options& o, int64_t batch, int64_t max_len, int64_t min_len, int64_t prefix_len)
    : o_(o),
      B_(batch),
      nb_(o.num_beams),
      max_len_(max_len),
      min_len_(min_len),
      prefix_len_(prefix_len),
      cur_len_(prefix_len),
      beam_scores_(batch * o.num_beams, -1e9f),
      hyps_(batch) {
  // Only the first beam of each input is live at the start, so the first step does not pick duplicates.
  for (int64_t b = 0; b < B_; ++b) beam_scores_[b * nb_] = 0.0f;
}

std::vector<int64_t> BeamSearch::advance(Tensor& logits, std::vector<std::vector<int64_t>>& seqs) {
  const int64_t rows = B_ * nb_, V = logits.dim(1), K = 2 * nb_;
  float* L = logits.data<float>();
  for (int64_t i = 0; i < rows; ++i) {
    float* s = L + i * V;
    log_softmax(s, V);
    repetition_penalty(s, seqs[i], o_.repetition_penalty);
    no_repeat_ngram(s, seqs[i], o_.no_repeat_ngram_size);
    min_length(s, cur_len_, min_len_, o_.eos_token_id);
    for (int64_t v = 0; v < V; ++v) s[v] += beam_scores_[i];
  }
  std::vector<float> next_scores(rows, 0.0f);
  std::vector<int64_t> next_tokens(rows, o_.pad_token_id), next_rows(rows);
  std::vector<int64_t> cand(nb_ * V);
  for (int64_t b = 0; b < B_; ++b) {
    Hyps& h = hyps_[b];
    if (h.done) {
      // transformers pads finished inputs; keeping each row on itself leaves the other inputs' caches alone.
      for (int64_t j = 0; j < nb_; ++j) next_rows[b * nb_ + j] = b * nb_ + j;
      continue;
    }
    const float* base = L + b * nb_ * V;
    std::iota(cand.begin(), cand.end(), 0);
    std::partial_sort(cand.begin(), cand.begin() + K, cand.end(), [&](int64_t x, int64_t y) {
      return base[x] != base[y] ? base[x] > base[y] : x < y;
    });
    int64_t beam = 0;
    for (int64_t rank = 0; rank < K; ++rank) {
      const int64_t c = cand[rank], tok = c % V, row = b * nb_ + c / V;
      const float sc = base[c];
      if (o_.eos_token_id >= 0 && tok == o_.eos_token_id) {
        if (rank >= nb_) continue;
        // BeamSearchScorer.process counts the eos about to end the hypothesis: cur_len =
        // input_ids.shape[-1] + 1, generated_len = cur_len - decoder_prompt_len (is_done alike).
        // The QDQBERT decoder fixture's beam_eos runs tell the two apart.
        h.add(seqs[row], sc, cur_len_ + 1 - prefix_len_, nb_, o_.length_penalty);
      } else {
        next_scores[b * nb_ + beam] = sc;
        next_tokens[b * nb_ + beam] = tok;
        next_rows[b * nb_ + beam] = row;
        ++beam;
      }
      if (beam == nb_) break;
    }
    h.done = h.done || h.is_done(base[cand[0]], cur_len_ + 1, *this);
  }
  std::vector<std::vector<int64_t>> next(rows);
  for (int64_t i = 0; i < rows; ++i) {
    next[i] = seqs[next_rows[i]];
    next[i].push_back(next_tokens[i]);
  }
  seqs = std::move(next);
  beam_scores_ = next_scores;
  ++cur_len_;
  finished_ = cur_len_ >= max_len_ || std::all_of(hyps_.begin(), hyps_.end(), [](const Hyps& x) { return x.done; });
  return next_rows;
}

Result BeamSearch::finalize(const std::vector<std::vector<int64_t>>& seqs) {
  for (int64_t b = 0; b < B_; ++b) {
    if (hyps_[b].done) continue;
    for (int64_t j = 0; j < nb_; ++j) {
      const int64_t row = b * nb_ + j;
      hyps_[b].add(seqs[row], beam_scores_[row], static_cast<int64_t>(seqs[row].size()) - prefix_len_, nb_,
                   o_.length_penalty);
    }
  }
  Result res;
  res.scored = true;
  int64_t longest = 0;
  for (int64_t b = 0; b < B_; ++b) {
    auto sorted = hyps_[b].beams;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& x, const auto& y) { return x.first < y.first; });
    for (int64_t j = 0; j < o_.num_return_sequences; ++j) {
      Hypothesis h;
      h.score = static_cast<float>(sorted.back().first);  // sequences_scores is float32
      h.tokens = sorted.back().second;
      sorted.pop_back();
      longest = std::max<int64_t>(longest, h.tokens.size());
      res.hyps.push_back(std::move(h));
    }
  }
  res.width = std::min(longest + 1, max_len_);
  for (auto& h : res.hyps)
    if (static_cast<int64_t>(h.tokens.size()) < res.width && o_.eos_token_id >= 0) h.tokens.push_back(o_.eos_token_id);
  return res;
}

}  // namespace qdq::decoding
