// qdqrt forward: every named output of a model's Hugging Face forward for the
// tensors in a safetensors file; the validation path against PyTorch.
#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "io/safetensors.h"
#include "model_options.h"

namespace qdq::app {
namespace {

struct ForwardOptions {
  ModelOptions model;
  std::string in, out;
};

int run_forward(const ForwardOptions& o) {
  TensorMap inputs = read_tensors_arg(o.in);
  auto model = load_model_for(o.model);
  TensorMap outputs;
  try {
    outputs = model->forward(inputs);
  } catch (const Error& e) {
    // Model-side checks name the tensor; the user needs the file too.
    throw Error("{}: {}", o.in, e.what());
  }
  TensorMap f32;
  for (auto& n : outputs.names) f32.add(n, outputs.tensors.at(n).to_f32());
  write_safetensors(o.out, f32);
  spdlog::info("{}: {} outputs of {} written", o.out, f32.names.size(), model->arch());
  return 0;
}

const RegisterCommand reg{{"forward", "Run a model's forward on tensors (safetensors) and write every named output",
                           50, [](CLI::App& sub, CommonOptions&) {
                             auto o = std::make_shared<ForwardOptions>();
                             add_model_options(sub, o->model);
                             sub.add_option("--tensors-in", o->in,
                                            "Input tensors: FILE.safetensors or FILE.safetensors:GROUP "
                                            "(tensors named GROUP.input_ids, ...)")
                                 ->required();
                             sub.add_option("--tensors-out", o->out, "Output safetensors file (F32, Hugging Face names)")
                                 ->required();
                             return std::function<int()>([o] { return run_forward(*o); });
                           }}};

}  // namespace
}  // namespace qdq::app
