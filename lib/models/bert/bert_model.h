#pragma once
// The BERT encoder stack (QDQBertModel without heads): embeddings, layers and
// an optional pooler. Reusable by other models that embed a BERT encoder
// (EncoderDecoderModel builds one under "encoder.").
#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "kernels/ops.h"
#include "models/bert/config.h"
#include "models/bert/embeddings.h"
#include "models/bert/layer.h"

namespace qdq::models::bert {

enum class Pooler { None, Optional, Required };

class BertModel {
 public:
  // module_prefix: "bert." or "encoder." (quantizer and weight names start with it).
  BertModel(const BertConfig& c, WeightStore& w, const std::string& module_prefix, quant::QuantPlan& plan,
            Pooler pooler = Pooler::None);

  // input_ids [B, T] (I64); attention_mask / token_type_ids [B, T] or undefined
  // (all ones / all zeros). Errors name the offending tensor. Returns last_hidden_state [B, T, hidden].
  Tensor forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids);
  // dense + tanh on token 0 of last_hidden_state: [B, hidden]. Requires has_pooler().
  Tensor pool(const Tensor& last_hidden_state) const;
  bool has_pooler() const { return pooler_.has_value(); }
  void prepare();

  const BertConfig& config() const { return cfg_; }
  const BertEmbeddings& embeddings() const { return emb_; }

 private:
  BertConfig cfg_;
  BertEmbeddings emb_;
  std::vector<BertLayer> layers_;
  std::optional<kernels::Linear> pooler_;
};

// Checks input_ids / attention_mask / token_type_ids against the config:
// I64 (or any integer dtype for the mask), rank 2, equal shapes, ids in range,
// T <= max_position_embeddings. Error "input '<name>': ...".
void validate_inputs(const BertConfig& c, const Tensor& input_ids, const Tensor& attention_mask,
                     const Tensor& token_type_ids);

}  // namespace qdq::models::bert
