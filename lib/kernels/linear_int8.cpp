// Int8 Linear: u8/s8 activations x s8 per-channel weights on oneDNN matmul.
// Scales are static output scales (runtime scales fall back from the VNNI
// brgemm kernel to gemm:jit). The bias is a binary post-op added after the
// output scale, so it stays in f32 and is exact for channels whose weight
// amax is 0 (output scale 0); oneDNN's own bias argument would be added in
// the accumulator domain, before scaling.
// Without VNNI (kernels/cpu.h) the same primitive runs on the codes as f32 ("wide"): integer products
// summed exactly in f32, then the same output scales and post-ops, so the result is the VNNI one.
#include <cmath>

#include "kernels/cpu.h"
#include "kernels/engine.h"
#include "kernels/int8.h"
#include "kernels/s8_weights.h"

namespace qdq::kernels {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {
constexpr int64_t kRepresentativeM = 128;
}

struct Int8Linear::Impl {
  int64_t K = 0, N = 0;
  dt src_type = dt::s8;
  std::vector<float> oscales;  // 1 / (s_x * s_w[n])
  memory::desc wdesc;
  memory weights;  // s8 in the matmul's layout, with s8s8 compensation if src is s8
  Tensor bias;     // [1, N] f32
  // Extra weight layouts for row counts that refuse the main one (AVX2 does, for some M), one copy per
  // layout: keyed by M, a stream of new shapes (length-sorted batches) kept adding reordered copies.
  std::vector<memory> alt_weights;
  std::vector<std::shared_ptr<void>> weight_buffers;  // storage of weights and alt_weights
  detail::ShapeCache<detail::Prim> cache;
  Tensor scratch;  // quantized input, grown as needed, reused across calls
  bool wide = false;  // no VNNI: codes as f32 (src, weights), f32 out, requantized after
  Tensor wide_in;     // wide: the input's codes as f32

  // out_type f32, or s8/u8 with the result multiplied by out_scale before the
  // (saturating, round-half-even) conversion.
  dnnl::matmul::primitive_desc make_pd(int64_t M, const memory::desc& wd, Activation act, dt out_type = dt::f32,
                                       float out_scale = 1.0f) const {
    memory::desc src({M, K}, wide ? dt::f32 : src_type, tag::ab), dst({M, N}, out_type, tag::ab);
    dnnl::primitive_attr attr = detail::matmul_attr();
    attr.set_output_scales(1 << 1, oscales);
    dnnl::post_ops po;
    if (bias.defined()) po.append_binary(dnnl::algorithm::binary_add, memory::desc({1, N}, dt::f32, tag::ab));
    dnnl::algorithm alg;
    float a, b;
    if (detail::eltwise_of(act, alg, a, b)) po.append_eltwise(1.0f, alg, a, b);
    if (out_type != dt::f32) po.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, out_scale, 0.0f);
    attr.set_post_ops(po);
    return {dnnl::matmul::desc(src, wd, dst), attr, detail::engine()};
  }

