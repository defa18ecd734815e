#include "core/error.h"
#include "models/model.h"

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
  if (type == "bert" || type == "qdqbert") return load_bert(ck, arch);
  if (type == "prophetnet") return load_prophetnet(ck, arch);
  if (type == "encoder-decoder") return load_encoder_decoder(ck, arch);
  throw Error("{}/config.json: unsupported model_type '{}' (supported: bert, qdqbert, prophetnet, encoder-decoder)",
              dir, type);
}

}  // namespace qdq::models
