#include "pipelines/raw_outputs.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"

namespace qdq::pipelines {

void RawOutputs::add(size_t index, const TensorMap& out, int64_t b, int64_t len) {
  if (names_.empty()) {
    const int64_t T = out.at("last_hidden_state").dim(1);
    for (auto& n : out.names) {
      const Tensor& t = out.at(n);
      names_.push_back(n);
      Shape s(t.shape().begin() + 1, t.shape().end());
      // A second dimension equal to the batch's T is the token axis (HF outputs
      // are [B, T, ...] or [B, ...]); pooler_output / sequence logits are never per token.
      bool tok = t.ndim() >= 2 && t.dim(1) == T && n != "pooler_output" && !(n == "logits" && t.ndim() == 2);
      per_token_.push_back(tok);
      item_shape_.push_back(s);
    }
  }
  check(names_.size() == out.names.size(), "raw outputs: a batch with {} outputs after {}", out.names.size(),
        names_.size());
  if (index >= rows_.size()) {
    rows_.resize(index + 1);
    lens_.resize(index + 1, 0);
  }
  lens_[index] = len;
  Row& r = rows_[index];
  r.data.resize(names_.size());
  for (size_t k = 0; k < names_.size(); ++k) {
    const Tensor& t = out.at(names_[k]);
    const int64_t per_b = t.numel() / t.dim(0);
    const float* p = t.data<float>() + b * per_b;
    int64_t n = per_b;
    if (per_token_[k]) n = per_b / t.dim(1) * len;  // only the real tokens
    r.data[k].assign(p, p + n);
  }
}

TensorMap RawOutputs::gather() const {
  TensorMap m;
  check(!rows_.empty(), "raw outputs: no inputs");
  const int64_t N = static_cast<int64_t>(rows_.size());
  const int64_t Tmax = *std::max_element(lens_.begin(), lens_.end());
  for (size_t k = 0; k < names_.size(); ++k) {
    Shape s = item_shape_[k];
    if (per_token_[k]) s[0] = Tmax;
    Shape full{N};
    full.insert(full.end(), s.begin(), s.end());
    Tensor t(DType::F32, full);
    const int64_t per = shape_numel(s);
    for (int64_t i = 0; i < N; ++i)
      std::copy(rows_[i].data[k].begin(), rows_[i].data[k].end(), t.data<float>() + i * per);
    m.add(names_[k], t);
  }
  Tensor mask(DType::I64, {N, Tmax});
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < lens_[i]; ++j) mask.data<int64_t>()[i * Tmax + j] = 1;
  m.add("attention_mask", mask);
  return m;
}

}  // namespace qdq::pipelines
