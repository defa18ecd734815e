#include "quantization/tune.h"

#include <chrono>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "core/log.h"
#include "quantization/compare.h"

namespace qdq::quantization {

std::string Recipe::label() const {
  return method == "percentile" ? fmt::format("percentile {}", percentile) : method;
}

std::vector<Recipe> default_recipes() {
  return {{"max", 0}, {"percentile", 99.9}, {"percentile", 99.99}, {"percentile", 99.999}, {"mse", 0},
          {"entropy", 0}};
}

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The recipe's table with `left_float` emptied (quantizers left in float).
quant::AmaxTable with_float(quant::AmaxTable t, const std::vector<std::string>& left_float) {
  for (auto& n : left_float) t[n].clear();
  return t;
}

}  // namespace

TuneResult tune(models::Model& m, const std::string& dir, const std::vector<pipelines::CalibrationBatch>& calib,
                const std::vector<EvalRecord>& eval, const TuneSettings& s,
                const std::function<void(const Trial&)>& on_trial) {
  check(!calib.empty(), "quantize: no calibration batches");
  check(!eval.empty(), "quantize: no eval records");
  check(s.max_trials >= 1, "quantize: --max-trials must be at least 1");
  const auto start = Clock::now();
  const std::string ref_kind = reference_kind(eval);
  const TaskKind kind = task_of(m, ref_kind);
  const bool refs = !ref_kind.empty();
  auto& plan = m.quant_plan();

  // fp32: the metric to keep (with references), or the outputs to agree with (without).
  set_modes(m, quant::QuantMode::Disabled);
  const TaskOutputs fp32_out = run_task(m, dir, kind, eval, s.task);
  TuneResult r;
  r.fp32 = refs ? score(fp32_out, eval) : agreement(fp32_out, fp32_out);
  check(!r.fp32.empty(), "quantize: {} gives no metric to tune on without references", m.arch());
  const Metric target = r.fp32[0];
  spdlog::info("tune: fp32 {} {:.6g} on {} eval records; tolerance {}{}", target.name, target.value, eval.size(),
               s.max_loss, s.relative ? " (relative)" : "");

  auto loss_of = [&](const std::vector<Metric>& ms) {
    const double d = target.higher_is_better ? target.value - ms[0].value : ms[0].value - target.value;
    return s.relative ? d / std::max(1e-12, std::fabs(target.value)) : d;
  };
  auto evaluate = [&](const quant::AmaxTable& table, const std::string& recipe, const std::vector<std::string>& lf) {
    const auto t0 = Clock::now();
    quant::apply_amax_table(plan, table, "tuning table");
    set_modes(m, quant::QuantMode::Int8);
    const TaskOutputs out = run_task(m, dir, kind, eval, s.task);
    set_modes(m, quant::QuantMode::Disabled);
    Trial t;
    t.index = static_cast<int>(r.trials.size()) + 1;
    t.recipe = recipe;
    t.left_float = lf;
    t.metrics = refs ? score(out, eval) : agreement(fp32_out, out);
    t.loss = loss_of(t.metrics);
    t.seconds = since(t0);
    return t;
  };
  auto out_of_budget = [&]() -> std::string {
    if (static_cast<int>(r.trials.size()) >= s.max_trials) return "max trials";
    if (s.timeout_s > 0 && since(start) >= s.timeout_s) return "timeout";
    return "";
  };
  auto record = [&](Trial t) {
    r.trials.push_back(std::move(t));
    if (on_trial) on_trial(r.trials.back());
  };

  // 2. The calibration recipes; the best one is the base of the fallbacks.
  std::vector<quant::AmaxTable> tables;
  int best = -1;
  for (const auto& rec : s.recipes) {
    if (!(r.stop_reason = out_of_budget()).empty()) break;
    CalibrateSettings cs;
    cs.method = rec.method;
    cs.percentile = rec.percentile > 0 ? rec.percentile : 99.99;
    cs.num_bins = s.num_bins;
    const auto cal = calibrate(m, calib, cs, dir);
    if (r.no_data.empty()) r.no_data = cal.no_data;
    tables.push_back(cal.table);
    record(evaluate(cal.table, rec.label(), {}));
    const int i = static_cast<int>(r.trials.size()) - 1;
    if (best < 0 || r.trials[i].loss < r.trials[best].loss) best = i;
    if (r.trials[i].loss <= s.max_loss) break;
  }
  check(best >= 0, "quantize: no trial ran (--max-trials / --timeout)");
  r.trials[best].accepted = true;
  const quant::AmaxTable base = tables[best];
  int chosen = best;
  std::vector<std::string> left_float;

  // 3. Fallbacks in sensitivity order, cumulative, each kept only when it helps.
  if (r.trials[chosen].loss > s.max_loss && (r.stop_reason = out_of_budget()).empty()) {
    quant::apply_amax_table(plan, base, "tuning table");
    NamedBatches batches;
    for (auto& b : calib) batches.emplace_back(b.where, b.tensors);
    CompareOptions co;
    co.sensitivity = true;
    co.points = false;
    spdlog::info("tune: ranking {} quantizers by sensitivity on the calibration data", plan.all().size());
    const auto rep = compare_precisions(m, batches, co);
    std::set<std::string> floats(r.no_data.begin(), r.no_data.end());
    for (const auto& sens : rep.sensitivity) {
      if (r.trials[chosen].loss <= s.max_loss) break;
      if (!(r.stop_reason = out_of_budget()).empty()) break;
      if (sens.improvement <= 0) {
        r.stop_reason = "no more quantizers";
        break;
      }
      if (floats.count(sens.quantizer)) continue;
      auto lf = left_float;
      lf.push_back(sens.quantizer);
      Trial t = evaluate(with_float(base, lf), r.trials[best].recipe, lf);
      t.accepted = t.loss < r.trials[chosen].loss;
      record(std::move(t));
      if (r.trials.back().accepted) {
        left_float = lf;
        chosen = static_cast<int>(r.trials.size()) - 1;
      }
    }
    if (r.stop_reason.empty() && r.trials[chosen].loss > s.max_loss) r.stop_reason = "no more quantizers";
  }
  r.chosen = chosen;
  r.within = r.trials[chosen].loss <= s.max_loss;
  if (r.within) r.stop_reason = "within tolerance";
  r.recipe = r.trials[chosen].recipe;
  // Plan order.
  const std::set<std::string> lf(left_float.begin(), left_float.end());
  for (auto& q : plan.all())
    if (lf.count(q->name())) r.left_float.push_back(q->name());
  r.table = with_float(base, r.left_float);
  quant::apply_amax_table(plan, r.table, "tuning table");
  set_modes(m, quant::QuantMode::Disabled);
  return r;
}

