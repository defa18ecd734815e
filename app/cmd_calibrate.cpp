// qdqrt calibrate: runs calibration batches through the fp32 model with every
// quantizer collecting statistics (pytorch_quantization's enable_calib /
// disable_quant), then writes the amax table. Inputs: safetensors batches used
// exactly as stored, or texts (pipelines/calibration_inputs.h says how each
// model family turns them into batches). Quantizers that see no data stay in
// float (quant/calibration_result.h) unless --strict.
#include <algorithm>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "model_options.h"
#include "progress.h"
#include "quant/amax_table.h"
#include "quant/calibrator.h"
#include "pipelines/batch_checks.h"
#include "quant/calibration_result.h"
#include "quantization/calibrate.h"
#include "flags.h"
#include "output.h"
#include "dataset.h"

namespace qdq::app {
namespace {

struct CalibrateOptions {
  ModelOptions model;
  DatasetOptions data;
  OutputOptions out;
  std::string method = "max";
  double percentile = 99.99;
  int num_bins = 2048;
  bool strict = false;
};

const std::vector<std::string> kFormats = {"json", "safetensors"};

int run_calibrate(CalibrateOptions& o) {
  prepare_output(o.out, kFormats);
  o.model.precision = "fp32";
  Dataset data(o.data, o.model.model_dir);
  auto model = load_model_for(o.model);
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers to calibrate", o.model.model_dir, model->arch());
  const auto batches = data.batches(*model);  // fp32 still: targets may be generated
  Progress progress("calibrate", static_cast<int64_t>(batches.size()));
  quantization::CalibrateSettings cs{o.method, o.percentile, o.num_bins, o.strict};
  const auto result = quantization::calibrate(*model, batches, cs, o.model.model_dir, [&] { progress.advance(); });
  progress.finish();
  if (!result.no_data.empty())
    spdlog::warn("{} quantizers saw no calibration data and stay in float (null in the table; --strict makes this "
                 "an error): {}",
                 result.no_data.size(), list_some(result.no_data, result.no_data.size()));
  plan.set_mode(quant::QuantMode::Disabled);
  if (o.out.format == "json") {  // a file (atomic) or stdout
    LineWriter w(o.out);
    w.write(quant::amax_json_text(result.table, &plan));
    w.commit();
  } else {
    write_safetensors(o.out.path, quant::amax_state_dict(result.table));
  }
  spdlog::info("wrote {} amax values to {}", result.table.size() - result.no_data.size(),
               o.out.to_stdout() ? "<stdout>" : o.out.path);
  return 0;
}

const RegisterCommand reg{
    {"calibrate", "Run calibration data through a model and write an amax table (.json or .safetensors)", 30,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<CalibrateOptions>();
       add_model_options(sub, o->model, /*with_precision=*/false);
       sub.add_option("--method", o->method,
                      "Input quantizers: max, or a 2048-bin histogram with percentile, mse or entropy; weights "
                      "always use per-channel max")
           ->check(CLI::IsMember({"max", "percentile", "mse", "entropy"}));
       sub.add_option("--percentile", o->percentile, "Percentile for --method percentile")
           ->check(CLI::Range(0.0, 100.0));
       sub.add_option("--num-bins", o->num_bins, "Histogram bins (percentile, mse, entropy)")
           ->check(CLI::Range(2, 1 << 24));
       add_dataset_options(sub, o->data,
                           "Calibration texts (else -i FILE or stdin); JSONL records: {\"text\", \"text_pair\"} or, "
                           "for encoder-decoder models, {\"text\": source, \"target\": target}");
       sub.add_flag("--strict", o->strict,
                    "Fail when a quantizer sees no calibration data (pytorch_quantization's strict "
                    "load_calib_amax); default: it stays in float, with a warning");
       add_output_options(sub, o->out, kFormats, "Amax table to write: AMAX.json or AMAX.safetensors", ",--out");
       sub.get_option("--output")->required();
       return std::function<int()>([o, &sub] {
         warn_no_effect(sub, "--percentile", o->method != "percentile", "with --method " + o->method);
         warn_no_effect(sub, "--num-bins", o->method == "max", "with --method max (no histogram)");
         warn_dataset_flags(sub, o->data);
         return run_calibrate(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
