#pragma once
// What every model offers the CLI: its Hugging Face forward as named tensors,
// and its quantizers. models/registry.cpp builds the right class from a
// checkpoint directory's config.json (architectures[0], or --arch).
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "models/forward_outputs.h"
#include "quant/tensor_quantizer.h"

namespace qdq::models {

class Model {
 public:
  virtual ~Model() = default;
  // Hugging Face class name, e.g. "QDQBertForSequenceClassification".
  virtual std::string arch() const = 0;
  // model_type family: "bert" (bert/qdqbert), "prophetnet", "encoder-decoder".
  virtual std::string family() const = 0;
  // Every output of the Hugging Face forward for these inputs, under HF names.
  virtual TensorMap forward(const TensorMap& inputs) = 0;
  // The same, plus the optional outputs `req` asks for (Hugging Face's hidden_states / attentions
  // tuples as NAME.K, models/forward_outputs.h). A model that has none refuses a non-empty request.
  virtual TensorMap forward(const TensorMap& inputs, const ForwardRequest& req);
  quant::QuantPlan& quant_plan() { return plan_; }
  // The __metadata__ of a qdqrt int8 directory (how it was quantized); empty for other checkpoints.
  const std::map<std::string, std::string>& int8_metadata() const { return int8_metadata_; }
  void set_int8_metadata(std::map<std::string, std::string> m) { int8_metadata_ = std::move(m); }
  // Resolves the precision plan from the quantizers' modes and amax values and
  // builds every kernel, once; forward() runs that plan. Call again after
  // changing modes or amax values (forward refuses a stale plan).
  virtual void prepare() = 0;

 protected:
  quant::QuantPlan plan_;
  std::map<std::string, std::string> int8_metadata_;
};

// The sizes that identify a model, from its config.json (nested encoder /
// decoder configs of an encoder-decoder included): model_type, hidden size,
// layers, heads, vocabulary, ... whichever the config has.
nlohmann::ordered_json config_summary(const nlohmann::json& config);

struct LoadOptions {
  std::string arch;  // overrides config.json architectures[0] when non-empty
  // Resolve the plan before returning: int8 for a qdqrt int8 directory, else fp32. A caller that
  // sets its own modes and amax first passes false and calls prepare() once itself.
  bool prepare = true;
  // ProphetNet decoders' n-gram relative positions: "huggingface" (default when empty) or
  // "original"; a warning for a model without n-gram streams.
  std::string ngram_relpos{};
};

std::unique_ptr<Model> load_model(const std::string& dir, const LoadOptions& opts = {});

// Implemented per family (models/bert, models/prophetnet).
std::unique_ptr<Model> load_bert(const Checkpoint& ckpt, const std::string& arch);
std::unique_ptr<Model> load_prophetnet(const Checkpoint& ckpt, const std::string& arch);
std::unique_ptr<Model> load_encoder_decoder(const Checkpoint& ckpt, const std::string& arch);

}  // namespace qdq::models
