#include "core/tensor.h"

#include "core/big_buffer.h"

#include <cstdlib>
#include <cstring>

namespace qdq {

std::string shape_str(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)) {
  for (auto d : shape_) check(d >= 0, "negative dimension in shape {}", shape_str(shape_));
  const size_t bytes = (nbytes() + 63) / 64 * 64;
  holder_ = big_buffer(bytes);
  data_ = holder_.get();
  std::memset(data_, 0, bytes);
}

Tensor Tensor::borrow(DType dtype, Shape shape, void* data, std::shared_ptr<void> holder) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.holder_ = std::move(holder);
  return t;
}

Tensor Tensor::reshape(Shape shape) const {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) infer = static_cast<int64_t>(i);
    else known *= shape[i];
  }
  if (infer >= 0) shape[infer] = known ? numel() / known : 0;
  check(shape_numel(shape) == numel(), "cannot reshape {} to {}", shape_str(shape_), shape_str(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.data_, data_, nbytes());
  return t;
}

Tensor Tensor::to_f32() const {
  if (dtype_ == DType::F32) return *this;
  Tensor t(DType::F32, shape_);
  float* out = t.data<float>();
  const int64_t n = numel();
  switch (dtype_) {
    case DType::F16: {
      auto* in = static_cast<const uint16_t*>(data_);
      for (int64_t i = 0; i < n; ++i) out[i] = f16_to_f32(in[i]);
      break;
    }
    case DType::BF16: {
      auto* in = static_cast<const uint16_t*>(data_);
      for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(in[i]);
      break;
    }
    case DType::F64: {
      auto* in = static_cast<const double*>(data_);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(in[i]);
      break;
    }
    default:
      throw Error("cannot convert a {} tensor to F32", dtype_name(dtype_));
  }
  return t;
}

std::vector<int64_t> Tensor::to_i64_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel()));
  auto conv = [&](auto* p) { for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<int64_t>(p[i]); };
  switch (dtype_) {
    case DType::I64: conv(static_cast<const int64_t*>(data_)); break;
    case DType::I32: conv(static_cast<const int32_t*>(data_)); break;
    case DType::I16: conv(static_cast<const int16_t*>(data_)); break;
    case DType::I8: conv(static_cast<const int8_t*>(data_)); break;
    case DType::U8: case DType::BOOL: conv(static_cast<const uint8_t*>(data_)); break;
    default: throw Error("expected an integer tensor, got {}", dtype_name(dtype_));
  }
  return v;
}

void Tensor::check_type(DType want) const {
  check(want == dtype_, "tensor is {}, accessed as {}", dtype_name(dtype_), dtype_name(want));
}

}  // namespace qdq
