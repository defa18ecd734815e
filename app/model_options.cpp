#include "model_options.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "kernels/ops.h"
#include "quant/amax_table.h"

namespace qdq::app {

void add_model_options(CLI::App& sub, ModelOptions& o, bool with_precision) {
  sub.add_option("-m,--model", o.model_dir, "Hugging Face checkpoint directory (or a qdqrt int8 directory)")
      ->required();
  sub.add_option("--arch", o.arch, "Model class, overriding config.json architectures[0] (e.g. ProphetNetForCausalLM)");
  // A load option, not a generate flag: it changes forward's logits and loss as much as generation.
  sub.add_option("--ngram-relpos", o.ngram_relpos,
                 "ProphetNet decoders: huggingface (transformers 4.37.2) or original (microsoft/ProphetNet) n-gram "
                 "relative positions in multi-token decoder passes (default: huggingface)")
      ->check(CLI::IsMember({"huggingface", "original"}));
  if (!with_precision) return;
  sub.add_option("--precision", o.precision,
                 "fp32, bf16 (the Linears' GEMMs in bfloat16: faster, no calibration, about 3 significant "
                 "digits; needs AVX-512 BF16), fakequant (pytorch_quantization numerics) or int8 (oneDNN int8 "
                 "kernels); default: int8 for a quantized directory, else fp32")
      ->check(CLI::IsMember({"fp32", "bf16", "fakequant", "int8"}));
  sub.add_option("--amax", o.amax_path, "Amax table (.json or .safetensors state dict) for fakequant / int8");
  // (issue 17, amax tables know their model) minimal: the lead's flag table takes this over.
  sub.add_flag("--force", o.force, "Use an --amax table even when it was calibrated on another model");
}

std::unique_ptr<models::Model> load_model_for(const ModelOptions& o) {
  // Validate the amax table before the (slower) model load so a bad table fails fast.
  quant::AmaxTable table;
  if (!o.amax_path.empty()) table = quant::load_amax_table(o.amax_path);
  models::LoadOptions lo;
  lo.arch = o.arch;
  lo.ngram_relpos = o.ngram_relpos;
  lo.prepare = false;  // prepared once below, for the precision asked for
  auto model = models::load_model(o.model_dir, lo);
  auto& plan = model->quant_plan();
  bool quantized_dir = std::any_of(plan.all().begin(), plan.all().end(), [](auto& q) { return q->has_amax(); });
  std::string precision = o.precision.empty() ? (quantized_dir ? "int8" : "fp32") : o.precision;
  const bool float_precision = precision == "fp32" || precision == "bf16";
  check(precision != "bf16" || kernels::cpu_has_bf16(),
        "--precision bf16 needs a CPU with AVX-512 BF16 or AMX; this one runs {} (use fp32, or int8 after "
        "calibration)",
        kernels::cpu_isa_name());
  if (!o.amax_path.empty()) {
    check(!float_precision, "--amax {} given with --precision {}; use fakequant or int8", o.amax_path, precision);
    quant::apply_amax_table(plan, table, o.amax_path, o.force);
  } else if (!float_precision) {
    check(quantized_dir, "--precision {} needs --amax TABLE (or a directory written by qdqrt quantize)", precision);
  }
  plan.set_float_math(precision == "bf16" ? quant::FloatMath::Bf16 : quant::FloatMath::Fp32);
  plan.set_mode(float_precision            ? quant::QuantMode::Disabled
                : precision == "fakequant" ? quant::QuantMode::FakeQuant
                                           : quant::QuantMode::Int8);
  model->prepare();
  spdlog::debug("{}: {} ({}), {} quantizers, precision {}", o.model_dir, model->arch(), model->family(),
                plan.all().size(), precision);
  return model;
}

}  // namespace qdq::app
