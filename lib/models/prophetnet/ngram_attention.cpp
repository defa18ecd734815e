#include "models/prophetnet/ngram_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "models/prophetnet/relative_buckets.h"
#include "models/prophetnet/tensor_util.h"

namespace qdq::models::prophetnet {

namespace {

void scale_inplace(Tensor& t, float div) {
  for (float *p = t.data<float>(), *e = p + t.numel(); p != e; ++p) *p /= div;
}
}  // namespace

NgramSelfAttention::NgramSelfAttention(const std::string& m, WeightStore& ws, const Config& c,
                                       quant::QuantPlan& plan)
    : hidden_(c.hidden_size),
      heads_(c.num_decoder_heads),
      ngram_(c.ngram),
      buckets_(c.num_buckets),
      max_distance_(c.relative_max_distance) {
  k_ = layers::load_quant_linear(ws, m + ".key_proj", hidden_, hidden_, plan);
  v_ = layers::load_quant_linear(ws, m + ".value_proj", hidden_, hidden_, plan);
  q_ = layers::load_quant_linear(ws, m + ".query_proj", hidden_, hidden_, plan);
  o_ = layers::load_quant_linear(ws, m + ".out_proj", hidden_, hidden_, plan);
  rel_ = layers::load_quant_linear(ws, m + ".relative_pos_embeddings", buckets_ * heads_, hidden_, plan);
}

void NgramSelfAttention::prepare() {
  q_.prepare();
  k_.prepare();
  v_.prepare();
  o_.prepare();
  rel_.prepare();
  qkvr_.prepare({&q_, &k_, &v_, &rel_});
}

Tensor NgramSelfAttention::forward(const Tensor& x, int64_t T, const std::vector<int64_t>& mask, RelPosMode mode,
                                   SelfKV* cache, const float* head_mask, Tensor* main_probs, Tensor* pred_probs) {
  const int64_t B = x.dim(0), R = x.dim(1), H = hidden_, nh = heads_, d = H / nh, NG = ngram_, NB = buckets_;
  Tensor q, k, v, rel_main, rel_pred;  // rel_*: [B, T, NB*nh] main stream, [B, NG*T, NB*nh] predicting
  if (qkvr_.fused()) {
    auto qkvr = qkvr_.forward(x);
    q = qkvr[0], k = qkvr[1], v = qkvr[2];
    rel_main = slice_rows(qkvr[3], 0, T);
    rel_pred = slice_rows(qkvr[3], T, NG * T);
  } else {
    // As Hugging Face calls them: a calibrator sees the bias Linear's input as two calls, the main
    // stream, then the predicting streams (a histogram's bins are set by its first call).
    q = q_.forward(x);
    k = k_.forward(x);
    v = v_.forward(x);
    rel_main = rel_.forward(slice_rows(x, 0, T));
    rel_pred = rel_.forward(slice_rows(x, T, NG * T));
  }
  scale_inplace(q, std::sqrt(static_cast<float>(d)));

  std::vector<int64_t> main_bucket(T * T), pred_bucket(T * 2 * T);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t j = 0; j < T; ++j) {
      main_bucket[t * T + j] = relative_bucket(t - j, NB, max_distance_);
      pred_bucket[t * 2 * T + j] = relative_bucket(t + 1 - j, NB, max_distance_);
      // transformers slices the buffered table one column late here (key position j+2); only the
      // diagonal survives the mask, where both give bucket 0.
      pred_bucket[t * 2 * T + T + j] = relative_bucket(t - j - 1, NB, max_distance_);
    }

