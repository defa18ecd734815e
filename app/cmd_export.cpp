// qdqrt export: a model (fp32, + an amax table, or an int8 directory) as an
// ONNX graph for ONNX Runtime and TensorRT (lib/export/ builds and checks it).
#include <filesystem>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "export/bert_onnx.h"
#include "export/onnx_file.h"
#include "io/checkpoint.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::app {
namespace {

namespace fs = std::filesystem;

struct ExportOptions {
  std::string model_dir, arch, amax, format = "onnx", out, external = "auto";
  int opset = 13;
};

int run_export(const ExportOptions& o) {
  // Everything that can be seen before the work starts is checked first.
  const fs::path out(o.out);
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  check(fs::is_directory(parent), "{}: directory {} does not exist", o.out, parent.string());
  check(!fs::is_directory(out), "{}: is a directory", o.out);
  check(o.opset >= 13 && o.opset <= 17, "--opset {}: supported opsets are 13..17", o.opset);
  std::optional<quant::AmaxTable> table;
  if (!o.amax.empty()) table = quant::load_amax_table(o.amax);

  Checkpoint ck = load_checkpoint(o.model_dir);
  if (quant::is_int8_checkpoint(ck)) {
    check(!table, "--amax {}: {} is an int8 directory and carries its own amax values", o.amax, o.model_dir);
    quant::take_int8_amax(ck);  // the plan of the loaded model below gets the amax
  }
  // The model gives the quantizers (names as named_modules() has them) and validates weights and table.
  models::LoadOptions lo;
  lo.arch = o.arch;
  lo.prepare = false;  // the graph needs the registry, not kernels
  auto model = models::load_model(o.model_dir, lo);
  // An int8 directory's I8 Linear weights, as the floats they stand for, under their checkpoint names.
  for (const auto& l : model->quant_plan().linears())
    if (l->weight.dtype() == DType::I8 && !l->weight_key.empty())
      ck.weights.tensors[l->weight_key] =
          quant::dequantize_weight(l->weight, l->weight_quantizer->amax(), l->weight_key);
  check(model->family() == "bert", "{}: export supports the BERT family (QDQBert* / Bert*), not {}", o.model_dir,
        model->arch());
  auto& plan = model->quant_plan();
  if (table) quant::apply_amax_table(plan, *table, o.amax);
  // Quantizers without amax (left in float by calibration) export as plain float tensors.
  bool qdq = false;
  for (const auto& q : plan.all()) qdq = qdq || q->has_amax();

  onnx_export::OnnxOptions opts;
  opts.opset = o.opset;
  auto m = onnx_export::bert_to_onnx(ck, model->arch(), plan, opts);
  model.reset();
  onnx_export::check_onnx(m, o.model_dir);
  const auto ext = o.external == "always"  ? onnx_export::ExternalData::Always
                   : o.external == "never" ? onnx_export::ExternalData::Never
                                           : onnx_export::ExternalData::Auto;
  const std::string data = onnx_export::save_onnx(m, o.out, ext);
  int pairs = 0;
  for (const auto& n : m.graph().node()) pairs += n.op_type() == "QuantizeLinear";
  spdlog::info("wrote {}{}: {} (opset {}, {} graph, {} nodes, {} QuantizeLinear/DequantizeLinear pairs)", o.out,
               data.empty() ? "" : " + " + data, m.graph().name(), o.opset, qdq ? "QDQ int8" : "fp32",
               m.graph().node_size(), pairs);
  return 0;
}

const RegisterCommand reg{
    {"export", "Model (+ amax table, or an int8 directory) to an ONNX graph for ONNX Runtime / TensorRT", 45,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<ExportOptions>();
       sub.add_option("-m,--model", o->model_dir, "Hugging Face checkpoint directory (or a qdqrt int8 directory)")
           ->required();
       sub.add_option("--arch", o->arch, "Model class, overriding config.json architectures[0]");
       sub.add_option("--amax", o->amax,
                      "Amax table (.json or .safetensors): every quantizer becomes a QuantizeLinear/DequantizeLinear "
                      "pair; without it (and not an int8 directory) the graph is fp32");
       sub.add_option("--format", o->format, "Output format")->check(CLI::IsMember({"onnx"}))->capture_default_str();
       sub.add_option("-o,--output", o->out, "Output .onnx file")->required();
       sub.add_option("--opset", o->opset, "ONNX opset (13..17; 17 uses LayerNormalization)")->capture_default_str();
       sub.add_option("--save-as-external-data", o->external,
                      "Weights in <output>.data next to the model: auto (when the model passes 2 GB), always, never")
           ->check(CLI::IsMember({"auto", "always", "never"}))
           ->capture_default_str();
       return std::function<int()>([o] { return run_export(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
