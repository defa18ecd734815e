#include "quant/calibration_result.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "core/strings.h"
#include "quant/calibrator.h"
#include "quant/int8_checkpoint.h"

namespace qdq::quant {

namespace {

// pytorch_quantization's MaxCalibrator over the weights of the registry's
// Linears whose weight quantizers are in `wanted` (their layer folded the
// weight at prepare(), so the forward never fed it).
void weight_amax_from_registry(const QuantPlan& plan, const std::vector<std::string>& wanted, AmaxTable& table) {
  for (const auto& l : plan.linears()) {
    const std::string& qn = l->weight_quantizer->name();
    if (table.count(qn) || std::find(wanted.begin(), wanted.end(), qn) == wanted.end()) continue;
    const Tensor w = l->weight.dtype() == DType::I8
                         ? dequantize_weight(l->weight, l->weight_quantizer->amax(), qn)
                         : l->weight.to_f32();
    auto cal = make_calibrator("max", l->weight_quantizer->desc());
    cal->collect(w.data<float>(), w.shape());
    table[qn] = *cal->compute_amax("max");
  }
}

}  // namespace

CalibrationResult calibration_result(QuantPlan& plan, const std::string& method,
                                     const std::string& /*ckpt_dir: weights come from the registry*/, bool strict) {
  CalibrationResult r;
  std::vector<std::string> folded;
  for (auto& q : plan.all()) {
    check(q->calibrator() != nullptr, "quantizer {} has no calibrator", q->name());
    const bool weight = plan.is_weight_quantizer(q.get());
    auto a = q->calibrator()->compute_amax(weight ? "max" : method);
    if (a) r.table[q->name()] = std::move(*a);
    else if (!weight) r.no_data.push_back(q->name());
  }
  check(!strict || r.no_data.empty(),
        "{} input quantizers saw no calibration data (pytorch_quantization's strict load_calib_amax; without "
        "--strict they stay in float): {}",
        r.no_data.size(), list_some(r.no_data));
  for (auto& q : plan.all()) {
    const LinearParams* l = plan.linear_of_weight(q.get());
    if (r.table.count(q->name()) || !l) continue;
    const std::string& in = l->input->name();
    if (std::find(r.no_data.begin(), r.no_data.end(), in) != r.no_data.end())
      r.no_data.push_back(q->name());  // its module never ran
    else
      folded.push_back(q->name());
  }
  if (!folded.empty()) weight_amax_from_registry(plan, folded, r.table);
  for (const auto& n : folded)
    check(r.table.count(n), "quantizer {} got no amax (no data, no matching weight)", n);
  for (const auto& n : r.no_data) r.table[n] = {};
  // Plan order for the list, as named_modules() gives it.
  std::vector<std::string> ordered;
  for (auto& q : plan.all())
    if (std::find(r.no_data.begin(), r.no_data.end(), q->name()) != r.no_data.end()) ordered.push_back(q->name());
  r.no_data = std::move(ordered);
  r.table.metadata = model_identity(plan);  // the model the table belongs to (amax_table.h)
  for (auto& [name, v] : r.table)
    if (!v.empty() && std::none_of(v.begin(), v.end(), [](float x) { return x > 0.0f; }))
      spdlog::warn("{}: amax is zero (the quantizer only saw zeros)", name);
  return r;
}

}  // namespace qdq::quant
