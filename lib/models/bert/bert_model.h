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
#include "models/bert/decoder_state.h"
#include "models/bert/embeddings.h"
#include "models/bert/layer.h"
#include "models/forward_outputs.h"

namespace qdq::models::bert {

enum class Pooler { None, Optional, Required };

// What a forward takes besides input_ids / attention_mask / token_type_ids (Hugging Face's optional
// arguments of QDQBertModel.forward), and where its optional outputs go.
struct BertForwardExtras {
  Tensor position_ids;   // I64 [B, T] or [1, T] (every row); undefined: 0 .. T-1
  Tensor inputs_embeds;  // float [B, T, hidden] in place of input_ids (then undefined)
  Tensor head_mask;      // [heads] or [layers, heads] factors on the attention probabilities
  ForwardCollector* collect = nullptr;  // hidden_states.K (K = 0: embeddings), attentions.K
};

class BertModel {
 public:
  // module_prefix: "bert." or "encoder." (quantizer and weight names start with it).
  BertModel(const BertConfig& c, WeightStore& w, const std::string& module_prefix, quant::QuantPlan& plan,
            Pooler pooler = Pooler::None);

  // input_ids [B, T] (I64); attention_mask / token_type_ids [B, T] or undefined
  // (all ones / all zeros). Errors name the offending tensor. Returns last_hidden_state [B, T, hidden].
  Tensor forward(const Tensor& input_ids, const Tensor& attention_mask, const Tensor& token_type_ids,
                 const BertForwardExtras& extra = {});
  // Decoder (config is_decoder): an empty state for B rows and `capacity` tokens. With enc [B*S,
  // hidden] (the encoder output; enc_mask [B*S] or empty) the cross-attention keys/values of every
  // layer are computed here, once.
  BertDecoderState new_decoder_state(int64_t B, int64_t capacity, const Tensor& enc, int64_t S,
                                     const std::vector<int64_t>& enc_mask);
  // Decoder forward over T new tokens after st.length() cached ones (positions continue there):
  // ids / token_type (null: zeros) [B*T], mask [B*(past+T)] over past + new tokens or empty (all
  // ones), combined with the causal mask as Hugging Face's get_extended_attention_mask does for
  // decoders. Appends to st's caches. Returns the hidden states [B, T, hidden].
  Tensor forward_decoder(const int64_t* ids, const int64_t* token_type, int64_t B, int64_t T,
                         const std::vector<int64_t>& mask, BertDecoderState& st);
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
