#include "core/error.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::models {

std::unique_ptr<Model> load_model(const std::string& dir, const LoadOptions& opts) {
  Checkpoint ck = load_checkpoint(dir);
  const auto& c = ck.config;
  check(c.contains("model_type") && c["model_type"].is_string(), "{}/config.json: no model_type", dir);
  std::string type = c["model_type"].get<std::string>();
  std::string arch = opts.arch;
  if (arch.empty() && c.contains("architectures") && c["architectures"].is_array() && !c["architectures"].empty() &&
      c["architectures"][0].is_string())
    arch = c["architectures"][0].get<std::string>();
  // A directory written by `qdqrt quantize`: I8 weights become the exact
  // dequantized floats and the stored amax values go into the model's plan.
  std::optional<quant::AmaxTable> table;
  if (quant::is_int8_checkpoint(ck)) table = quant::dequantize_int8_checkpoint(ck);
  std::unique_ptr<Model> model;
  if (type == "bert" || type == "qdqbert") model = load_bert(ck, arch);
  else if (type == "prophetnet") model = load_prophetnet(ck, arch);
  else if (type == "encoder-decoder") model = load_encoder_decoder(ck, arch);
  if (model) {
    if (table) quant::apply_amax_table(model->quant_plan(), *table, ck.weights_file);
    return model;
  }
  throw Error("{}/config.json: unsupported model_type '{}' (supported: bert, qdqbert, prophetnet, encoder-decoder)",
              dir, type);
}

}  // namespace qdq::models
