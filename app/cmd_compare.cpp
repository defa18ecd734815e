// qdqrt compare: the same inputs through fp32 (or fake quant) and int8 (or
// fake quant) side by side; the error of every output and at every quant
// point, worst first; with --sensitivity, each quantizer ranked by how much
// the outputs improve when it alone stays float. A table or JSONL. With
// --precision bf16: the bf16 GEMMs' effect on the outputs, against fp32.
#include <fmt/format.h>

#include <optional>

#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "io/path_guard.h"
#include "io/safetensors.h"
#include "dataset.h"
#include "flags.h"
#include "model_options.h"
#include "core/log.h"
#include "io/checkpoint.h"
#include "models/generative.h"
#include "pipelines/batch_checks.h"
#include "pipelines/calibration_inputs.h"
#include "quantization/compare.h"
#include "quantization/task_compare.h"
#include "output.h"
#include "task_flags.h"

namespace qdq::app {
namespace {

struct CompareCliOptions {
  ModelOptions model;
  DatasetOptions data;
  OutputOptions out;
  std::string against = "fp32";
  bool sensitivity = false;
  // The task section (records' references, generation settings as `generate` takes them).
  bool no_task = false, task_only = false;
  TaskFlags task;
};

quant::QuantMode mode_of(const std::string& p) {
  return p == "fp32" ? quant::QuantMode::Disabled : p == "fakequant" ? quant::QuantMode::FakeQuant
                                                                     : quant::QuantMode::Int8;
}

std::string render_jsonl(const quantization::CompareReport& r, const std::optional<quantization::TaskComparison>& t,
                         const std::string& ref_name, const std::string& test_name) {
  std::string out;
  if (t) {
    for (auto& row : t->rows)
      out += nlohmann::ordered_json{{"kind", "task"},           {"metric", row.metric},
                                    {ref_name, row.ref},        {test_name, row.test},
                                    {"difference", row.test - row.ref}, {"higher_is_better", row.higher_is_better},
                                    {"records", t->records}}
                 .dump() +
             "\n";
    for (auto& [name, sp] : {std::pair{ref_name, t->ref_speed}, std::pair{test_name, t->test_speed}})
      out += nlohmann::ordered_json{{"kind", "speed"},
                                    {"precision", name},
                                    {"seconds", sp.seconds},
                                    {"sequences_per_s", sp.seconds > 0 ? sp.sequences / sp.seconds : 0.0},
                                    {"tokens_per_s", sp.seconds > 0 ? sp.tokens / sp.seconds : 0.0}}
                 .dump() +
             "\n";
  }
  auto line = [&out](const char* kind, const quantization::NamedError& e) {
    nlohmann::ordered_json j{{"kind", kind},          {"name", e.name},
                             {"max_abs", e.err.max_abs}, {"rel_l2", e.err.rel_l2()},
                             {"cosine", e.err.cosine()}, {"values", e.err.count}};
    out += j.dump() + "\n";
  };
  for (auto& e : r.outputs) line("output", e);
  for (auto& e : r.points) line("quant_point", e);
  for (auto& s : r.sensitivity)
    out += nlohmann::ordered_json{{"kind", "sensitivity"},
                                  {"name", s.quantizer},
                                  {"rel_l2", s.rel_l2},
                                  {"improvement", s.improvement}}
               .dump() +
           "\n";
  return out;
}

std::string render_table(const quantization::CompareReport& r, const std::optional<quantization::TaskComparison>& t,
                         const std::string& ref_name, const std::string& test_name) {
  std::string out;
  if (t) {
    out += fmt::format("{:<24}  {:>11}  {:>11}  {:>11}   ({} records{})\n", "task metric", ref_name, test_name,
                       "difference", t->records, t->references ? "" : ", no references: agreement only");
    for (auto& row : t->rows)
      out += fmt::format("{:<24}  {:>11.6f}  {:>11.6f}  {:>+11.6f}\n", row.metric, row.ref, row.test, row.test - row.ref);
    for (auto& [name, sp] : {std::pair{ref_name, t->ref_speed}, std::pair{test_name, t->test_speed}})
      out += fmt::format("speed {:<18}  {:>9.1f} seq/s{}\n", name, sp.seconds > 0 ? sp.sequences / sp.seconds : 0.0,
                         sp.tokens > 0 ? fmt::format("  {:>9.1f} tok/s", sp.tokens / sp.seconds) : "");
    out += "\n";
  }
  size_t w = 6;
  for (auto& e : r.outputs) w = std::max(w, e.name.size());
  for (auto& e : r.points) w = std::max(w, e.name.size());
  for (auto& s : r.sensitivity) w = std::max(w, s.quantizer.size());
  auto section = [&](const char* title, const std::vector<quantization::NamedError>& v) {
    if (v.empty()) return;
    out += fmt::format("{:<{}}  {:>11}  {:>11}  {:>9}\n", title, w, "max abs", "rel L2", "cosine");
    for (auto& e : v)
      out += fmt::format("{:<{}}  {:>11.4g}  {:>11.4g}  {:>9.6f}\n", e.name, w, e.err.max_abs, e.err.rel_l2(),
                               e.err.cosine());
    out += "\n";
  };
  section("output", r.outputs);
  section("quant point (input arriving there)", r.points);
  if (!r.sensitivity.empty()) {
    out += fmt::format("{:<{}}  {:>11}  {:>11}   (baseline rel L2 {:.4g})\n", "left float", w, "rel L2",
                             "improvement", r.baseline.rel_l2());
    for (auto& s : r.sensitivity)
      out += fmt::format("{:<{}}  {:>11.4g}  {:>11.4g}\n", s.quantizer, w, s.rel_l2, s.improvement);
  }
  return out;
}

const std::vector<std::string> kFormats = {"text", "jsonl"};

// A causal LM's records with a "target" (the continuation of the prompt "text"): the error analysis
// runs on the whole text, prompt + continuation, as a causal LM calibrates; empty for anything else.
std::vector<pipelines::CalibrationBatch> lm_continuation_batches(const CompareCliOptions& o, models::Model& model) {
  auto* g = dynamic_cast<models::Generative*>(&model);
  const auto& in = o.data.text_in;
  if (!g || g->is_encoder_decoder() || model.family() == "bert" || in.input.empty() || in.input == "-") return {};
  const auto recs = quantization::read_eval_records(in.input);
  if (!recs[0].target) return {};
  std::vector<pipelines::CalibrationRecord> whole;
  for (auto& r : recs) {
    check(r.target.has_value(), "{}: no \"target\" while the first record has one", r.where);
    whole.push_back({r.text + *r.target, std::nullopt, std::nullopt});
  }
  auto batches = pipelines::calibration_batches(model, o.model.model_dir, whole, o.data.batching);
  const auto config = load_config(o.model.model_dir);
  for (auto& b : batches) pipelines::validate_batch(b.tensors, b.where, config);
  return batches;
}

// The task section runs on text records read from a file or the arguments (stdin was read once by the
// data set; tensors carry no text).
// The task section's records, read (and checked) before the model loads; nullopt: no task section.
std::optional<std::vector<quantization::EvalRecord>> task_records(const CompareCliOptions& o) {
  const auto& in = o.data.text_in;
  if (o.no_task || !o.data.tensors_in.empty()) return std::nullopt;
  std::vector<quantization::EvalRecord> recs;
  if (!in.texts.empty()) {
    for (size_t i = 0; i < in.texts.size(); ++i) {
      quantization::EvalRecord r;
      r.text = in.texts[i];
      r.where = "argument " + std::to_string(i + 1);
      recs.push_back(std::move(r));
    }
  } else if (!in.input.empty() && in.input != "-") {
    recs = quantization::read_eval_records(in.input);
  } else {
    spdlog::info("compare: no task metrics for stdin (give -i FILE)");
    return std::nullopt;
  }
  return recs;
}

std::optional<quantization::TaskComparison> run_task_section(const CompareCliOptions& o,
                                                             const quantization::ModelLoader& load,
                                                             std::vector<quantization::EvalRecord> recs,
                                                             const quantization::CompareOptions& co) {
  auto model_ptr = load();
  auto& model = *model_ptr;
  // Which task, if any: models without one (a bare encoder, masked LM, ...) and QA records without a
  // context get no task section; records that only partly carry references (teacher-forcing targets
  // for some sources) are compared for agreement only.
  const std::string why = quantization::task_unavailable(model, recs);
  if (!why.empty()) {
    spdlog::info("compare: no task metrics: {}", why);
    return std::nullopt;
  }
  const auto ts = task_settings(o.task, model, o.data.batching.max_length, o.data.batching.batch_size);
  model_ptr.reset();
  return quantization::compare_task(load, o.model.model_dir, recs, ts, co);
}

int run_compare(CompareCliOptions& o) {
  prepare_output(o.out, kFormats);
  refuse_overwriting_inputs({o.model.model_dir, o.model.amax_path, o.data.text_in.input}, {o.out.path});
  for (const auto& t : o.data.tensors_in) refuse_overwriting_inputs({tensors_arg_file(t)}, {o.out.path});
  check(!o.data.tensors_in.empty() || !o.data.text_in.texts.empty() || !o.data.text_in.input.empty(),
        "compare needs inputs: texts, -i FILE ('-': stdin), or --tensors-in FILE[:GROUP]");
  const std::string test = o.model.precision.empty() ? "int8" : o.model.precision;
  check(test != "fp32", "--precision fp32: compare runs int8, fakequant or bf16 against --against");
  const bool bf16 = test == "bf16";
  check(!bf16 || !o.sensitivity, "--sensitivity ranks quantizers; --precision bf16 has none");
  check(!bf16 || o.against == "fp32", "--precision bf16 compares against fp32 (--against {} needs an amax table)",
        o.against);
  check(!o.task_only || !o.no_task, "--task-only and --no-task-metrics exclude each other");
  check(!o.task_only || !o.sensitivity, "--task-only runs no error analysis: --sensitivity needs it");
  Dataset data(o.data, o.model.model_dir, o.model.arch);
  o.data.batching.max_length = data.max_length();  // the task section truncates as the error analysis does
  auto recs = task_records(o);
  ModelOptions mo = o.model;
  // Quantized tests load with every amax applied (table or int8 directory); bf16 needs none.
  mo.precision = bf16 ? "bf16" : "fakequant";
  auto model = load_model_for(mo);
  // Texts become batches with the model in fp32 (an encoder-decoder's missing targets are generated).
  model->quant_plan().set_float_math(quant::FloatMath::Fp32);
  model->quant_plan().set_mode(quant::QuantMode::Disabled);
  model->prepare();
  std::vector<std::pair<std::string, TensorMap>> batches;
  if (!o.task_only) {
    for (auto& b : lm_continuation_batches(o, *model)) batches.emplace_back(std::move(b.where), std::move(b.tensors));
    if (batches.empty())
      for (auto& b : data.batches(*model)) batches.emplace_back(std::move(b.where), std::move(b.tensors));
  }
  quantization::CompareOptions co;
  co.test = bf16 ? quant::QuantMode::Disabled : mode_of(test);
  co.test_math = bf16 ? quant::FloatMath::Bf16 : quant::FloatMath::Fp32;
  co.against = mode_of(o.against);
  co.sensitivity = o.sensitivity;
  quantization::CompareReport r;
  if (!o.task_only) r = quantization::compare_precisions(*model, batches, co);
  // The task section loads the model anew for each precision (its kernels cache every batch shape).
  model.reset();
  std::optional<quantization::TaskComparison> task;
  if (recs) task = run_task_section(o, [&mo] { return load_model_for(mo); }, std::move(*recs), co);
  check(!o.task_only || task, "--task-only: {} gives no task metrics for these inputs (see the log)", o.model.model_dir);
  LineWriter w(o.out);
  w.write(o.out.format == "jsonl" ? render_jsonl(r, task, o.against, test) : render_table(r, task, o.against, test));
  w.commit();
  return 0;
}

const RegisterCommand reg{
    {"compare", "Run fp32 and int8 (or fake quant) side by side: error per output and quant point, sensitivity", 46,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<CompareCliOptions>();
       add_model_options(sub, o->model);
       add_dataset_options(sub, o->data,
                           "Texts to run (else -i FILE; '-' reads stdin), JSONL as for calibrate; or --tensors-in");
       flag(sub, "--against", o->against);
       switch_flag(sub, "--sensitivity", o->sensitivity);
       add_output_options(sub, o->out, kFormats, "the report: a readable table (text) or JSONL, one record per row");
       // Task metrics (compare's own flags; generation flags as `generate` names them).
       switch_flag(sub, "--no-task-metrics", o->no_task);
       switch_flag(sub, "--task-only", o->task_only);
       add_task_flags(sub, o->task);
       return std::function<int()>([o, &sub] {
         warn_dataset_flags(sub, o->data);
         return run_compare(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
