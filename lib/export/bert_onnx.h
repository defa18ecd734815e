#pragma once
// The BERT family (QDQBert* / Bert*: bare model and every head qdqrt runs) as
// the ONNX graph torch.onnx.export writes for it: inputs input_ids,
// attention_mask, token_type_ids (INT64, dynamic batch and sequence), outputs
// under Hugging Face's names. When the plan's quantizers carry amax values,
// each one becomes a QuantizeLinear / DequantizeLinear pair at its place in
// the forward (export/qdq.h): Linear inputs and weights, the four attention
// matmul inputs, the two inputs of each residual add. Without amax: fp32.
#include <onnx/onnx_pb.h>

#include <string>

#include "io/checkpoint.h"
#include "quant/tensor_quantizer.h"

namespace qdq::onnx_export {

struct OnnxOptions {
  int opset = 13;  // 13..17; 17 writes LayerNormalization, older ones its decomposition
};

// ck: fp32 weights (an int8 directory dequantized first); arch: the class
// (empty: config.json's); plan: the model's quantizers, named as
// named_modules() names them, all with amax (QDQ graph) or none (fp32).
// Error "<file>: ..." for weights that do not fit the config.
onnx::ModelProto bert_to_onnx(const Checkpoint& ck, const std::string& arch, const quant::QuantPlan& plan,
                              const OnnxOptions& opts);

}  // namespace qdq::onnx_export
