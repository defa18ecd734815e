// qdqrt quantize: model + amax table in, int8 model directory out
// (quant/int8_checkpoint.h describes the format).
#include <fmt/format.h>

#include <filesystem>
#include <optional>
#include <vector>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/interrupt.h"
#include "io/path_guard.h"
#include "flags.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"
#include "quantization/calibrate.h"
#include "quantization/eval_set.h"
#include "quantization/tune.h"
#include "pipelines/batch_checks.h"
#include "pipelines/calibration_inputs.h"
#include "flags.h"
#include "models/input_info.h"
#include "task_flags.h"
#include "text/tokenizer.h"

namespace qdq::app {
namespace {

namespace fs = std::filesystem;

struct QuantizeOptions {
  std::string model_dir, arch, amax, out, how;
  bool force = false;
  // Calibrate here (--calib), and tune by accuracy (--eval): a separate block of flags.
  std::string calib, eval, max_loss = "0.01", method = "max", ngram_relpos;
  double percentile = 99.99, timeout = 0;
  int num_bins = 2048, max_trials = 20;
  pipelines::CalibrationInputOptions batching;  // max_length 0 (set below): what the model holds
  TaskFlags task;
};

// --calib FILE: its records as calibration batches for `model` (which must run fp32).
std::vector<pipelines::CalibrationBatch> calib_batches(const QuantizeOptions& o, models::Model& model,
                                                       const std::vector<quantization::EvalRecord>& calib) {
  std::vector<pipelines::CalibrationRecord> recs;
  for (auto& r : calib) recs.push_back({r.text, r.pair, r.target, r.choices, r.where});
  auto batches = pipelines::calibration_batches(model, o.model_dir, recs, o.batching);
  const auto config = load_config(o.model_dir);
  for (auto& b : batches) pipelines::validate_batch(b.tensors, o.calib + ": " + b.where, config);
  return batches;
}

// The float reasons of the metadata: accuracy fallbacks, then quantizers without calibration data.
std::string float_reasons(const std::vector<std::string>& accuracy, const std::vector<std::string>& no_data) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (auto& n : accuracy) j[n] = "left float: accuracy";
  for (auto& n : no_data) j[n] = "left float: no calibration data";
  return j.dump();
}

int run_calibrate_quantize(QuantizeOptions o) {
  quantization::check_destination(o.out, o.force);
  refuse_overwriting_inputs({o.model_dir, o.calib, o.eval}, {}, {o.out});
  // Every input is read and checked before the model loads.
  quantization::TuneSettings ts;
  quantization::parse_max_loss(o.max_loss, ts.max_loss, ts.relative);
  const auto calib = quantization::read_eval_records(o.calib);
  const auto eval = o.eval.empty() ? std::vector<quantization::EvalRecord>{} : quantization::read_eval_records(o.eval);
  if (!eval.empty()) quantization::reference_kind(eval);
  models::LoadOptions lo;
  lo.arch = o.arch;
  lo.ngram_relpos = o.ngram_relpos;
  auto model = models::load_model(o.model_dir, lo);  // fp32: calibration targets may be generated
  if (o.batching.max_length == 0)  // --max-length 0: what the model holds, as everywhere
    o.batching.max_length = models::max_input_tokens(load_config(o.model_dir),
                                                     text::load_tokenizer(o.model_dir)->model_max_length());
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers", o.model_dir, model->arch());
  const auto batches = calib_batches(o, *model, calib);
  quantization::QuantizeCheckpointOptions qo;
  qo.arch = o.arch;
  qo.force = o.force;
  std::optional<nlohmann::ordered_json> report;
  if (o.eval.empty()) {
    const quantization::CalibrateSettings cs{o.method, o.percentile, o.num_bins, false};
    const auto cal = quantization::calibrate(*model, batches, cs, o.model_dir);
    quant::apply_amax_table(plan, cal.table, o.calib);
    qo.how = o.how.empty() ? fmt::format("calibrated: {} on {}", o.method, fs::path(o.calib).filename().string())
                           : o.how;
    if (!cal.no_data.empty()) qo.extra_metadata[quantization::kFloatReasonsKey] = float_reasons({}, cal.no_data);
  } else {
    ts.max_trials = o.max_trials;
    ts.timeout_s = o.timeout;
    ts.num_bins = o.num_bins;
    ts.task = task_settings(o.task, *model, o.batching.max_length, o.batching.batch_size);
    const auto r = quantization::tune(*model, o.model_dir, batches, eval, ts, [&](const quantization::Trial& t) {
      spdlog::info("trial {}/{}: {}{} -> {} {:.6g}, loss {:.6g}{} ({:.1f} s){}", t.index, ts.max_trials, t.recipe,
                   t.left_float.empty() ? "" : fmt::format(", {} left float", t.left_float.size()),
                   t.metrics.at(0).name, t.metrics.at(0).value, t.loss, ts.relative ? " (relative)" : "", t.seconds,
                   t.left_float.empty() ? "" : t.accepted ? ", kept" : ", reverted");
    });
    if (!r.within)
      spdlog::warn("tune: loss {:.6g} is above --max-loss {} ({}); writing the best trial", r.trials[r.chosen].loss,
                   o.max_loss, r.stop_reason);
    qo.how = o.how.empty() ? fmt::format("tuned by accuracy on {}: {}{}", fs::path(o.eval).filename().string(),
                                         r.recipe,
                                         r.left_float.empty() ? "" : fmt::format(", {} left float", r.left_float.size()))
                           : o.how;
    qo.extra_metadata[quantization::kFloatReasonsKey] = float_reasons(r.left_float, r.no_data);
    report = quantization::tune_report(r, ts);
    spdlog::info("tune: fp32 {} {:.6g}, int8 {:.6g} ({}, {} left float): {}", r.fp32[0].name, r.fp32[0].value,
                 r.trials[r.chosen].metrics[0].value, r.recipe, r.left_float.size(), r.stop_reason);
  }
  const size_t n = quantization::quantize_checkpoint(*model, o.model_dir, o.out, qo);
  if (report) write_file_atomic((fs::path(o.out) / "quantization_report.json").string(), report->dump(2) + "\n");
  spdlog::info("wrote {}: {} int8 Linear weights", o.out, n);
  return 0;
}

int run_quantize(const QuantizeOptions& o) {
  check(o.amax.empty() != o.calib.empty(), "quantize needs --amax TABLE or --calib FILE (one of them)");
  check(o.eval.empty() || !o.calib.empty(), "--eval needs --calib FILE (tuning calibrates)");
  if (!o.calib.empty()) return run_calibrate_quantize(o);
  quantization::check_destination(o.out, o.force);
  refuse_overwriting_inputs({o.model_dir, o.amax}, {}, {o.out});
  const quant::AmaxTable table = quant::load_amax_table(o.amax);
  // The model gives the quantizer names (and validates that the weights fit its config).
  models::LoadOptions lo;
  lo.arch = o.arch;
  lo.prepare = false;  // only the registry is needed: no kernels
  auto model = models::load_model(o.model_dir, lo);
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers", o.model_dir, model->arch());
  quant::apply_amax_table(plan, table, o.amax);
  quantization::QuantizeCheckpointOptions qo;
  qo.how = o.how.empty() ? fs::path(o.amax).filename().string() : o.how;
  qo.arch = o.arch;
  qo.force = o.force;
  const size_t n = quantization::quantize_checkpoint(*model, o.model_dir, o.out, qo);
  const auto floats = quant::float_quantizers(quant::amax_table_of(plan));
  if (!floats.empty())
    spdlog::warn("{}: {} quantizers stay in float (no calibration data; recorded in the metadata as {})", o.out,
                 floats.size(), quant::kFloatQuantizersKey);
  spdlog::info("wrote {}: {} int8 Linear weights, {} amax values", o.out, n, plan.all().size() - floats.size());
  return 0;
}

const RegisterCommand reg{
    {"quantize", "Model + amax table in, int8 model directory out", 40, [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<QuantizeOptions>();
       flag(sub, "--model", o->model_dir, "fp32");
       flag(sub, "--arch", o->arch);
       flag(sub, "--amax", o->amax, "or --calib");
       flag(sub, "--output", o->out, "the int8 model directory")->required();
       switch_flag(sub, "--force", o->force);
       flag(sub, "--how", o->how, "with --calib: the method or the tuning and the file");
       // Calibrate-then-quantize, and accuracy-driven tuning.
       flag(sub, "--calib", o->calib);
       flag(sub, "--method", o->method, "with --calib and no --eval");
       flag(sub, "--percentile", o->percentile);
       flag(sub, "--num-bins", o->num_bins);
       flag(sub, "--eval", o->eval);
       flag(sub, "--max-loss", o->max_loss);
       flag(sub, "--max-trials", o->max_trials);
       flag(sub, "--timeout", o->timeout);
       flag(sub, "--batch-size", o->batching.batch_size);
       o->batching.max_length = 0;
       flag(sub, "--max-length", o->batching.max_length, "calibration and eval texts");
       flag(sub, "--max-target-length", o->batching.max_target_length);
       flag(sub, "--ngram-relpos", o->ngram_relpos);
       add_task_flags(sub, o->task);
       return std::function<int()>([o] { return run_quantize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
