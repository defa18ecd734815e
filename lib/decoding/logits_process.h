#pragma once
// transformers v4.37.2 logits processors and warpers on one row of scores
// (generation/logits_process.py). `seq` is the row's decoder input so far
// (decoder start / prompt included), as HF's input_ids.
#include <cstdint>
#include <vector>

namespace qdq::decoding {

// RepetitionPenaltyLogitsProcessor: each token present in seq: s < 0 ? s*p : s/p.
void repetition_penalty(float* scores, const std::vector<int64_t>& seq, double penalty);
// NoRepeatNGramLogitsProcessor: -inf for every token that would repeat an n-gram of seq.
void no_repeat_ngram(float* scores, const std::vector<int64_t>& seq, int64_t n);
// MinLengthLogitsProcessor: -inf for eos while seq.size() < min_length.
void min_length(float* scores, int64_t cur_len, int64_t min_len, int64_t eos);
// TemperatureLogitsWarper.
void temperature(float* scores, int64_t V, double t);
// TopKLogitsWarper: -inf below the k-th largest score (ties with it kept).
void top_k(float* scores, int64_t V, int64_t k);
// TopPLogitsWarper: ascending sort, -inf where the cumulative softmax <= 1 - top_p, the largest kept.
void top_p(float* scores, int64_t V, double p);
// log_softmax in place (beam search scores).
void log_softmax(float* x, int64_t V);
// Index of the first maximum (torch.argmax).
int64_t argmax(const float* x, int64_t V);

}  // namespace qdq::decoding
