#include "models/prophetnet/tensor_util.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace qdq::models::prophetnet {

Tensor split_heads(const Tensor& x, int64_t heads) {
  const int64_t B = x.dim(0), T = x.dim(1), H = x.dim(2), d = H / heads;
  Tensor y(DType::F32, {B * heads, T, d});
  const float* s = x.data<float>();
  float* o = y.data<float>();
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < heads; ++h)
        std::memcpy(o + ((b * heads + h) * T + t) * d, s + (b * T + t) * H + h * d, sizeof(float) * d);
  return y;
}

Tensor merge_heads(const Tensor& x, int64_t batch) {
  const int64_t BH = x.dim(0), T = x.dim(1), d = x.dim(2), heads = BH / batch, H = heads * d;
  Tensor y(DType::F32, {batch, T, H});
  const float* s = x.data<float>();
  float* o = y.data<float>();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t t = 0; t < T; ++t)
        std::memcpy(o + (b * T + t) * H + h * d, s + ((b * heads + h) * T + t) * d, sizeof(float) * d);
  return y;
}

Tensor embedding(const Tensor& table, const std::vector<int64_t>& ids, Shape out_shape, const char* what) {
  const int64_t V = table.dim(0), H = table.dim(1);
  out_shape.push_back(H);
  Tensor y(DType::F32, out_shape);
  check(y.numel() == static_cast<int64_t>(ids.size()) * H, "{}: {} ids for shape {}", what, ids.size(),
        shape_str(out_shape));
  const float* w = table.data<float>();
  float* o = y.data<float>();
  for (size_t i = 0; i < ids.size(); ++i) {
    check(ids[i] >= 0 && ids[i] < V, "{}: id {} outside [0, {})", what, ids[i], V);
    std::memcpy(o + i * H, w + ids[i] * H, sizeof(float) * H);
  }
  return y;
}

void softmax_row(float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, x[i]);
  float s = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - m);
    s += x[i];
  }
  const float inv = 1.0f / s;
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

float dot(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float a, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

Tensor slice_rows(const Tensor& x, int64_t row0, int64_t n) {
  const int64_t B = x.dim(0), R = x.dim(1), H = x.dim(2);
  Tensor y(DType::F32, {B, n, H});
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(y.data<float>() + b * n * H, x.data<float>() + (b * R + row0) * H, sizeof(float) * n * H);
  return y;
}

}  // namespace qdq::models::prophetnet
