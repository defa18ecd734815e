#pragma once
// encode's raw outputs: per-input rows gathered from length-sorted batches
// back into input order, padded to the longest input, written as
// safetensors (every output + attention_mask) or .npy (one array).
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace qdq::app {

class RawOutputs {
 public:
  explicit RawOutputs(size_t n) : rows_(n), lens_(n, 0) {}
  // Row b of every tensor in `out` (batch-major) belongs to input `index`,
  // which has `len` real tokens of the batch's T.
  void add(size_t index, const TensorMap& out, int64_t b, int64_t len);
  // Per-token outputs [N, Tmax, ...] zero-padded, others [N, ...]; plus attention_mask [N, Tmax] I64.
  TensorMap gather() const;

 private:
  struct Row {
    std::vector<std::vector<float>> data;  // per output name, in names_ order
  };
  std::vector<std::string> names_;
  std::vector<Shape> item_shape_;  // per output, without the batch dimension (tokens dim = 0 when per-token)
  std::vector<bool> per_token_;
  std::vector<Row> rows_;
  std::vector<int64_t> lens_;
};

// NumPy .npy v1.0, little-endian float32 / int64, C order; written atomically.
void write_npy(const std::string& path, const Tensor& t);

}  // namespace qdq::app
