// qdqrt calibrate: runs calibration batches through the fp32 model with every
// quantizer collecting statistics (pytorch_quantization's enable_calib /
// disable_quant), then writes the amax table. Inputs: safetensors batches used
// exactly as stored, or texts tokenized and batched in input order (padding is
// part of the statistics, as in the reference).
#include <algorithm>
#include <cmath>
#include <iostream>

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
#include "quant/int8_checkpoint.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct CalibrateOptions {
  ModelOptions model;
  TextInputOptions text_in;
  std::string method = "max", out;
  double percentile = 99.99;
  int num_bins = 2048;
  std::vector<std::string> tensors_in;
  int64_t batch_size = 8, max_length = 128;
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

// The batches, in order: one per --tensors-in, or texts batched by --batch-size.
std::vector<std::pair<std::string, TensorMap>> load_batches(const CalibrateOptions& o) {
  std::vector<std::pair<std::string, TensorMap>> batches;
  if (!o.tensors_in.empty()) {
    check(o.text_in.texts.empty() && o.text_in.input.empty(), "give --tensors-in or texts, not both");
    for (auto& arg : o.tensors_in) {
      TensorMap m = read_tensors_arg(arg);
      check(!m.names.empty(), "{}: no tensors", arg);
      batches.emplace_back(arg, std::move(m));
    }
    return batches;
  }
  const auto items = read_text_items(o.text_in);
  auto tok = text::load_tokenizer(o.model.model_dir);
  text::EncodeOptions eo;
  eo.truncate = true;
  eo.max_length = o.max_length;
  for (size_t s = 0; s < items.size(); s += o.batch_size) {
    std::vector<text::Encoding> encs;
    for (size_t i = s; i < std::min(items.size(), s + static_cast<size_t>(o.batch_size)); ++i) {
      try {
        encs.push_back(tok->encode(items[i].text, items[i].pair, eo));
      } catch (const Error& e) {
        throw Error("calibration text {}: {}", i + 1, e.what());
      }
    }
    batches.emplace_back(fmt::format("texts {}-{}", s + 1, s + encs.size()),
                         text::pad_batch(encs, tok->pad_id(), tok->has_token_type_ids()));
  }
  return batches;
}

// pytorch_quantization's MaxCalibrator over a weight, for weight quantizers
// the forward did not feed (a layer may fold its weight once at prepare()).
void weight_amax_from_checkpoint(const std::string& dir, quant::QuantPlan& plan, quant::AmaxTable& table) {
  Checkpoint ck = load_checkpoint(dir);
  for (auto& [name, w] : ck.weights.tensors) {
    const auto qn = quant::weight_quantizer_for(name, plan);
    if (!qn || table.count(*qn) || w.ndim() < 1 || !dtype_is_float(w.dtype())) continue;
    auto cal = quant::make_calibrator("max", plan.find(*qn)->desc());
    const Tensor f = w.to_f32();
    cal->collect(f.data<float>(), f.shape());
    table[*qn] = *cal->compute_amax("max");
  }
}

int run_calibrate(CalibrateOptions& o) {
  check(ends_with(o.out, ".json") || ends_with(o.out, ".safetensors"), "--out {}: must end in .json or .safetensors",
        o.out);
  o.model.precision = "fp32";
  auto batches = load_batches(o);
  auto model = load_model_for(o.model);
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers to calibrate", o.model.model_dir, model->arch());
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

  quant::AmaxTable table;
  std::vector<std::string> unseen;
  for (auto& q : plan.all()) {
    auto a = q->calibrator()->compute_amax(is_weight_quantizer(*q) ? "max" : o.method);
    if (a) table[q->name()] = std::move(*a);
    else if (!is_weight_quantizer(*q)) unseen.push_back(q->name());
  }
  check(unseen.empty(), "{} input quantizers saw no calibration data (first: {})", unseen.size(),
        unseen.empty() ? "" : unseen[0]);
  if (table.size() < plan.all().size()) weight_amax_from_checkpoint(o.model.model_dir, plan, table);
  for (auto& q : plan.all()) {
    check(table.count(q->name()), "quantizer {} got no amax (no data, no matching weight)", q->name());
    const auto& v = table.at(q->name());
    if (std::none_of(v.begin(), v.end(), [](float x) { return x > 0.0f; }))
      spdlog::warn("{}: amax is zero (the quantizer only saw zeros)", q->name());
  }
  plan.set_mode(quant::QuantMode::Disabled);
  quant::save_amax_table(o.out, table, plan);
  spdlog::info("wrote {} amax values to {}", table.size(), o.out);
  return 0;
}

const RegisterCommand reg{
    {"calibrate", "Run calibration data through a model and write an amax table (.json or .safetensors)", 30,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<CalibrateOptions>();
       add_model_options(sub, o->model, /*with_precision=*/false);
       sub.add_option("--method", o->method,
                      "Input quantizers: max, or a 2048-bin histogram with percentile, mse or entropy; weights "
                      "always use per-channel max (default max)")
           ->check(CLI::IsMember({"max", "percentile", "mse", "entropy"}));
       sub.add_option("--percentile", o->percentile, "Percentile for --method percentile (default 99.99)")
           ->check(CLI::Range(0.0, 100.0));
       sub.add_option("--num-bins", o->num_bins, "Histogram bins (default 2048)")->check(CLI::Range(2, 1 << 24));
       sub.add_option("--tensors-in", o->tensors_in,
                      "A safetensors batch FILE[:GROUP] (repeat: one batch each, used as stored, in order)");
       add_text_input_options(sub, o->text_in, "Calibration texts (else -i FILE or stdin)");
       sub.add_option("-b,--batch-size", o->batch_size, "Texts per batch (default 8)")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
       sub.add_option("--max-length", o->max_length, "Truncate texts to this many tokens (default 128)")
           ->check(CLI::Range(int64_t{1}, int64_t{1} << 20));
       sub.add_option("-o,--out", o->out, "Amax table to write: AMAX.json or AMAX.safetensors")->required();
       return std::function<int()>([o] { return run_calibrate(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
