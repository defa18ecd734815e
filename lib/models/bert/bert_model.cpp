#include "models/bert/bert_model.h"

#include "models/bert/decoder_mask.h"

#include <limits>

namespace qdq::models::bert {

namespace {

// attention_mask / token_type_ids against the batch shape `ref` (of input_ids or inputs_embeds).
void check_masks(const BertConfig& c, const Shape& ref, const char* ref_name, const Tensor& mask, const Tensor& tt) {
  auto check_2d = [&](const Tensor& t, const char* name) {
    check(t.dtype() == DType::I64, "input '{}' is {}, expected I64", name, dtype_name(t.dtype()));
    check(t.ndim() == 2, "input '{}' has shape {}, expected [batch, seq]", name, shape_str(t.shape()));
    check(t.shape() == ref, "input '{}' has shape {}, {} has {}", name, shape_str(t.shape()), ref_name,
          shape_str(ref));
  };
  const int64_t n = shape_numel(ref), T = ref[1];
  if (mask.defined()) {
    check_2d(mask, "attention_mask");
    const int64_t* m = mask.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      check(m[i] == 0 || m[i] == 1, "input 'attention_mask' holds {} at [{}, {}], expected 0 or 1", m[i], i / T,
            i % T);
  }
  if (tt.defined()) {
    check_2d(tt, "token_type_ids");
    const int64_t* t = tt.data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      check(t[i] >= 0 && t[i] < c.type_vocab_size, "input 'token_type_ids' holds {} at [{}, {}], outside 0..{}",
            t[i], i / T, i % T, c.type_vocab_size - 1);
  }
}

// position_ids [B, T] or [1, T] as [B*T] ids in the position table; empty when undefined.
std::vector<int64_t> position_ids_of(const BertConfig& c, const Tensor& p, int64_t B, int64_t T) {
  if (!p.defined()) return {};
  check(p.dtype() == DType::I64, "input 'position_ids' is {}, expected I64", dtype_name(p.dtype()));
  check(p.ndim() == 2 && (p.dim(0) == B || p.dim(0) == 1) && p.dim(1) == T,
        "input 'position_ids' has shape {}, expected [{}, {}] or [1, {}]", shape_str(p.shape()), B, T, T);
  std::vector<int64_t> v(B * T);
  for (int64_t i = 0; i < B * T; ++i) {
    const int64_t x = p.data<int64_t>()[p.dim(0) == 1 ? i % T : i];
    check(x >= 0 && x < c.max_position_embeddings,
          "input 'position_ids' holds {} at [{}, {}], outside the position table 0..{}", x, i / T, i % T,
          c.max_position_embeddings - 1);
    v[i] = x;
  }
  return v;
}

// inputs_embeds [B, T, hidden] as F32 (a copy when it comes in another float dtype).
Tensor embeds_of(const BertConfig& c, const Tensor& e, const Tensor& ids) {
  check(!ids.defined(), "give input_ids or inputs_embeds, not both");
  check(dtype_is_float(e.dtype()), "input 'inputs_embeds' is {}, expected a float dtype", dtype_name(e.dtype()));
  check(e.ndim() == 3 && e.dim(2) == c.hidden_size && e.dim(0) > 0 && e.dim(1) > 0,
        "input 'inputs_embeds' has shape {}, expected [batch, seq, {}]", shape_str(e.shape()), c.hidden_size);
  check(e.dim(1) <= c.max_position_embeddings,
        "input 'inputs_embeds' has {} tokens, more than max_position_embeddings {}", e.dim(1),
        c.max_position_embeddings);
  return e.to_f32();
}

}  // namespace

void validate_inputs(const BertConfig& c, const Tensor& ids, const Tensor& mask, const Tensor& tt) {
  check(ids.defined(), "input 'input_ids' is missing");
  check(ids.dtype() == DType::I64, "input 'input_ids' is {}, expected I64", dtype_name(ids.dtype()));
  check(ids.ndim() == 2, "input 'input_ids' has shape {}, expected [batch, seq]", shape_str(ids.shape()));
  check(ids.dim(0) > 0 && ids.dim(1) > 0, "input 'input_ids' is empty ({})", shape_str(ids.shape()));
  check(ids.dim(1) <= c.max_position_embeddings, "input 'input_ids' has {} tokens, more than max_position_embeddings {}",
        ids.dim(1), c.max_position_embeddings);
  const int64_t n = ids.numel();
  const int64_t* p = ids.data<int64_t>();
  for (int64_t i = 0; i < n; ++i)
    check(p[i] >= 0 && p[i] < c.vocab_size, "input 'input_ids' holds {} at [{}, {}], outside the vocabulary 0..{}",
          p[i], i / ids.dim(1), i % ids.dim(1), c.vocab_size - 1);
  check_masks(c, ids.shape(), "input_ids", mask, tt);
}

BertModel::BertModel(const BertConfig& c, WeightStore& w, const std::string& mp, quant::QuantPlan& plan,
                     Pooler pooler)
    : cfg_(c), emb_(c, w, mp + "embeddings.") {
  layers_.reserve(c.num_hidden_layers);
  for (int64_t i = 0; i < c.num_hidden_layers; ++i)
    layers_.emplace_back(c, w, mp + "encoder.layer." + std::to_string(i) + ".", plan);
  const int64_t h = c.hidden_size;
  const std::string pw = mp + "pooler.dense.weight", pb = mp + "pooler.dense.bias";
  if (pooler == Pooler::Required || (pooler == Pooler::Optional && w.has(pw)))
    pooler_.emplace(w.take(pw, {h, h}), w.take(pb, {h}));
  else
    w.ignore_prefix(mp + "pooler."), w.ignore_prefix("pooler.");  // heads without a pooler (HF add_pooling_layer=False)
}

void BertModel::prepare() {
  for (auto& l : layers_) l.prepare();
}

Tensor BertModel::forward(const Tensor& ids, const Tensor& mask, const Tensor& tt, const BertForwardExtras& ex) {
  Tensor embeds;
  if (ex.inputs_embeds.defined()) {
    embeds = embeds_of(cfg_, ex.inputs_embeds, ids);
    check_masks(cfg_, {embeds.dim(0), embeds.dim(1)}, "inputs_embeds", mask, tt);
  } else {
    validate_inputs(cfg_, ids, mask, tt);
  }
  const Tensor& ref = embeds.defined() ? embeds : ids;
  const int64_t B = ref.dim(0), T = ref.dim(1);
  const std::vector<int64_t> positions = position_ids_of(cfg_, ex.position_ids, B, T);
  const int64_t L = static_cast<int64_t>(layers_.size()), heads = cfg_.num_attention_heads;
  const std::vector<float> head_mask = layer_head_masks(ex.head_mask, L, heads, "head_mask");
  // Hugging Face's extended mask: (1 - mask) * finfo(float32).min, added to the scores.
  std::vector<float> mask_add(B * T, 0.0f);
  if (mask.defined()) {
    const int64_t* m = mask.data<int64_t>();
    for (int64_t i = 0; i < B * T; ++i)
      mask_add[i] = (1.0f - static_cast<float>(m[i])) * std::numeric_limits<float>::lowest();
  }
  Tensor x = emb_.forward(embeds.defined() ? nullptr : ids.data<int64_t>(), tt.defined() ? tt.data<int64_t>() : nullptr,
                          B, T, 0, positions.empty() ? nullptr : positions.data(),
                          embeds.defined() ? embeds.data<float>() : nullptr);
  ForwardCollector* out = ex.collect;
  const Shape hs{B, T, cfg_.hidden_size};
  if (out) out->hidden("hidden_states", x, hs);
  for (int64_t li = 0; li < L; ++li) {
    Tensor probs;
    x = layers_[li].forward(x, mask_add.data(), B, T, head_mask_row(head_mask, li, heads),
                            out && out->attentions() ? &probs : nullptr);
    if (out) {
      out->hidden("hidden_states", x, hs);
      if (probs.defined()) out->attention("attentions", probs);
    }
  }
  return x.reshape(hs);
}

BertDecoderState BertModel::new_decoder_state(int64_t B, int64_t capacity, const Tensor& enc, int64_t S,
                                              const std::vector<int64_t>& enc_mask) {
  check(cfg_.is_decoder, "QDQBERT: decoding with a model whose config is not is_decoder");
  BertDecoderState st;
  st.rows = B;
  st.capacity = capacity;
  const bool cross = cfg_.add_cross_attention;
  check(!cross || enc.defined(), "QDQBERT decoder with cross-attention: no encoder output");
  if (cross) {
    check(enc.numel() == B * S * cfg_.hidden_size, "QDQBERT decoder: encoder output {} is not [{}, {}, {}]",
          shape_str(enc.shape()), B, S, cfg_.hidden_size);
    st.src_len = S;
    Tensor e = enc.reshape({B * S, cfg_.hidden_size});
    if (!enc_mask.empty()) {
      check(static_cast<int64_t>(enc_mask.size()) == B * S, "QDQBERT decoder: encoder mask of {} for [{}, {}]",
            enc_mask.size(), B, S);
      // invert_attention_mask: (1 - mask) * finfo(float32).min.
      for (int64_t m : enc_mask)
        st.enc_mask_add.push_back((1.0f - static_cast<float>(m)) * std::numeric_limits<float>::lowest());
    }
  }
  for (auto& l : layers_) {
    st.self.push_back(l.attention().new_cache(B, capacity));
    if (cross) st.cross.push_back(l.crossattention()->project_kv(enc.reshape({B * S, cfg_.hidden_size}), B, S));
  }
  return st;
}

Tensor BertModel::forward_decoder(const int64_t* ids, const int64_t* tt, int64_t B, int64_t T,
                                  const std::vector<int64_t>& mask, BertDecoderState& st) {
  check(st.rows == B, "QDQBERT decoder: {} rows for a state of {}", B, st.rows);
  const int64_t past = st.length(), Tk = past + T;
  check(Tk <= st.capacity, "QDQBERT decoder: {} tokens exceed the state's capacity {}", Tk, st.capacity);
  check(Tk <= cfg_.max_position_embeddings, "QDQBERT decoder: {} tokens exceed max_position_embeddings {}", Tk,
        cfg_.max_position_embeddings);
  for (int64_t i = 0; i < B * T; ++i)
    check(ids[i] >= 0 && ids[i] < cfg_.vocab_size, "input 'input_ids' holds {} at [{}, {}], outside the vocabulary 0..{}",
          ids[i], i / T, i % T, cfg_.vocab_size - 1);
  const std::vector<float> self_mask = decoder_self_mask(mask, B, T, past);
  Tensor x = emb_.forward(ids, tt, B, T, past);
  for (size_t li = 0; li < layers_.size(); ++li) {
    Attend self;
    self.mask_add = self_mask.data();
    self.mask_q = T;
    self.kv = &st.self[li];
    Attend cross;
    if (!st.cross.empty()) {
      cross.mask_add = st.enc_mask_add.empty() ? nullptr : st.enc_mask_add.data();
      cross.kv = &st.cross[li];
      cross.append = false;
    }
    x = layers_[li].forward(x, B, T, self, st.cross.empty() ? nullptr : &cross);
  }
  return x.reshape({B, T, cfg_.hidden_size});
}

Tensor BertModel::pool(const Tensor& hs) const {
  check(pooler_.has_value(), "this model has no pooler");
  const int64_t B = hs.dim(0), T = hs.dim(1), H = hs.dim(2);
  Tensor first(DType::F32, {B, H});
  for (int64_t b = 0; b < B; ++b)
    std::copy_n(hs.data<float>() + b * T * H, H, first.data<float>() + b * H);
  return pooler_->forward(first, kernels::Activation::Tanh);
}

}  // namespace qdq::models::bert
