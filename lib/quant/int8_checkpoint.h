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
// "qdqrt.calibration": <how>, "qdqrt.version": "1"} and the source model's identity
// (model_type, architecture, weights_hash of its F32 weights: amax_table.h), plus
// "qdqrt.float_quantizers": [names] when some quantizers stay in float (no
// calibration data; TensorQuantizer::keeps_float): they have no _amax entry,
// and a Linear whose weight quantizer stays in float keeps its F32 weight.
#include <map>
#include <optional>
#include <string>

#include "io/checkpoint.h"
#include "quant/amax_table.h"

namespace qdq::quant {

// One quantized Linear weight to write: the checkpoint name it is stored
// under, the F32 [out, in] weight and its weight quantizer (with amax).
struct Int8Weight {
  std::string key;
  Tensor weight;
  const TensorQuantizer* quantizer = nullptr;
};

// weights: the model's quantized Linear weights (from its registry,
// QuantPlan::linears()); other_weights: everything else, written unchanged.
// arch (when not empty) becomes config.json's architectures, as save_pretrained
// of that class writes it, so the directory loads as the class it was quantized
// for (a causal LM quantized from a seq2seq checkpoint with --arch). The
// directory appears atomically; Error if out_dir exists. extra_metadata: more
// __metadata__ entries (accuracy-driven tuning records why quantizers stay float).
void write_int8_model(const std::string& src_dir, const QuantPlan& plan, const std::vector<Int8Weight>& weights,
                      const TensorMap& other_weights, const std::string& out_dir, const std::string& how,
                      const std::string& arch = "", const std::map<std::string, std::string>& extra_metadata = {});

// True when the weights say they were written by write_int8_model (metadata or any I8 tensor).
bool is_int8_checkpoint(const Checkpoint& ck);
// Checks the metadata, takes every "<quantizer>._amax" entry out of ck.weights
// as the amax table and drops the ".weight_scale" entries (derived values for
// other readers). The I8 weights stay: the model's Linears take them as they
// are (layers/quant_linear.h), matched to their quantizers by the model's own
// registry. Error "<file>: ..." for missing / foreign metadata or a bad _amax.
AmaxTable take_int8_amax(Checkpoint& ck);
// I8 codes [out, in] back to the floats fake quant gives: q / (127 / amax_c)
// (so fake-quantizing them again is the identity). Error "<what>: ..." for an
// amax list that fits no row count.
Tensor dequantize_weight(const Tensor& codes, const std::vector<float>& amax, const std::string& what);

}  // namespace qdq::quant