  detail::Prim make(int64_t M, Activation act, dt out_type, float out_scale) {
    auto& eng = detail::engine();
    memory w = weights;
    dnnl::matmul::primitive_desc pd;
    try {
      pd = make_pd(M, wdesc, act, out_type, out_scale);
    } catch (const dnnl::error&) {
      pd = make_pd(M, memory::desc({K, N}, wide ? dt::f32 : dt::s8, tag::any), act, out_type, out_scale);
      w = detail::weights_in_layout(weights, pd.weights_desc(), alt_weights, weight_buffers);
    }
    detail::Prim p{dnnl::matmul(pd), {}};
    p.args[DNNL_ARG_SRC] = memory(pd.src_desc(), eng, nullptr);
    p.args[DNNL_ARG_DST] = memory(pd.dst_desc(), eng, nullptr);
    p.args[DNNL_ARG_WEIGHTS] = w;
    if (bias.defined())
      p.args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1] =
          memory({{1, N}, dt::f32, tag::ab}, eng, const_cast<float*>(bias.data<float>()));
    return p;
  }

  Tensor run(const Tensor& xq, Activation act, dt out_type = dt::f32, float out_scale = 1.0f) {
    if (wide && out_type != dt::f32) {
      // The f32 result, then the same saturating round-half-even conversion of y * out_scale.
      Tensor y = run(xq, act);
      Tensor q = detail::uninit(out_type == dt::s8 ? DType::I8 : DType::U8, y.shape());
      quantize_into(y, out_scale, q);
      return q;
    }
    Shape out_shape = xq.shape();
    out_shape.back() = N;
    const DType odt = out_type == dt::f32 ? DType::F32 : out_type == dt::s8 ? DType::I8 : DType::U8;
    Tensor y = detail::uninit(odt, out_shape);
    const int64_t M = xq.numel() / K;
    if (M == 0) return y;
    const detail::Key key{M, static_cast<int64_t>(act), static_cast<int64_t>(out_type), detail::float_bits(out_scale)};
    auto& p = cache.get(key, [&] { return make(M, act, out_type, out_scale); });
    p.set(DNNL_ARG_SRC, xq.raw());
    p.set(DNNL_ARG_DST, y.raw());
    p.run();
    return y;
  }
};

Tensor quantize_weight_codes(const Tensor& weight, const std::vector<float>& w_amax, bool w_narrow) {
  detail::require_f32(weight, "Int8Linear weight");
  check(weight.ndim() == 2, "Int8Linear: weight must be 2-D, got {}", shape_str(weight.shape()));
  const int64_t N = weight.dim(0), K = weight.dim(1);
  check(w_amax.size() == 1 || static_cast<int64_t>(w_amax.size()) == N,
        "Int8Linear: {} weight amax values for {} output channels", w_amax.size(), N);
  // Per-channel weight quantization, tensor_quant.py's arithmetic: the
  // multiplier 127/amax in f32, nearbyint = round half to even.
  Tensor wq(DType::I8, {N, K});
  const float lo = w_narrow ? -127.0f : -128.0f;
  const float* w = weight.data<float>();
  int8_t* q = wq.data<int8_t>();
  // quant_code vectorises (a scalar nearbyint/fmin/fmax loop was 20% of loading a checkpoint
  // with --precision int8).
#pragma omp parallel for
  for (int64_t n = 0; n < N; ++n) {
    const float s = quant_scale(w_amax.size() == 1 ? w_amax[0] : w_amax[n], false);
#pragma omp simd
    for (int64_t k = 0; k < K; ++k) q[n * K + k] = static_cast<int8_t>(quant_code(w[n * K + k], s, lo, 127.0f));
  }
  return wq;
}

Int8Linear::Int8Linear(const Tensor& weight, const Tensor& bias, const std::vector<float>& w_amax, float x_amax,
                       bool x_unsigned, bool w_narrow) {
  init(quantize_weight_codes(weight, w_amax, w_narrow), bias, w_amax, x_amax, x_unsigned);
}

Int8Linear Int8Linear::from_codes(const Tensor& codes, const Tensor& bias, const std::vector<float>& w_amax,
                                  float x_amax, bool x_unsigned) {
  check(codes.dtype() == DType::I8 && codes.ndim() == 2, "Int8Linear: codes must be I8 [N, K], got {} {}",
        dtype_name(codes.dtype()), shape_str(codes.shape()));
  check(w_amax.size() == 1 || static_cast<int64_t>(w_amax.size()) == codes.dim(0),
        "Int8Linear: {} weight amax values for {} output channels", w_amax.size(), codes.dim(0));
  Int8Linear l;
  l.init(codes, bias, w_amax, x_amax, x_unsigned);
  return l;
}

