// qdqrt quantize: model + amax table in, int8 model directory out
// (quant/int8_checkpoint.h describes the format).
#include <unistd.h>

#include <filesystem>
#include <set>
#include <vector>

#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/interrupt.h"
#include "io/path_guard.h"
#include "flags.h"
#include "models/model.h"
#include "quant/amax_table.h"
#include "quant/int8_checkpoint.h"

namespace qdq::app {
namespace {

namespace fs = std::filesystem;

struct QuantizeOptions {
  std::string model_dir, arch, amax, out, how;
  bool force = false;
};

// Before any work: the destination's parent exists; an existing destination
// needs --force (and must be a directory, which is then replaced atomically).
void check_destination(const QuantizeOptions& o) {
  interrupt::expect_output(o.out);
  const fs::path parent = fs::path(o.out).parent_path();
  check(parent.empty() || fs::is_directory(parent), "{}: cannot write: directory {} does not exist", o.out,
        parent.string());
  if (!fs::exists(o.out)) return;
  check(o.force, "{}: already exists; refusing to overwrite (--force replaces it)", o.out);
  check(fs::is_directory(o.out), "{}: exists and is not a directory; --force replaces only a model directory", o.out);
}

int run_quantize(const QuantizeOptions& o) {
  check_destination(o);
  refuse_overwriting_inputs({o.model_dir, o.amax}, {}, {o.out});
  const quant::AmaxTable table = quant::load_amax_table(o.amax);
  Checkpoint ck = load_checkpoint(o.model_dir);
  check(!quant::is_int8_checkpoint(ck), "{}: already an int8 model directory", o.model_dir);
  // The model gives the quantizer names (and validates that the weights fit its config).
  models::LoadOptions lo;
  lo.arch = o.arch;
  lo.prepare = false;  // only the registry is needed: no kernels
  auto model = models::load_model(o.model_dir, lo);
  auto& plan = model->quant_plan();
  check(!plan.empty(), "{}: {} has no quantizers", o.model_dir, model->arch());
  quant::apply_amax_table(plan, table, o.amax);

  // The model's registry says which checkpoint tensor each quantized Linear
  // weight is; every other tensor is written unchanged.
  std::vector<quant::Int8Weight> linear;
  std::set<std::string> keys;
  for (const auto& l : plan.linears()) {
    if (l->weight_key.empty()) {
      // Tied (ProphetNet's lm_head = the word embeddings, stored once): the F32 embedding stays (the
      // lookup needs it) and the head quantizes it with its stored _amax when the directory is loaded.
      spdlog::info("{}: tied to another parameter, kept F32 (quantized on load)", l->weight_quantizer->name());
      continue;
    }
    // A weight quantizer that stays in float (its Linear saw no calibration data) keeps the F32 weight.
    if (l->weight_quantizer->keeps_float()) continue;
    linear.push_back({l->weight_key, l->weight, l->weight_quantizer});
    keys.insert(l->weight_key);
  }
  TensorMap other;
  for (const auto& name : ck.weights.names)
    if (!keys.count(name)) other.add(name, ck.weights.at(name));
  const std::string how = o.how.empty() ? fs::path(o.amax).filename().string() : o.how;
  // --force: write beside the old directory, then swap the two in one rename.
  const bool replace = fs::exists(o.out);
  const std::string dest = replace ? (fs::path(o.out).parent_path() / ("." + fs::path(o.out).filename().string() +
                                                                         ".new." + std::to_string(::getpid())))
                                         .string()
                                   : o.out;
  if (replace) {
    fs::remove_all(dest);
    // Until the swap, the new directory is a temporary (removed on a signal); after it, it holds the old one.
    interrupt::add_temporary(dest, o.out, true);
  }
  quant::write_int8_model(o.model_dir, plan, linear, other, dest, how, o.arch.empty() ? "" : model->arch());
  if (replace) {
    replace_dir(dest, o.out);
    interrupt::remove_temporary(dest);
  }
  const auto floats = quant::float_quantizers(quant::amax_table_of(plan));
  if (!floats.empty())
    spdlog::warn("{}: {} quantizers stay in float (no calibration data; recorded in the metadata as {})", o.out,
                 floats.size(), quant::kFloatQuantizersKey);
  spdlog::info("wrote {}: {} int8 Linear weights, {} amax values", o.out, linear.size(),
               plan.all().size() - floats.size());
  return 0;
}

const RegisterCommand reg{
    {"quantize", "Model + amax table in, int8 model directory out", 40, [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<QuantizeOptions>();
       flag(sub, "--model", o->model_dir, "fp32");
       flag(sub, "--arch", o->arch);
       flag(sub, "--amax", o->amax, "required")->required();
       flag(sub, "--output", o->out, "the int8 model directory")->required();
       switch_flag(sub, "--force", o->force);
       flag(sub, "--how", o->how);
       return std::function<int()>([o] { return run_quantize(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
