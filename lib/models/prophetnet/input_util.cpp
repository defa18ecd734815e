#include "models/prophetnet/input_util.h"

#include "core/error.h"

namespace qdq::models::prophetnet {

IdBatch read_ids(const TensorMap& in, const std::string& name) {
  check(in.has(name), "inputs: missing '{}'", name);
  const Tensor& t = in.at(name);
  check(t.ndim() == 2, "inputs: '{}' has shape {}, expected [batch, length]", name, shape_str(t.shape()));
  check(!dtype_is_float(t.dtype()), "inputs: '{}' must be an integer tensor, not {}", name, dtype_name(t.dtype()));
  return {t.to_i64_vector(), t.dim(0), t.dim(1)};
}

std::vector<int64_t> read_optional(const TensorMap& in, const std::string& name, int64_t B, int64_t T) {
  if (!in.has(name)) return {};
  IdBatch m = read_ids(in, name);
  check(m.B == B && m.T == T, "inputs: '{}' is [{}, {}], expected [{}, {}]", name, m.B, m.T, B, T);
  return m.v;
}

std::vector<int64_t> shift_right(const IdBatch& labels, int64_t start, int64_t pad) {
  std::vector<int64_t> out(labels.v.size());
  for (int64_t b = 0; b < labels.B; ++b)
    for (int64_t t = 0; t < labels.T; ++t) {
      int64_t v = t == 0 ? start : labels.v[b * labels.T + t - 1];
      out[b * labels.T + t] = v == -100 ? pad : v;
    }
  return out;
}

Tensor scalar(float v) { return Tensor::from_vector(std::vector<float>{v}, Shape{}); }

}  // namespace qdq::models::prophetnet
