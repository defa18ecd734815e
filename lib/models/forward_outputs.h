#pragma once
// The optional outputs of a Hugging Face forward (`output_hidden_states`, `output_attentions`) and
// the per-head masks it takes: one mechanism for every model family and precision. A model gets a
// ForwardCollector (or none: the default path, which then does no extra work and no copy) and hands
// it down to its encoder / decoder stack; layers report what they computed, the collector keeps
// what was asked for under Hugging Face's tuple names, numbered `NAME.K` as the tuples index them.
//
// Memory: an attention map is [batch, heads, Tq, Tk] F32 per layer (bert-base, 8 x 512 tokens:
// 12 layers x 8 x 12 x 512 x 512 x 4 B = 1.2 GB), held for the one batch being run.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace qdq::models {

struct ForwardRequest {
  bool hidden_states = false;  // output_hidden_states: embeddings output, then every layer's output
  bool attentions = false;     // output_attentions
  // Keep only entry K (>= 0, counted as Hugging Face's tuple counts it: 0 = embeddings) of each
  // hidden-state tuple; -1 keeps all. `encode --layer` asks for one so a batch holds one copy.
  int64_t only_hidden_state = -1;
  bool any() const { return hidden_states || attentions; }
};

class ForwardCollector {
 public:
  ForwardCollector(const ForwardRequest& r, TensorMap& out) : r_(r), out_(out) {}
  bool hidden_states() const { return r_.hidden_states; }
  bool attentions() const { return r_.attentions; }
  // Appends `t` as NAME.K (K counts this name's entries). Hidden states are copied, so a layer may
  // go on to modify its input in place; attention maps are taken as they are (each a fresh tensor).
  void hidden(const std::string& name, const Tensor& t, Shape shape);
  void attention(const std::string& name, Tensor t);

 private:
  int64_t next(const std::string& name) { return count_[name]++; }
  ForwardRequest r_;
  TensorMap& out_;
  std::map<std::string, int64_t> count_;
};

// Hugging Face's get_head_mask: `m` [heads] (the same mask for every layer) or [layers, heads],
// any float or integer dtype, as float [layers * heads]; empty when m is undefined. Error
// "input '<name>': ..." for any other shape.
std::vector<float> layer_head_masks(const Tensor& m, int64_t layers, int64_t heads, const char* name);
// Layer l's [heads] row of layer_head_masks(), or null when there is none.
inline const float* head_mask_row(const std::vector<float>& m, int64_t l, int64_t heads) {
  return m.empty() ? nullptr : m.data() + l * heads;
}

}  // namespace qdq::models
