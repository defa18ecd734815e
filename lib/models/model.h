#pragma once
// What every model offers the CLI: its Hugging Face forward as named tensors,
// and its quantizers. models/registry.cpp builds the right class from a
// checkpoint directory's config.json (architectures[0], or --arch).
#include <memory>
#include <string>

#include "io/checkpoint.h"
#include "io/safetensors.h"
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
  quant::QuantPlan& quant_plan() { return plan_; }
  // Call after quantizer modes or amax values changed (rebuilds int8/fake-quant weights once).
  virtual void prepare() = 0;

 protected:
  quant::QuantPlan plan_;
};

struct LoadOptions {
  std::string arch;  // overrides config.json architectures[0] when non-empty
};

std::unique_ptr<Model> load_model(const std::string& dir, const LoadOptions& opts = {});

// Implemented per family (models/bert, models/prophetnet).
std::unique_ptr<Model> load_bert(const Checkpoint& ckpt, const std::string& arch);
std::unique_ptr<Model> load_prophetnet(const Checkpoint& ckpt, const std::string& arch);
std::unique_ptr<Model> load_encoder_decoder(const Checkpoint& ckpt, const std::string& arch);

}  // namespace qdq::models
