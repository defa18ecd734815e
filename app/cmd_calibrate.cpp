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
#include "io/path_guard.h"
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

// Settings pytorch_quantization's calibrators cannot use, refused before any work (a table with a
// zero amax would only be rejected when used).
void check_calibrator_settings(const CalibrateOptions& o) {
  const bool searches = o.method == "mse" || o.method == "entropy";
  // _compute_amax_mse / _compute_amax_entropy: start_bin = 128, candidates from there to num_bins.
  if (searches && o.num_bins <= 128)
    throw UsageError("--num-bins {}: --method {} searches the histogram from bin 128 (pytorch_quantization's "
                     "start_bin), so it needs more than 128 bins (default 2048)",
                     o.num_bins, o.method);
}

int run_calibrate(CalibrateOptions& o) {
  check_calibrator_settings(o);
  prepare_output(o.out, kFormats);
  refuse_overwriting_inputs({o.model.model_dir, o.data.text_in.input}, {o.out.path});
  for (const auto& t : o.data.tensors_in) refuse_overwriting_inputs({tensors_arg_file(t)}, {o.out.path});
  o.model.precision = "fp32";
  Dataset data(o.data, o.model.model_dir, o.model.arch);
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
       flag(sub, "--method", o->method);
       flag(sub, "--percentile", o->percentile);
       flag(sub, "--num-bins", o->num_bins);
       add_dataset_options(sub, o->data,
                           "Calibration texts (else -i FILE or stdin); JSONL records as encode / generate read them "
                           "for this model ({\"text\", \"text_pair\"}, {\"question\", \"context\"}, "
                           "{\"context\", \"choices\"}; encoder-decoders: {\"text\": source, \"target\"})");
       switch_flag(sub, "--strict", o->strict);
       add_output_options(sub, o->out, kFormats, "the amax table: AMAX.json (or stdout) or AMAX.safetensors");
       return std::function<int()>([o, &sub] {
         warn_no_effect(sub, "--percentile", o->method != "percentile", "with --method " + o->method);
         warn_no_effect(sub, "--num-bins", o->method == "max", "with --method max (no histogram)");
         warn_dataset_flags(sub, o->data);
         return run_calibrate(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
