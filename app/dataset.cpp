#include "dataset.h"

#include <memory>

#include "core/error.h"
#include "flags.h"
#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "pipelines/batch_checks.h"
#include "progress.h"

namespace qdq::app {

void add_dataset_options(CLI::App& sub, DatasetOptions& o, const std::string& texts_what) {
  add_text_input_options(sub, o.text_in, texts_what);
  sub.add_option("--tensors-in", o.tensors_in,
                 "A safetensors batch FILE[:GROUP] (repeat: one batch each, used as stored, in order)");
  sub.add_option("-b,--batch-size", o.batching.batch_size, "Texts per batch")
      ->check(positive_int())
      ->capture_default_str();
  sub.add_option("--max-length", o.batching.max_length, "Truncate texts to this many tokens")
      ->check(positive_int())
      ->capture_default_str();
  sub.add_option("--max-target-length", o.batching.max_target_length,
                 "Encoder-decoder models: decoder tokens per text, start token included; JSONL \"target\" "
                 "texts are truncated to it, sources without one are generated greedily up to it")
      ->check(positive_int())
      ->capture_default_str();
}

void warn_dataset_flags(const CLI::App& sub, const DatasetOptions& o) {
  const bool tensors = !o.tensors_in.empty();
  warn_no_effect(sub, "--batch-size", tensors, "with --tensors-in (each file is one batch as stored)");
  warn_no_effect(sub, "--max-length", tensors, "with --tensors-in (the stored batches are used as they are)");
  warn_no_effect(sub, "--max-target-length", tensors, "with --tensors-in");
}

Dataset::Dataset(const DatasetOptions& o, const std::string& model_dir)
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
  // Generative models read one text per line (a tab is part of it); BERT reads a tab as text / text_pair.
  const std::string type = config_.contains("model_type") && config_["model_type"].is_string()
                               ? config_["model_type"].get<std::string>()
                               : "";
  const TextKind kind = type == "prophetnet" || type == "encoder-decoder" ? TextKind::Single : TextKind::Pair;
  for (auto& it : read_text_items(o.text_in, kind)) records_.push_back({it.text, it.pair, it.target});
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