  Tensor ctx_main(DType::F32, {B, T, H});
  Tensor ctx_pred(DType::F32, {B, NG * T, H});
  const float *Q = q.data<float>(), *K = k.data<float>(), *V = v.data<float>();
  const float *RM = rel_main.data<float>(), *RP = rel_pred.data<float>();
  float *CM = ctx_main.data<float>(), *CP = ctx_pred.data<float>();
  const bool has_mask = !mask.empty();
  // Optional outputs: the probability rows as used (null pointers on the default path).
  float* MP = nullptr;
  float* PP = nullptr;
  if (main_probs) MP = (*main_probs = Tensor(DType::F32, {B, nh, T, T})).data<float>();
  if (pred_probs) PP = (*pred_probs = Tensor(DType::F32, {B, NG, nh, T, 2 * T})).data<float>();

#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < nh; ++h) {
      std::vector<float> w(2 * T);
      auto qrow = [&](int64_t r) { return Q + (b * R + r) * H + h * d; };
      auto krow = [&](int64_t r) { return K + (b * R + r) * H + h * d; };
      auto vrow = [&](int64_t r) { return V + (b * R + r) * H + h * d; };
      auto pad = [&](int64_t j) { return has_mask ? (1.0f - static_cast<float>(mask[b * T + j])) * kMaskMin : 0.0f; };
      // Main stream.
      for (int64_t t = 0; t < T; ++t) {
        const float* rb = RM + (b * T + t) * NB * nh;
        for (int64_t j = 0; j < T; ++j) {
          float causal = j > t ? kMaskMin : 0.0f;
          w[j] = (dot(qrow(t), krow(j), d) + rb[main_bucket[t * T + j] * nh + h]) + (causal + pad(j));
        }
        softmax_row(w.data(), T);
        if (head_mask)
          for (int64_t j = 0; j < T; ++j) w[j] *= head_mask[h];
        if (MP) std::memcpy(MP + ((b * nh + h) * T + t) * T, w.data(), sizeof(float) * T);
        float* out = CM + (b * T + t) * H + h * d;
        for (int64_t j = 0; j < T; ++j) axpy(w[j], vrow(j), out, d);
      }
      // Predicting streams.
      for (int64_t s = 0; s < NG; ++s)
        for (int64_t t = 0; t < T; ++t) {
          int64_t rs = s, rt = t, rh = h;  // which bias row this query reads
          if (mode == RelPosMode::HuggingFace) {
            const int64_t r = (s * nh + h) * T + t;
            rh = r % nh;
            rs = (r / nh) % NG;
            rt = r / (nh * NG);
          }
          const float* rb = RP + (b * NG * T + rs * T + rt) * NB * nh;
          const float* qs = qrow(T + s * T + t);
          for (int64_t j = 0; j < 2 * T; ++j) {
            float m;
            const float* kr;
            if (j < T) {
              m = ((j <= t - s) || j == 0 ? 0.0f : kMaskMin) + pad(j);
              kr = krow(j);
            } else {
              m = (j - T == t) ? 0.0f : kMaskMin;
              kr = krow(T + s * T + (j - T));
            }
            w[j] = (dot(qs, kr, d) + rb[pred_bucket[t * 2 * T + j] * nh + rh]) + m;
          }
          softmax_row(w.data(), 2 * T);
          if (head_mask)
            for (int64_t j = 0; j < 2 * T; ++j) w[j] *= head_mask[h];
          if (PP) std::memcpy(PP + (((b * NG + s) * nh + h) * T + t) * 2 * T, w.data(), sizeof(float) * 2 * T);
          float* out = CP + (b * NG * T + s * T + t) * H + h * d;
          for (int64_t j = 0; j < 2 * T; ++j)
            axpy(w[j], j < T ? vrow(j) : vrow(T + s * T + (j - T)), out, d);
        }
    }

  if (cache) {
    const int64_t cap = cache->k.dim(2);
    float *CK = cache->k.data<float>(), *CV = cache->v.data<float>();
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < nh; ++h)
        for (int64_t t = 0; t < T; ++t) {
          std::memcpy(CK + ((b * nh + h) * cap + t) * d, K + (b * R + t) * H + h * d, sizeof(float) * d);
          std::memcpy(CV + ((b * nh + h) * cap + t) * d, V + (b * R + t) * H + h * d, sizeof(float) * d);
        }
  }

  Tensor out_main = o_.forward(ctx_main.reshape({B, 1, T, H}));
  Tensor out_pred = o_.forward(ctx_pred.reshape({B, NG, T, H}));
  Tensor y(DType::F32, {B, R, H});
  for (int64_t b = 0; b < B; ++b) {
    std::memcpy(y.data<float>() + b * R * H, out_main.data<float>() + b * T * H, sizeof(float) * T * H);
    std::memcpy(y.data<float>() + (b * R + T) * H, out_pred.data<float>() + b * NG * T * H,
                sizeof(float) * NG * T * H);
  }
  return y;
}

