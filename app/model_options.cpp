#include "model_options.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "kernels/cpu.h"
#include "kernels/ops.h"
#include "quant/amax_table.h"

namespace qdq::app {

void add_model_options(CLI::App& sub, ModelOptions& o, bool with_precision) {
  flag(sub, "--model", o.model_dir);
  flag(sub, "--arch", o.arch);
  // A load option, not a generate flag: it changes forward's logits and loss as much as generation.
  flag(sub, "--ngram-relpos", o.ngram_relpos);
  if (!with_precision) return;
  flag(sub, "--precision", o.precision);
  flag(sub, "--amax", o.amax_path);
  switch_flag(sub, "--force", o.force);
}

std::unique_ptr<models::Model> load_model_for(const ModelOptions& o) {
  if (!o.amax_path.empty() && (o.precision == "fp32" || o.precision == "bf16"))
    throw UsageError("--amax {} given with --precision {}; use fakequant or int8 (or drop --precision)", o.amax_path,
                     o.precision);
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
  // An amax table says the user wants the quantized model, as a quantized directory does.
  std::string precision = o.precision.empty() ? (quantized_dir || !o.amax_path.empty() ? "int8" : "fp32") : o.precision;
  const bool float_precision = precision == "fp32" || precision == "bf16";
  check(precision != "bf16" || kernels::cpu_has_bf16(),
        "--precision bf16 needs a CPU with AVX-512 BF16 or AMX; this one runs {} (use fp32, or int8 after "
        "calibration)",
        kernels::cpu_isa_name());
  if (!o.amax_path.empty()) {
    quant::apply_amax_table(plan, table, o.amax_path, o.force);
  } else if (!float_precision) {
    if (!quantized_dir)
      throw UsageError("--precision {} needs --amax TABLE (or a directory written by qdqrt quantize)", precision);
  }
  if (precision == "int8" && !kernels::cpu_has_vnni())
    spdlog::warn("int8 on a CPU without VNNI ({}): the int8 codes are multiplied in f32 (exact, as VNNI's int32 "
                 "sums) at about fp32 speed; oneDNN's own int8 GEMMs would saturate here",
                 kernels::cpu_isa_name());
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
