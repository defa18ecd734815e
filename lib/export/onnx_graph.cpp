#include "export/onnx_graph.h"

namespace qdq::onnx_export {

namespace {

int onnx_type(DType t) {
  switch (t) {
    case DType::F32: return onnx::TensorProto_DataType_FLOAT;
    case DType::I64: return onnx::TensorProto_DataType_INT64;
    case DType::I8: return onnx::TensorProto_DataType_INT8;
    case DType::U8: return onnx::TensorProto_DataType_UINT8;
    default: throw Error("ONNX export: no initializer type for {}", dtype_name(t));
  }
}

void set_type(onnx::ValueInfoProto* v, int elem_type, const std::vector<Dim>& dims) {
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  auto* shape = tt->mutable_shape();
  for (const auto& d : dims) {
    auto* dim = shape->add_dim();
    if (std::holds_alternative<int64_t>(d)) dim->set_dim_value(std::get<int64_t>(d));
    else dim->set_dim_param(std::get<std::string>(d));
  }
}

}  // namespace

std::string GraphBuilder::fresh(const std::string& base) {
  const int n = counters_[base]++;
  return n == 0 ? base : base + "_" + std::to_string(n);
}

std::string GraphBuilder::initializer(const std::string& name, const Tensor& t) {
  auto* init = g_->add_initializer();
  init->set_name(name);
  init->set_data_type(onnx_type(t.dtype()));
  for (int64_t d : t.shape()) init->add_dims(d);
  // Little-endian raw bytes, as torch.onnx.export stores them.
  init->set_raw_data(t.raw(), t.nbytes());
  init_bytes_ += t.nbytes();
  return name;
}

std::string GraphBuilder::const_i64(const std::vector<int64_t>& v, bool scalar) {
  check(!scalar || v.size() == 1, "const_i64: a scalar needs one value");
  Tensor t = Tensor::from_vector(v, scalar ? Shape{} : Shape{static_cast<int64_t>(v.size())});
  return initializer(fresh("const_i64"), t);
}

std::string GraphBuilder::const_f32(float v) {
  return initializer(fresh("const_f32"), Tensor::from_vector(std::vector<float>{v}, Shape{}));
}

std::vector<std::string> GraphBuilder::node_n(const std::string& op_type, const std::vector<std::string>& inputs,
                                              int n_outputs, const std::vector<Attr>& attrs) {
  auto* n = g_->add_node();
  n->set_op_type(op_type);
  const std::string base = scope_.empty() ? op_type : scope_ + "/" + op_type;
  n->set_name(fresh(base));
  for (const auto& i : inputs) n->add_input(i);
  std::vector<std::string> outs;
  for (int k = 0; k < n_outputs; ++k) {
    outs.push_back(n_outputs == 1 ? n->name() : n->name() + ":" + std::to_string(k));
    n->add_output(outs.back());
  }
  for (const auto& a : attrs) {
    auto* p = n->add_attribute();
    p->set_name(a.name);
    if (auto* i = std::get_if<int64_t>(&a.value)) {
      p->set_type(onnx::AttributeProto_AttributeType_INT);
      p->set_i(*i);
    } else if (auto* f = std::get_if<float>(&a.value)) {
      p->set_type(onnx::AttributeProto_AttributeType_FLOAT);
      p->set_f(*f);
    } else if (auto* v = std::get_if<std::vector<int64_t>>(&a.value)) {
      p->set_type(onnx::AttributeProto_AttributeType_INTS);
      for (int64_t x : *v) p->add_ints(x);
    } else {
      p->set_type(onnx::AttributeProto_AttributeType_STRING);
      p->set_s(std::get<std::string>(a.value));
    }
  }
  return outs;
}

std::string GraphBuilder::node(const std::string& op_type, const std::vector<std::string>& inputs,
                               const std::vector<Attr>& attrs, const std::string& out) {
  std::string o = node_n(op_type, inputs, 1, attrs)[0];
  if (!out.empty()) {  // a graph output: rename the node's output
    auto* n = g_->mutable_node(g_->node_size() - 1);
    n->set_output(0, out);
    o = out;
  }
  return o;
}

void GraphBuilder::input(const std::string& name, int elem_type, const std::vector<Dim>& dims) {
  set_type(g_->add_input(), elem_type, dims);
  g_->mutable_input(g_->input_size() - 1)->set_name(name);
}

void GraphBuilder::output(const std::string& name, int elem_type, const std::vector<Dim>& dims) {
  set_type(g_->add_output(), elem_type, dims);
  g_->mutable_output(g_->output_size() - 1)->set_name(name);
}

}  // namespace qdq::onnx_export
