#include "models/bert/lm_head_model.h"

#include "core/log.h"
#include "models/prophetnet/generation_defaults.h"

namespace qdq::models::bert {

bool is_lm_head_arch(const std::string& arch) { return arch == "QDQBertLMHeadModel" || arch == "BertLMHeadModel"; }

LMHeadModel::LMHeadModel(const Checkpoint& ck, const std::string& arch) : arch_(arch), gen_(generation_defaults_of(ck)) {
  BertConfig c = parse_bert_config(ck.config, ck.dir + "/config.json");
  // Module names are QDQBertLMHeadModel's: bert.*, cls.*; weights resolve with or without "bert.".
  WeightStore w(ck, {"bert."});
  lm_ = std::make_unique<BertLmDecoder>(c, w, "", plan_);
  for (const char* other : {"classifier.", "qa_outputs.", "cls."}) w.ignore_prefix(other);
  w.finish();
  spdlog::debug("{}: {} decoder layers, hidden {}, {} quantizers", ck.dir, c.num_hidden_layers, c.hidden_size,
                plan_.all().size());
}

TensorMap LMHeadModel::forward(const TensorMap& in) {
  for (auto& n : in.names)
    check(n == "input_ids" || n == "attention_mask" || n == "token_type_ids" || n == "labels",
          "unexpected input '{}' ({} takes input_ids, attention_mask, token_type_ids, labels)", n, arch_);
  check(in.has("input_ids"), "input 'input_ids' is missing");
  auto opt = [&](const char* n) { return in.has(n) ? in.tensors.at(n) : Tensor(); };
  Tensor hs = lm_->forward(in.tensors.at("input_ids"), opt("attention_mask"), opt("token_type_ids"), Tensor(), {});
  Tensor logits = lm_->logits(hs);
  TensorMap out;
  if (in.has("labels")) {
    const Tensor& y = in.tensors.at("labels");
    check(y.dtype() == DType::I64 && y.shape() == in.tensors.at("input_ids").shape(),
          "input 'labels' must be I64 shaped like input_ids, got {} {}", dtype_name(y.dtype()), shape_str(y.shape()));
    out.add("loss", Tensor::from_vector(std::vector<float>{lm_cross_entropy(logits, y.to_i64_vector(), true)}, Shape{}));
  }
  out.add("logits", logits);
  out.add("last_hidden_state", hs);
  return out;
}

std::unique_ptr<DecoderState> LMHeadModel::start(const std::vector<int64_t>&, int64_t B, int64_t,
                                                 const std::vector<int64_t>&, int64_t expand, int64_t capacity) {
  return lm_->start(B * expand, capacity, Tensor(), 0, {});
}

Tensor LMHeadModel::prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) {
  return lm_->prefill(state_as<BertDecoderState>(st), seqs, len);
}

Tensor LMHeadModel::step(DecoderState& st, const std::vector<int64_t>& tokens) {
  return lm_->step(state_as<BertDecoderState>(st), tokens);
}

}  // namespace qdq::models::bert
