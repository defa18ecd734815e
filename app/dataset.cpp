#include "dataset.h"

#include <memory>

#include "core/error.h"
#include "flags.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "pipelines/batch_checks.h"
#include "progress.h"
#include "text/tokenizer.h"

namespace qdq::app {

void add_dataset_options(CLI::App& sub, DatasetOptions& o, const std::string& texts_what) {
  add_text_input_options(sub, o.text_in, texts_what);
  flag(sub, "--tensors-in", o.tensors_in, "repeat it: one batch per file, in order");
  flag(sub, "--batch-size", o.batching.batch_size);
  flag(sub, "--max-length", o.max_length);
  flag(sub, "--max-target-length", o.batching.max_target_length);
}

void warn_dataset_flags(const CLI::App& sub, const DatasetOptions& o) {
  const bool tensors = !o.tensors_in.empty();
  warn_no_effect(sub, "--batch-size", tensors, "with --tensors-in (each file is one batch as stored)");
  warn_no_effect(sub, "--max-length", tensors, "with --tensors-in (the stored batches are used as they are)");
  warn_no_effect(sub, "--max-target-length", tensors, "with --tensors-in");
}

Dataset::Dataset(const DatasetOptions& o, const std::string& model_dir, const std::string& arch)
    : o_(o), model_dir_(model_dir), config_(load_config(model_dir)) {
  if (!o.tensors_in.empty()) {
    check(o.text_in.texts.empty() && o.text_in.input.empty(), "give --tensors-in or texts, not both");
    for (auto& arg : o.tensors_in) {
      TensorMap m = read_tensors_arg(arg);
      check(!m.names.empty(), "{}: no tensors", arg);
      stored_.push_back({arg, std::move(m)});
    }
    return;
  }
  // What encode / generate read for this class, they read here too (multiple choice included).
  const TextKind kind = models::text_kind(config_, models::arch_of(config_, arch));
  for (auto& it : read_text_items(o.text_in, kind))
    records_.push_back({it.text, it.pair, it.target, it.choices, it.where});
  check(!records_.empty(), "{}: no input texts (calibrate and compare need data)", input_name(o.text_in));
  if (o_.max_length == 0)
    o_.batching.max_length =
        models::max_input_tokens(config_, text::load_tokenizer(model_dir)->model_max_length());
  else
    o_.batching.max_length = o_.max_length;
}

std::vector<pipelines::CalibrationBatch> Dataset::batches(models::Model& model) {
  std::vector<pipelines::CalibrationBatch> out = std::move(stored_);
  if (!records_.empty()) {
    auto po = o_.batching;
    std::unique_ptr<Progress> progress;  // sources without a target: greedy generation first
    int64_t shown = 0;
    po.on_generated = [&](int64_t done, int64_t total) {
      if (!progress) progress = std::make_unique<Progress>("targets (greedy)", total);
      progress->advance(done - shown);
      shown = done;
    };
    out = pipelines::calibration_batches(model, model_dir_, records_, po);
    if (progress) progress->finish();
  }
  for (auto& b : out) pipelines::validate_batch(b.tensors, b.where, config_);
  return out;
}

}  // namespace qdq::app
