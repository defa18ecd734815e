#pragma once
// The generation flags of a task evaluation (compare's task section, quantize --eval), named
// and defaulted as `generate` names them: unset flags take the model's generation config.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "models/model.h"
#include "quantization/task_eval.h"

namespace qdq::app {

struct TaskFlags {
  std::optional<int64_t> max_new_tokens, min_new_tokens, num_beams, no_repeat_ngram_size;
  std::optional<double> length_penalty, repetition_penalty;
  std::string early_stopping;
};

void add_task_flags(CLI::App& sub, TaskFlags& f);

// The settings for `model`: generation options from its defaults overlaid by the flags (greedy or
// beam search: no sampling, so both precisions follow one rule), and the input bounds.
quantization::TaskSettings task_settings(const TaskFlags& f, models::Model& model, int64_t max_length,
                                         int64_t batch_size);

}  // namespace qdq::app
