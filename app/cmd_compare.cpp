// qdqrt compare: the same inputs through fp32 (or fake quant) and int8 (or
// fake quant) side by side; the error of every output and at every quant
// point, worst first; with --sensitivity, each quantizer ranked by how much
// the outputs improve when it alone stays float. A table or JSONL.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "command.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "model_batches.h"
#include "model_options.h"
#include "models/compare.h"

namespace qdq::app {
namespace {

struct CompareCliOptions {
  ModelOptions model;
  BatchInputOptions in;
  std::string against = "fp32", format = "table";
  bool sensitivity = false;
};

quant::QuantMode mode_of(const std::string& p) {
  return p == "fp32" ? quant::QuantMode::Disabled : p == "fakequant" ? quant::QuantMode::FakeQuant
                                                                     : quant::QuantMode::Int8;
}

void print_jsonl(const models::CompareReport& r) {
  auto line = [](const char* kind, const models::NamedError& e) {
    nlohmann::ordered_json j{{"kind", kind},          {"name", e.name},
                             {"max_abs", e.err.max_abs}, {"rel_l2", e.err.rel_l2()},
                             {"cosine", e.err.cosine()}, {"values", e.err.count}};
    std::cout << j.dump() << "\n";
  };
  for (auto& e : r.outputs) line("output", e);
  for (auto& e : r.points) line("quant_point", e);
  for (auto& s : r.sensitivity)
    std::cout << nlohmann::ordered_json{{"kind", "sensitivity"},
                                        {"name", s.quantizer},
                                        {"rel_l2", s.rel_l2},
                                        {"improvement", s.improvement}}
                     .dump()
              << "\n";
}

void print_table(const models::CompareReport& r) {
  size_t w = 6;
  for (auto& e : r.points) w = std::max(w, e.name.size());
  for (auto& s : r.sensitivity) w = std::max(w, s.quantizer.size());
  auto section = [&](const char* title, const std::vector<models::NamedError>& v) {
    if (v.empty()) return;
    std::cout << fmt::format("{:<{}}  {:>11}  {:>11}  {:>9}\n", title, w, "max abs", "rel L2", "cosine");
    for (auto& e : v)
      std::cout << fmt::format("{:<{}}  {:>11.4g}  {:>11.4g}  {:>9.6f}\n", e.name, w, e.err.max_abs, e.err.rel_l2(),
                               e.err.cosine());
    std::cout << "\n";
  };
  section("output", r.outputs);
  section("quant point (input arriving there)", r.points);
  if (!r.sensitivity.empty()) {
    std::cout << fmt::format("{:<{}}  {:>11}  {:>11}   (baseline rel L2 {:.4g})\n", "left float", w, "rel L2",
                             "improvement", r.baseline.rel_l2());
    for (auto& s : r.sensitivity)
      std::cout << fmt::format("{:<{}}  {:>11.4g}  {:>11.4g}\n", s.quantizer, w, s.rel_l2, s.improvement);
  }
}

int run_compare(CompareCliOptions& o) {
  check(!o.in.tensors_in.empty() || !o.in.text_in.texts.empty() || !o.in.text_in.input.empty(),
        "compare needs inputs: texts, -i FILE, or --tensors-in FILE[:GROUP]");
  const std::string test = o.model.precision.empty() ? "int8" : o.model.precision;
  check(test != "fp32", "--precision fp32: compare runs a quantized precision (int8 or fakequant) against --against");
  const auto batches = load_batches(o.in, o.model.model_dir);
  ModelOptions mo = o.model;
  mo.precision = "fakequant";  // loads with every amax applied (table or int8 directory)
  auto model = load_model_for(mo);
  models::CompareOptions co;
  co.test = mode_of(test);
  co.against = mode_of(o.against);
  co.sensitivity = o.sensitivity;
  const auto r = models::compare_precisions(*model, batches, co);
  if (o.format == "jsonl") print_jsonl(r);
  else print_table(r);
  return 0;
}

const RegisterCommand reg{
    {"compare", "Run fp32 and int8 (or fake quant) side by side: error per output and quant point, sensitivity", 46,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<CompareCliOptions>();
       add_model_options(sub, o->model);
       add_text_input_options(sub, o->in.text_in, "Texts to run (else -i FILE, or --tensors-in)");
       sub.add_option("--tensors-in", o->in.tensors_in,
                      "An input batch FILE.safetensors[:GROUP] (repeat for more batches)");
       sub.add_option("-b,--batch-size", o->in.batch_size, "Texts per batch")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
           ->capture_default_str();
       sub.add_option("--max-length", o->in.max_length, "Truncate texts to this many tokens")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20))
           ->capture_default_str();
       sub.add_option("--against", o->against, "Reference precision: fp32 or fakequant")
           ->check(CLI::IsMember({"fp32", "fakequant"}))
           ->capture_default_str();
       sub.add_flag("--sensitivity", o->sensitivity,
                    "Also rank the quantizers by how much the outputs improve when that one alone stays float");
       sub.add_option("--format", o->format, "table or jsonl")
           ->check(CLI::IsMember({"table", "jsonl"}))
           ->capture_default_str();
       return std::function<int()>([o] { return run_compare(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
