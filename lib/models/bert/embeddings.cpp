#include "models/bert/embeddings.h"

namespace qdq::models::bert {

BertEmbeddings::BertEmbeddings(const BertConfig& c, WeightStore& w, const std::string& p)
    : hidden_(c.hidden_size), eps_(c.layer_norm_eps) {
  word_ = w.take(p + "word_embeddings.weight", {c.vocab_size, c.hidden_size});
  pos_ = w.take(p + "position_embeddings.weight", {c.max_position_embeddings, c.hidden_size});
  type_ = w.take(p + "token_type_embeddings.weight", {c.type_vocab_size, c.hidden_size});
  ln_w_ = w.take(p + "LayerNorm.weight", {c.hidden_size});
  ln_b_ = w.take(p + "LayerNorm.bias", {c.hidden_size});
  // Old TF-converted checkpoints carry the position_ids buffer; it is always arange.
  w.ignore_prefix(p + "position_ids");
  w.ignore_prefix(p.substr(p.find("embeddings.")) + "position_ids");
}

Tensor BertEmbeddings::forward(const int64_t* ids, const int64_t* tt, int64_t B, int64_t T, int64_t past,
                               const int64_t* positions, const float* embeds) const {
  check(positions || past + T <= pos_.dim(0), "{} positions exceed max_position_embeddings {}", past + T, pos_.dim(0));
  Tensor out(DType::F32, {B * T, hidden_});
  float* o = out.data<float>();
  const float* we = word_.data<float>();
  const float* pe = pos_.data<float>();
  const float* te = type_.data<float>();
  const int64_t H = hidden_;
#pragma omp parallel for
  for (int64_t r = 0; r < B * T; ++r) {
    const int64_t t = positions ? positions[r] : past + r % T;
    const float* a = embeds ? embeds + r * H : we + ids[r] * H;
    const float* b = te + (tt ? tt[r] : 0) * H;
    const float* c = pe + t * H;
    float* y = o + r * H;
    // Hugging Face's order: (word + token_type) + position.
    for (int64_t i = 0; i < H; ++i) y[i] = (a[i] + b[i]) + c[i];
  }
  kernels::layer_norm(out, ln_w_, ln_b_, eps_);
  return out;
}

}  // namespace qdq::models::bert
