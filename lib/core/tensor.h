#pragma once
// Tensor: a dtype, a shape and a pointer into shared storage. Storage is either
// owned (64-byte aligned heap block) or borrowed from something kept alive by
// the holder (an mmap'ed checkpoint). Copies of a Tensor share storage; use
// clone() for a deep copy. Row-major, contiguous.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"

namespace qdq {

using Shape = std::vector<int64_t>;
std::string shape_str(const Shape& s);  // "[2, 3]"
int64_t shape_numel(const Shape& s);

class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, Shape shape);  // owned, zero-filled

  // A view of memory kept alive by `holder` (may be null for static data).
  static Tensor borrow(DType dtype, Shape shape, void* data, std::shared_ptr<void> holder);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, Shape shape);

  bool defined() const { return data_ != nullptr || holder_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_.at(i < 0 ? i + ndim() : i); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <class T> T* data() { check_type(dtype_of<T>()); return static_cast<T*>(data_); }
  template <class T> const T* data() const { check_type(dtype_of<T>()); return static_cast<const T*>(data_); }

  Tensor reshape(Shape shape) const;  // same storage
  Tensor clone() const;
  // F32 copy of a float tensor (F16/BF16/F64 converted); F32 returns itself.
  Tensor to_f32() const;
  // Values of an integer tensor as int64 (I64/I32/I16/I8/U8/BOOL).
  std::vector<int64_t> to_i64_vector() const;

 private:
  void check_type(DType want) const;
  DType dtype_ = DType::F32;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<void> holder_;
};

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& v, Shape shape) {
  Tensor t(dtype_of<T>(), std::move(shape));
  check(static_cast<size_t>(t.numel()) == v.size(), "from_vector: {} values for shape {}", v.size(),
        shape_str(t.shape()));
  std::copy(v.begin(), v.end(), t.data<T>());
  return t;
}

}  // namespace qdq
