#pragma once
// fp32 vs quantized side by side on the same inputs: the error of every model
// output and at every quant point, worst first, and optionally each
// quantizer's sensitivity (how much the outputs improve when that one alone
// stays float). What `qdqrt compare` prints.
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "models/model.h"

namespace qdq::models {

// Error of `test` against `ref` accumulated over any number of tensor pairs.
struct ErrorStats {
  double max_abs = 0;
  double sum_sq_diff = 0, sum_sq_ref = 0, sum_sq_test = 0, dot = 0;
  int64_t count = 0;
  void add(const Tensor& ref, const Tensor& test);
  double rel_l2() const;  // ||test - ref|| / ||ref|| (0 when both are 0)
  double cosine() const;  // <ref, test> / (||ref|| ||test||) (1 when both are 0)
};

struct NamedError {
  std::string name;
  ErrorStats err;
};

struct Sensitivity {
  std::string quantizer;
  double rel_l2 = 0;       // outputs' relative L2 error with this quantizer alone left float
  double improvement = 0;  // baseline rel_l2 - rel_l2 (positive: keeping it float helps)
};

struct CompareOptions {
  quant::QuantMode test = quant::QuantMode::Int8;       // Int8 or FakeQuant; Disabled with test_math Bf16
  // Bf16 (with test Disabled): bf16 GEMMs against fp32; outputs only (there are no quant points).
  quant::FloatMath test_math = quant::FloatMath::Fp32;
  quant::QuantMode against = quant::QuantMode::Disabled;  // Disabled (fp32) or FakeQuant
  bool sensitivity = false;
};

struct CompareReport {
  std::vector<NamedError> outputs;  // per model output, worst (rel_l2) first
  std::vector<NamedError> points;   // per quant point (the tensor arriving there), worst first
  ErrorStats baseline;              // all float outputs together
  std::vector<Sensitivity> sensitivity;  // best improvement first
};

// `model` must have every quantizer's amax set. Runs each batch through the
// reference and the test precision, and restores fp32 at the end. Quant point
// tensors come from a fake-quant run (int8 kernels keep them in integers), so
// for int8 they show where fake quant's error arises; outputs are the test
// precision's own. Error "<batch name>: ..." for a batch the model rejects.
CompareReport compare_precisions(Model& model, const std::vector<std::pair<std::string, TensorMap>>& batches,
                                 const CompareOptions& opts);

}  // namespace qdq::models
