#include "core/dtype.h"

#include <cstring>

namespace qdq {

namespace {
struct Info { DType t; std::string_view name; size_t size; bool is_float; };
constexpr Info kInfo[] = {
    {DType::F64, "F64", 8, true},   {DType::F32, "F32", 4, true},
    {DType::F16, "F16", 2, true},   {DType::BF16, "BF16", 2, true},
    {DType::F8_E4M3, "F8_E4M3", 1, true}, {DType::F8_E5M2, "F8_E5M2", 1, true},
    {DType::I64, "I64", 8, false},  {DType::I32, "I32", 4, false},
    {DType::I16, "I16", 2, false},  {DType::I8, "I8", 1, false},
    {DType::U64, "U64", 8, false},  {DType::U32, "U32", 4, false},
    {DType::U16, "U16", 2, false},  {DType::U8, "U8", 1, false},
    {DType::BOOL, "BOOL", 1, false},
};
const Info& info(DType t) { return kInfo[static_cast<int>(t)]; }
}  // namespace

size_t dtype_size(DType t) { return info(t).size; }
std::string_view dtype_name(DType t) { return info(t).name; }
bool dtype_is_float(DType t) { return info(t).is_float; }

std::optional<DType> dtype_from_name(std::string_view name) {
  for (const auto& i : kInfo)
    if (i.name == name) return i.t;
  return std::nullopt;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do { ++e; mant <<= 1; } while (!(mant & 0x400u));
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace qdq
