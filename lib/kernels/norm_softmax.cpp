// Softmax over the last dimension, in place, on oneDNN (LayerNorm: kernels/residual_norm.cpp).
#include "kernels/engine.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

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
