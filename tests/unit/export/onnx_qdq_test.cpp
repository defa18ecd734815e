// The QDQ graph's quantization nodes against the fixture's amax table (values
// from PyTorch's calibration, not from our output): one QuantizeLinear /
// DequantizeLinear pair per quantizer, scale amax/127, int8 zero point 0,
// per-channel axis 0 for weights, opset 13, HF input / output names with
// dynamic batch and sequence.
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "export/bert_onnx.h"
#include "export/onnx_file.h"
#include "io/atomic_file.h"
#include "models/model.h"
#include "quant/amax_table.h"

using namespace qdq;

namespace {
const std::string kDir = std::string(QDQRT_FIXTURES) + "/qdqbert-seqcls";

onnx::ModelProto export_seqcls(bool with_amax) {
  auto model = models::load_model(kDir);
  if (with_amax)
    quant::apply_amax_table(model->quant_plan(), quant::load_amax_table(kDir + "/amax_max.json"), "amax_max.json");
  Checkpoint ck = load_checkpoint(kDir);
  auto m = onnx_export::bert_to_onnx(ck, model->arch(), model->quant_plan(), {});
  onnx_export::check_onnx(m, kDir);
  return m;
}

const onnx::TensorProto& init(const onnx::ModelProto& m, const std::string& name) {
  for (const auto& t : m.graph().initializer())
    if (t.name() == name) return t;
  FAIL("no initializer " << name);
  throw 0;
}
}  // namespace

TEST_CASE("QDQ export: one Q/DQ pair per quantizer with the table's scale, zero point and axis") {
  const auto m = export_seqcls(true);
  REQUIRE(m.opset_import_size() == 1);
  CHECK(m.opset_import(0).version() == 13);
  const auto table = nlohmann::json::parse(read_file(kDir + "/amax_max.json"));
  std::map<std::string, int> seen;
  const auto& nodes = m.graph().node();
  for (int i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (n.op_type() != "QuantizeLinear") continue;
    const std::string q = n.name().substr(0, n.name().rfind('/'));
    INFO(q);
    REQUIRE(table.contains(q));
    ++seen[q];
    const auto& scale = init(m, n.input(1));
    const auto& zp = init(m, n.input(2));
    CHECK(zp.data_type() == onnx::TensorProto_DataType_INT8);
    for (char c : zp.raw_data()) CHECK(c == 0);
    CHECK(scale.data_type() == onnx::TensorProto_DataType_FLOAT);
    std::vector<float> amax = table[q].is_array() ? table[q].get<std::vector<float>>()
                                                  : std::vector<float>{table[q].get<float>()};
    REQUIRE(scale.raw_data().size() == amax.size() * sizeof(float));
    const float* s = reinterpret_cast<const float*>(scale.raw_data().data());
    for (size_t k = 0; k < amax.size(); ++k) CHECK(s[k] == amax[k] / 127.0f);
    const bool weight = q.find("._weight_quantizer") != std::string::npos;
    CHECK(scale.dims_size() == (weight ? 1 : 0));
    int64_t axis = -1;
    for (const auto& a : n.attribute())
      if (a.name() == "axis") axis = a.i();
    CHECK(axis == (weight ? 0 : -1));
    // The DequantizeLinear that follows reads this Q's output with the same scale and zero point.
    bool paired = false;
    for (const auto& d : nodes)
      if (d.op_type() == "DequantizeLinear" && d.input(0) == n.output(0))
        paired = d.input(1) == n.input(1) && d.input(2) == n.input(2);
    CHECK(paired);
  }
  CHECK(seen.size() == table.size());
  for (auto& [q, count] : seen) CHECK(count == 1);

  const auto& g = m.graph();
  REQUIRE(g.input_size() == 3);
  const char* names[] = {"input_ids", "attention_mask", "token_type_ids"};
  for (int i = 0; i < 3; ++i) {
    CHECK(g.input(i).name() == names[i]);
    const auto& shape = g.input(i).type().tensor_type().shape();
    REQUIRE(shape.dim_size() == 2);
    CHECK(shape.dim(0).dim_param() == "batch_size");
    CHECK(shape.dim(1).dim_param() == "sequence_length");
  }
  REQUIRE(g.output_size() == 1);
  CHECK(g.output(0).name() == "logits");
}

TEST_CASE("fp32 export: no quantization nodes") {
  const auto m = export_seqcls(false);
  for (const auto& n : m.graph().node()) {
    CHECK(n.op_type() != "QuantizeLinear");
    CHECK(n.op_type() != "DequantizeLinear");
  }
}
