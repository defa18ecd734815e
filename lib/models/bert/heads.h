#pragma once
// The task heads on top of BertModel, as the Hugging Face classes build them.
// None is quantized in QDQBERT (plain nn.Linear).
#include <string>

#include "io/checkpoint.h"
#include "kernels/ops.h"
#include "models/bert/config.h"

namespace qdq::models::bert {

enum class Head {
  Base,
  SequenceClassification,
  QuestionAnswering,
  TokenClassification,
  MaskedLM,
  MultipleChoice,          // inputs [batch, num_choices, seq]; logits [batch, num_choices]
  NextSentencePrediction,  // cls.seq_relationship on the pooled output; logits [batch, 2], 0 = "is next"
};

// "QDQBertForQuestionAnswering" / "BertForQuestionAnswering" -> Head; Error listing the supported names.
Head head_of_arch(const std::string& arch, const std::string& where);
const char* head_name(Head h);  // "ForQuestionAnswering", "Model", ...

// cls.predictions: transform (dense + act + LayerNorm), then the decoder tied
// to the word embeddings plus cls.predictions.bias. prefix: "cls.predictions."
// ("decoder.cls.predictions." in an EncoderDecoderModel). With tie_word_embeddings
// false, a stored `decoder.weight` is used instead of the word embeddings.
class MaskedLMHead {
 public:
  MaskedLMHead(const BertConfig& c, WeightStore& w, const Tensor& word_embeddings,
               const std::string& prefix = "cls.predictions.");
  Tensor forward(const Tensor& hidden) const;  // [N, hidden] -> [N, vocab]

 private:
  kernels::Linear transform_, decoder_;
  kernels::Activation act_ = kernels::Activation::GeluErf;
  Tensor ln_w_, ln_b_;
  float eps_ = 0;
};

}  // namespace qdq::models::bert