Tensor NgramSelfAttention::step(const Tensor& x, int64_t p, SelfKV& cache, const std::vector<float>& key_add) {
  const int64_t B = x.dim(0), H = hidden_, nh = heads_, d = H / nh, NB = buckets_, cap = cache.k.dim(2);
  check(p < cap, "ProphetNet decoder: step {} beyond the cache capacity {}", p, cap);
  auto qkvr = qkvr_.forward(x);
  Tensor q = qkvr[0], k = qkvr[1], v = qkvr[2];
  scale_inplace(q, std::sqrt(static_cast<float>(d)));
  // Main row and stream 0's row in one pass over the bias weight: [B, 2, NB*nh].
  Tensor rel = qkvr[3];
  const float *Q = q.data<float>(), *K = k.data<float>(), *V = v.data<float>();
  float *CK = cache.k.data<float>(), *CV = cache.v.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < nh; ++h) {
      std::memcpy(CK + ((b * nh + h) * cap + p) * d, K + (b * 2) * H + h * d, sizeof(float) * d);
      std::memcpy(CV + ((b * nh + h) * cap + p) * d, V + (b * 2) * H + h * d, sizeof(float) * d);
    }
  const int64_t S = p + 1;
  std::vector<int64_t> main_bucket(S), pred_bucket(S);
  for (int64_t j = 0; j < S; ++j) {
    main_bucket[j] = relative_bucket(p - j, NB, max_distance_);
    pred_bucket[j] = relative_bucket(p + 1 - j, NB, max_distance_);
  }
  const int64_t own_bucket = relative_bucket(0, NB, max_distance_);
  // Row 0 main stream, row 1 predicting stream 0, as x: out_proj then runs once over both.
  Tensor ctx(DType::F32, {B, 2, H});
  const float *RM = rel.data<float>(), *RP = RM + NB * nh;
  float *CM = ctx.data<float>(), *CP = CM + H;

  // A decoding step of one row is ~0.1 ms of work on one thread: parallel only for larger batches
  // and contexts (each region costs a wake-up under OMP_WAIT_POLICY=passive).
#pragma omp parallel for collapse(2) schedule(static) if (B * nh * (S + 1) * d > (1 << 18))
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < nh; ++h) {
      std::vector<float> w(S + 1);
      const float* kc = CK + (b * nh + h) * cap * d;
      const float* vc = CV + (b * nh + h) * cap * d;
      const float* mk = key_add.empty() ? nullptr : key_add.data() + b * cap;
      // main stream (row 0)
      const float* qm = Q + (b * 2) * H + h * d;
      for (int64_t j = 0; j < S; ++j)
        w[j] = dot(qm, kc + j * d, d) + RM[b * 2 * NB * nh + main_bucket[j] * nh + h] + (mk ? mk[j] : 0.0f);
      softmax_row(w.data(), S);
      float* om = CM + b * 2 * H + h * d;
      for (int64_t j = 0; j < S; ++j) axpy(w[j], vc + j * d, om, d);
      // predicting stream 0 (row 1): all main positions, then its own token.
      const float* qp = Q + (b * 2 + 1) * H + h * d;
      for (int64_t j = 0; j < S; ++j)
        w[j] = dot(qp, kc + j * d, d) + RP[b * 2 * NB * nh + pred_bucket[j] * nh + h] + (mk ? mk[j] : 0.0f);
      w[S] = dot(qp, K + (b * 2 + 1) * H + h * d, d) + RP[b * 2 * NB * nh + own_bucket * nh + h];
      softmax_row(w.data(), S + 1);
      float* op = CP + b * 2 * H + h * d;
      for (int64_t j = 0; j < S; ++j) axpy(w[j], vc + j * d, op, d);
      axpy(w[S], V + (b * 2 + 1) * H + h * d, op, d);
    }
  return o_.forward(ctx);
}

}  // namespace qdq::models::prophetnet

