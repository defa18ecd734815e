#pragma once
// What greedy search, sampling and speculative decoding share: the decoder prefix and length
// limits of a request, the per-row logits processors in Hugging Face's order, and the hypotheses
// a finished batch returns.
#include <vector>

#include "decoding/generate.h"

namespace qdq::decoding {

struct Setup {
  int64_t prefix_len = 0, max_len = 0, min_len = 0;
  std::vector<int64_t> prefix;  // [B * prefix_len]
};

Setup setup(models::Generative& m, const Request& r, const Options& o);
// Each of the B prefixes repeated `expand` times (rows of one input are consecutive).
std::vector<std::vector<int64_t>> expand_prefix(const Setup& s, int64_t B, int64_t expand);
std::vector<int64_t> flat(const std::vector<std::vector<int64_t>>& seqs);
// Processors (repetition penalty, no_repeat_ngram, min_length) and, when sampling, the warpers
// (temperature, top-k, top-p) on one row of next-token scores after the row's sequence `seq`.
void process_scores(float* scores, int64_t V, const std::vector<int64_t>& seq, int64_t min_len, const Options& o);
// One sampler per row (its stream: the input's, times num_return_sequences, plus the copy).
std::vector<class RowSampler> row_samplers(const Request& r, const Options& o, int64_t expand);
// Sequences cut after their first eos (the padding of rows that finished before the batch).
std::vector<Hypothesis> hypotheses(const std::vector<std::vector<int64_t>>& seqs, int64_t prefix_len,
                                   int64_t eos);

}  // namespace qdq::decoding
