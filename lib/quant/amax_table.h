#pragma once
// Amax tables: {quantizer name: amax} as JSON (number, or list for per-channel)
// or as a safetensors state dict with "<name>._amax" tensors (shape [] per
// tensor, [out, 1] per channel, as pytorch_quantization stores them).
#include <map>
#include <string>
#include <vector>

#include "quant/tensor_quantizer.h"

namespace qdq::quant {

using AmaxTable = std::map<std::string, std::vector<float>>;

// By extension: .json, or .safetensors (a state dict; other keys are ignored).
AmaxTable load_amax_table(const std::string& path);
void save_amax_table(const std::string& path, const AmaxTable& t, const QuantPlan& plan);
// The table of a calibrated / loaded plan.
AmaxTable amax_table_of(const QuantPlan& plan);
// Sets every quantizer's amax. Error "<path>: ..." for a missing quantizer, a
// zero, negative or NaN amax, or a per-channel list of the wrong length.
void apply_amax_table(QuantPlan& plan, const AmaxTable& t, const std::string& path);

}  // namespace qdq::quant
