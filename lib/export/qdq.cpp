#include "export/qdq.h"

#include <cmath>

namespace qdq::onnx_export {

std::string quant_dequant(GraphBuilder& g, const std::string& x, const quant::TensorQuantizer& q) {
  if (!q.has_amax()) return x;
  const auto& d = q.desc();
  check(d.num_bits == 8, "{}: {}-bit quantizer; ONNX QuantizeLinear / DequantizeLinear are 8-bit", q.name(),
        d.num_bits);
  // _fb_fake_quant uses the full range [-128, 127] (or [0, 255]) "to be consistent with ONNX",
  // narrow_range or not, with bound = 2^(bits-1) - 1 (2^bits - 1 unsigned).
  const float bound = d.is_unsigned ? 255.0f : 127.0f;
  const auto& amax = q.amax();
  // One value is per tensor even for a per-channel descriptor (the same numbers either way).
  const bool per_channel = amax.size() > 1;
  std::vector<float> scale(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) {
    // A (near-)zero amax makes pytorch_quantization quantize everything to 0; scale 0 would make
    // QuantizeLinear divide by zero, so any scale works for an all-zero channel: take 1.
    scale[i] = amax[i] <= std::ldexp(1.0f, -24) ? 1.0f : amax[i] / bound;
  }
  const int64_t n = static_cast<int64_t>(scale.size());
  const Shape shape = per_channel ? Shape{n} : Shape{};
  const std::string s = g.initializer(q.name() + ".scale", Tensor::from_vector(scale, shape));
  Tensor zp(d.is_unsigned ? DType::U8 : DType::I8, shape);  // zero-filled
  const std::string z = g.initializer(q.name() + ".zero_point", zp);
  std::vector<Attr> attrs;
  if (per_channel) attrs.push_back({"axis", static_cast<int64_t>(d.axis.value_or(0))});
  const std::string saved = g.scope();
  g.set_scope(q.name());
  const std::string qx = g.node("QuantizeLinear", {x, s, z}, attrs);
  const std::string dqx = g.node("DequantizeLinear", {qx, s, z}, attrs);
  g.set_scope(saved);
  return dqx;
}

}  // namespace qdq::onnx_export
