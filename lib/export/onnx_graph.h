#pragma once
// A thin builder over ONNX's own GraphProto (libonnx's onnx_pb.h): unique
// value names, initializers from qdq::Tensor, nodes with attributes, and
// graph inputs / outputs with symbolic (dynamic) dimensions. It knows nothing
// about models; lib/export/bert_onnx.cpp writes the BERT graph with it.
#include <onnx/onnx_pb.h>

#include <map>
#include <string>
#include <variant>
#include <vector>

#include "core/tensor.h"

namespace qdq::onnx_export {

// One node attribute: int, float, ints or string.
struct Attr {
  std::string name;
  std::variant<int64_t, float, std::vector<int64_t>, std::string> value;
};

// A graph input / output dimension: a fixed size or a symbolic name ("batch_size").
using Dim = std::variant<int64_t, std::string>;

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* g) : g_(g) {}

  // Initializers (the data is copied into the proto). `name` is used as given (must be unique).
  std::string initializer(const std::string& name, const Tensor& t);
  // Small constants as initializers under generated names ("const_i64_3", ...).
  std::string const_i64(const std::vector<int64_t>& v, bool scalar = false);
  std::string const_f32(float v);

  // A node with one output; returns the output's name (op_type with a counter when `out` is empty).
  std::string node(const std::string& op_type, const std::vector<std::string>& inputs,
                   const std::vector<Attr>& attrs = {}, const std::string& out = "");
  // A node with several outputs.
  std::vector<std::string> node_n(const std::string& op_type, const std::vector<std::string>& inputs, int n_outputs,
                                  const std::vector<Attr>& attrs = {});
  // Graph inputs / outputs of the given element type (onnx::TensorProto_DataType_*).
  void input(const std::string& name, int elem_type, const std::vector<Dim>& dims);
  void output(const std::string& name, int elem_type, const std::vector<Dim>& dims);
  // Node names follow the module path, as torch.onnx.export scopes them ("bert.encoder.layer.0.attention/MatMul").
  void set_scope(std::string scope) { scope_ = std::move(scope); }
  const std::string& scope() const { return scope_; }

  // Total bytes of initializer data so far (decides external data).
  size_t initializer_bytes() const { return init_bytes_; }

 private:
  std::string fresh(const std::string& base);
  onnx::GraphProto* g_;
  std::map<std::string, int> counters_;
  std::string scope_;
  size_t init_bytes_ = 0;
};

}  // namespace qdq::onnx_export
