#include "task_flags.h"

#include "decoding/options.h"
#include "flags.h"
#include "models/generative.h"

namespace qdq::app {

void add_task_flags(CLI::App& sub, TaskFlags& f, const std::string& task) {
  // generate's rows of the flag table: the same names, meanings and checks.
  flag(sub, "--max-new-tokens", f.max_new_tokens, task);
  flag(sub, "--min-new-tokens", f.min_new_tokens, task);
  flag(sub, "--num-beams", f.num_beams, task);
  flag(sub, "--no-repeat-ngram-size", f.no_repeat_ngram_size, task);
  flag(sub, "--length-penalty", f.length_penalty, task);
  flag(sub, "--repetition-penalty", f.repetition_penalty, task);
  flag(sub, "--early-stopping", f.early_stopping, task);
}

void apply_task_flags(const TaskFlags& f, decoding::Options& o) {
  if (f.max_new_tokens) o.max_new_tokens = *f.max_new_tokens;
  if (f.min_new_tokens) o.min_new_tokens = *f.min_new_tokens;
  if (f.num_beams) o.num_beams = *f.num_beams;
  if (f.no_repeat_ngram_size) o.no_repeat_ngram_size = *f.no_repeat_ngram_size;
  if (f.length_penalty) o.length_penalty = *f.length_penalty;
  if (f.repetition_penalty) o.repetition_penalty = *f.repetition_penalty;
  if (!f.early_stopping.empty()) o.early_stopping = decoding::parse_early_stopping(f.early_stopping);
}

quantization::TaskSettings task_settings(const TaskFlags& f, models::Model& model, int64_t max_length,
                                         int64_t batch_size) {
  quantization::TaskSettings ts;
  ts.max_length = max_length;
  ts.batch_size = batch_size;
  if (auto* g = dynamic_cast<models::Generative*>(&model)) {
    auto& go = ts.generation = decoding::options_from_json(g->generation_defaults());
    apply_task_flags(f, go);
    go.do_sample = false;
    go.num_return_sequences = 1;
    if (go.pad_token_id < 0) go.pad_token_id = 0;
    decoding::validate(go, g->vocab_size());
  }
  return ts;
}

}  // namespace qdq::app
