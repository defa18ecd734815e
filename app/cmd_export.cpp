// qdqrt export: a model (fp32, + an amax table, or an int8 directory) as an
// ONNX graph for ONNX Runtime and TensorRT (lib/export/ builds and checks it).
#include <filesystem>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "export/bert_onnx.h"
#include "export/onnx_file.h"
#include "io/checkpoint.h"
#include "io/path_guard.h"
#include "flags.h"
#include "output.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::app {
namespace {

namespace fs = std::filesystem;

struct ExportOptions {
  std::string model_dir, arch, amax, out, external = "auto";
  OutputOptions output;  // -o and --output-format (onnx)
  int opset = 13;
};

int run_export(ExportOptions& o) {
  // Everything that can be seen before the work starts is checked first.
  o.out = o.output.path;
  if (o.out.empty() || o.out == "-") throw UsageError("export needs -o FILE.onnx (an ONNX model is not written to stdout)");
  prepare_output(o.output, {"onnx"});
  // The external weights file is written too (save_onnx names it <output>.data).
  refuse_overwriting_inputs({o.model_dir, o.amax}, {o.out, o.out + ".data"});
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
       flag(sub, "--model", o->model_dir);
       flag(sub, "--arch", o->arch);
       flag(sub, "--amax", o->amax,
            "every quantizer becomes a QuantizeLinear/DequantizeLinear pair; without it (and not an int8 "
            "directory) the graph is fp32");
       add_output_options(sub, o->output, {"onnx"}, "the .onnx file");
       flag(sub, "--opset", o->opset);
       flag(sub, "--save-as-external-data", o->external);
       return std::function<int()>([o] { return run_export(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
