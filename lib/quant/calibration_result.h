#pragma once
// The amax table at the end of a calibration run (pytorch_quantization's
// load_calib_amax over every quantizer), and what happens to quantizers that
// saw no data: a ProphetNetForCausalLM checkpoint carries cross-attention
// (ProphetNet configs default add_cross_attention to true) that a causal LM
// never runs, so its quantizers collect nothing.
#include <string>
#include <vector>

#include "quant/amax_table.h"

namespace qdq::quant {

struct CalibrationResult {
  AmaxTable table;                   // every quantizer of the plan; empty entry = stays in float
  std::vector<std::string> no_data;  // the quantizers that stay in float, plan order
};

// Every quantizer must have the calibrator that collected its data
// (make_calibrator); input quantizers compute `method` (max, percentile, mse,
// entropy), weight quantizers max. An input quantizer that saw no
// data stays in float, and so does the weight quantizer of the same module (the
// module never ran). A weight quantizer without data whose module did run (a
// layer that folds its weight once at prepare()) gets the max of its weight,
// read from the plan's registry of Linears (ckpt_dir is no longer read). strict: pytorch_quantization's load_calib_amax(strict=True),
// an Error naming the quantizers that saw no data. The table's metadata names the model
// (model_identity: model_type, architecture, weights hash), which apply_amax_table checks.
CalibrationResult calibration_result(QuantPlan& plan, const std::string& method,
                                     const std::string& ckpt_dir, bool strict);

}  // namespace qdq::quant
