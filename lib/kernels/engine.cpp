#include "kernels/engine.h"

#include "core/big_buffer.h"

#include <malloc.h>

#include <algorithm>
#include <cstdlib>
#include <new>

namespace qdq::kernels::detail {

namespace {
// Activations are multi-megabyte buffers allocated and freed once per op.
// glibc serves them with fresh mmap()s and gives them back on free, so every
// op paid page faults on its output (16% of an int8 encode under perf, more
// in a VM). Keeping them on the heap, untrimmed, lets the next batch reuse
// the same pages. Costs nothing but a higher steady RSS, which the model's
// weights dominate anyway.
const bool kHeapTuned = [] {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  return true;
}();
}  // namespace

// Never destroyed: static primitive caches and long-lived Linears hold
// objects tied to the engine, and static destruction order is unspecified.
dnnl::engine& engine() {
  static auto* e = new dnnl::engine(dnnl::engine::kind::cpu, 0);
  return *e;
}

dnnl::stream& stream() {
  static auto* s = new dnnl::stream(engine());
  return *s;
}

bool eltwise_of(Activation act, dnnl::algorithm& alg, float& alpha, float& beta) {
  alpha = 0.0f;
  beta = 0.0f;
  switch (act) {
    case Activation::None: return false;
    // eltwise_gelu is the tanh form in oneDNN 2.x; BERT's "gelu" is erf.
    case Activation::GeluErf: alg = dnnl::algorithm::eltwise_gelu_erf; return true;
    case Activation::GeluTanh: alg = dnnl::algorithm::eltwise_gelu_tanh; return true;
    case Activation::Relu: alg = dnnl::algorithm::eltwise_relu; return true;
    case Activation::Silu: alg = dnnl::algorithm::eltwise_swish; alpha = 1.0f; return true;
    case Activation::Tanh: alg = dnnl::algorithm::eltwise_tanh; return true;
  }
  return false;
}

dnnl::post_ops post_ops_of(Activation act) {
  dnnl::post_ops po;
  dnnl::algorithm alg;
  float a, b;
  if (eltwise_of(act, alg, a, b)) po.append_eltwise(1.0f, alg, a, b);
  return po;
}

dnnl::primitive_attr matmul_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

void* thread_scratchpad(size_t bytes) {
  thread_local std::shared_ptr<void> buf;
  thread_local size_t cap = 0;
  if (bytes > cap) {
    buf = big_buffer(bytes);
    cap = bytes;
  }
  return buf.get();
}

void Prim::run() {
  if (scratch_bytes < 0) {
    const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(prim.get_primitive_desc(), dnnl_query_scratchpad_md, 0);
    const dnnl::memory::desc d = md ? dnnl::memory::desc(*md) : dnnl::memory::desc();
    scratch_bytes = static_cast<int64_t>(d.get_size());
    if (scratch_bytes > 0) args[DNNL_ARG_SCRATCHPAD] = dnnl::memory(d, engine(), nullptr);
  }
  if (scratch_bytes > 0) args.at(DNNL_ARG_SCRATCHPAD).set_data_handle(thread_scratchpad(scratch_bytes));
  prim.execute(stream(), args);
  stream().wait();
}

void require_f32(const Tensor& t, const char* what) {
  check(t.dtype() == DType::F32, "{}: expected an F32 tensor, got {}", what, dtype_name(t.dtype()));
}

dnnl::memory owned_memory(const dnnl::memory::desc& d, std::shared_ptr<void>& owner) {
  const size_t bytes = d.get_size();
  owner = big_buffer(bytes);
  // A pooled block holds stale bytes: blocked weight layouts pad N and K, and the kernels
  // read that padding as zeros (memory oneDNN allocates itself is zero-padded).
  std::memset(owner.get(), 0, bytes);
  return dnnl::memory(d, engine(), owner.get());
}

dnnl::memory reorder_f32_weights(const Tensor& w, const dnnl::memory::desc& want, std::shared_ptr<void>& owner) {
  dnnl::memory src({{w.dim(1), w.dim(0)}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ba}, engine(),
                   const_cast<void*>(w.raw()));
  dnnl::memory dst = owned_memory(want, owner);
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
  return dst;
}

Tensor uninit(DType dtype, Shape shape) {
  const size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  auto holder = big_buffer(bytes);  // huge pages, pooled (core/big_buffer.h)
  void* p = holder.get();
  return Tensor::borrow(dtype, std::move(shape), p, std::move(holder));
}

dnnl::memory weights_in_layout(const dnnl::memory& weights, const dnnl::memory::desc& want,
                               std::vector<dnnl::memory>& copies, std::vector<std::shared_ptr<void>>& buffers) {
  for (const auto& c : copies)
    if (c.get_desc() == want) return c;
  dnnl::memory w = owned_memory(want, buffers.emplace_back());
  dnnl::memory src = weights;  // a handle: execute() takes non-const memories
  dnnl::reorder(src, w).execute(stream(), src, w);
  stream().wait();
  copies.push_back(w);
  return w;
}

}  // namespace qdq::kernels::detail
