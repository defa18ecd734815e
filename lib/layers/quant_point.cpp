#include "layers/quant_point.h"

#include "kernels/int8.h"

namespace qdq::layers {

using quant::QuantMode;

void quant_point(quant::TensorQuantizer& q, Tensor& x) {
  // A quant point with no int8 kernel behind it (the residual adds) keeps fake-quant numerics in Int8 mode.
  if (q.mode() != QuantMode::Int8) return q.apply(x);
  check(q.has_amax(), "quantizer {} has no amax", q.name());
  const auto& d = q.desc();
  quant::fake_quant(x.data<float>(), x.shape(), q.amax(), d.axis, d.num_bits, d.is_unsigned, d.narrow_range);
}

std::string int8_blocker(const quant::TensorQuantizer& q, bool allow_unsigned) {
  const auto& d = q.desc();
  if (q.mode() != QuantMode::Int8) return q.name() + " is not in int8 mode";
  if (!q.has_amax()) return q.name() + " has no amax";
  if (q.amax().size() != 1) return q.name() + " is per channel (int8 activations need one per-tensor amax)";
  if (d.num_bits != 8) return q.name() + " has " + std::to_string(d.num_bits) + " bits";
  if (d.narrow_range) return q.name() + " uses a narrow range";
  if (d.is_unsigned && !allow_unsigned) return q.name() + " is unsigned (oneDNN's weights operand is s8 only)";
  return "";
}

bool int8_ready(const quant::TensorQuantizer& q, bool allow_unsigned) { return int8_blocker(q, allow_unsigned).empty(); }

std::optional<kernels::FakeQuantStep> fused_fake_quant_step(const quant::TensorQuantizer& q) {
  if (q.has_tap()) return std::nullopt;
  if (q.mode() == QuantMode::Disabled) return kernels::FakeQuantStep{};
  if (q.mode() != QuantMode::FakeQuant && q.mode() != QuantMode::Int8) return std::nullopt;
  const auto& d = q.desc();
  if (!q.has_amax() || q.amax().size() != 1 || d.is_unsigned) return std::nullopt;
  const quant::QuantBounds b = quant::quant_bounds(d.num_bits, d.is_unsigned, d.narrow_range);
  return kernels::FakeQuantStep{true, quant::quant_scale(q.amax()[0], b.max_bound), b.min_bound, b.max_bound};
}

float int8_scale(const quant::TensorQuantizer& q) { return kernels::quant_scale(q.amax()[0], q.desc().is_unsigned); }

}  // namespace qdq::layers
