// Int8 attention probabilities: mask add (oneDNN binary, in place) then
// oneDNN's softmax writing u8/s8 codes with the quantizer's scale.
#include "kernels/attention.h"
#include "kernels/engine.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

Tensor attention_probs_int8(Tensor& scores, const float* mask_add, const AttnDims& D, float scale, bool is_unsigned) {
  detail::require_f32(scores, "attention probabilities");
  check(scores.ndim() == 4 && scores.dim(0) == D.B && scores.dim(2) == D.Tq && scores.dim(3) == D.Tk,
        "attention probabilities: scores {} do not fit B={} Tq={} Tk={}", shape_str(scores.shape()), D.B, D.Tq, D.Tk);
  check(D.mask_q == 1 || D.mask_q == D.Tq, "attention probabilities: mask rows {} for {} queries", D.mask_q, D.Tq);
  Tensor p = detail::uninit(is_unsigned ? DType::U8 : DType::I8, scores.shape());
  if (p.numel() == 0) return p;
  const int64_t B = D.B, H = scores.dim(1), Tq = D.Tq, Tk = D.Tk;
  const memory::desc sd({B, H, Tq, Tk}, dt::f32, tag::abcd);
  auto& eng = detail::engine();
  if (mask_add) {
    static detail::ShapeCache<detail::Prim> cache;
    std::lock_guard<std::mutex> lock(cache.mu);
    auto& add = cache.get({B, H, Tq, Tk, D.mask_q}, [&] {
      const memory::desc md({B, 1, D.mask_q, Tk}, dt::f32, tag::abcd);
      dnnl::binary::primitive_desc pd(dnnl::binary::desc(dnnl::algorithm::binary_add, sd, md, sd), eng);
      return detail::Prim{dnnl::binary(pd),
                          {{DNNL_ARG_SRC_0, memory(sd, eng, nullptr)},
                           {DNNL_ARG_SRC_1, memory(md, eng, nullptr)},
                           {DNNL_ARG_DST, memory(sd, eng, nullptr)}}};
    });
    add.set(DNNL_ARG_SRC_0, scores.raw());
    add.set(DNNL_ARG_SRC_1, mask_add);
    add.set(DNNL_ARG_DST, scores.raw());
    add.run();
  }
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  auto& sm = cache.get({B, H, Tq, Tk, is_unsigned, detail::float_bits(scale)}, [&] {
    const memory::desc pd_dst({B, H, Tq, Tk}, is_unsigned ? dt::u8 : dt::s8, tag::abcd);
    dnnl::primitive_attr attr;
    attr.set_output_scales(0, {scale});
    dnnl::softmax_v2_forward::primitive_desc pd(
        dnnl::softmax_v2_forward::desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_accurate, sd,
                                       pd_dst, 3),
        attr, eng);
    return detail::Prim{dnnl::softmax_v2_forward(pd),
                        {{DNNL_ARG_SRC, memory(sd, eng, nullptr)}, {DNNL_ARG_DST, memory(pd_dst, eng, nullptr)}}};
  });
  sm.set(DNNL_ARG_SRC, scores.raw());
  sm.set(DNNL_ARG_DST, p.raw());
  sm.run();
  return p;
}

}  // namespace qdq::kernels
