#pragma once
// Checking and writing an ONNX model with ONNX's own library: strict shape
// inference and the full checker before anything is written, then the
// .onnx file (and its external data) written atomically.
#include <onnx/onnx_pb.h>

#include <string>

namespace qdq::onnx_export {

enum class ExternalData {
  Auto,    // external when the initializers would push the protobuf past its 2 GB limit
  Always,  // every initializer of 1 KiB or more in "<file>.data" (onnx.save_model's size_threshold)
  Never,
};

// Runs onnx::shape_inference::InferShapes (strict: a node that does not infer
// is an error; the inferred value_info stays in the model) and
// onnx::checker::check_model. Error "ONNX export of <what>: ..." (a bug in
// the exporter, not in the user's input).
void check_onnx(onnx::ModelProto& m, const std::string& what);

// Writes m to path; with external data, the large initializers go to
// "<path>.data" (location relative to the model, as onnx.save_model writes
// it) and m is modified to point at them. Both files appear only complete.
// Returns the name of the data file, or "" when everything is inline.
std::string save_onnx(onnx::ModelProto& m, const std::string& path, ExternalData ext);

}  // namespace qdq::onnx_export
