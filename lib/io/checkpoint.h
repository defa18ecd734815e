#pragma once
// A Hugging Face checkpoint directory: config.json, weights from
// model.safetensors / pytorch_model.bin / their sharded *.index.json, and
// generation_config.json when present. F16/BF16 weights are converted to F32.
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "io/safetensors.h"

namespace qdq {

struct Checkpoint {
  std::string dir;
  nlohmann::json config;                           // config.json
  std::optional<nlohmann::json> generation_config;  // generation_config.json
  std::string weights_file;                        // what the weights came from (for messages)
  TensorMap weights;
};

// Error "<dir>: ..." when the directory, config or weights are missing or bad.
Checkpoint load_checkpoint(const std::string& dir);
// config.json alone (plus validation that it is a JSON object).
nlohmann::json load_config(const std::string& dir);

// Hands out a checkpoint's weights to a model being built, by Hugging Face
// name, trying each of `prefixes` ("" always first), checking shapes, and at
// finish() reporting any weight the model did not use.
class WeightStore {
 public:
  WeightStore(const Checkpoint& ckpt, std::vector<std::string> prefixes = {});
  // Error "<file>: missing weight 'name'" / "... has shape [..], config needs [..]".
  // allow_int8: an I8 tensor is accepted too (the Linear weights of a qdqrt int8 directory).
  Tensor take(const std::string& name, const Shape& shape, bool allow_int8 = false);
  std::optional<Tensor> take_optional(const std::string& name, const Shape& shape, bool allow_int8 = false);
  bool has(const std::string& name) const;
  // The checkpoint's own name for `name` (with or without one of the prefixes), if present.
  std::optional<std::string> key_of(const std::string& name) const { return resolve(name); }
  // Marks names (e.g. weights of heads or halves the chosen class does not use) as used.
  void ignore_prefix(const std::string& prefix);
  // Error listing unexpected weights (tensors never taken nor ignored).
  void finish() const;

 private:
  std::optional<std::string> resolve(const std::string& name) const;
  const Checkpoint& ckpt_;
  std::vector<std::string> prefixes_;
  std::set<std::string> used_;
};

}  // namespace qdq
