#pragma once
// The precision plan as data: every quant point of a prepared model, in
// named_modules() order, with what it runs (quant::PointPlan), its dtype,
// granularity and amax; and the count per kind. What `qdqrt inspect` prints.
#include <nlohmann/json.hpp>
#include <map>
#include <string>

#include "quant/tensor_quantizer.h"

namespace qdq::quant {

// {"quant_points": [{"name", "role", "kernel", "op", "dtype", "granularity",
//   "num_bits", "amax" (number, {"channels", "min", "max"} or null), "note"?}],
//  "counts": {"<kernel>": n, ...}}. role: "linear input", "linear weight" or
// "activation" (matmul and residual-add inputs).
// float_reasons: why quantizers stay float (an int8 directory's metadata, float_reasons_of);
// each listed quantizer gets its reason as the note.
nlohmann::ordered_json plan_report(const QuantPlan& plan, const std::map<std::string, std::string>& float_reasons = {});

// The int8 metadata entry that names why quantizers stay float: a JSON object
// {"<quantizer>": "left float: accuracy" | "left float: no calibration data"}.
inline const char* kFloatReasonsKey = "qdqrt.float_reasons";
// That entry of an int8 directory's metadata (empty when absent or not an object of strings).
std::map<std::string, std::string> float_reasons_of(const std::map<std::string, std::string>& int8_metadata);
// A readable table of plan_report's quant points, then the counts.
std::string plan_report_text(const nlohmann::ordered_json& report);

}  // namespace qdq::quant
