// Attention products straight on [B*T, H*d] activations (a Linear's output
// layout): each head is a strided 4-D view {B, H, T, d}, so the head split
// and merge copies disappear, the additive mask is a binary post-op and the
// 1/sqrt(d) or dequantization factor a static output scale. One primitive
// per (shape, types, scale), cached.
#include "kernels/attention.h"
#include "kernels/cpu.h"
#include "kernels/engine.h"
#include "kernels/fixed_order_matmul.h"
#include "kernels/int8.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;

namespace {

enum Kind : int64_t { kScores = 0, kContext = 1 };

dt dnnl_type(DType t) {
  switch (t) {
    case DType::F32: return dt::f32;
    case DType::I8: return dt::s8;
    case DType::U8: return dt::u8;
    default: throw Error("attention matmul: unsupported dtype {}", dtype_name(t));
  }
}

// {B, H, T, d} view of a [B*T, H*d] row-major tensor.
memory::desc heads_view(int64_t B, int64_t T, int64_t H, int64_t d, dt type) {
  return memory::desc({B, H, T, d}, type, memory::dims{T * H * d, d, H * d, 1});
}

// Query/key extents of one attention call. Self-attention without a cache: Tq = Tk = kv_rows = T.
// A decoder step or cross-attention: Tq queries over Tk keys, the keys/values stored as B blocks of
// kv_rows rows (a KV cache of that capacity, of which the first Tk are filled). mask_q: the additive
// mask is [B, 1, Tk] (0 or 1: broadcast over queries) or [B, Tq, Tk] (a causal mask).
struct Dims {
  int64_t B, Tq, Tk, kv_rows, mask_q;
};

// One cached attention matmul: c = oscale * a . b (static scale, so brgemm runs), plus the
// additive mask [B, 1, mask_q, Tk] as a binary post-op when mask_q > 0.
detail::Prim matmul_prim(const memory::desc& ad, const memory::desc& bd, const memory::desc& cd, float oscale,
                         int64_t mask_q, int64_t B, int64_t Tk) {
  auto& eng = detail::engine();
  dnnl::primitive_attr attr = detail::matmul_attr();
  if (oscale != 1.0f) attr.set_output_scales(0, {oscale});
  const memory::desc md({B, 1, std::max<int64_t>(mask_q, 1), Tk}, dt::f32, memory::format_tag::abcd);
  if (mask_q > 0) {
    dnnl::post_ops po;
    po.append_binary(dnnl::algorithm::binary_add, md);
    attr.set_post_ops(po);
  }
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(ad, bd, cd), attr, eng);
  detail::Prim prim{dnnl::matmul(pd),
                    {{DNNL_ARG_SRC, memory(ad, eng, nullptr)},
                     {DNNL_ARG_WEIGHTS, memory(bd, eng, nullptr)},
                     {DNNL_ARG_DST, memory(cd, eng, nullptr)}}};
  if (mask_q > 0) prim.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] = memory(md, eng, nullptr);
  return prim;
}

