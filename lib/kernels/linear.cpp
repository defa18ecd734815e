// Float Linear on oneDNN matmul, fp32 or bf16. The weight is reordered once
// into the layout the matmul prefers for a representative row count;
// primitives for every other row count are created against that same layout,
// so one copy serves all M (decoding steps, batches of any length). bf16: the
// f32 input is converted by a cached oneDNN reorder (round to nearest even)
// into a scratch buffer, then the bf16 x bf16 -> f32 matmul runs.
#include <algorithm>
#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

#include "kernels/engine.h"
#include "kernels/cpu.h"
#include "kernels/ops.h"

namespace qdq::kernels {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
// Large enough that the brgemm kernel picks its full-size blocking.
constexpr int64_t kRepresentativeM = 128;

// Row blocks for the jit sgemm (CPUs without AVX-512, kernels/cpu.h). Measured with oneDNN 2.6 under
// ONEDNN_MAX_CPU_ISA=AVX2 (tests/unit/kernels/test_fp32_ops.cpp): the sgemm unrolls rows by 6, and
// rows left over in a group of 1-3 take a narrower kernel that sums in another order; its threads
// split the rows among them, and above ~72 rows its own blocking moves the groups. So every call runs
// blocks of a fixed row count, a multiple of 6 per thread (48 rows, or the next multiple of that),
// and a short last block is padded with zero rows to the next multiple of 6 per thread: at most
// 6 x threads - 1 rows of extra work (for one decoding row on 2 threads, 11 rows more: the step is
// bound by reading the weight, which the rows share).
int64_t row_unit() { return 6 * static_cast<int64_t>(omp_get_max_threads()); }
int64_t row_block() { return (48 + row_unit() - 1) / row_unit() * row_unit(); }
int64_t padded_rows(int64_t m) { return (m + row_unit() - 1) / row_unit() * row_unit(); }
}  // namespace

struct Linear::Impl {
  int64_t K = 0, N = 0;
  dt act_dt = dt::f32;  // the matmul's src type: f32, or bf16 (converted per call)
  memory::desc wdesc;
  memory weights;
  Tensor bias;  // [1, N] f32, shares the caller's storage
  // Extra weight layouts for row counts that refuse the main one (AVX2 does, for some M), one copy per
  // layout: keyed by M, a stream of new shapes (length-sorted batches) kept adding reordered copies.
  std::vector<memory> alt_weights;
  std::vector<std::shared_ptr<void>> weight_buffers;  // storage of weights and alt_weights
  detail::ShapeCache<detail::Prim> cache;
  bool row_blocks = false;               // the jit sgemm: run fixed row blocks (see row_block)
  std::vector<float> pad_in, pad_out;    // a padded last block

  dnnl::matmul::primitive_desc make_pd(int64_t M, const memory::desc& wd, Activation act) const {
    memory::desc src({M, K}, act_dt, tag::ab), dst({M, N}, dt::f32, tag::ab);
    dnnl::primitive_attr attr = detail::matmul_attr();
    attr.set_post_ops(detail::post_ops_of(act));
    if (bias.defined()) {
      memory::desc bd({1, N}, dt::f32, tag::ab);
      return {dnnl::matmul::desc(src, wd, bd, dst), attr, detail::engine()};
    }
    return {dnnl::matmul::desc(src, wd, dst), attr, detail::engine()};
  }

  detail::Prim make(int64_t M, Activation act) {
    auto& eng = detail::engine();
    memory w = weights;
    dnnl::matmul::primitive_desc pd;
    try {
      pd = make_pd(M, wdesc, act);
    } catch (const dnnl::error&) {
      pd = make_pd(M, memory::desc({K, N}, act_dt, tag::any), act);
      w = detail::weights_in_layout(weights, pd.weights_desc(), alt_weights, weight_buffers);
    }
    detail::Prim p{dnnl::matmul(pd), {}};
    p.args[DNNL_ARG_SRC] = memory(pd.src_desc(), eng, nullptr);
    p.args[DNNL_ARG_DST] = memory(pd.dst_desc(), eng, nullptr);
    p.args[DNNL_ARG_WEIGHTS] = w;
    if (bias.defined())
      p.args[DNNL_ARG_BIAS] = memory(pd.bias_desc(), eng, const_cast<float*>(bias.data<float>()));
    return p;
  }

  void run_rows(const void* x, void* y, int64_t M, Activation act) {
    auto& p = cache.get({M, static_cast<int64_t>(act)}, [&] { return make(M, act); });
    p.set(DNNL_ARG_SRC, x);
    p.set(DNNL_ARG_DST, y);
    p.run();
  }

