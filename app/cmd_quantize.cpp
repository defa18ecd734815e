// qdqrt quantize: model + amax table in, int8 model directory out
// (quant/int8_checkpoint.h describes the format).
#include <filesystem>
#include <set>
#include <vector>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/checkpoint.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::app {
namespace {

namespace fs = std::filesystem;

struct QuantizeOptions {
  std::string model_dir, arch, amax, out, how;
};

int run_quantize(const QuantizeOptions& o) {
  check(!fs::exists(o.out), "{}: already exists; refusing to overwrite", o.out);
  const quant::AmaxTable table = quant::load_amax_table(o.amax);
  Checkpoint ck = load_checkpoint(o.model_dir);
  check(!quant::is_int8_checkpoint(ck), "{}: already an int8 model directory", o.model_dir);
  // The model gives the quantizer names (and validates that the weights fit its config).
  auto model = models::load_model(o.model_dir, {o.arch});
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers", o.model_dir, model->arch());
  quant::apply_amax_table(plan, table, o.amax);

  TensorMap linear, other;
  std::set<std::string> covered;
  for (const auto& name : ck.weights.names) {
    const Tensor& t = ck.weights.at(name);
    const auto qn = quant::weight_quantizer_for(name, plan);
    // A weight quantizer that stays in float (its Linear saw no calibration data) keeps the F32 weight.
    if (qn && plan.find(*qn)->keeps_float()) {
      other.add(name, t);
      covered.insert(*qn);
    } else if (qn && t.ndim() == 2 && dtype_is_float(t.dtype())) {
      linear.add(name, t.to_f32());
      covered.insert(*qn);
    } else {
      other.add(name, t);
    }
  }
  // A tied LM head (ProphetNet's lm_head = the word embeddings, stored once under the embedding's name)
  // has no weight of its own: the F32 embedding stays as it is (the embedding lookup needs it) and the
  // head quantizes it with its stored _amax when the directory is loaded.
  const bool tied = !ck.config.contains("tie_word_embeddings") || ck.config["tie_word_embeddings"] != false;
  std::vector<std::string> missing;
  for (auto& q : plan.all()) {
    const std::string& n = q->name();
    const bool is_weight = q->desc().axis.has_value() || n.find("._weight_quantizer") != std::string::npos;
    if (!is_weight || covered.count(n) || q->keeps_float()) continue;
    const std::string module = n.substr(0, n.rfind('.'));
    const bool head = module == "lm_head" || (module.size() > 8 && module.compare(module.size() - 8, 8, ".lm_head") == 0);
    if (tied && head) spdlog::info("{}: tied to the word embeddings, kept F32 (quantized on load)", n);
    else missing.push_back(n);
  }
  check(missing.empty(), "{}: found no Linear weight for {} weight quantizers (first: {})", ck.weights_file,
        missing.size(), missing.empty() ? "" : missing[0]);
  const std::string how = o.how.empty() ? fs::path(o.amax).filename().string() : o.how;
  quant::write_int8_model(o.model_dir, plan, linear, other, o.out, how, o.arch.empty() ? "" : model->arch());
  const auto floats = quant::float_quantizers(quant::amax_table_of(plan));
  if (!floats.empty())
    spdlog::warn("{}: {} quantizers stay in float (no calibration data; recorded in the metadata as {})", o.out,
                 floats.size(), quant::kFloatQuantizersKey);
  spdlog::info("wrote {}: {} int8 Linear weights, {} amax values", o.out, linear.names.size(),
               plan.all().size() - floats.size());
  return 0;
}

const RegisterCommand reg{
    {"quantize", "Model + amax table in, int8 model directory out", 40, [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<QuantizeOptions>();
       sub.add_option("-m,--model", o->model_dir, "Hugging Face checkpoint directory (fp32)")->required();
       sub.add_option("--arch", o->arch, "Model class, overriding config.json architectures[0]");
       sub.add_option("--amax", o->amax, "Amax table from qdqrt calibrate (.json or .safetensors)")->required();
       sub.add_option("-o,--out", o->out, "Output directory (must not exist)")->required();
       sub.add_option("--how", o->how,
                      "Calibration note stored in the metadata (default: the amax table's file name)");
       return std::function<int()>([o] { return run_quantize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
