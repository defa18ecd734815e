#pragma once
// The options every model-running subcommand shares (--model, --arch,
// --precision, --amax, --force, --ngram-relpos) and the one place that turns
// them into a ready model: the precision string is parsed here, once.
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "models/model.h"

namespace qdq::app {

struct ModelOptions {
  std::string model_dir;
  std::string arch;
  std::string precision;  // fp32 | bf16 | fakequant | int8; "": int8 with --amax or a quantized directory, else fp32
  std::string amax_path;
  std::string ngram_relpos;  // ProphetNet decoders: huggingface | original; "" = huggingface
  bool force = false;        // use an amax table calibrated on another model (quant::apply_amax_table)
};

void add_model_options(CLI::App& sub, ModelOptions& o, bool with_precision = true);
// Loads the model and sets every quantizer's mode (and amax) for the precision.
std::unique_ptr<models::Model> load_model_for(const ModelOptions& o);

}  // namespace qdq::app
