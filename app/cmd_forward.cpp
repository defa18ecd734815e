// qdqrt forward: every named output of a model's Hugging Face forward, for the
// tensors in a safetensors file or for texts (the one input rule: tokenized in
// input order into one right-padded batch); the validation path against PyTorch.
#include "command.h"
#include "core/error.h"
#include "core/log.h"
#include "flags.h"
#include "io/npy.h"
#include "io/safetensors.h"
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
  int64_t max_length = 512;
  models::ForwardRequest req;
};

const std::vector<std::string> kFormats = {"safetensors"};

// Texts -> input_ids, attention_mask (+ token_type_ids) as the tokenizer pads a batch.
TensorMap inputs_from_text(const ForwardOptions& o) {
  auto tok = text::load_tokenizer(o.model.model_dir);
  text::EncodeOptions eo;
  eo.truncate = true;
  eo.max_length = o.max_length;
  std::vector<text::Encoding> encs;
  for (const TextItem& it : read_text_items(o.text_in, TextKind::Pair)) {
    try {
      encs.push_back(tok->encode(it.text, it.pair, eo));
    } catch (const Error& e) {
      throw Error("{}: {}", it.where, e.what());
    }
  }
  return text::pad_batch(encs, tok->pad_id(), tok->has_token_type_ids());
}

int run_forward(ForwardOptions& o) {
  prepare_output(o.out, kFormats);
  check(o.in.empty() || (o.text_in.texts.empty() && o.text_in.input.empty()), "give --tensors-in or texts, not both");
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
                             sub.add_option("--tensors-in", o->in,
                                            "Input tensors: FILE.safetensors or FILE.safetensors:GROUP "
                                            "(tensors named GROUP.input_ids, ...). Besides ids and masks: head_mask "
                                            "([heads] or [layers, heads]; ProphetNet also decoder_head_mask, "
                                            "cross_attn_head_mask), inputs_embeds instead of input_ids (ProphetNet "
                                            "also decoder_inputs_embeds), and for BERT position_ids. ProphetNet's head masks apply always here; "
                                            "transformers 4.37.2 applies its encoder and cross-attention ones only "
                                            "with output_attentions");
                             add_text_input_options(sub, o->text_in, "Texts, instead of --tensors-in");
                             add_output_options(sub, o->out, kFormats,
                                                "Output safetensors file (F32, Hugging Face names)", ",--tensors-out");
                             sub.add_option("--max-length", o->max_length, "Texts: truncate to this many tokens")
                                 ->check(positive_int());
                             sub.add_flag("--output-hidden-states", o->req.hidden_states,
                                          "Also write Hugging Face's hidden_states tuple as hidden_states.K (K = 0: "
                                          "the embeddings' output, then each layer's; ProphetNet: encoder_hidden_states.K, "
                                          "decoder_hidden_states.K, decoder_ngram_hidden_states.K, or for the causal LM "
                                          "hidden_states.K, hidden_states_ngram.K); [batch, seq, hidden] F32 each");
                             sub.add_flag("--output-attentions", o->req.attentions,
                                          "Also write the attentions tuples as attentions.K [batch, heads, seq, seq] "
                                          "(ProphetNet: encoder_attentions.K, decoder_attentions.K, "
                                          "decoder_ngram_attentions.K [batch, ngram, heads, seq, 2*seq], "
                                          "cross_attentions.K; the causal LM: attentions.K, ngram_attentions.K). "
                                          "Memory: batch*heads*seq*seq*4 bytes per layer, held for the one batch run "
                                          "(bert-base, 8 x 512 tokens: 12 x 100 MB = 1.2 GB). int8 attention reports "
                                          "its dequantized probability codes. ProphetNet's encoder_attentions and "
                                          "cross_attentions are the scores before the softmax, as transformers 4.37.2 "
                                          "returns them");
                             return std::function<int()>([o, &sub] {
                               warn_no_effect(sub, "--max-length", !o->in.empty(), "with --tensors-in");
                               return run_forward(*o);
                             });
                           }}};

}  // namespace
}  // namespace qdq::app
