// LayerNorm and softmax over the last dimension, in place, on oneDNN.
#include "kernels/engine.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

void layer_norm(Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  detail::require_f32(x, "layer_norm input");
  detail::require_f32(gamma, "layer_norm gamma");
  detail::require_f32(beta, "layer_norm beta");
  const int64_t C = x.dim(-1);
  check(gamma.numel() == C && beta.numel() == C, "layer_norm: gamma/beta of {}/{} values for width {}",
        gamma.numel(), beta.numel(), C);
  const int64_t M = x.numel() / std::max<int64_t>(1, C);
  if (x.numel() == 0) return;
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  auto& p = cache.get({M, C, detail::float_bits(eps)}, [&] {
    auto& eng = detail::engine();
    memory::desc md({M, C}, dt::f32, tag::ab), wd({C}, dt::f32, tag::a);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md, eps, flags);
    dnnl::layer_normalization_forward::primitive_desc pd(d, eng);
    memory data(md, eng, nullptr);
    return detail::Prim{dnnl::layer_normalization_forward(pd),
                        {{DNNL_ARG_SRC, data},
                         {DNNL_ARG_DST, data},
                         {DNNL_ARG_SCALE, memory(wd, eng, nullptr)},
                         {DNNL_ARG_SHIFT, memory(wd, eng, nullptr)}}};
  });
  p.set(DNNL_ARG_SRC, x.raw());  // same memory object as DST: in place
  p.set(DNNL_ARG_SCALE, gamma.raw());
  p.set(DNNL_ARG_SHIFT, beta.raw());
  p.run();
}

void softmax(Tensor& x) {
  detail::require_f32(x, "softmax input");
  if (x.numel() == 0) return;
  const int64_t C = x.dim(-1);
  const int64_t M = x.numel() / C;
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  auto& p = cache.get({M, C}, [&] {
    auto& eng = detail::engine();
    memory::desc md({M, C}, dt::f32, tag::ab);
    dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, 1);
    dnnl::softmax_forward::primitive_desc pd(d, eng);
    memory data(md, eng, nullptr);
    return detail::Prim{dnnl::softmax_forward(pd), {{DNNL_ARG_SRC, data}, {DNNL_ARG_DST, data}}};
  });
  p.set(DNNL_ARG_SRC, x.raw());
  p.run();
}

}  // namespace qdq::kernels
