#include "task_flags.h"

#include "decoding/options.h"
#include "models/generative.h"

namespace qdq::app {

void add_task_flags(CLI::App& sub, TaskFlags& f) {
  const std::string cfg = " (default: the generation config's, else ";
  sub.add_option("--max-new-tokens", f.max_new_tokens, "Task generation: new tokens after the decoder start / prompt" + cfg + "max_length 20)");
  sub.add_option("--min-new-tokens", f.min_new_tokens, "Task generation: HF min_new_tokens (unset)");
  sub.add_option("--num-beams,--beam-size", f.num_beams, "Task generation: beam width; 1: greedy" + cfg + "1)");
  sub.add_option("--no-repeat-ngram-size", f.no_repeat_ngram_size, "Task generation: forbid repeating n-grams of this size" + cfg + "0)");
  sub.add_option("--length-penalty", f.length_penalty, "Task generation: beam score = logprob / length ** length_penalty" + cfg + "1.0)");
  sub.add_option("--repetition-penalty", f.repetition_penalty, "Task generation: HF repetition_penalty" + cfg + "1.0)");
  sub.add_option("--early-stopping", f.early_stopping, "Task generation: true, false or never" + cfg + "false)")
      ->check(CLI::IsMember({"true", "false", "never"}));
}

quantization::TaskSettings task_settings(const TaskFlags& f, models::Model& model, int64_t max_length,
                                         int64_t batch_size) {
  quantization::TaskSettings ts;
  ts.max_length = max_length;
  ts.batch_size = batch_size;
  if (auto* g = dynamic_cast<models::Generative*>(&model)) {
    auto& go = ts.generation = decoding::options_from_json(g->generation_defaults());
    if (f.max_new_tokens) go.max_new_tokens = *f.max_new_tokens;
    if (f.min_new_tokens) go.min_new_tokens = *f.min_new_tokens;
    if (f.num_beams) go.num_beams = *f.num_beams;
    if (f.no_repeat_ngram_size) go.no_repeat_ngram_size = *f.no_repeat_ngram_size;
    if (f.length_penalty) go.length_penalty = *f.length_penalty;
    if (f.repetition_penalty) go.repetition_penalty = *f.repetition_penalty;
    if (!f.early_stopping.empty()) go.early_stopping = decoding::parse_early_stopping(f.early_stopping);
    go.do_sample = false;
    go.num_return_sequences = 1;
    if (go.pad_token_id < 0) go.pad_token_id = 0;
    decoding::validate(go, g->vocab_size());
  }
  return ts;
}

}  // namespace qdq::app
