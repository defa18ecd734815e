#pragma once
// NumPy .npy (format version 1.0): what `numpy.load` reads back with the same
// dtype and shape. Little-endian, C order.
#include <string>

#include "core/tensor.h"

namespace qdq {

// The whole file image. Error for dtypes NumPy has no type for (BF16, F8).
std::string serialize_npy(const Tensor& t);
// Written atomically (temporary file, then rename).
void write_npy(const std::string& path, const Tensor& t);
// NumPy's type string for a dtype ("<f4", "|u1", ...).
std::string npy_descr(DType t);

}  // namespace qdq