// scores: a = Q rows, b = K rows (read as K^T), dst [B, H, Tq, Tk] dense.
// context: a = P [B, H, Tq, Tk] dense, b = V rows, dst [B*Tq, H*d] rows.
Tensor run(Kind kind, const Tensor& a, const Tensor& b, const Dims& D, int64_t H, DType out, float oscale,
           const float* mask_add) {
  const int64_t B = D.B, Tq = D.Tq, Tk = D.Tk;
  const int64_t HD = kind == kScores ? a.dim(-1) : b.dim(-1);
  check(H > 0 && HD % H == 0, "attention matmul: width {} is not a multiple of {} heads", HD, H);
  check(Tk <= D.kv_rows && (D.mask_q == 1 || D.mask_q == Tq), "attention matmul: {} keys in blocks of {} rows",
        Tk, D.kv_rows);
  const int64_t d = HD / H;
  const int64_t rows = B * Tq;
  if (kind == kScores) {
    check(a.numel() == rows * HD && b.numel() == B * D.kv_rows * HD, "attention scores: Q {} / K {} are not [{}, {}] / [{}, {}]",
          shape_str(a.shape()), shape_str(b.shape()), rows, HD, B * D.kv_rows, HD);
  } else {
    check(a.numel() == B * H * Tq * Tk && b.numel() == B * D.kv_rows * HD,
          "attention context: P {} / V {} do not fit B={} Tq={} Tk={} H={}", shape_str(a.shape()),
          shape_str(b.shape()), B, Tq, Tk, H);
  }
  if (!cpu_has_vnni() && (a.dtype() != DType::F32 || b.dtype() != DType::F32)) {
    // No VNNI (kernels/cpu.h): the same product on the codes as f32 (exact sums), then, for an int8
    // output, the conversion the int8 primitive would do (oscale already holds out_scale).
    auto wide = [](const Tensor& t) { return t.dtype() == DType::F32 ? t : dequantize(t, 1.0f); };
    Tensor c = run(kind, wide(a), wide(b), D, H, DType::F32, oscale, mask_add);
    if (out == DType::F32) return c;
    Tensor q = detail::uninit(out, c.shape());
    quantize_into(c, 1.0f, q);
    return q;
  }
  const dt at = dnnl_type(a.dtype()), bt = dnnl_type(b.dtype()), ot = dnnl_type(out);
  Tensor c = kind == kScores ? detail::uninit(out, {B, H, Tq, Tk}) : detail::uninit(out, {rows, HD});
  if (c.numel() == 0) return c;
  if (!cpu_has_brgemm()) {  // f32 here (int8 went wide above): sums in a batch-independent order
    using detail::Strided;
    const int64_t kvb = D.kv_rows * HD;
    if (kind == kScores) {
      const int64_t mq = mask_add ? D.mask_q : 0;
      detail::fixed_order_matmul(B, H, Tq, Tk, d, Strided{a.data<float>(), Tq * HD, d, HD, 1},
                                 Strided{b.data<float>(), kvb, d, 1, HD}, oscale,
                                 Strided{mask_add, mq * Tk, 0, mq > 1 ? Tk : 0, 1}, c.data<float>(), H * Tq * Tk,
                                 Tq * Tk, Tk);
    } else {
      detail::fixed_order_matmul(B, H, Tq, d, Tk, Strided{a.data<float>(), H * Tq * Tk, Tq * Tk, Tk, 1},
                                 Strided{b.data<float>(), kvb, d, HD, 1}, oscale, Strided{nullptr, 0, 0, 0, 0},
                                 c.data<float>(), Tq * HD, d, HD);
    }
    return c;
  }

  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  const int64_t types = static_cast<int64_t>(at) * 10000 + static_cast<int64_t>(bt) * 100 + static_cast<int64_t>(ot);
  const int64_t flags = kind + 2 * (mask_add != nullptr) + 4 * (D.mask_q > 1);
  const detail::Key key{flags, B, (Tq << 32) | Tk, H, d, types, detail::float_bits(oscale), D.kv_rows};
  auto& p = cache.get(key, [&] {
    const int64_t kv_batch = D.kv_rows * HD;
    memory::desc ad, bd, cd;
    if (kind == kScores) {
      ad = heads_view(B, Tq, H, d, at);
      bd = memory::desc({B, H, d, Tk}, bt, memory::dims{kv_batch, d, 1, HD});
      cd = memory::desc({B, H, Tq, Tk}, ot, memory::format_tag::abcd);
    } else {
      ad = memory::desc({B, H, Tq, Tk}, at, memory::format_tag::abcd);
      bd = memory::desc({B, H, Tk, d}, bt, memory::dims{kv_batch, d, HD, 1});
      cd = heads_view(B, Tq, H, d, ot);
    }
    return matmul_prim(ad, bd, cd, oscale, mask_add ? D.mask_q : 0, B, Tk);
  });
  p.set(DNNL_ARG_SRC, a.raw());
  p.set(DNNL_ARG_WEIGHTS, b.raw());
  p.set(DNNL_ARG_DST, c.raw());
  if (mask_add) p.set(DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1, mask_add);
  p.run();
  return c;
}

Dims dims(const AttnDims& D) { return {D.B, D.Tq, D.Tk, D.kv_rows, D.mask_q}; }

float int8_oscale(float sa, float sb, float mul) { return (sa == 0.0f || sb == 0.0f) ? 0.0f : mul / (sa * sb); }

}  // namespace

Tensor attention_scores(const Tensor& q, const Tensor& k, const AttnDims& D, int64_t H, float alpha,
                        const float* mask_add) {
  detail::require_f32(q, "attention_scores q");
  detail::require_f32(k, "attention_scores k");
  return run(kScores, q, k, dims(D), H, DType::F32, alpha, mask_add);
}

Tensor attention_context(const Tensor& p, const Tensor& v, const AttnDims& D, int64_t H) {
  detail::require_f32(p, "attention_context p");
  detail::require_f32(v, "attention_context v");
  return run(kContext, p, v, dims(D), H, DType::F32, 1.0f, nullptr);
}

Tensor attention_scores_int8(const Tensor& q, float scale_q, const Tensor& k, float scale_k, const AttnDims& D,
                             int64_t H, float alpha, const float* mask_add) {
  check(q.dtype() == DType::I8 && k.dtype() == DType::I8, "attention_scores_int8: Q and K must be I8, got {} and {}",
        dtype_name(q.dtype()), dtype_name(k.dtype()));
  return run(kScores, q, k, dims(D), H, DType::F32, int8_oscale(scale_q, scale_k, alpha), mask_add);
}

Tensor attention_context_int8(const Tensor& p, float scale_p, const Tensor& v, float scale_v, const AttnDims& D,
                              int64_t H, DType out, float out_scale) {
  check(p.dtype() == DType::I8 || p.dtype() == DType::U8, "attention_context_int8: P must be I8 or U8, got {}",
        dtype_name(p.dtype()));
  check(v.dtype() == DType::I8, "attention_context_int8: V must be I8, got {}", dtype_name(v.dtype()));
  check(out == DType::F32 || out == DType::I8 || out == DType::U8, "attention_context_int8: bad output type {}",
        dtype_name(out));
  const float mul = out == DType::F32 ? 1.0f : out_scale;
  return run(kContext, p, v, dims(D), H, out, int8_oscale(scale_p, scale_v, mul), nullptr);
}

}  // namespace qdq::kernels
