#include "kernels/s8_weights.h"

#include <vector>

#include "kernels/engine.h"

namespace qdq::kernels::detail {

using dnnl::memory;

namespace {

// The blocked part and the compensation written separately; false when the
// layout is not the one this knows (then oneDNN's reorder does it all).
bool fast_reorder(const Tensor& codes, const memory::desc& wdesc, memory& dst) {
  const dnnl_memory_desc_t& md = wdesc.data;
  const auto& ex = md.extra;
  const bool adjusted = (ex.flags & dnnl_memory_extra_flag_scale_adjust) && ex.scale_adjust != 1.0f;
  if (md.ndims != 2 || ex.flags & ~(dnnl_memory_extra_flag_compensation_conv_s8s8 | dnnl_memory_extra_flag_scale_adjust) ||
      !(ex.flags & dnnl_memory_extra_flag_compensation_conv_s8s8) || ex.compensation_mask != (1 << 1) || adjusted)
    return false;
  const int64_t N = codes.dim(0), K = codes.dim(1), Np = md.padded_dims[1];
  dnnl_memory_desc_t body_md = md;
  body_md.extra = dnnl_memory_extra_desc_t{};
  const memory::desc body_desc(body_md);
  const size_t off = body_desc.get_size();
  if (off + sizeof(int32_t) * static_cast<size_t>(Np) > wdesc.get_size()) return false;
  auto* base = static_cast<uint8_t*>(dst.get_data_handle());
  memory src({{K, N}, memory::data_type::s8, memory::format_tag::ba}, engine(), const_cast<void*>(codes.raw()));
  memory body(body_desc, engine(), base);
  dnnl::reorder(src, body).execute(stream(), src, body);
  stream().wait();
  int32_t* comp = reinterpret_cast<int32_t*>(base + off);
  const int8_t* q = codes.data<int8_t>();
#pragma omp parallel for
  for (int64_t n = 0; n < Np; ++n) {
    int32_t s = 0;
    if (n < N)
      for (int64_t k = 0; k < K; ++k) s += q[n * K + k];
    comp[n] = -128 * s;
  }
  return true;
}

}  // namespace

memory reorder_s8_weights(const Tensor& codes, const memory::desc& wdesc, std::shared_ptr<void>& owner, bool fast) {
  check(codes.dtype() == DType::I8 && codes.ndim() == 2, "reorder_s8_weights: I8 [N, K] codes expected");
  memory dst = owned_memory(wdesc, owner);
  if (fast && fast_reorder(codes, wdesc, dst)) return dst;
  const int64_t N = codes.dim(0), K = codes.dim(1);
  // [N, K] is the [K, N] operand in layout "ba".
  memory src({{K, N}, memory::data_type::s8, memory::format_tag::ba}, engine(), const_cast<void*>(codes.raw()));
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
  return dst;
}

}  // namespace qdq::kernels::detail