void parse_max_loss(const std::string& text, double& value, bool& relative) {
  relative = !text.empty() && text.back() == '%';
  const std::string num = relative ? text.substr(0, text.size() - 1) : text;
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(num, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  check(used == num.size() && !num.empty() && std::isfinite(v) && v >= 0,
        "--max-loss {}: expected a non-negative number (absolute, e.g. 0.005) or a percentage (e.g. 1%)", text);
  value = relative ? v / 100.0 : v;
}

nlohmann::ordered_json tune_report(const TuneResult& r, const TuneSettings& s) {
  auto metrics = [](const std::vector<Metric>& ms) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (auto& m : ms) j[m.name] = m.value;
    return j;
  };
  nlohmann::ordered_json trials = nlohmann::ordered_json::array();
  for (auto& t : r.trials)
    trials.push_back({{"trial", t.index},
                      {"recipe", t.recipe},
                      {"left_float", t.left_float},
                      {"metrics", metrics(t.metrics)},
                      {"loss", t.loss},
                      {"seconds", t.seconds},
                      {"accepted", t.accepted}});
  const auto& c = r.trials.at(r.chosen);
  return {{"metric", r.fp32.at(0).name},
          {"higher_is_better", r.fp32.at(0).higher_is_better},
          {"max_loss", s.max_loss},
          {"relative", s.relative},
          {"max_trials", s.max_trials},
          {"fp32", metrics(r.fp32)},
          {"result", metrics(c.metrics)},
          {"loss", c.loss},
          {"within_tolerance", r.within},
          {"stop_reason", r.stop_reason},
          {"chosen",
           {{"trial", c.index}, {"recipe", r.recipe}, {"left_float", r.left_float}, {"no_calibration_data", r.no_data}}},
          {"trials", trials}};
}

}  // namespace qdq::quantization