  // y = x W^T + b in blocks whose per-row sums do not depend on M (row_block).
  void run_blocks(const float* x, float* y, int64_t M, Activation act) {
    const int64_t block = row_block();
    for (int64_t r0 = 0; r0 < M; r0 += block) {
      const int64_t rows = std::min(block, M - r0), padded = padded_rows(rows);
      if (padded == rows) {
        run_rows(x + r0 * K, y + r0 * N, rows, act);
        continue;
      }
      pad_in.assign(static_cast<size_t>(padded * K), 0.0f);
      pad_out.resize(static_cast<size_t>(padded * N));
      std::copy(x + r0 * K, x + (r0 + rows) * K, pad_in.begin());
      run_rows(pad_in.data(), pad_out.data(), padded, act);
      std::copy(pad_out.begin(), pad_out.begin() + rows * N, y + r0 * N);
    }
  }

  // bf16: x (f32 [M, K]) rounded into `scratch`, which the matmul then reads.
  detail::ShapeCache<detail::Prim> to_bf16;
  std::vector<uint16_t> scratch;
  const void* convert(const Tensor& x, int64_t M) {
    scratch.resize(static_cast<size_t>(M * K));
    auto& p = to_bf16.get({M}, [&] {
      auto& eng = detail::engine();
      memory::desc f({M, K}, dt::f32, tag::ab), b({M, K}, dt::bf16, tag::ab);
      detail::Prim r{dnnl::reorder(memory(f, eng, nullptr), memory(b, eng, nullptr)), {}};
      r.args[DNNL_ARG_FROM] = memory(f, eng, nullptr);
      r.args[DNNL_ARG_TO] = memory(b, eng, nullptr);
      return r;
    });
    p.set(DNNL_ARG_FROM, x.raw());
    p.set(DNNL_ARG_TO, scratch.data());
    p.run();
    return scratch.data();
  }
};

Linear::Linear(const Tensor& weight, const Tensor& bias, FloatMath math)
    : impl_(std::make_unique<Impl>()), math_(math) {
  detail::require_f32(weight, "Linear weight");
  check(weight.ndim() == 2, "Linear: weight must be 2-D, got {}", shape_str(weight.shape()));
  out_ = weight.dim(0);
  in_ = weight.dim(1);
  auto& im = *impl_;
  im.K = in_;
  im.N = out_;
  if (math == FloatMath::Bf16) {
    check(cpu_has_bf16(), "bf16 needs a CPU with AVX-512 BF16 or AMX; this one runs {} (use fp32 or int8)",
          cpu_isa_name());
    im.act_dt = dt::bf16;
  }
  im.row_blocks = im.act_dt == dt::f32 && !cpu_has_brgemm();
  if (bias.defined()) {
    detail::require_f32(bias, "Linear bias");
    check(bias.numel() == out_, "Linear: bias has {} values for {} outputs", bias.numel(), out_);
    im.bias = bias.reshape({1, out_});
  }
  auto pd = im.make_pd(kRepresentativeM, memory::desc({in_, out_}, im.act_dt, tag::any), Activation::None);
  im.wdesc = pd.weights_desc();
  im.weights = detail::reorder_f32_weights(weight, im.wdesc, im.weight_buffers.emplace_back());
}

Linear::Linear() = default;
Linear::~Linear() = default;
Linear::Linear(Linear&&) noexcept = default;
Linear& Linear::operator=(Linear&&) noexcept = default;

Tensor Linear::forward(const Tensor& x, Activation act) const {
  check(impl_ != nullptr, "Linear: used before construction");
  detail::require_f32(x, "Linear input");
  check(x.ndim() >= 1 && x.dim(-1) == in_, "Linear: input {} does not end in {}", shape_str(x.shape()), in_);
  Shape out_shape = x.shape();
  out_shape.back() = out_;
  Tensor y = detail::uninit(DType::F32, out_shape);
  const int64_t M = x.numel() / in_;
  if (M == 0) return y;
  auto& im = *impl_;
  std::lock_guard<std::mutex> lock(im.cache.mu);
  if (im.row_blocks)
    im.run_blocks(x.data<float>(), y.data<float>(), M, act);
  else
    im.run_rows(im.act_dt == dt::bf16 ? im.convert(x, M) : x.raw(), y.raw(), M, act);
  return y;
}

}  // namespace qdq::kernels
