#include "io/npy.h"

#include "io/atomic_file.h"

namespace qdq {

std::string npy_descr(DType t) {
  switch (t) {
    case DType::F64: return "<f8";
    case DType::F32: return "<f4";
    case DType::F16: return "<f2";
    case DType::I64: return "<i8";
    case DType::I32: return "<i4";
    case DType::I16: return "<i2";
    case DType::I8: return "|i1";
    case DType::U64: return "<u8";
    case DType::U32: return "<u4";
    case DType::U16: return "<u2";
    case DType::U8: return "|u1";
    case DType::BOOL: return "|b1";
    default: throw Error("npy: NumPy has no dtype for {}", dtype_name(t));
  }
}

std::string serialize_npy(const Tensor& t) {
  // NumPy's own spelling: "()", "(3,)", "(2, 3)".
  std::string shape = "(";
  for (int i = 0; i < t.ndim(); ++i) shape += (i ? ", " : "") + std::to_string(t.dim(i));
  shape += t.ndim() == 1 ? ",)" : ")";
  std::string header = "{'descr': '" + npy_descr(t.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, newline last.
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(t.raw()), t.nbytes());
  return out;
}

void write_npy(const std::string& path, const Tensor& t) {
  std::string bytes = serialize_npy(t);  // before opening, so a bad dtype leaves nothing behind
  write_file_atomic(path, bytes);
}

}  // namespace qdq
