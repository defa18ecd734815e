// qdqrt calibrate: runs calibration batches through the fp32 model with every
// quantizer collecting statistics (pytorch_quantization's enable_calib /
// disable_quant), then writes the amax table. Inputs: safetensors batches used
// exactly as stored, or texts (pipelines/calibration_inputs.h says how each
// model family turns them into batches). Quantizers that see no data stay in
// float (quant/calibration_result.h) unless --strict.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include "command.h"
#include "core/error.h"
#include "core/strings.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "model_options.h"
#include "progress.h"
#include "quant/amax_table.h"
#include "quant/calibrator.h"
#include "pipelines/calibration_inputs.h"
#include "quant/calibration_result.h"
#include "flags.h"
#include "output.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct CalibrateOptions {
  ModelOptions model;
  TextInputOptions text_in;
  OutputOptions out;
  std::string method = "max";
  double percentile = 99.99;
  int num_bins = 2048;
  std::vector<std::string> tensors_in;
  int64_t batch_size = 8, max_length = 128, max_target_length = 128;
  bool strict = false;
};

bool is_weight_quantizer(const quant::TensorQuantizer& q) {
  return ends_with(q.name(), "._weight_quantizer") || q.desc().axis.has_value();
}

// NaN / Inf in float inputs and token ids outside the vocabulary would silently poison every amax.
void validate_batch(const TensorMap& b, const std::string& where, int64_t vocab_size) {
  for (const auto& name : b.names) {
    const Tensor& t = b.at(name);
    if (dtype_is_float(t.dtype())) {
      const Tensor f = t.to_f32();
      for (int64_t i = 0; i < f.numel(); ++i)
        check(std::isfinite(f.data<float>()[i]), "{}: '{}' holds NaN or Inf", where, name);
    } else if (vocab_size > 0 && ends_with(name, "input_ids")) {
      for (int64_t id : t.to_i64_vector())
        check(id >= 0 && id < vocab_size, "{}: '{}' holds id {} outside the vocabulary [0, {})", where, name, id,
              vocab_size);
    }
  }
}

int64_t batch_rows(const TensorMap& b) {
  for (const char* n : {"input_ids", "decoder_input_ids", "inputs_embeds"})
    if (b.has(n) && b.at(n).ndim() > 0) return b.at(n).dim(0);
  return b.names.empty() || b.at(b.names[0]).ndim() == 0 ? 1 : b.at(b.names[0]).dim(0);
}

// The batches, in order: one per --tensors-in (read at once, so a bad file fails before
// the model loads), or texts batched by --batch-size once the model is there (sources
// without a target are generated with it, still in fp32).
struct Inputs {
  std::vector<std::pair<std::string, TensorMap>> batches;
  std::vector<pipelines::CalibrationRecord> records;
};

Inputs read_inputs(const CalibrateOptions& o) {
  Inputs in;
  if (!o.tensors_in.empty()) {
    check(o.text_in.texts.empty() && o.text_in.input.empty(), "give --tensors-in or texts, not both");
    for (auto& arg : o.tensors_in) {
      TensorMap m = read_tensors_arg(arg);
      check(!m.names.empty(), "{}: no tensors", arg);
      in.batches.emplace_back(arg, std::move(m));
    }
    return in;
  }
  // Generative models read one text per line (a tab is part of it); BERT reads a tab as text / text_pair.
  const auto cfg = load_config(o.model.model_dir);
  const std::string type =
      cfg.contains("model_type") && cfg["model_type"].is_string() ? cfg["model_type"].get<std::string>() : "";
  const TextKind kind = type == "prophetnet" || type == "encoder-decoder" ? TextKind::Single : TextKind::Pair;
  for (auto& it : read_text_items(o.text_in, kind)) in.records.push_back({it.text, it.pair, it.target});
  return in;
}

void batch_texts(const CalibrateOptions& o, models::Model& model, Inputs& in) {
  if (in.records.empty()) return;
  pipelines::CalibrationInputOptions po;
  po.batch_size = o.batch_size;
  po.max_length = o.max_length;
  po.max_target_length = o.max_target_length;
  std::unique_ptr<Progress> progress;  // sources without a target: greedy generation first
  int64_t shown = 0;
  po.on_generated = [&](int64_t done, int64_t total) {
    if (!progress) progress = std::make_unique<Progress>("targets (greedy)", total);
    progress->advance(done - shown);
    shown = done;
  };
  for (auto& b : pipelines::calibration_batches(model, o.model.model_dir, in.records, po))
    in.batches.emplace_back(std::move(b.where), std::move(b.tensors));
  if (progress) progress->finish();
}

const std::vector<std::string> kFormats = {"json", "safetensors"};

