#pragma once
// Calibration (pytorch_quantization's enable_calib / disable_quant, then
// load_calib_amax) and the int8 model directory, as library calls: what
// `qdqrt calibrate`, `qdqrt quantize` and accuracy-driven tuning share.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "models/model.h"
#include "pipelines/calibration_inputs.h"
#include "quant/calibration_result.h"

namespace qdq::quantization {

struct CalibrateSettings {
  std::string method = "max";  // input quantizers: max, percentile, mse, entropy (weights: per-channel max)
  double percentile = 99.99;
  int num_bins = 2048;
  bool strict = false;  // a quantizer that sees no data is an Error (else it stays in float)
};

// Runs the batches through the model in fp32 with every quantizer collecting, and returns the
// amax table (quant/calibration_result.h), which the caller applies (quant::apply_amax_table);
// the model is left Disabled (fp32), its quantizers' amax values untouched. on_batch: called after each batch (progress). Error "<batch where>: ..." for a
// batch the model rejects.
quant::CalibrationResult calibrate(models::Model& model, const std::vector<pipelines::CalibrationBatch>& batches,
                                   const CalibrateSettings& s, const std::string& model_dir,
                                   const std::function<void()>& on_batch = {});

// Writes the int8 model directory of `model` (loaded from the fp32 checkpoint in model_dir, its
// amax values set) to out_dir, atomically; an existing out_dir is replaced only with `force` (old
// or new, never a mix). `how` is the calibration note of the metadata; `extra_metadata` adds
// entries (e.g. why quantizers stay float). Returns the number of int8 Linear weights.
struct QuantizeCheckpointOptions {
  std::string how;
  std::string arch;  // the --arch override the model was loaded with ("" = config.json's)
  bool force = false;
  std::map<std::string, std::string> extra_metadata;
};
size_t quantize_checkpoint(models::Model& model, const std::string& model_dir, const std::string& out_dir,
                           const QuantizeCheckpointOptions& o);

// Before any work: the destination's parent exists; an existing destination needs force (and
// must be a directory). Error naming out_dir.
void check_destination(const std::string& out_dir, bool force);

}  // namespace qdq::quantization
