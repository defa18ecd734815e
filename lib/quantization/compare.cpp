#include "models/compare.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "core/log.h"
#include "quant/calibrator.h"

namespace qdq::models {

void ErrorStats::add(const Tensor& ref, const Tensor& test) {
  const Tensor r = ref.to_f32(), t = test.to_f32();
  check(r.numel() == t.numel(), "compare: {} values against {}", t.numel(), r.numel());
  const float* a = r.data<float>();
  const float* b = t.data<float>();
  for (int64_t i = 0; i < r.numel(); ++i) {
    const double x = a[i], y = b[i], d = y - x;
    max_abs = std::max(max_abs, std::fabs(d));
    if (std::isnan(d)) max_abs = NAN;
    sum_sq_diff += d * d;
    sum_sq_ref += x * x;
    sum_sq_test += y * y;
    dot += x * y;
  }
  count += r.numel();
}

double ErrorStats::rel_l2() const {
  if (sum_sq_ref == 0) return sum_sq_diff == 0 ? 0.0 : INFINITY;
  return std::sqrt(sum_sq_diff / sum_sq_ref);
}

double ErrorStats::cosine() const {
  if (sum_sq_ref == 0 || sum_sq_test == 0) return sum_sq_ref == sum_sq_test ? 1.0 : 0.0;
  return dot / std::sqrt(sum_sq_ref * sum_sq_test);
}

namespace {

// Calibrate mode needs a calibrator; the reference run only wants the values unchanged.
class NoCalibrator : public quant::Calibrator {
 public:
  void collect(const float*, const Shape&) override {}
  std::optional<std::vector<float>> compute_amax(const std::string&) override { return std::nullopt; }
};

using Taps = std::map<std::string, std::vector<Tensor>>;

// Sets every quantizer's mode (those in `keep_float` Disabled) and prepares.
void set_modes(Model& m, quant::QuantMode mode, const std::string& keep_float = "") {
  for (auto& q : m.quant_plan().all()) q->set_mode(q->name() == keep_float ? quant::QuantMode::Disabled : mode);
  m.prepare();
}

std::vector<TensorMap> run_all(Model& m, const std::vector<std::pair<std::string, TensorMap>>& batches) {
  std::vector<TensorMap> out;
  for (auto& [where, b] : batches) {
    try {
      out.push_back(m.forward(b));
    } catch (const Error& e) {
      throw Error("{}: {}", where, e.what());
    }
  }
  return out;
}

// Runs with every quantizer's input recorded. Float (`mode` Disabled) runs in
// Calibrate mode, which leaves values unchanged but passes them by apply().
std::vector<TensorMap> run_tapped(Model& m, const std::vector<std::pair<std::string, TensorMap>>& batches,
                                  quant::QuantMode mode, Taps& taps) {
  auto& plan = m.quant_plan();
  if (mode == quant::QuantMode::Disabled) {
    for (auto& q : plan.all()) q->set_calibrator(std::make_unique<NoCalibrator>());
    mode = quant::QuantMode::Calibrate;
  }
  for (auto& q : plan.all()) {
    auto* v = &taps[q->name()];
    q->set_tap([v](const Tensor& x) { v->push_back(x.to_f32().clone()); });
  }
  set_modes(m, mode);
  auto out = run_all(m, batches);
  for (auto& q : plan.all()) {
    q->set_tap(nullptr);
    q->set_calibrator(nullptr);
  }
  return out;
}

ErrorStats output_error(const std::vector<TensorMap>& ref, const std::vector<TensorMap>& test,
                        std::map<std::string, ErrorStats>* per_output) {
  ErrorStats all;
  for (size_t i = 0; i < ref.size(); ++i)
    for (auto& n : ref[i].names) {
      if (!test[i].has(n) || !dtype_is_float(ref[i].at(n).dtype())) continue;
      all.add(ref[i].at(n), test[i].at(n));
      if (per_output) (*per_output)[n].add(ref[i].at(n), test[i].at(n));
    }
  return all;
}

void sort_worst_first(std::vector<NamedError>& v) {
  std::stable_sort(v.begin(), v.end(), [](const NamedError& a, const NamedError& b) {
    return a.err.rel_l2() > b.err.rel_l2();
  });
}

}  // namespace

namespace {
// bf16 against fp32: the same model run with each float math, outputs compared.
CompareReport compare_float_math(Model& m, const std::vector<std::pair<std::string, TensorMap>>& batches,
                                 const CompareOptions& o) {
  check(!o.sensitivity, "compare: --sensitivity ranks quantizers; bf16 has none");
  auto& plan = m.quant_plan();
  plan.set_float_math(quant::FloatMath::Fp32);
  set_modes(m, quant::QuantMode::Disabled);
  const auto ref = run_all(m, batches);
  plan.set_float_math(o.test_math);
  set_modes(m, quant::QuantMode::Disabled);
  const auto test = run_all(m, batches);
  plan.set_float_math(quant::FloatMath::Fp32);
  set_modes(m, quant::QuantMode::Disabled);
  CompareReport r;
  std::map<std::string, ErrorStats> per;
  r.baseline = output_error(ref, test, &per);
  for (auto& [n, e] : per) r.outputs.push_back({n, e});
  sort_worst_first(r.outputs);
  return r;
}
}  // namespace

CompareReport compare_precisions(Model& m, const std::vector<std::pair<std::string, TensorMap>>& batches,
                                 const CompareOptions& o) {
  if (o.test_math != quant::FloatMath::Fp32) return compare_float_math(m, batches, o);
  auto& plan = m.quant_plan();
  for (auto& q : plan.all()) check(q->has_amax(), "compare: quantizer {} has no amax", q->name());
  CompareReport r;
  // Quant points: the reference's tensors against fake quant's.
  Taps ref_taps, fq_taps;
  const auto ref_out = run_tapped(m, batches, o.against, ref_taps);
  const auto fq_out = run_tapped(m, batches, quant::QuantMode::FakeQuant, fq_taps);
  // Against fake quant, the fake-quant taps would be compared with themselves: no point section then.
  for (auto& q : plan.all()) {
    if (o.against == quant::QuantMode::FakeQuant) break;
    const auto& a = ref_taps[q->name()];
    const auto& b = fq_taps[q->name()];
    if (a.empty() || a.size() != b.size()) continue;  // weights (not seen by apply) or a point not reached
    NamedError e{q->name(), {}};
    for (size_t i = 0; i < a.size(); ++i) e.err.add(a[i], b[i]);
    r.points.push_back(e);
  }
  sort_worst_first(r.points);
  // Outputs: the test precision's own.
  std::vector<TensorMap> test_out;
  if (o.test == quant::QuantMode::FakeQuant) {
    test_out = fq_out;
  } else {
    set_modes(m, o.test);
    test_out = run_all(m, batches);
  }
  std::map<std::string, ErrorStats> per;
  r.baseline = output_error(ref_out, test_out, &per);
  for (auto& [n, e] : per) r.outputs.push_back({n, e});
  sort_worst_first(r.outputs);
  if (o.sensitivity) {
    for (auto& q : plan.all()) {
      set_modes(m, o.test, q->name());
      const ErrorStats e = output_error(ref_out, run_all(m, batches), nullptr);
      r.sensitivity.push_back({q->name(), e.rel_l2(), r.baseline.rel_l2() - e.rel_l2()});
    }
    std::stable_sort(r.sensitivity.begin(), r.sensitivity.end(),
                     [](const Sensitivity& a, const Sensitivity& b) { return a.improvement > b.improvement; });
  }
  set_modes(m, quant::QuantMode::Disabled);
  return r;
}

}  // namespace qdq::models
