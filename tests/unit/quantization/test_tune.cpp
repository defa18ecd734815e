// compare_precisions in chunks, and the accuracy-driven tuner, on the trained bert-section
// (tests/fixtures/trained): properties that hold whatever the numbers are.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "models/model.h"
#include "pipelines/calibration_inputs.h"
#include "quant/amax_table.h"
#include "quantization/calibrate.h"
#include "quantization/compare.h"
#include "quantization/eval_set.h"
#include "quantization/tune.h"

using namespace qdq;

namespace {

std::string fixture(const std::string& rel) { return std::string(QDQRT_FIXTURES) + "/trained/" + rel; }

std::vector<pipelines::CalibrationBatch> calib_batches(models::Model& m, const std::string& dir, size_t n,
                                                       int64_t batch = 4) {
  std::vector<pipelines::CalibrationRecord> recs;
  for (auto& r : quantization::read_eval_records(fixture("parity/calib-seqcls.jsonl")))
    if (recs.size() < n) recs.push_back({r.text, r.pair, r.target});
  pipelines::CalibrationInputOptions o;
  o.max_length = 80;
  o.batch_size = batch;
  return pipelines::calibration_batches(m, dir, recs, o);
}

}  // namespace

TEST_CASE("compare: the report does not depend on how the batches are chunked") {
  const std::string dir = fixture("bert-section");
  auto m = models::load_model(dir);
  const auto calib = calib_batches(*m, dir, 6, 2);  // 3 batches
  const auto cal = quantization::calibrate(*m, calib, {}, dir);
  quant::apply_amax_table(m->quant_plan(), cal.table, "calibration");
  quantization::NamedBatches batches;
  for (auto& b : calib) batches.emplace_back(b.where, b.tensors);
  REQUIRE(batches.size() == 3);
  quantization::CompareOptions whole, one;
  one.chunk_bytes = 1;  // one batch per chunk
  const auto a = quantization::compare_precisions(*m, batches, whole);
  const auto b = quantization::compare_precisions(*m, batches, one);
  REQUIRE(a.outputs.size() == b.outputs.size());
  REQUIRE(a.points.size() == b.points.size());
  CHECK(!a.points.empty());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    CHECK(a.outputs[i].name == b.outputs[i].name);
    CHECK(a.outputs[i].err.sum_sq_diff == b.outputs[i].err.sum_sq_diff);
    CHECK(a.outputs[i].err.max_abs == b.outputs[i].err.max_abs);
  }
  for (size_t i = 0; i < a.points.size(); ++i) {
    CHECK(a.points[i].name == b.points[i].name);
    CHECK(a.points[i].err.dot == b.points[i].err.dot);
  }
  CHECK(a.baseline.count > 0);
}

TEST_CASE("tune: a recipe that clips everything is repaired by float fallbacks, kept only when they help") {
  const std::string dir = fixture("bert-section");
  auto m = models::load_model(dir);
  const auto calib = calib_batches(*m, dir, 8, 8);
  const auto eval = quantization::read_eval_records(fixture("parity/dev-seqcls.jsonl"));
  quantization::TuneSettings s;
  s.recipes = {{"percentile", 50.0}};  // amax at the median of |x|: half the values clip
  s.max_loss = 0;
  s.max_trials = 3;
  s.task.max_length = 80;
  std::vector<int> seen;
  const auto r = quantization::tune(*m, dir, calib, eval, s, [&](const quantization::Trial& t) { seen.push_back(t.index); });
  REQUIRE(r.trials.size() >= 2);
  CHECK(static_cast<int>(r.trials.size()) <= s.max_trials);
  CHECK(seen.size() == r.trials.size());
  CHECK(r.fp32.at(0).name == "accuracy");
  CHECK(r.trials[0].recipe == "percentile 50");
  CHECK(r.trials[0].left_float.empty());
  // Every later trial leaves one more quantizer float than the accepted state before it.
  std::vector<std::string> kept;
  double best = r.trials[0].loss;
  for (size_t i = 1; i < r.trials.size(); ++i) {
    const auto& t = r.trials[i];
    CHECK(t.left_float.size() == kept.size() + 1);
    CHECK(t.accepted == (t.loss < best));
    if (t.accepted) {
      kept = t.left_float;
      best = t.loss;
    }
  }
  CHECK(r.trials[r.chosen].loss == best);
  CHECK(std::set<std::string>(r.left_float.begin(), r.left_float.end()) ==
        std::set<std::string>(kept.begin(), kept.end()));
  for (auto& n : r.left_float) CHECK(m->quant_plan().find(n)->keeps_float());
  CHECK((r.stop_reason == "max trials" || r.stop_reason == "within tolerance" || r.stop_reason == "no more quantizers"));
  const auto rep = quantization::tune_report(r, s);
  CHECK(rep["trials"].size() == r.trials.size());
  CHECK(rep["chosen"]["left_float"].size() == r.left_float.size());
}
