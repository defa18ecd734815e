#pragma once
// The data set of the commands that run a model over many inputs to measure
// it (calibrate, compare), read one way for both: one batch per --tensors-in
// FILE[:GROUP], used as stored and read before the model loads (a bad file
// fails at once); or texts (positional, -i FILE, stdin) that
// pipelines/calibration_inputs.h turns into the model's own batches (BERT
// pairs, causal-LM prompts, encoder-decoder sources and targets).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/model.h"
#include "pipelines/calibration_inputs.h"
#include "text_input.h"

namespace qdq::app {

struct DatasetOptions {
  TextInputOptions text_in;
  std::vector<std::string> tensors_in;
  pipelines::CalibrationInputOptions batching;  // batch size, max lengths
  int64_t max_length = 0;                       // --max-length; 0: what the model holds
};

// Adds the texts, --tensors-in, -b/--batch-size, --max-length, --max-target-length.
void add_dataset_options(CLI::App& sub, DatasetOptions& o, const std::string& texts_what);
// One warning per text-batching flag given with --tensors-in (the stored batches are used as they are).
void warn_dataset_flags(const CLI::App& sub, const DatasetOptions& o);

class Dataset {
 public:
  // Reads the tensor files, or the text records (tokenized later, by the model's tokenizer).
  // Errors: both kinds of input, neither, an empty tensor group, a bad line. `arch`: --arch.
  Dataset(const DatasetOptions& o, const std::string& model_dir, const std::string& arch);
  // The batches, in input order, each checked (pipelines::validate_batch). Texts are batched
  // for `model`, which must still run fp32: sources without a target are generated greedily
  // (with a progress bar).
  std::vector<pipelines::CalibrationBatch> batches(models::Model& model);
  // The input length texts are truncated to: --max-length, else what the model holds.
  int64_t max_length() const { return o_.batching.max_length; }

 private:
  DatasetOptions o_;
  std::string model_dir_;
  nlohmann::json config_;  // the model's config.json: text kind, vocabulary bounds
  std::vector<pipelines::CalibrationBatch> stored_;
  std::vector<pipelines::CalibrationRecord> records_;
};

}  // namespace qdq::app
