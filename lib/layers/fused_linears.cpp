#include "layers/fused_linears.h"

#include <cstring>

#include "io/mapped_file.h"
#include "kernels/int8.h"

namespace qdq::layers {

namespace {

// Rows of the parts' [N_i, K] tensors (or [N_i] biases) one after the other; absent biases are zeros.
Tensor concat_rows(const std::vector<Tensor>& parts, const std::vector<int64_t>& widths, DType dt, int64_t K) {
  int64_t N = 0;
  for (int64_t w : widths) N += w;
  Tensor out = K > 0 ? Tensor(dt, {N, K}) : Tensor(dt, {N});  // zero-filled
  const size_t row = static_cast<size_t>(std::max<int64_t>(K, 1)) * dtype_size(dt);
  char* o = static_cast<char*>(out.raw());
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].defined()) std::memcpy(o, parts[i].raw(), row * widths[i]);
    o += row * widths[i];
  }
  return out;
}

}  // namespace

void FusedLinears::prepare(const std::vector<QuantLinear*>& parts) {
  parts_ = parts;
  fused_ = false;
  int8_ = kernels::Int8Linear();
  float_ = kernels::Linear();
  widths_.clear();
  if (parts.size() < 2) return;
  const QuantLinear& first = *parts[0];
  const int64_t K = first.weight().dim(1);
  bool all_int8 = true, all_float = true;
  for (const QuantLinear* p : parts) {
    widths_.push_back(p->weight().dim(0));
    if (p->weight().dim(1) != K) return;
    all_int8 = all_int8 && p->is_int8() && p->int8_kernel().input_scale() == first.int8_kernel().input_scale() &&
               p->int8_kernel().input_unsigned() == first.int8_kernel().input_unsigned();
    all_float = all_float && p->plain_float() && p->float_math() == first.float_math();
  }
  if (!all_int8 && !all_float) return;
  std::vector<Tensor> biases;
  bool any_bias = false;
  for (const QuantLinear* p : parts) {
    biases.push_back(p->bias());
    any_bias = any_bias || p->bias().defined();
  }
  const Tensor bias = any_bias ? concat_rows(biases, widths_, DType::F32, 0) : Tensor();
  if (all_int8) {
    std::vector<Tensor> codes;
    std::vector<float> w_amax;
    for (QuantLinear* p : parts) {
      auto& wq = p->weight_quantizer();
      const auto& a = wq.amax();
      const int64_t n = p->weight().dim(0);
      for (int64_t c = 0; c < n; ++c) w_amax.push_back(a.size() == 1 ? a[0] : a[c]);
      codes.push_back(p->weight().dtype() == DType::I8
                          ? p->weight()
                          : kernels::quantize_weight_codes(p->weight(), a, wq.desc().narrow_range));
    }
    auto& in = first.int8_kernel();
    const float x_amax = parts[0]->input_quantizer().amax()[0];
    int8_ = kernels::Int8Linear::from_codes(concat_rows(codes, widths_, DType::I8, K), bias, w_amax, x_amax,
                                            in.input_unsigned());
  } else {
    std::vector<Tensor> ws;
    for (QuantLinear* p : parts) ws.push_back(p->float_weight());
    float_ = kernels::Linear(concat_rows(ws, widths_, DType::F32, K), bias, first.float_math());
  }
  fused_ = true;
  for (QuantLinear* p : parts) {
    p->release_kernel();
    // Reading the weights again faulted the checkpoint's pages back in: the fused kernel has its copy.
    release_mapped_pages(p->weight().raw(), p->weight().nbytes());
  }
}

std::vector<Tensor> FusedLinears::forward(const Tensor& x) {
  std::vector<Tensor> out;
  if (!fused_) {
    for (QuantLinear* p : parts_) out.push_back(p->forward(x));
    return out;
  }
  const Tensor y = int8_.defined() ? int8_.forward(x) : float_.forward(x);
  const int64_t N = y.dim(-1), rows = y.numel() / N;
  int64_t c0 = 0;
  for (int64_t w : widths_) {
    Shape s = x.shape();
    s.back() = w;
    Tensor t(DType::F32, s);
    for (int64_t r = 0; r < rows; ++r)
      std::memcpy(t.data<float>() + r * w, y.data<float>() + r * N + c0, sizeof(float) * w);
    out.push_back(t);
    c0 += w;
  }
  return out;
}

}  // namespace qdq::layers
