#pragma once
// fp32 vs quantized side by side on the same inputs: the error of every model
// output and at every quant point, worst first, and optionally each
// quantizer's sensitivity (how much the outputs improve when that one alone
// stays float). What `qdqrt compare` prints.
//
// Memory does not grow with the input: the batches are taken a chunk at a time
// (consecutive batches until the reference's stored outputs and quant-point
// tensors reach CompareOptions::chunk_bytes, at least one batch), every
// precision runs over that chunk, the errors are added into sums (ErrorStats),
// and the chunk's tensors are dropped before the next. Each chunk costs one
// prepare() per precision (and per quantizer with --sensitivity).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/safetensors.h"
#include "models/model.h"
#include "quantization/error_stats.h"

namespace qdq::quantization {

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
  bool points = true;  // the quant-point section (false: outputs only, no tensors kept per point)
  int64_t chunk_bytes = int64_t{256} << 20;
};

struct CompareReport {
  std::vector<NamedError> outputs;  // per model output, worst (rel_l2) first
  std::vector<NamedError> points;   // per quant point (the tensor arriving there), worst first
  ErrorStats baseline;              // all float outputs together
  std::vector<Sensitivity> sensitivity;  // best improvement first
};

using NamedBatches = std::vector<std::pair<std::string, TensorMap>>;

// `model` must have every quantizer's amax set (or keep it float). Runs each
// batch through the reference and the test precision, and restores fp32 at the
// end. Quant point tensors come from a fake-quant run (int8 kernels keep them in
// integers), so for int8 they show where fake quant's error arises; outputs are
// the test precision's own. Error "<batch name>: ..." for a batch the model rejects.
CompareReport compare_precisions(models::Model& model, const NamedBatches& batches, const CompareOptions& opts);

// Sets every quantizer's mode (the names in keep_float Disabled) and prepares the model.
void set_modes(models::Model& m, quant::QuantMode mode, const std::vector<std::string>& keep_float = {});

}  // namespace qdq::quantization