void Int8Linear::init(const Tensor& codes, const Tensor& bias, const std::vector<float>& w_amax, float x_amax,
                      bool x_unsigned) {
  impl_ = std::make_unique<Impl>();
  out_ = codes.dim(0);
  in_ = codes.dim(1);
  x_unsigned_ = x_unsigned;
  x_scale_ = quant_scale(x_amax, x_unsigned);
  auto& im = *impl_;
  im.K = in_;
  im.N = out_;
  im.src_type = x_unsigned ? dt::u8 : dt::s8;
  if (bias.defined()) {
    detail::require_f32(bias, "Int8Linear bias");
    check(bias.numel() == out_, "Int8Linear: bias has {} values for {} outputs", bias.numel(), out_);
    im.bias = bias.reshape({1, out_});
  }
  im.oscales.resize(out_);
  for (int64_t n = 0; n < out_; ++n) {
    const float s = quant_scale(w_amax.size() == 1 ? w_amax[0] : w_amax[n], false);
    im.oscales[n] = (s == 0.0f || x_scale_ == 0.0f) ? 0.0f : 1.0f / (x_scale_ * s);
  }
  im.wide = !cpu_has_vnni();
  auto pd = im.make_pd(kRepresentativeM, memory::desc({in_, out_}, im.wide ? dt::f32 : dt::s8, tag::any),
                       Activation::None);
  im.wdesc = pd.weights_desc();
  if (im.wide) {
    im.weights = detail::reorder_f32_weights(dequantize(codes, 1.0f), im.wdesc, im.weight_buffers.emplace_back());
    return;
  }
  // Into weights_desc(), with the s8 x s8 compensation oneDNN needs (kernels/s8_weights.h).
  im.weights = detail::reorder_s8_weights(codes, im.wdesc, im.weight_buffers.emplace_back());
}

Int8Linear::Int8Linear() = default;
Int8Linear::~Int8Linear() = default;
Int8Linear::Int8Linear(Int8Linear&&) noexcept = default;
Int8Linear& Int8Linear::operator=(Int8Linear&&) noexcept = default;

// Callers hold the cache mutex: the scratch buffer is shared.
Tensor Int8Linear::quantized_input(const Tensor& x) const {
  check(x.ndim() >= 1 && x.dim(-1) == in_, "Int8Linear: input {} does not end in {}", shape_str(x.shape()), in_);
  const DType qt = x_unsigned_ ? DType::U8 : DType::I8;
  auto& im = *impl_;
  Tensor xq = x;
  if (x.dtype() != qt) {
    check(x.dtype() == DType::F32, "Int8Linear: input must be F32 or {}, got {}", dtype_name(qt),
          dtype_name(x.dtype()));
    if (!im.scratch.defined() || im.scratch.numel() < x.numel()) im.scratch = Tensor(qt, {x.numel()});
    xq = Tensor::borrow(qt, x.shape(), im.scratch.raw(), nullptr);
    quantize_into(x, x_scale_, xq);
  }
  if (!im.wide) return xq;
  if (!im.wide_in.defined() || im.wide_in.numel() < x.numel()) im.wide_in = Tensor(DType::F32, {x.numel()});
  Tensor xf = Tensor::borrow(DType::F32, x.shape(), im.wide_in.raw(), nullptr);
  dequantize_into(xq, 1.0f, xf);
  return xf;
}

Tensor Int8Linear::forward(const Tensor& x, Activation act) const {
  check(impl_ != nullptr, "Int8Linear: used before construction");
  detail::require_f32(x, "Int8Linear input");
  std::lock_guard<std::mutex> lock(impl_->cache.mu);
  return impl_->run(quantized_input(x), act);
}

Tensor Int8Linear::forward_quantized(const Tensor& xq, Activation act) const {
  check(impl_ != nullptr, "Int8Linear: used before construction");
  const DType qt = x_unsigned_ ? DType::U8 : DType::I8;
  check(xq.dtype() == qt, "Int8Linear: quantized input must be {}, got {}", dtype_name(qt), dtype_name(xq.dtype()));
  std::lock_guard<std::mutex> lock(impl_->cache.mu);
  return impl_->run(quantized_input(xq), act);
}

Tensor Int8Linear::forward_requantized(const Tensor& x, Activation act, float out_scale, bool out_unsigned) const {
  check(impl_ != nullptr, "Int8Linear: used before construction");
  std::lock_guard<std::mutex> lock(impl_->cache.mu);
  return impl_->run(quantized_input(x), act, out_unsigned ? dt::u8 : dt::s8, out_scale);
}

}  // namespace qdq::kernels
