#include "models/bert/task_model.h"

#include "core/log.h"

namespace qdq::models::bert {

BertTaskModel::BertTaskModel(const Checkpoint& ck, const std::string& arch_in)
    : arch_(arch_in.empty() ? "QDQBertModel" : arch_in) {
  const std::string cfg_file = ck.dir + "/config.json";
  head_ = head_of_arch(arch_, cfg_file);
  BertConfig c = parse_bert_config(ck.config, cfg_file);
  // HF names: "bert.*" in every head class; a bare BertModel checkpoint has no prefix.
  WeightStore w(ck, {"bert."});
  Pooler pooler = head_ == Head::Base                     ? Pooler::Optional
                  : head_ == Head::SequenceClassification ? Pooler::Required
                                                          : Pooler::None;
  bert_ = std::make_unique<BertModel>(c, w, "bert.", plan_, pooler);
  const int64_t h = c.hidden_size;
  switch (head_) {
    case Head::Base:
      break;
    case Head::SequenceClassification:
    case Head::TokenClassification:
    case Head::QuestionAnswering: {
      // Weight before bias, so a missing head is reported by its weight.
      const bool qa = head_ == Head::QuestionAnswering;
      const std::string name = qa ? "qa_outputs" : "classifier";
      const int64_t n = qa ? 2 : c.num_labels();
      Tensor wt = w.take(name + ".weight", {n, h});
      classifier_.emplace(wt, w.take(name + ".bias", {n}));
      break;
    }
    case Head::MaskedLM:
      mlm_.emplace(c, w, bert_->embeddings().word_embeddings());
      break;
  }
  // Weights of other heads are what Hugging Face reports as "unused" and skips.
  for (const char* other : {"classifier.", "qa_outputs.", "cls."}) w.ignore_prefix(other);
  w.finish();
  spdlog::debug("{}: {} layers, hidden {}, {} heads, {} quantizers", ck.dir, c.num_hidden_layers, c.hidden_size,
                c.num_attention_heads, plan_.all().size());
}

TensorMap BertTaskModel::forward(const TensorMap& in) {
  for (auto& n : in.names)
    check(n == "input_ids" || n == "attention_mask" || n == "token_type_ids",
          "unexpected input '{}' (a BERT model takes input_ids, attention_mask, token_type_ids)", n);
  check(in.has("input_ids"), "input 'input_ids' is missing");
  auto opt = [&](const char* n) { return in.has(n) ? in.tensors.at(n) : Tensor(); };
  Tensor hs = bert_->forward(in.tensors.at("input_ids"), opt("attention_mask"), opt("token_type_ids"));
  const int64_t B = hs.dim(0), T = hs.dim(1), H = hs.dim(2);
  TensorMap out;
  out.add("last_hidden_state", hs);
  if (bert_->has_pooler()) out.add("pooler_output", bert_->pool(hs));
  Tensor flat = hs.reshape({B * T, H});
  switch (head_) {
    case Head::Base:
      break;
    case Head::SequenceClassification:
      out.add("logits", classifier_->forward(out.tensors.at("pooler_output")));
      break;
    case Head::TokenClassification:
      out.add("logits", classifier_->forward(flat).reshape({B, T, -1}));
      break;
    case Head::QuestionAnswering: {
      Tensor l = classifier_->forward(flat);
      Tensor s(DType::F32, {B, T}), e(DType::F32, {B, T});
      for (int64_t i = 0; i < B * T; ++i) {
        s.data<float>()[i] = l.data<float>()[2 * i];
        e.data<float>()[i] = l.data<float>()[2 * i + 1];
      }
      out.add("start_logits", s);
      out.add("end_logits", e);
      break;
    }
    case Head::MaskedLM:
      out.add("logits", mlm_->forward(flat).reshape({B, T, -1}));
      break;
  }
  return out;
}

}  // namespace qdq::models::bert

namespace qdq::models {

std::unique_ptr<Model> load_bert(const Checkpoint& ckpt, const std::string& arch) {
  return std::make_unique<bert::BertTaskModel>(ckpt, arch);
}

}  // namespace qdq::models
