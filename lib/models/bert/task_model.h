#pragma once
// models::Model for the BERT family: QDQBert{Model, ForSequenceClassification,
// ForQuestionAnswering, ForTokenClassification, ForMaskedLM, ForMultipleChoice,
// ForNextSentencePrediction} and their Bert* twins (plain BERT checkpoints run through the same quantizable forward).
#include <memory>
#include <optional>

#include "models/bert/bert_model.h"
#include "models/bert/heads.h"
#include "models/model.h"

namespace qdq::models::bert {

class BertTaskModel : public Model {
 public:
  BertTaskModel(const Checkpoint& ckpt, const std::string& arch);
  std::string arch() const override { return arch_; }
  std::string family() const override { return "bert"; }
  // Inputs input_ids (+ attention_mask, token_type_ids). Outputs:
  //   Model: last_hidden_state, pooler_output (when the checkpoint has a pooler)
  //   ForSequenceClassification: last_hidden_state, pooler_output, logits [B, labels]
  //   ForQuestionAnswering: last_hidden_state, start_logits, end_logits [B, T]
  //   ForTokenClassification: last_hidden_state, logits [B, T, labels]
  //   ForMaskedLM: last_hidden_state, logits [B, T, vocab]
  //   ForMultipleChoice (inputs [B, C, T]): last_hidden_state [B*C, T, H], pooler_output [B*C, H], logits [B, C]
  //   ForNextSentencePrediction: last_hidden_state, pooler_output, logits [B, 2]
  // ForMultipleChoice and ForNextSentencePrediction also take `labels` [B] (I64; -100 ignored) and then
  // return `loss`: the mean cross entropy, as Hugging Face computes it.
  // Also taken: position_ids [B, T], inputs_embeds [B, T, hidden] (instead of input_ids), head_mask
  // [heads] or [layers, heads], as QDQBertModel.forward takes them.
  TensorMap forward(const TensorMap& inputs) override { return forward(inputs, ForwardRequest{}); }
  // With `req`: hidden_states.K [B, T, hidden] (K = 0 the embeddings' output .. layers) and
  // attentions.K [B, heads, T, T] (int8 attention: its dequantized probabilities, see attention.cpp).
  TensorMap forward(const TensorMap& inputs, const ForwardRequest& req) override;
  void prepare() override { bert_->prepare(); }
  // pooler_output of a [B, T, hidden] hidden state (the pooler on its first token). Requires has_pooler().
  Tensor pool(const Tensor& hidden_state) const { return bert_->pool(hidden_state); }

  Head head() const { return head_; }
  const BertConfig& config() const { return bert_->config(); }
  bool has_pooler() const { return bert_->has_pooler(); }

 private:
  std::string arch_;
  Head head_;
  std::unique_ptr<BertModel> bert_;
  // The [B*C, T] inputs of a multiple-choice forward ([B, C, T]); C in *choices.
  TensorMap flatten_choices(const TensorMap& in, int64_t* choices) const;

  std::optional<kernels::Linear> classifier_;  // classifier, qa_outputs or cls.seq_relationship
  std::optional<MaskedLMHead> mlm_;
};

}  // namespace qdq::models::bert
