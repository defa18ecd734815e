#pragma once
// The generation flags of a task evaluation (compare's task section, quantize --eval), named
// and defaulted as `generate` names them: unset flags take the model's generation config.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "decoding/options.h"
#include "models/model.h"
#include "quantization/task_eval.h"

namespace qdq::app {

struct TaskFlags {
  std::optional<int64_t> max_new_tokens, min_new_tokens, num_beams, no_repeat_ngram_size;
  std::optional<double> length_penalty, repetition_penalty;
  std::string early_stopping;
};

// `extra`: what the flags are for in this subcommand, added to the rows' help.
void add_task_flags(CLI::App& sub, TaskFlags& f, const std::string& extra = "for the task's generation");

// Overlays the flags that were given on `o` (the model's generation defaults); generate and the task
// evaluations share this one rule.
void apply_task_flags(const TaskFlags& f, decoding::Options& o);

// The settings for `model`: generation options from its defaults overlaid by the flags (greedy or
// beam search: no sampling, so both precisions follow one rule), and the input bounds.
quantization::TaskSettings task_settings(const TaskFlags& f, models::Model& model, int64_t max_length,
                                         int64_t batch_size);

}  // namespace qdq::app
