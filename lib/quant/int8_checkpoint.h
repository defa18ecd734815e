#pragma once
// The int8 model directory `qdqrt quantize` writes: config.json and tokenizer
// files copied, one model.safetensors holding
//   <linear>.weight                 I8 [out, in]: q = clamp(round_half_even(w * (127 / amax_c)))
//   <linear>.weight_scale           F32 [out]: amax_c / 127 (for readers such as ONNX / TensorRT:
//                                   w ~= q * weight_scale; qdqrt itself dequantizes as q / (127 / amax_c),
//                                   exactly as pytorch_quantization does)
//   <quantizer>._amax               F32, every quantizer (inputs [] and weights [out, 1]), as
//                                   pytorch_quantization's state dict names them
//   every other weight              F32 unchanged
// and __metadata__ {"format": "pt", "qdqrt.quantized": "int8",
// "qdqrt.calibration": <how>, "qdqrt.version": "1"}, plus
// "qdqrt.float_quantizers": [names] when some quantizers stay in float (no
// calibration data; TensorQuantizer::keeps_float): they have no _amax entry,
// and a Linear whose weight quantizer stays in float keeps its F32 weight.
#include <optional>
#include <string>

#include "io/checkpoint.h"
#include "quant/amax_table.h"

namespace qdq::quant {

// The weight quantizer of checkpoint weight "<m>.weight": "<m>._weight_quantizer",
// also with a "bert." prefix added or removed (checkpoints are saved both ways).
std::optional<std::string> weight_quantizer_for(const std::string& weight_name, const QuantPlan& plan);

// fp32_weights: the quantized Linear weights under their checkpoint names (each
// must have a weight quantizer with amax in plan, see weight_quantizer_for);
// other_weights: everything else, written unchanged. arch (when not empty)
// becomes config.json's architectures, as save_pretrained of that class writes
// it, so the directory loads as the class it was quantized for (a causal LM
// quantized from a seq2seq checkpoint with --arch). The directory appears
// atomically; Error if out_dir exists.
void write_int8_model(const std::string& src_dir, const QuantPlan& plan, const TensorMap& fp32_weights,
                      const TensorMap& other_weights, const std::string& out_dir, const std::string& how,
                      const std::string& arch = "");

// True when the weights say they were written by write_int8_model (metadata or any I8 tensor).
bool is_int8_checkpoint(const Checkpoint& ck);
// Turns every I8 weight back into F32 (q / (127 / amax), so fake quant gives q
// again), drops the _amax / weight_scale entries from ck.weights and returns the
// amax table. Error "<file>: ..." for missing / foreign metadata, an I8 weight
// without amax or with an amax of the wrong length.
AmaxTable dequantize_int8_checkpoint(Checkpoint& ck);

}  // namespace qdq::quant
