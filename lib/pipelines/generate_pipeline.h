#pragma once
// `generate` without the CLI: texts in, hypotheses out, in input order.
// Sources longer than max_input_length are truncated (bounded tokenization,
// a warning naming the input); inputs are length-sorted and batched (a causal
// LM batch holds prompts of one length); every input samples from its own
// random stream, keyed by its record id when it has one, else its position in
// the input, so results depend only on the seed and the input, never on batch
// size, batch order or how a corpus was split across processes.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "decoding/generate.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

struct GenerateSettings {
  decoding::Options options;
  int64_t batch_size = 8;
  int64_t max_input_length = 0;  // tokens kept of each source / prompt (> 0)
  bool include_prompt = true;    // causal LM: Hugging Face's return_full_text
};

struct GenerateInput {
  std::string text;
  nlohmann::json id;  // null: the position keys the random stream
  size_t index = 0;   // position in the whole input
  std::string where;  // names the input in messages
};

struct Generated {
  std::string text;          // generated_text
  std::vector<int64_t> ids;  // Hugging Face's `sequences` row (decoder start / prompt included, unpadded)
  std::optional<double> score;  // beam search: sequences_scores
};

// The random stream of one input: a hash of the id's JSON text, or the position.
uint64_t stream_of(const nlohmann::json& id, size_t index);

// A generate request over the inputs `rows` of `ids` (unpadded token ids), right-padded to the
// longest with `pad` (mask 1 = token), input rows[k] sampling from stream streams[rows[k]].
decoding::Request padded_request(const std::vector<std::vector<int64_t>>& ids, const std::vector<size_t>& rows,
                                 const std::vector<uint64_t>& streams, int64_t pad);

// Wall time and token counts over generate calls (scripts/bench_generate.sh reads the log line).
struct GenerateStats {
  double prefill_s = 0, decode_s = 0;
  int64_t inputs = 0, new_tokens = 0, decode_tokens = 0;
  // Speculative decoding: forwards after the first pass, drafts proposed / accepted, and the
  // tokens rows gained per row forward (accepted drafts + 1).
  int64_t forwards = 0, drafts_proposed = 0, drafts_accepted = 0, row_forwards = 0, forward_tokens = 0;
  bool speculative = false;
  void add(const decoding::Result& r, int64_t rows);
  // One info line: inputs, prompt/encode + first token time, new tokens, decode time, new tokens/s
  // after the first (scripts/bench_generate.sh reads it).
  void log() const;
};

// Generation over token ids, the one batching loop every caller shares: length-sorted batches
// (a causal LM batch holds prompts of one length), results back in input order.
struct GeneratedIds {
  std::vector<std::vector<decoding::Hypothesis>> hyps;  // per input: num_return_sequences
  int64_t width = 0;                                    // HF's padded `sequences` width over all batches
  bool scored = false;                                  // beam search: hypotheses carry scores
};
GeneratedIds generate_ids(models::Generative& g, const std::vector<std::vector<int64_t>>& ids,
                          const std::vector<uint64_t>& streams, const decoding::Options& o, int64_t batch_size,
                          GenerateStats* stats = nullptr);

class GeneratePipeline {
 public:
  // src: tokenizes inputs; dec: decodes outputs (EncoderDecoderModel may have two).
  GeneratePipeline(models::Generative& g, const text::Tokenizer& src, const text::Tokenizer& dec,
                   GenerateSettings s);
  // num_return_sequences hypotheses per input, inputs in order.
  std::vector<std::vector<Generated>> run(const std::vector<GenerateInput>& inputs);
  // Figures over every run (scripts/bench_generate.sh reads the log line).
  void log_stats() const;
  int64_t truncated() const { return truncated_; }

 private:
  models::Generative& g_;
  const text::Tokenizer& src_;
  const text::Tokenizer& dec_;
  GenerateSettings s_;
  int64_t truncated_ = 0;
  GenerateStats stats_;
};

}  // namespace qdq::pipelines
