#include "core/error.h"
#include "core/log.h"
#include "models/model.h"
#include "models/prophetnet/gen_state.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::models {

nlohmann::ordered_json config_summary(const nlohmann::json& c) {
  static const char* keys[] = {"model_type", "architectures", "hidden_size", "num_hidden_layers",
                               "num_encoder_layers", "num_decoder_layers", "num_attention_heads",
                               "num_encoder_attention_heads", "num_decoder_attention_heads", "intermediate_size",
                               "encoder_ffn_dim", "decoder_ffn_dim", "hidden_act", "activation_function", "ngram",
                               "num_buckets", "vocab_size", "max_position_embeddings", "num_labels"};
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (!c.is_object()) return out;
  for (const char* k : keys)
    if (c.contains(k) && !c[k].is_null()) out[k] = c[k];
  if (c.contains("id2label") && c["id2label"].is_object()) out["num_labels"] = c["id2label"].size();
  for (const char* part : {"encoder", "decoder"})
    if (c.contains(part) && c[part].is_object()) out[part] = config_summary(c[part]);
  return out;
}

std::unique_ptr<Model> load_model(const std::string& dir, const LoadOptions& opts) {
  Checkpoint ck = load_checkpoint(dir);
  const auto& c = ck.config;
  check(c.contains("model_type") && c["model_type"].is_string(), "{}/config.json: no model_type", dir);
  std::string type = c["model_type"].get<std::string>();
  std::string arch = opts.arch;
  if (arch.empty() && c.contains("architectures") && c["architectures"].is_array() && !c["architectures"].empty() &&
      c["architectures"][0].is_string())
    arch = c["architectures"][0].get<std::string>();
  // A directory written by `qdqrt quantize`: the stored amax values go into the
  // model's plan and the I8 weights into its Linears as they are.
  std::optional<quant::AmaxTable> table;
  if (quant::is_int8_checkpoint(ck)) table = quant::take_int8_amax(ck);
  std::unique_ptr<Model> model;
  if (type == "bert" || type == "qdqbert") model = load_bert(ck, arch);
  else if (type == "prophetnet") model = load_prophetnet(ck, arch);
  else if (type == "encoder-decoder") model = load_encoder_decoder(ck, arch);
  if (model) {
    model->quant_plan().set_model(model->family(), model->arch());  // what amax tables are checked against
    if (!opts.ngram_relpos.empty()) {
      auto* rp = dynamic_cast<prophetnet::NgramRelPosOption*>(model.get());
      check(opts.ngram_relpos == "huggingface" || opts.ngram_relpos == "original",
            "n-gram relpos '{}': expected huggingface or original", opts.ngram_relpos);
      if (rp && rp->has_ngram_decoder())
        rp->set_ngram_relpos(opts.ngram_relpos == "original" ? prophetnet::RelPosMode::Original
                                                             : prophetnet::RelPosMode::HuggingFace);
      else
        spdlog::warn("--ngram-relpos has no effect for {} (no ProphetNet n-gram decoder)", model->arch());
    }
    if (table) {
      // The directory's own amax (its I8 weights were quantized with them): nothing to check.
      quant::apply_amax_table(model->quant_plan(), *table, ck.weights_file, /*force=*/true);
      model->set_int8_metadata(ck.weights.metadata);
    }
    if (opts.prepare) {
      model->quant_plan().set_mode(table ? quant::QuantMode::Int8 : quant::QuantMode::Disabled);
      model->prepare();
    }
    return model;
  }
  throw Error("{}/config.json: unsupported model_type '{}' (supported: bert, qdqbert, prophetnet, encoder-decoder)",
              dir, type);
}

}  // namespace qdq::models
