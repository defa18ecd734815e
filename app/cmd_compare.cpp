// qdqrt compare: the same inputs through fp32 (or fake quant) and int8 (or
// fake quant) side by side; the error of every output and at every quant
// point, worst first; with --sensitivity, each quantizer ranked by how much
// the outputs improve when it alone stays float. A table or JSONL. With
// --precision bf16: the bf16 GEMMs' effect on the outputs, against fp32.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "io/path_guard.h"
#include "io/safetensors.h"
#include "dataset.h"
#include "flags.h"
#include "model_options.h"
#include "models/compare.h"
#include "output.h"

namespace qdq::app {
namespace {

struct CompareCliOptions {
  ModelOptions model;
  DatasetOptions data;
  OutputOptions out;
  std::string against = "fp32";
  bool sensitivity = false;
};

quant::QuantMode mode_of(const std::string& p) {
  return p == "fp32" ? quant::QuantMode::Disabled : p == "fakequant" ? quant::QuantMode::FakeQuant
                                                                     : quant::QuantMode::Int8;
}

std::string render_jsonl(const models::CompareReport& r) {
  std::string out;
  auto line = [&out](const char* kind, const models::NamedError& e) {
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

std::string render_table(const models::CompareReport& r) {
  std::string out;
  size_t w = 6;
  for (auto& e : r.outputs) w = std::max(w, e.name.size());
  for (auto& e : r.points) w = std::max(w, e.name.size());
  for (auto& s : r.sensitivity) w = std::max(w, s.quantizer.size());
  auto section = [&](const char* title, const std::vector<models::NamedError>& v) {
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
  Dataset data(o.data, o.model.model_dir, o.model.arch);
  ModelOptions mo = o.model;
  // Quantized tests load with every amax applied (table or int8 directory); bf16 needs none.
  mo.precision = bf16 ? "bf16" : "fakequant";
  auto model = load_model_for(mo);
  // Texts become batches with the model in fp32 (an encoder-decoder's missing targets are generated).
  model->quant_plan().set_float_math(quant::FloatMath::Fp32);
  model->quant_plan().set_mode(quant::QuantMode::Disabled);
  model->prepare();
  std::vector<std::pair<std::string, TensorMap>> batches;
  for (auto& b : data.batches(*model)) batches.emplace_back(std::move(b.where), std::move(b.tensors));
  models::CompareOptions co;
  co.test = bf16 ? quant::QuantMode::Disabled : mode_of(test);
  co.test_math = bf16 ? quant::FloatMath::Bf16 : quant::FloatMath::Fp32;
  co.against = mode_of(o.against);
  co.sensitivity = o.sensitivity;
  const auto r = models::compare_precisions(*model, batches, co);
  LineWriter w(o.out);
  w.write(o.out.format == "jsonl" ? render_jsonl(r) : render_table(r));
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
       return std::function<int()>([o, &sub] {
         warn_dataset_flags(sub, o->data);
         return run_compare(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
