#include "quantization/calibrate.h"

#include <unistd.h>

#include <filesystem>
#include <set>

#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/interrupt.h"
#include "io/checkpoint.h"
#include "pipelines/batch_checks.h"
#include "quant/amax_table.h"
#include "quant/calibrator.h"
#include "quant/int8_checkpoint.h"

namespace qdq::quantization {

namespace fs = std::filesystem;

quant::CalibrationResult calibrate(models::Model& model, const std::vector<pipelines::CalibrationBatch>& batches,
                                   const CalibrateSettings& s, const std::string& model_dir,
                                   const std::function<void()>& on_batch) {
  auto& plan = model.quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers to calibrate", model_dir, model.arch());
  for (auto& q : plan.all())
    q->set_calibrator(plan.is_weight_quantizer(q.get()) ? quant::make_calibrator("max", q->desc())
                                                        : quant::make_calibrator(s.method, q->desc(), s.num_bins,
                                                                                 s.percentile));
  plan.set_mode(quant::QuantMode::Calibrate);
  model.prepare();
  int64_t samples = 0;
  for (auto& b : batches) {
    try {
      model.forward(b.tensors);
    } catch (const Error& e) {
      for (auto& q : plan.all()) q->set_calibrator(nullptr);
      throw Error("{}: {}", b.where, e.what());
    }
    samples += pipelines::batch_rows(b.tensors);
    if (on_batch) on_batch();
  }
  spdlog::info("calibration ({}): {} samples in {} batches through {} quantizers", s.method, samples, batches.size(),
               plan.all().size());
  auto result = quant::calibration_result(plan, s.method, model_dir, s.strict);
  for (auto& q : plan.all()) q->set_calibrator(nullptr);
  plan.set_mode(quant::QuantMode::Disabled);
  model.prepare();
  return result;
}

void check_destination(const std::string& out, bool force) {
  interrupt::expect_output(out);  // an interruption from here on names it as not written
  const fs::path parent = fs::path(out).parent_path();
  check(parent.empty() || fs::is_directory(parent), "{}: cannot write: directory {} does not exist", out,
        parent.string());
  if (!fs::exists(out)) return;
  check(force, "{}: already exists; refusing to overwrite (--force replaces it)", out);
  check(fs::is_directory(out), "{}: exists and is not a directory; --force replaces only a model directory", out);
}

size_t quantize_checkpoint(models::Model& model, const std::string& model_dir, const std::string& out,
                           const QuantizeCheckpointOptions& o) {
  Checkpoint ck = load_checkpoint(model_dir);
  check(!quant::is_int8_checkpoint(ck), "{}: already an int8 model directory", model_dir);
  auto& plan = model.quant_plan();
  // The model's registry says which checkpoint tensor each quantized Linear
  // weight is; every other tensor is written unchanged.
  std::vector<quant::Int8Weight> linear;
  std::set<std::string> keys;
  for (const auto& l : plan.linears()) {
    if (l->weight_key.empty()) {
      // Tied (ProphetNet's lm_head = the word embeddings, stored once): the F32 embedding stays (the
      // lookup needs it) and the head quantizes it with its stored _amax when the directory is loaded.
      spdlog::info("{}: tied to another parameter, kept F32 (quantized on load)", l->weight_quantizer->name());
      continue;
    }
    // A weight quantizer that stays in float (its Linear saw no calibration data) keeps the F32 weight.
    if (l->weight_quantizer->keeps_float()) continue;
    linear.push_back({l->weight_key, l->weight, l->weight_quantizer});
    keys.insert(l->weight_key);
  }
  TensorMap other;
  for (const auto& name : ck.weights.names)
    if (!keys.count(name)) other.add(name, ck.weights.at(name));
  // --force: write beside the old directory, then swap the two in one rename.
  const bool replace = fs::exists(out);
  check(!replace || o.force, "{}: already exists; refusing to overwrite (--force replaces it)", out);
  const std::string dest =
      replace ? (fs::path(out).parent_path() / ("." + fs::path(out).filename().string() + ".new." +
                                                 std::to_string(::getpid())))
                    .string()
              : out;
  if (replace) {
    fs::remove_all(dest);
    // Until the swap the new directory is a temporary (removed on a signal); replace_dir unregisters it
    // once it has removed what the swap left there (the old directory).
    interrupt::add_temporary(dest, out, true);
  }
  quant::write_int8_model(model_dir, plan, linear, other, dest, o.how, o.arch.empty() ? "" : model.arch(),
                          o.extra_metadata);
  if (replace) replace_dir(dest, out);
  return linear.size();
}

}  // namespace qdq::quantization
