#include "quantization/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/log.h"
#include "quant/calibrator.h"

namespace qdq::quantization {

void set_modes(models::Model& m, quant::QuantMode mode, const std::vector<std::string>& keep_float) {
  const std::set<std::string> keep(keep_float.begin(), keep_float.end());
  for (auto& q : m.quant_plan().all()) q->set_mode(keep.count(q->name()) ? quant::QuantMode::Disabled : mode);
  m.prepare();
}

namespace {

// Calibrate mode needs a calibrator; the reference run only wants the values unchanged.
class NoCalibrator : public quant::Calibrator {
 public:
  void collect(const float*, const Shape&) override {}
  std::optional<std::vector<float>> compute_amax(const std::string&) override { return std::nullopt; }
};

TensorMap forward_at(models::Model& m, const std::pair<std::string, TensorMap>& b) {
  try {
    return m.forward(b.second);
  } catch (const Error& e) {
    throw Error("{}: {}", b.first, e.what());
  }
}

// Only the float outputs are compared: the others are not kept.
TensorMap float_outputs(TensorMap&& out) {
  TensorMap kept;
  for (auto& n : out.names)
    if (dtype_is_float(out.at(n).dtype())) kept.add(n, out.at(n));
  return kept;
}

int64_t bytes_of(const Tensor& t) { return t.numel() * 4; }
int64_t bytes_of(const TensorMap& m) {
  int64_t b = 0;
  for (auto& n : m.names) b += bytes_of(m.at(n));
  return b;
}

void add_output_error(const TensorMap& ref, const TensorMap& test, ErrorStats& all,
                      std::map<std::string, ErrorStats>* per_output) {
  for (auto& n : ref.names) {
    if (!test.has(n)) continue;
    all.add(ref.at(n), test.at(n));
    if (per_output) (*per_output)[n].add(ref.at(n), test.at(n));
  }
}

void sort_worst_first(std::vector<NamedError>& v) {
  std::stable_sort(v.begin(), v.end(), [](const NamedError& a, const NamedError& b) {
    return a.err.rel_l2() > b.err.rel_l2();
  });
}

// A quant point's error over the batches; broken when the two runs reached it a different
// number of times (its tensors cannot be paired), and then left out of the report.
struct PointAcc {
  ErrorStats err;
  bool broken = false;
};

using BatchTaps = std::map<std::string, std::vector<Tensor>>;

// The reference over the next chunk of batches, from `next` on: outputs (and, with `taps`, the
// tensor arriving at every quantizer) until they hold chunk_bytes. Float (`mode` Disabled) runs
// in Calibrate mode, which leaves values unchanged but passes them by apply().
std::vector<TensorMap> run_reference_chunk(models::Model& m, const NamedBatches& batches, size_t& next,
                                           quant::QuantMode mode, std::vector<BatchTaps>* taps,
                                           int64_t chunk_bytes) {
  auto& plan = m.quant_plan();
  int64_t bytes = 0;
  if (taps) {
    if (mode == quant::QuantMode::Disabled) {
      for (auto& q : plan.all()) q->set_calibrator(std::make_unique<NoCalibrator>());
      mode = quant::QuantMode::Calibrate;
    }
    for (auto& q : plan.all()) {
      const std::string name = q->name();
      q->set_tap([taps, name, &bytes](const Tensor& x) {
        taps->back()[name].push_back(x.to_f32().clone());
        bytes += bytes_of(x);
      });
    }
  }
  set_modes(m, mode);
  std::vector<TensorMap> out;
  const size_t first = next;
  while (next < batches.size() && (next == first || bytes < chunk_bytes)) {
    if (taps) taps->emplace_back();
    out.push_back(float_outputs(forward_at(m, batches[next])));
    bytes += bytes_of(out.back());
    ++next;
  }
  for (auto& q : plan.all()) {
    q->set_tap(nullptr);
    q->set_calibrator(nullptr);
  }
  return out;
}

// bf16 against fp32: the same model run with each float math, outputs compared.
CompareReport compare_float_math(models::Model& m, const NamedBatches& batches, const CompareOptions& o) {
  check(!o.sensitivity, "compare: --sensitivity ranks quantizers; bf16 has none");
  auto& plan = m.quant_plan();
  CompareReport r;
  std::map<std::string, ErrorStats> per;
  for (size_t next = 0; next < batches.size();) {
    const size_t first = next;
    plan.set_float_math(quant::FloatMath::Fp32);
    const auto ref = run_reference_chunk(m, batches, next, quant::QuantMode::Disabled, nullptr, o.chunk_bytes);
    plan.set_float_math(o.test_math);
    set_modes(m, quant::QuantMode::Disabled);
    for (size_t i = first; i < next; ++i)
      add_output_error(ref[i - first], float_outputs(forward_at(m, batches[i])), r.baseline, &per);
  }
  plan.set_float_math(quant::FloatMath::Fp32);
  set_modes(m, quant::QuantMode::Disabled);
  for (auto& [n, e] : per) r.outputs.push_back({n, e});
  sort_worst_first(r.outputs);
  return r;
}

}  // namespace

CompareReport compare_precisions(models::Model& m, const NamedBatches& batches, const CompareOptions& o) {
  if (o.test_math != quant::FloatMath::Fp32) return compare_float_math(m, batches, o);
  auto& plan = m.quant_plan();
  for (auto& q : plan.all())
    check(q->has_amax() || q->keeps_float(), "compare: quantizer {} has no amax", q->name());
  // Against fake quant, the fake-quant taps would be compared with themselves: no point section then.
  const bool points = o.points && o.against != quant::QuantMode::FakeQuant;
  CompareReport r;
  std::map<std::string, ErrorStats> per_output;
  std::map<std::string, PointAcc> per_point;
  std::vector<ErrorStats> sens(plan.all().size());
  for (size_t next = 0; next < batches.size();) {
    const size_t first = next;
    std::vector<BatchTaps> ref_taps;
    const auto ref = run_reference_chunk(m, batches, next, o.against, points ? &ref_taps : nullptr, o.chunk_bytes);
    // Fake quant: each tensor arriving at a quant point is compared with the reference's as it comes.
    if (points || o.test == quant::QuantMode::FakeQuant) {
      size_t cur = 0;
      std::map<std::string, size_t> seen;
      std::map<std::string, ErrorStats> batch_err;
      if (points)
        for (auto& q : plan.all()) {
          const std::string name = q->name();
          q->set_tap([&, name](const Tensor& x) {
            const auto it = ref_taps[cur].find(name);
            const size_t k = seen[name]++;
            if (it != ref_taps[cur].end() && k < it->second.size()) batch_err[name].add(it->second[k], x);
          });
        }
      set_modes(m, quant::QuantMode::FakeQuant);
      for (cur = 0; cur < ref.size(); ++cur) {
        seen.clear();
        batch_err.clear();
        const TensorMap out = float_outputs(forward_at(m, batches[first + cur]));
        if (points) {
          for (auto& [name, v] : ref_taps[cur]) {
            auto& acc = per_point[name];
            if (seen[name] != v.size()) acc.broken = true;
            else acc.err.merge(batch_err[name]);
          }
          for (auto& [name, n] : seen)
            if (n > 0 && !ref_taps[cur].count(name)) per_point[name].broken = true;
          ref_taps[cur].clear();  // this batch's tensors are done with
        }
        if (o.test == quant::QuantMode::FakeQuant) add_output_error(ref[cur], out, r.baseline, &per_output);
      }
      for (auto& q : plan.all()) q->set_tap(nullptr);
    }
    if (o.test != quant::QuantMode::FakeQuant) {
      set_modes(m, o.test);
      for (size_t i = first; i < next; ++i)
        add_output_error(ref[i - first], float_outputs(forward_at(m, batches[i])), r.baseline, &per_output);
    }
    if (o.sensitivity)
      for (size_t qi = 0; qi < plan.all().size(); ++qi) {
        set_modes(m, o.test, {plan.all()[qi]->name()});
        for (size_t i = first; i < next; ++i)
          add_output_error(ref[i - first], float_outputs(forward_at(m, batches[i])), sens[qi], nullptr);
      }
  }
  for (auto& q : plan.all()) {
    const auto it = per_point.find(q->name());
    // Weights (not seen by apply), points never reached, or reached unevenly: no row.
    if (it == per_point.end() || it->second.broken || it->second.err.count == 0) continue;
    r.points.push_back({q->name(), it->second.err});
  }
  sort_worst_first(r.points);
  for (auto& [n, e] : per_output) r.outputs.push_back({n, e});
  sort_worst_first(r.outputs);
  if (o.sensitivity) {
    for (size_t qi = 0; qi < plan.all().size(); ++qi)
      r.sensitivity.push_back({plan.all()[qi]->name(), sens[qi].rel_l2(), r.baseline.rel_l2() - sens[qi].rel_l2()});
    std::stable_sort(r.sensitivity.begin(), r.sensitivity.end(),
                     [](const Sensitivity& a, const Sensitivity& b) { return a.improvement > b.improvement; });
  }
  set_modes(m, quant::QuantMode::Disabled);
  return r;
}

}  // namespace qdq::quantization
