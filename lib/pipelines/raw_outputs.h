#pragma once
// Raw model outputs for `encode --output-format npy|safetensors`: per-input
// rows collected from length-sorted batches, gathered back into input order
// and padded to the longest input.
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace qdq::pipelines {

class RawOutputs {
 public:
  // Row b of every tensor in `out` (batch-major) belongs to input `index`,
  // which has `len` real tokens of the batch's T. Indices may come in any order.
  void add(size_t index, const TensorMap& out, int64_t b, int64_t len);
  size_t size() const { return rows_.size(); }
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

}  // namespace qdq::pipelines