int run_calibrate(CalibrateOptions& o) {
  prepare_output(o.out, kFormats);
  o.model.precision = "fp32";
  Inputs in = read_inputs(o);
  auto model = load_model_for(o.model);
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers to calibrate", o.model.model_dir, model->arch());
  batch_texts(o, *model, in);
  auto& batches = in.batches;
  int64_t vocab = 0;
  {
    const auto cfg = load_config(o.model.model_dir);
    if (cfg.contains("vocab_size") && cfg["vocab_size"].is_number_integer()) vocab = cfg["vocab_size"].get<int64_t>();
  }
  for (auto& q : plan.all())
    q->set_calibrator(is_weight_quantizer(*q) ? quant::make_calibrator("max", q->desc())
                                              : quant::make_calibrator(o.method, q->desc(), o.num_bins, o.percentile));
  plan.set_mode(quant::QuantMode::Calibrate);
  model->prepare();

  int64_t samples = 0;
  Progress progress("calibrate", static_cast<int64_t>(batches.size()));
  for (auto& [where, b] : batches) {
    validate_batch(b, where, vocab);
    try {
      model->forward(b);
    } catch (const Error& e) {
      throw Error("{}: {}", where, e.what());
    }
    samples += batch_rows(b);
    progress.advance();
  }
  progress.finish();
  spdlog::info("calibration ({}): {} samples in {} batches through {} quantizers", o.method, samples, batches.size(),
               plan.all().size());

  const auto result = quant::calibration_result(plan, o.method, o.model.model_dir, o.strict);
  if (!result.no_data.empty())
    spdlog::warn("{} quantizers saw no calibration data and stay in float (null in the table; --strict makes this "
                 "an error): {}",
                 result.no_data.size(), list_some(result.no_data, result.no_data.size()));
  plan.set_mode(quant::QuantMode::Disabled);
  if (o.out.format == "json") {  // a file (atomic) or stdout
    LineWriter w(o.out);
    w.write(quant::amax_json_text(result.table, &plan));
    w.commit();
  } else {
    write_safetensors(o.out.path, quant::amax_state_dict(result.table));
  }
  spdlog::info("wrote {} amax values to {}", result.table.size() - result.no_data.size(),
               o.out.to_stdout() ? "<stdout>" : o.out.path);
  return 0;
}

const RegisterCommand reg{
    {"calibrate", "Run calibration data through a model and write an amax table (.json or .safetensors)", 30,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<CalibrateOptions>();
       add_model_options(sub, o->model, /*with_precision=*/false);
       sub.add_option("--method", o->method,
                      "Input quantizers: max, or a 2048-bin histogram with percentile, mse or entropy; weights "
                      "always use per-channel max")
           ->check(CLI::IsMember({"max", "percentile", "mse", "entropy"}));
       sub.add_option("--percentile", o->percentile, "Percentile for --method percentile")
           ->check(CLI::Range(0.0, 100.0));
       sub.add_option("--num-bins", o->num_bins, "Histogram bins (percentile, mse, entropy)")
           ->check(CLI::Range(2, 1 << 24));
       sub.add_option("--tensors-in", o->tensors_in,
                      "A safetensors batch FILE[:GROUP] (repeat: one batch each, used as stored, in order)");
       add_text_input_options(sub, o->text_in, "Calibration texts (else -i FILE or stdin); JSONL records: {\"text\", \"text_pair\"} or, for encoder-decoder models, {\"text\": source, \"target\": target}");
       sub.add_option("-b,--batch-size", o->batch_size, "Texts per batch")->check(positive_int());
       sub.add_option("--max-length", o->max_length, "Truncate texts to this many tokens")->check(positive_int());
       sub.add_option("--max-target-length", o->max_target_length,
                      "Encoder-decoder models: decoder tokens per text, start token included; JSONL \"target\" "
                      "texts are truncated to it, sources without one are generated greedily up to it")
           ->check(positive_int());
       sub.add_flag("--strict", o->strict,
                    "Fail when a quantizer sees no calibration data (pytorch_quantization's strict "
                    "load_calib_amax); default: it stays in float, with a warning");
       add_output_options(sub, o->out, kFormats, "Amax table to write: AMAX.json or AMAX.safetensors", ",--out");
       sub.get_option("--output")->required();
       return std::function<int()>([o, &sub] {
         warn_no_effect(sub, "--percentile", o->method != "percentile", "with --method " + o->method);
         warn_no_effect(sub, "--num-bins", o->method == "max", "with --method max (no histogram)");
         const bool tensors = !o->tensors_in.empty();
         warn_no_effect(sub, "--batch-size", tensors, "with --tensors-in (each file is one batch as stored)");
         warn_no_effect(sub, "--max-length", tensors, "with --tensors-in (the stored batches are used as they are)");
         warn_no_effect(sub, "--max-target-length", tensors, "with --tensors-in");
         return run_calibrate(*o);
       });
     }}};

}  // namespace
}  // namespace qdq::app
