#include "models/bert/task_model.h"

#include "models/bert/lm_head_model.h"

#include "core/log.h"

#include <cmath>

namespace qdq::models::bert {

BertTaskModel::BertTaskModel(const Checkpoint& ck, const std::string& arch_in)
    : arch_(arch_in.empty() ? "QDQBertModel" : arch_in) {
  const std::string cfg_file = ck.dir + "/config.json";
  head_ = head_of_arch(arch_, cfg_file);
  BertConfig c = parse_bert_config(ck.config, cfg_file);
  // HF module names: "bert.*" in every head class; the bare QDQBertModel / BertModel has no
  // prefix (its named_modules() starts at "embeddings", "encoder"). Checkpoints come both
  // ways (a headed checkpoint loaded as the bare class), so weights resolve with or without it.
  WeightStore w(ck, {"bert."});
  // HF builds the pooler (add_pooling_layer=True) for the bare model and the heads that read it.
  const bool pooled = head_ == Head::SequenceClassification || head_ == Head::MultipleChoice ||
                      head_ == Head::NextSentencePrediction;
  Pooler pooler = head_ == Head::Base ? Pooler::Optional : pooled ? Pooler::Required : Pooler::None;
  const std::string module_prefix = head_ == Head::Base ? "" : "bert.";
  bert_ = std::make_unique<BertModel>(c, w, module_prefix, plan_, pooler);
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
    case Head::MultipleChoice: {  // one score per choice
      Tensor wt = w.take("classifier.weight", {1, h});
      classifier_.emplace(wt, w.take("classifier.bias", {1}));
      break;
    }
    case Head::NextSentencePrediction: {  // QDQBertOnlyNSPHead: cls.seq_relationship
      Tensor wt = w.take("cls.seq_relationship.weight", {2, h});
      classifier_.emplace(wt, w.take("cls.seq_relationship.bias", {2}));
      break;
    }
  }
  // Weights of other heads are what Hugging Face reports as "unused" and skips.
  for (const char* other : {"classifier.", "qa_outputs.", "cls."}) w.ignore_prefix(other);
  w.finish();
  spdlog::debug("{}: {} layers, hidden {}, {} heads, {} quantizers", ck.dir, c.num_hidden_layers, c.hidden_size,
                c.num_attention_heads, plan_.all().size());
}

namespace {

// CrossEntropyLoss(): mean over the rows whose label is not -100 (ignore_index).
Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  const int64_t N = logits.dim(0), L = logits.dim(1);
  check(labels.dtype() == DType::I64 && labels.ndim() == 1 && labels.dim(0) == N,
        "input 'labels' must be I64 [{}], got {} {}", N, dtype_name(labels.dtype()), shape_str(labels.shape()));
  double sum = 0;
  int64_t n = 0;
  for (int64_t i = 0; i < N; ++i) {
    const int64_t y = labels.data<int64_t>()[i];
    if (y == -100) continue;
    check(y >= 0 && y < L, "input 'labels' holds {} at [{}], outside 0..{}", y, i, L - 1);
    const float* l = logits.data<float>() + i * L;
    double m = l[0], s = 0;
    for (int64_t j = 1; j < L; ++j) m = std::max<double>(m, l[j]);
    for (int64_t j = 0; j < L; ++j) s += std::exp(l[j] - m);
    sum += m + std::log(s) - l[y];
    ++n;
  }
  // All labels ignored: NaN, as torch's mean over nothing.
  return Tensor::from_vector(std::vector<float>{static_cast<float>(n ? sum / n : std::nan(""))}, Shape{});
}

}  // namespace

TensorMap BertTaskModel::flatten_choices(const TensorMap& in, int64_t* choices) const {
  const Tensor& ids = in.tensors.at("input_ids");
  check(ids.ndim() == 3, "input 'input_ids' has shape {}, expected [batch, num_choices, seq] for {}",
        shape_str(ids.shape()), arch_);
  *choices = ids.dim(1);
  TensorMap flat;
  check(!in.has("inputs_embeds"), "input 'inputs_embeds': give input_ids [batch, num_choices, seq] for {}", arch_);
  for (const char* n : {"input_ids", "attention_mask", "token_type_ids", "position_ids"}) {
    if (!in.has(n)) continue;
    const Tensor& t = in.tensors.at(n);
    check(t.shape() == ids.shape(), "input '{}' has shape {}, input_ids has {}", n, shape_str(t.shape()),
          shape_str(ids.shape()));
    // HF: input.view(-1, input.size(-1)).
    flat.add(n, t.reshape({t.dim(0) * t.dim(1), t.dim(2)}));
  }
  if (in.has("head_mask")) flat.add("head_mask", in.at("head_mask"));
  return flat;
}

TensorMap BertTaskModel::forward(const TensorMap& in_raw, const ForwardRequest& req) {
  const bool with_labels = head_ == Head::MultipleChoice || head_ == Head::NextSentencePrediction;
  for (auto& n : in_raw.names)
    check(n == "input_ids" || n == "attention_mask" || n == "token_type_ids" || n == "position_ids" ||
              n == "inputs_embeds" || n == "head_mask" || (with_labels && n == "labels"),
          "unexpected input '{}' (a BERT model takes input_ids or inputs_embeds, attention_mask, token_type_ids, "
          "position_ids, head_mask{})",
          n, with_labels ? ", labels" : "");
  check(in_raw.has("input_ids") || (in_raw.has("inputs_embeds") && head_ != Head::MultipleChoice),
        "input 'input_ids' is missing");
  int64_t choices = 0;
  const TensorMap in = head_ == Head::MultipleChoice ? flatten_choices(in_raw, &choices) : in_raw;
  auto opt = [&](const char* n) { return in.has(n) ? in.tensors.at(n) : Tensor(); };
  TensorMap out, tuples;  // tuples: the requested hidden_states / attentions, written after the outputs
  ForwardCollector collect(req, tuples);
  BertForwardExtras ex;
  ex.position_ids = opt("position_ids");
  ex.inputs_embeds = opt("inputs_embeds");
  ex.head_mask = opt("head_mask");
  ex.collect = req.any() ? &collect : nullptr;
  Tensor hs = bert_->forward(opt("input_ids"), opt("attention_mask"), opt("token_type_ids"), ex);
  const int64_t B = hs.dim(0), T = hs.dim(1), H = hs.dim(2);
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
    case Head::MultipleChoice:
      out.add("logits", classifier_->forward(out.tensors.at("pooler_output")).reshape({B / choices, choices}));
      break;
    case Head::NextSentencePrediction:
      out.add("logits", classifier_->forward(out.tensors.at("pooler_output")));
      break;
  }
  if (with_labels && in_raw.has("labels")) out.add("loss", cross_entropy(out.tensors.at("logits"), in_raw.tensors.at("labels")));
  for (auto& n : tuples.names) out.add(n, tuples.tensors.at(n));
  return out;
}

}  // namespace qdq::models::bert

namespace qdq::models {

std::unique_ptr<Model> load_bert(const Checkpoint& ckpt, const std::string& arch) {
  if (bert::is_lm_head_arch(arch)) return std::make_unique<bert::LMHeadModel>(ckpt, arch);
  return std::make_unique<bert::BertTaskModel>(ckpt, arch);
}

}  // namespace qdq::models
