#include "quantization/task_compare.h"

namespace qdq::quantization {

namespace {

Speed speed_of(const TaskOutputs& o) { return {o.seconds, o.sequences, o.tokens}; }

// The test precision's plan: its quant mode, or bf16 GEMMs with every quantizer off.
void set_test(models::Model& m, const CompareOptions& o) {
  m.quant_plan().set_float_math(o.test_math);
  set_modes(m, o.test_math == quant::FloatMath::Fp32 ? o.test : quant::QuantMode::Disabled);
}

}  // namespace

TaskComparison compare_task(const ModelLoader& load, const std::string& dir, const std::vector<EvalRecord>& recs,
                            const TaskSettings& s, const CompareOptions& o) {
  TaskComparison c;
  const std::string ref_kind = reference_kind(recs);
  c.records = recs.size();
  c.references = !ref_kind.empty();
  TaskOutputs ref, test;
  {
    auto m = load();
    c.kind = task_of(*m, ref_kind);
    m->quant_plan().set_float_math(quant::FloatMath::Fp32);
    set_modes(*m, o.against);
    ref = run_task(*m, dir, c.kind, recs, s);
  }
  {
    auto m = load();
    set_test(*m, o);
    test = run_task(*m, dir, c.kind, recs, s);
  }
  if (c.references) {
    const auto a = score(ref, recs), b = score(test, recs);
    for (size_t i = 0; i < a.size(); ++i) c.rows.push_back({a[i].name, a[i].value, b[i].value, a[i].higher_is_better});
  }
  for (auto& g : agreement(ref, test)) c.rows.push_back({g.name, 1.0, g.value, true});
  c.ref_speed = speed_of(ref);
  c.test_speed = speed_of(test);
  return c;
}

}  // namespace qdq::quantization