namespace qdq::models::prophetnet {

Tensor NgramSelfAttention::extend(const Tensor& x, int64_t n, bool draft, const std::vector<int64_t>& pos,
                                  SelfKV& cache, const std::vector<float>& key_add) {
  const int64_t B = x.dim(0), R = x.dim(1), H = hidden_, nh = heads_, d = H / nh, NB = buckets_,
                cap = cache.k.dim(2);
  check(R == n * (draft ? 3 : 2) && static_cast<int64_t>(pos.size()) == B, "ProphetNet decoder: extend of {} rows",
        R);
  int64_t last = 0;
  for (int64_t b = 0; b < B; ++b) {
    check(pos[b] + n <= cap, "ProphetNet decoder: positions {}..{} beyond the cache capacity {}", pos[b],
          pos[b] + n - 1, cap);
    last = std::max(last, pos[b] + n - 1);
  }
  auto qkvr = qkvr_.forward(x);
  Tensor q = qkvr[0], k = qkvr[1], v = qkvr[2];
  scale_inplace(q, std::sqrt(static_cast<float>(d)));
  Tensor rel = qkvr[3];  // [B, R, NB*nh]: every query reads the bias of its own row
  const float *Q = q.data<float>(), *K = k.data<float>(), *V = v.data<float>(), *RL = rel.data<float>();
  float *CK = cache.k.data<float>(), *CV = cache.v.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < nh; ++h)
      for (int64_t i = 0; i < n; ++i) {
        std::memcpy(CK + ((b * nh + h) * cap + pos[b] + i) * d, K + (b * R + i) * H + h * d, sizeof(float) * d);
        std::memcpy(CV + ((b * nh + h) * cap + pos[b] + i) * d, V + (b * R + i) * H + h * d, sizeof(float) * d);
      }
  // Bucket of a query-key distance (0 .. last + 2), the same function step() calls per key.
  std::vector<int64_t> bucket(last + 3);
  for (int64_t delta = 0; delta < last + 3; ++delta) bucket[delta] = relative_bucket(delta, NB, max_distance_);
  const int64_t own_bucket = relative_bucket(0, NB, max_distance_);
  Tensor ctx(DType::F32, {B, R, H});
  float* C = ctx.data<float>();

#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < nh; ++h) {
      std::vector<float> w(pos[b] + n + 1);
      const float* kc = CK + (b * nh + h) * cap * d;
      const float* vc = CV + (b * nh + h) * cap * d;
      const float* mk = key_add.empty() ? nullptr : key_add.data() + b * cap;
      auto row = [&](int64_t r) { return (b * R + r) * H + h * d; };
      auto bias = [&](int64_t r, int64_t bk) { return RL[(b * R + r) * NB * nh + bk * nh + h]; };
      // A predicting-stream query (row r) over main keys [0, S) at distances `off` - j, then its own token.
      auto predicting = [&](int64_t r, int64_t S, int64_t off) {
        const float* qp = Q + row(r);
        for (int64_t j = 0; j < S; ++j) w[j] = dot(qp, kc + j * d, d) + bias(r, bucket[off - j]) + (mk ? mk[j] : 0.0f);
        w[S] = dot(qp, K + row(r), d) + bias(r, own_bucket);
        softmax_row(w.data(), S + 1);
        float* op = C + row(r);
        for (int64_t j = 0; j < S; ++j) axpy(w[j], vc + j * d, op, d);
        axpy(w[S], V + row(r), op, d);
      };
      for (int64_t i = 0; i < n; ++i) {
        const int64_t p = pos[b] + i, S = p + 1;
        const float* qm = Q + row(i);
        for (int64_t j = 0; j < S; ++j) w[j] = dot(qm, kc + j * d, d) + bias(i, bucket[p - j]) + (mk ? mk[j] : 0.0f);
        softmax_row(w.data(), S);
        float* om = C + row(i);
        for (int64_t j = 0; j < S; ++j) axpy(w[j], vc + j * d, om, d);
        predicting(n + i, S, p + 1);                // stream 0 at p
        if (draft) predicting(2 * n + i, S, p + 2);  // stream 1 at p + 1
      }
    }
  return o_.forward(ctx);
}

}  // namespace qdq::models::prophetnet
