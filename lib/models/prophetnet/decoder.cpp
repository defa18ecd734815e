#include "models/prophetnet/decoder.h"

#include <algorithm>
#include <cstring>

#include "kernels/ops.h"
#include "models/generative.h"
#include "models/prophetnet/tensor_util.h"

namespace qdq::models::prophetnet {

void DecoderCache::reorder(const std::vector<int64_t>& idx) {
  check(static_cast<int64_t>(idx.size()) == batch, "decoder cache: reorder of {} rows for batch {}", idx.size(),
        batch);
  // [B, heads, capacity, d]: only the first `length` positions of each head hold keys/values.
  spare.resize(self.size());
  for (size_t l = 0; l < self.size(); ++l) {
    for (auto [t, s] : {std::pair{&self[l].k, &spare[l].k}, std::pair{&self[l].v, &spare[l].v}}) {
      const int64_t heads = t->dim(1), d = t->dim(3);
      reorder_rows(*t, *s, idx, heads, capacity * d, length * d);
    }
  }
  if (!self_key_add.empty()) {
    spare_key_add.resize(self_key_add.size());
    for (int64_t i = 0; i < batch; ++i)
      std::memcpy(spare_key_add.data() + i * capacity, self_key_add.data() + idx[i] * capacity,
                  sizeof(float) * capacity);
    std::swap(self_key_add, spare_key_add);
  }
}

void DecoderCache::truncate(const std::vector<int64_t>& lengths) {
  check(static_cast<int64_t>(lengths.size()) == batch, "decoder cache: {} lengths for batch {}", lengths.size(), batch);
  if (row_length.empty()) row_length.assign(batch, length);
  for (int64_t b = 0; b < batch; ++b) {
    check(lengths[b] >= 0 && lengths[b] <= row_length[b], "decoder cache: row {} cannot grow to {} by truncation", b,
          lengths[b]);
    row_length[b] = lengths[b];
  }
  length = *std::max_element(row_length.begin(), row_length.end());
}

Decoder::Decoder(const std::string& m, WeightStore& ws, const Config& c, Tensor word_embeddings,
                 quant::QuantPlan& plan)
    : c_(c), word_(std::move(word_embeddings)) {
  pos_ = ws.take(m + ".position_embeddings.weight", {c.max_position_embeddings, c.hidden_size});
  ngram_emb_ = ws.take(m + ".ngram_embeddings.weight", {c.ngram, c.hidden_size});
  auto act = kernels::activation_from_name(c.activation);
  // named_modules() order: layers (self_attn, [cross_attn], feed_forward), then embeddings_layer_norm.
  for (int64_t i = 0; i < c.num_decoder_layers; ++i) {
    std::string p = m + ".layers." + std::to_string(i);
    Layer l;
    l.self = NgramSelfAttention(p + ".self_attn", ws, c, plan);
    l.self_norm = Norm::load(p + ".self_attn_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
    if (c.add_cross_attention) {
      l.cross = Attention(p + ".cross_attn", ws, c.hidden_size, c.num_decoder_heads, plan);
      l.cross_norm = Norm::load(p + ".cross_attn_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
    }
    l.ffn = FeedForward(p + ".feed_forward", ws, c.hidden_size, c.decoder_ffn_dim, act, plan);
    l.ffn_norm = Norm::load(p + ".feed_forward_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
    layers_.push_back(std::move(l));
  }
  emb_norm_ = Norm::load(m + ".embeddings_layer_norm", ws, c.hidden_size, c.layer_norm_eps);
}

void Decoder::prepare() {
  for (auto& l : layers_) {
    l.self.prepare();
    if (c_.add_cross_attention) l.cross.prepare();
    l.ffn.prepare();
  }
}

void Decoder::check_position(int64_t last_index) const {
  // The predicting streams read position (index + 2); transformers indexes past the table beyond that.
  check(c_.pad_token_id + last_index + 2 < c_.max_position_embeddings,
        "ProphetNet decoder: {} tokens, the position table ({} rows, padding index {}) allows at most {}",
        last_index + 1, c_.max_position_embeddings, c_.pad_token_id,
        c_.max_position_embeddings - c_.pad_token_id - 2);
}

Decoder::Output Decoder::forward(const std::vector<int64_t>& ids, int64_t B, int64_t T,
                                 const std::vector<int64_t>& mask, const Tensor& enc,
                                 const std::vector<int64_t>& enc_mask, RelPosMode mode, DecoderCache* cache,
                                 const DecoderExtras* extra) {
  check(T >= 1, "ProphetNet decoder: empty input");
  check_position(T - 1);
  const int64_t H = c_.hidden_size, NG = c_.ngram, R = (1 + NG) * T;
  const bool embedded = extra && extra->inputs_embeds.defined();
  Tensor words = embedded ? extra->inputs_embeds : embedding(word_, ids, {B, T}, "decoder input_ids");
  Tensor x(DType::F32, {B, R, H});
  const float *W = words.data<float>(), *P = pos_.data<float>(), *NE = ngram_emb_.data<float>();
  float* X = x.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const int64_t pos = c_.pad_token_id + t + 1;
      float* row = X + (b * R + t) * H;
      for (int64_t i = 0; i < H; ++i) row[i] = W[(b * T + t) * H + i] + P[pos * H + i];
      for (int64_t s = 0; s < NG; ++s) {
        // ngram_embeddings[ngram - 1] for ngram in range(NG): stream 0 reads the last row.
        const float* e = NE + ((s + NG - 1) % NG) * H;
        float* r2 = X + (b * R + T + s * T + t) * H;
        for (int64_t i = 0; i < H; ++i) r2[i] = e[i] + P[(pos + 1) * H + i];
      }
    }
  emb_norm_.apply(x);
  const bool use_enc = enc.defined() && c_.add_cross_attention;
  std::vector<float> enc_add = enc_mask.empty() ? std::vector<float>{} : additive_key_mask(enc_mask);
  ForwardCollector* out = extra ? extra->collect : nullptr;
  const bool attn_out = out && out->attentions();
  const int64_t heads = c_.num_decoder_heads;
  // transformers slices the main rows and the ngram rows [B, ngram*T, H] out of every layer's input.
  auto collect_hidden = [&] {
    if (!out || !out->hidden_states()) return;
    out->hidden(extra->names.hidden, slice_rows(x, 0, T), {B, T, H});
    out->hidden(extra->names.hidden_ngram, slice_rows(x, T, NG * T), {B, NG * T, H});
  };
  collect_hidden();
  for (size_t li = 0; li < layers_.size(); ++li) {
    auto& l = layers_[li];
    const int64_t lj = static_cast<int64_t>(li);
    Tensor main_probs, pred_probs, cross_weights;
    Tensor a = l.self.forward(x, T, mask, mode, cache ? &cache->self[li] : nullptr,
                              extra ? head_mask_row(extra->head_mask, lj, heads) : nullptr,
                              attn_out ? &main_probs : nullptr, attn_out ? &pred_probs : nullptr);
    l.self_norm.add_norm(a, x);
    x = a;
    if (use_enc) {
      Attention::KV kv = cache ? cache->cross[li] : l.cross.project_kv(enc);
      Tensor c = l.cross.forward(x, kv, enc_add, extra ? head_mask_row(extra->cross_attn_head_mask, lj, heads) : nullptr,
                                 attn_out ? &cross_weights : nullptr);
      l.cross_norm.add_norm(c, x);
      x = c;
    }
    Tensor f = l.ffn.forward(x);
    l.ffn_norm.add_norm(f, x);
    x = f;
    if (attn_out) {
      out->attention(extra->names.attentions, main_probs);
      out->attention(extra->names.ngram_attentions, pred_probs);
      if (cross_weights.defined()) out->attention(extra->names.cross_attentions, cross_weights);
    }
    collect_hidden();
  }
  if (cache) {
    cache->length = T;
    if (!mask.empty()) {
      cache->self_key_add.assign(B * cache->capacity, 0.0f);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t)
          cache->self_key_add[b * cache->capacity + t] = (1.0f - static_cast<float>(mask[b * T + t])) * kMaskMin;
    }
  }
  return {slice_rows(x, 0, T), slice_rows(x, T, NG * T)};
}

DecoderCache Decoder::new_cache(int64_t B, int64_t capacity, const Tensor& enc, const std::vector<int64_t>& enc_mask) {
  DecoderCache c;
  c.batch = B;
  c.capacity = capacity;
  const int64_t nh = c_.num_decoder_heads, d = c_.hidden_size / nh;
  for (auto& l : layers_) {
    c.self.push_back({Tensor(DType::F32, {B, nh, capacity, d}), Tensor(DType::F32, {B, nh, capacity, d})});
    if (enc.defined() && c_.add_cross_attention) c.cross.push_back(l.cross.project_kv(enc));
  }
  if (!enc_mask.empty()) c.enc_key_add = additive_key_mask(enc_mask);
  return c;
}

Tensor Decoder::step(const std::vector<int64_t>& ids, DecoderCache& cache) {
  const int64_t B = cache.batch, H = c_.hidden_size, NG = c_.ngram, p = cache.length;
  check(static_cast<int64_t>(ids.size()) == B, "ProphetNet decoder: {} step ids for batch {}", ids.size(), B);
  check(cache.row_length.empty(), "ProphetNet decoder: a cached step after rows diverged (use extend)");
  check_position(p);
  Tensor words = embedding(word_, ids, {B}, "decoder input_ids");
  Tensor x(DType::F32, {B, 2, H});
  const int64_t pos = c_.pad_token_id + p + 1;
  const float *W = words.data<float>(), *P = pos_.data<float>(), *E = ngram_emb_.data<float>() + (NG - 1) * H;
  float* X = x.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < H; ++i) {
      X[(b * 2) * H + i] = W[b * H + i] + P[pos * H + i];
      X[(b * 2 + 1) * H + i] = E[i] + P[(pos + 1) * H + i];
    }
  emb_norm_.apply(x);
  for (size_t li = 0; li < layers_.size(); ++li) {
    auto& l = layers_[li];
    Tensor a = l.self.step(x, p, cache.self[li], cache.self_key_add);
    l.self_norm.add_norm(a, x);
    x = cached_layer_tail(l, li, std::move(a), cache);
  }
  cache.length = p + 1;
  return slice_rows(x, 1, 1).reshape({B, H});
}

Tensor Decoder::cached_layer_tail(Layer& l, size_t li, Tensor x, const DecoderCache& cache) {
  if (!cache.cross.empty()) {
    Tensor c = l.cross.forward(x, cache.cross[li], cache.enc_key_add);
    l.cross_norm.add_norm(c, x);
    x = c;
  }
  Tensor f = l.ffn.forward(x);
  l.ffn_norm.add_norm(f, x);
  return f;
}

Tensor Decoder::extend(const std::vector<int64_t>& ids, int64_t n, bool draft, DecoderCache& cache) {
  const int64_t B = cache.batch, H = c_.hidden_size, NG = c_.ngram;
  check(n >= 1 && static_cast<int64_t>(ids.size()) == B * n, "ProphetNet decoder: {} ids for {} rows of {}",
        ids.size(), B, n);
  check(!draft || NG >= 2, "ProphetNet decoder: stream drafts need ngram >= 2 (this decoder has {})", NG);
  std::vector<int64_t> pos(B);
  for (int64_t b = 0; b < B; ++b) pos[b] = cache.length_of(b);
  Tensor words = embedding(word_, ids, {B, n}, "decoder input_ids");
  const int64_t R = n * (draft ? 3 : 2);
  Tensor x(DType::F32, {B, R, H});
  const float *W = words.data<float>(), *P = pos_.data<float>(), *E0 = ngram_emb_.data<float>() + (NG - 1) * H,
              *E1 = ngram_emb_.data<float>();  // stream s reads ngram_embeddings[(s + NG - 1) % NG]
  float* X = x.data<float>();
  // Positions past max_length (tokens fed only to keep the batch rectangular, whose outputs are never
  // read) may run off the table: clamped, and causal attention keeps them from every used output.
  auto prow = [&](int64_t id) { return P + std::min(id, c_.max_position_embeddings - 1) * H; };
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < n; ++t) {
      const int64_t id = c_.pad_token_id + pos[b] + t + 1;
      const float *pm = prow(id), *p0 = prow(id + 1), *p1 = prow(id + 2);
      float* xm = X + (b * R + t) * H;
      float* x0 = X + (b * R + n + t) * H;
      for (int64_t i = 0; i < H; ++i) xm[i] = W[(b * n + t) * H + i] + pm[i];
      for (int64_t i = 0; i < H; ++i) x0[i] = E0[i] + p0[i];
      if (draft) {
        float* x1 = X + (b * R + 2 * n + t) * H;
        for (int64_t i = 0; i < H; ++i) x1[i] = E1[i] + p1[i];
      }
    }
  emb_norm_.apply(x);
  for (size_t li = 0; li < layers_.size(); ++li) {
    auto& l = layers_[li];
    Tensor a = l.self.extend(x, n, draft, pos, cache.self[li], cache.self_key_add);
    l.self_norm.add_norm(a, x);
    x = cached_layer_tail(l, li, std::move(a), cache);
  }
  if (cache.row_length.empty()) cache.row_length.assign(B, cache.length);
  for (auto& len : cache.row_length) len += n;
  cache.length = *std::max_element(cache.row_length.begin(), cache.row_length.end());
  return slice_rows(x, n, R - n);
}

}  // namespace qdq::models::prophetnet
