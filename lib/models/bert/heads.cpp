#include "models/bert/heads.h"

#include <utility>

namespace qdq::models::bert {

namespace {
const std::pair<const char*, Head> kHeads[] = {
    {"Model", Head::Base},
    {"ForSequenceClassification", Head::SequenceClassification},
    {"ForQuestionAnswering", Head::QuestionAnswering},
    {"ForTokenClassification", Head::TokenClassification},
    {"ForMaskedLM", Head::MaskedLM},
    {"ForMultipleChoice", Head::MultipleChoice},
    {"ForNextSentencePrediction", Head::NextSentencePrediction},
};
}  // namespace

Head head_of_arch(const std::string& arch, const std::string& where) {
  std::string rest;
  if (arch.rfind("QDQBert", 0) == 0) rest = arch.substr(7);
  else if (arch.rfind("Bert", 0) == 0) rest = arch.substr(4);
  for (auto& [name, h] : kHeads)
    if (!arch.empty() && rest == name) return h;
  std::string list;
  for (auto& [name, h] : kHeads) list += fmt::format("{}QDQBert{} / Bert{}", list.empty() ? "" : ", ", name, name);
  throw Error("{}: architecture '{}' is not supported (supported: {})", where, arch, list);
}

const char* head_name(Head h) {
  for (auto& [name, v] : kHeads)
    if (v == h) return name;
  return "?";
}

namespace {
Tensor mlm_bias(const BertConfig& c, WeightStore& w, const std::string& p) {
  // The bias lives at cls.predictions.bias; decoder.bias is the same tied parameter.
  auto bias = w.take_optional(p + "bias", {c.vocab_size});
  if (!bias) bias = w.take(p + "decoder.bias", {c.vocab_size});
  return *bias;
}
Tensor mlm_matrix(const BertConfig& c, WeightStore& w, const std::string& p, const Tensor& word) {
  if (!c.tie_word_embeddings && w.has(p + "decoder.weight"))
    return w.take(p + "decoder.weight", {c.vocab_size, c.hidden_size});
  return word;
}
}  // namespace

MaskedLMHead::MaskedLMHead(const BertConfig& c, WeightStore& w, const Tensor& word_embeddings, const std::string& p)
    : transform_(w.take(p + "transform.dense.weight", {c.hidden_size, c.hidden_size}),
                 w.take(p + "transform.dense.bias", {c.hidden_size})),
      decoder_(mlm_matrix(c, w, p, word_embeddings), mlm_bias(c, w, p)),
      act_(c.act()),
      eps_(c.layer_norm_eps) {
  const int64_t h = c.hidden_size;
  ln_w_ = w.take(p + "transform.LayerNorm.weight", {h});
  ln_b_ = w.take(p + "transform.LayerNorm.bias", {h});
  // decoder.weight, when stored, is the tied copy of the word embeddings.
  w.ignore_prefix(p + "decoder.");
  w.ignore_prefix(p.substr(0, p.size() - std::string("predictions.").size()) + "seq_relationship.");  // NSP head
}

Tensor MaskedLMHead::forward(const Tensor& hidden) const {
  Tensor t = transform_.forward(hidden, act_);
  kernels::layer_norm(t, ln_w_, ln_b_, eps_);
  return decoder_.forward(t);
}

}  // namespace qdq::models::bert
