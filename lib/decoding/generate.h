#pragma once
// Hugging Face v4.37.2 `generate` on a models::Generative: greedy search,
// multinomial sampling and beam search with the logits processors of
// logits_process.h, one batch at a time.
#include <functional>
#include <vector>

#include "core/tensor.h"
#include "decoding/options.h"
#include "models/generative.h"

namespace qdq::decoding {

struct Request {
  // Encoder-decoder: source ids/mask [B*L]. Causal LM: prompts [B*L], all of length L, no padding.
  std::vector<int64_t> src, mask;
  int64_t B = 0, L = 0;
  int64_t first_index = 0;  // position of row 0 in the whole input (sampling streams)
  // Sampling stream of each row, when rows are not consecutive inputs (a length-sorted batch): the
  // row's copy j samples from stream streams[b] * num_return_sequences + j. Empty: first_index + b.
  std::vector<uint64_t> streams;
};

struct Hypothesis {
  std::vector<int64_t> tokens;  // decoder start / prompt included; ends with eos when one was produced
  double score = 0;             // beam search: sum of log-probs / generated_len ** length_penalty
};

struct Result {
  std::vector<Hypothesis> hyps;  // B * num_return_sequences, input-major
  bool scored = false;           // beam search
  int64_t width = 0;             // length of HF's padded `sequences` for this batch
  // Wall time: encoder + decoder's first pass (the first new token), then every later step.
  double prefill_seconds = 0, decode_seconds = 0;
  int64_t steps = 0;  // cached decoder forwards after the first pass (plain: each adds one token per input)
  int64_t new_positions = 0;  // sequence positions after the first new token (width - prefix - 1)
  // Speculative decoding: drafts proposed / accepted (tokens), and the tokens the forwards after
  // the first pass added to unfinished rows (accepted drafts + one each): tokens per forward.
  int64_t drafts_proposed = 0, drafts_accepted = 0, row_forwards = 0, forward_tokens = 0;
};

// row (of B * num_return_sequences), token: called as each greedy / sampled token is chosen.
using TokenCallback = std::function<void(int64_t row, int64_t token)>;

// Effective max_length / min_length for a decoder prefix of prefix_len tokens (HF's
// max_new_tokens / min_new_tokens arithmetic).
int64_t effective_max_length(const Options& o, int64_t prefix_len);
int64_t effective_min_length(const Options& o, int64_t prefix_len);

// step_scores (optional): the processed next-token scores [rows, V] of each greedy/sampling step.
Result generate(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb = {},
                std::vector<Tensor>* step_scores = nullptr);

// Pads hypotheses into HF's `sequences` [n, width] with pad_id.
Tensor to_sequences(const std::vector<Hypothesis>& hyps, int64_t width, int64_t pad_id);

}  // namespace qdq::decoding
