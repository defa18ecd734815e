#pragma once
// Accuracy-driven quantization: Intel Neural Compressor's "tolerable loss"
// tuning (its basic strategy), on qdqrt's int8 path:
//   1. the eval metric of fp32 (task_eval.h; the first metric score() gives);
//   2. each calibration recipe in turn (max, percentile 99.9 / 99.99 / 99.999, mse, entropy):
//      calibrate, run int8, measure; stop at the first whose loss is within the tolerance;
//   3. else, from the best recipe: rank the quantizers as `compare --sensitivity` does (int8
//      outputs against fp32 on the calibration batches, each quantizer alone left float) and leave
//      them float one at a time, best first, keeping each fallback that improves the metric
//      (cumulative), until the loss is within the tolerance or the trials / time run out.
// The loss is fp32 - int8 for a metric where higher is better (accuracy, ROUGE-L), int8 - fp32 for
// a loss; absolute in the metric's unit, or relative to |fp32|.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/model.h"
#include "pipelines/calibration_inputs.h"
#include "quant/amax_table.h"
#include "quant/plan_report.h"
#include "quantization/calibrate.h"
#include "quantization/eval_set.h"
#include "quantization/task_eval.h"

namespace qdq::quantization {

struct Recipe {
  std::string method;       // max, percentile, mse, entropy
  double percentile = 0;    // percentile only
  std::string label() const;  // "max", "percentile 99.99", ...
};
std::vector<Recipe> default_recipes();

struct TuneSettings {
  double max_loss = 0.01;
  bool relative = false;  // max_loss is a fraction of |fp32 metric|
  int max_trials = 20;    // int8 evaluations (recipes and fallbacks)
  double timeout_s = 0;   // 0: none; checked before each trial
  std::vector<Recipe> recipes = default_recipes();
  int num_bins = 2048;
  TaskSettings task;
};

struct Trial {
  int index = 0;  // 1-based
  std::string recipe;
  std::vector<std::string> left_float;  // quantizers left float for accuracy in this trial
  std::vector<Metric> metrics;
  double loss = 0;  // in the tolerance's unit (relative when TuneSettings::relative)
  double seconds = 0;
  bool accepted = false;  // a fallback kept (it helped), or the recipe that became the base
};

struct TuneResult {
  std::vector<Metric> fp32;
  std::vector<Trial> trials;
  int chosen = 0;         // index into trials
  bool within = false;    // the chosen trial's loss is within the tolerance
  std::string recipe;     // of the chosen trial
  std::vector<std::string> left_float;  // for accuracy, plan order
  std::vector<std::string> no_data;     // float because they saw no calibration data
  quant::AmaxTable table;               // the chosen amax table (float entries empty)
  std::string stop_reason;              // "within tolerance", "max trials", "timeout", "no more quantizers"
};

// `model` loaded fp32 from model_dir; calib: its calibration batches; eval: records with references
// (or none: then fp32's own outputs are the references, agreement metrics). on_trial: after each trial
// (progress). The model ends with the chosen table applied, Disabled (fp32) mode.
TuneResult tune(models::Model& model, const std::string& model_dir,
                const std::vector<pipelines::CalibrationBatch>& calib, const std::vector<EvalRecord>& eval,
                const TuneSettings& s, const std::function<void(const Trial&)>& on_trial = {});

// --max-loss: "0.005" (absolute) or "1%" (relative: 0.01 of |fp32|). Error for anything else or a
// negative value.
void parse_max_loss(const std::string& text, double& value, bool& relative);

// quantization_report.json: the settings, fp32's metrics, every trial, the choice.
nlohmann::ordered_json tune_report(const TuneResult& r, const TuneSettings& s);

// The int8 metadata entry naming why quantizers stay float (quant/plan_report.h; inspect prints it).
using quant::kFloatReasonsKey;

}  // namespace qdq::quantization
