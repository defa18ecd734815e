#pragma once
// Several Linears that read the same input, run as one GEMM over their concatenated weights
// (ProphetNet's query, key, value and relative-position projections). One kernel call instead of
// four: a decoding step's GEMVs are each a parallel region, and under OMP_WAIT_POLICY=passive every
// region costs a thread wake-up (~50 us, a GEMV's own time). Every output column is computed as its
// own Linear computes it (int8: the same integer sums, per-channel scale and bias; float: the same
// weights and K order), so the numbers are those of running the parts.
#include <vector>

#include "layers/quant_linear.h"

namespace qdq::layers {

class FusedLinears {
 public:
  // After the parts' prepare(). Fuses when they run alike on one input: all int8 with one input
  // quantizer (same scale and signedness: max calibration gives them the same amax, as they see the
  // same tensor), or all plain float of one math; then frees the parts' kernels. Otherwise (fake
  // quant, calibration, mixed precisions) forward() runs the parts.
  void prepare(const std::vector<QuantLinear*>& parts);
  bool fused() const { return fused_; }
  // outputs[i] = parts[i]->forward(x), x [..., K].
  std::vector<Tensor> forward(const Tensor& x);

 private:
  std::vector<QuantLinear*> parts_;
  std::vector<int64_t> widths_;
  kernels::Int8Linear int8_;
  kernels::Linear float_;
  bool fused_ = false;
};

}  // namespace qdq::layers
