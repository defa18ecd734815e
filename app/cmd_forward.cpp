// qdqrt forward: every named output of a model's Hugging Face forward, for the
// tensors in a safetensors file or for texts (the one input rule: tokenized in
// input order into one right-padded batch); the validation path against PyTorch.
#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/npy.h"
#include "io/checkpoint.h"
#include "io/path_guard.h"
#include "io/safetensors.h"
#include "models/input_info.h"
#include "model_options.h"
#include "output.h"
#include "text/tokenizer.h"
#include "text_input.h"

namespace qdq::app {
namespace {

struct ForwardOptions {
  ModelOptions model;
  TextInputOptions text_in;
  OutputOptions out;
  std::string in;
  int64_t max_length = 0;  // 0: what the model holds
  models::ForwardRequest req;
};

const std::vector<std::string> kFormats = {"safetensors"};

// Texts -> input_ids, attention_mask (+ token_type_ids) as the tokenizer pads a batch.
TensorMap inputs_from_text(const ForwardOptions& o) {
  auto tok = text::load_tokenizer(o.model.model_dir);
  text::EncodeOptions eo;
  eo.truncate = true;
  eo.max_length = o.max_length > 0
                      ? o.max_length
                      : models::max_input_tokens(load_config(o.model.model_dir), tok->model_max_length());
  std::vector<text::Encoding> encs;
  for (const TextItem& it : read_text_items(o.text_in, TextKind::Pair)) {
    try {
      encs.push_back(tok->encode(it.text, it.pair, eo));
    } catch (const Error& e) {
      throw Error("{}: {}", it.where, e.what());
    }
  }
  check(!encs.empty(), "{}: no input texts (forward writes one batch)", input_name(o.text_in));
  return text::pad_batch(encs, tok->pad_id(), tok->has_token_type_ids());
}

int run_forward(ForwardOptions& o) {
  prepare_output(o.out, kFormats);
  if (!o.in.empty() && (!o.text_in.texts.empty() || !o.text_in.input.empty()))
    throw UsageError("give --tensors-in or texts, not both");
  refuse_overwriting_inputs({o.model.model_dir, o.model.amax_path, o.text_in.input, tensors_arg_file(o.in)},
                            {o.out.path});
  TensorMap inputs = o.in.empty() ? inputs_from_text(o) : read_tensors_arg(o.in);
  auto model = load_model_for(o.model);
  TensorMap outputs;
  try {
    outputs = model->forward(inputs, o.req);
  } catch (const Error& e) {
    // Model-side checks name the tensor; the user needs the file too.
    throw Error("{}: {}", o.in.empty() ? input_name(o.text_in) : o.in, e.what());
  }
  TensorMap f32;
  for (auto& n : outputs.names) f32.add(n, outputs.tensors.at(n).to_f32());
  if (o.in.empty())  // texts: the batch the outputs belong to, so padding can be told apart
    for (auto& n : inputs.names) f32.add(n, inputs.at(n));
  write_safetensors(o.out.path, f32);
  spdlog::info("{}: {} outputs of {} written", o.out.path, outputs.names.size(), model->arch());
  return 0;
}

const RegisterCommand reg{{"forward", "Run a model's forward on tensors (safetensors) or texts and write every named output",
                           50, [](CLI::App& sub, CommonOptions&) {
                             auto o = std::make_shared<ForwardOptions>();
                             add_model_options(sub, o->model);
                             flag(sub, "--tensors-in", o->in);
                             add_text_input_options(sub, o->text_in, "Texts, instead of --tensors-in");
                             add_output_options(sub, o->out, kFormats,
                                                "the output safetensors (F32, Hugging Face names)",
                                                ",--tensors-out");
                             flag(sub, "--max-length", o->max_length);
                             switch_flag(sub, "--output-hidden-states", o->req.hidden_states);
                             switch_flag(sub, "--output-attentions", o->req.attentions);
                             return std::function<int()>([o, &sub] {
                               warn_no_effect(sub, "--max-length", !o->in.empty(), "with --tensors-in");
                               return run_forward(*o);
                             });
                           }}};

}  // namespace
}  // namespace qdq::app
