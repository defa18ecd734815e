#pragma once
// The error of a test tensor against a reference, as sums: any number of
// tensor pairs (every batch of a data set) add into one ErrorStats in constant
// memory, and max abs, relative L2 and cosine come out of the sums at the end.
#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace qdq::quantization {

struct ErrorStats {
  double max_abs = 0;
  double sum_sq_diff = 0, sum_sq_ref = 0, sum_sq_test = 0, dot = 0;
  int64_t count = 0;
  void add(const Tensor& ref, const Tensor& test);  // Error when the two differ in size
  void merge(const ErrorStats& o);
  double rel_l2() const;  // ||test - ref|| / ||ref|| (0 when both are 0)
  double cosine() const;  // <ref, test> / (||ref|| ||test||) (1 when both are 0)
};

struct NamedError {
  std::string name;
  ErrorStats err;
};

}  // namespace qdq::quantization
