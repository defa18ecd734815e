#pragma once
// The precision plan as data: every quant point of a prepared model, in
// named_modules() order, with what it runs (quant::PointPlan), its dtype,
// granularity and amax; and the count per kind. What `qdqrt inspect` prints.
#include <nlohmann/json.hpp>
#include <string>

#include "quant/tensor_quantizer.h"

namespace qdq::quant {

// {"quant_points": [{"name", "role", "kernel", "op", "dtype", "granularity",
//   "num_bits", "amax" (number, {"channels", "min", "max"} or null), "note"?}],
//  "counts": {"<kernel>": n, ...}}. role: "linear input", "linear weight" or
// "activation" (matmul and residual-add inputs).
nlohmann::ordered_json plan_report(const QuantPlan& plan);
// A readable table of plan_report's quant points, then the counts.
std::string plan_report_text(const nlohmann::ordered_json& report);

}  // namespace qdq::quant
