#include "models/forward_outputs.h"

#include <cmath>

#include "models/model.h"

namespace qdq::models {

void ForwardCollector::hidden(const std::string& name, const Tensor& t, Shape shape) {
  if (!r_.hidden_states) return;
  const int64_t k = next(name);
  if (r_.only_hidden_state >= 0 && k != r_.only_hidden_state) return;
  out_.add(name + "." + std::to_string(k), t.clone().reshape(std::move(shape)));
}

void ForwardCollector::attention(const std::string& name, Tensor t) {
  if (!r_.attentions) return;
  out_.add(name + "." + std::to_string(next(name)), std::move(t));
}

TensorMap Model::forward(const TensorMap& inputs, const ForwardRequest& req) {
  check(!req.any(), "{}: hidden states and attentions are not available for this model", arch());
  return forward(inputs);
}

std::vector<float> layer_head_masks(const Tensor& m, int64_t layers, int64_t heads, const char* name) {
  if (!m.defined()) return {};
  const bool per_layer = m.ndim() == 2 && m.dim(0) == layers && m.dim(1) == heads;
  check((m.ndim() == 1 && m.dim(0) == heads) || per_layer,
        "input '{}' has shape {}, expected [{}] (every layer) or [{}, {}] (layers, heads)", name, shape_str(m.shape()),
        heads, layers, heads);
  std::vector<float> v;
  if (dtype_is_float(m.dtype())) {
    const Tensor f = m.to_f32();
    v.assign(f.data<float>(), f.data<float>() + f.numel());
  } else {
    for (int64_t x : m.to_i64_vector()) v.push_back(static_cast<float>(x));
  }
  for (size_t i = 0; i < v.size(); ++i)
    check(std::isfinite(v[i]), "input '{}' holds {} at [{}], expected finite values", name, v[i], i);
  if (!per_layer) {
    std::vector<float> all;
    for (int64_t l = 0; l < layers; ++l) all.insert(all.end(), v.begin(), v.end());
    v = std::move(all);
  }
  return v;
}

}  // namespace qdq::models
