#pragma once
// A pytorch_quantization TensorQuantizer as torch.onnx.export writes it with
// TensorQuantizer.use_fb_fake_quant = True: torch.fake_quantize_per_tensor_affine
// / _per_channel_affine, which the opset-13 symbolic turns into
//   QuantizeLinear(x, scale, zero_point) -> DequantizeLinear(., scale, zero_point)
// with scale = amax / 127 (amax / 255 unsigned), zero point 0 of type int8
// (uint8 unsigned), and axis = the quantizer's axis for per-channel amax.
#include <string>

#include "export/onnx_graph.h"
#include "quant/tensor_quantizer.h"

namespace qdq::onnx_export {

// x itself when q has no amax (a disabled quantizer: fp32 graph); else the
// DequantizeLinear output. Error for quantizers ONNX's 8-bit QDQ cannot express
// (num_bits != 8).
std::string quant_dequant(GraphBuilder& g, const std::string& x, const quant::TensorQuantizer& q);

}  // namespace qdq::onnx_export
