// Element-wise activation (oneDNN eltwise, in place), residual add and the
// Hugging Face activation names.
#include "kernels/engine.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;

Activation activation_from_name(const std::string& n) {
  if (n == "gelu") return Activation::GeluErf;
  if (n == "gelu_new" || n == "gelu_pytorch_tanh" || n == "gelu_fast") return Activation::GeluTanh;
  if (n == "relu") return Activation::Relu;
  if (n == "silu" || n == "swish") return Activation::Silu;
  if (n == "tanh") return Activation::Tanh;
  throw Error("unsupported activation function \"{}\"", n);
}

void activation(Tensor& x, Activation act) {
  detail::require_f32(x, "activation input");
  dnnl::algorithm alg;
  float alpha, beta;
  if (!detail::eltwise_of(act, alg, alpha, beta) || x.numel() == 0) return;
  static detail::ShapeCache<detail::Prim> cache;
  std::lock_guard<std::mutex> lock(cache.mu);
  auto& p = cache.get({x.numel(), static_cast<int64_t>(act)}, [&] {
    auto& eng = detail::engine();
    memory::desc md({x.numel()}, memory::data_type::f32, memory::format_tag::a);
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, alg, md, alpha, beta);
    dnnl::eltwise_forward::primitive_desc pd(d, eng);
    memory data(md, eng, nullptr);
    return detail::Prim{dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, data}, {DNNL_ARG_DST, data}}};
  });
  p.set(DNNL_ARG_SRC, x.raw());
  p.run();
}

void add(Tensor& x, const Tensor& y) {
  detail::require_f32(x, "add x");
  detail::require_f32(y, "add y");
  check(x.shape() == y.shape(), "add: shapes {} and {} differ", shape_str(x.shape()), shape_str(y.shape()));
  // Memory-bound and tiny next to the GEMMs: a plain loop beats a primitive
  // lookup and needs no cache entry per shape.
  float* a = x.data<float>();
  const float* b = y.data<float>();
  const int64_t n = x.numel();
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
  for (int64_t i = 0; i < n; ++i) a[i] += b[i];
}

}  // namespace qdq::kernels
