#pragma once
// Character tables generated from Python's unicodedata (Unicode 14.0.0) by
// scripts/gen_unicode_tables.py, so that every property test agrees with the
// Python that Hugging Face's slow tokenizer runs on.
#include <cstddef>
#include <cstdint>

namespace qdq::text::tables {

struct CpRange { uint32_t lo, hi; };
struct CccRange { uint32_t lo, hi; uint8_t ccc; };
// A code point mapped to `len` code points at `off` in a pool.
struct Decomp { uint32_t cp; uint32_t off; uint32_t len; };
struct Compose { uint32_t first, second, composite; };

extern const CpRange kControl[], kBertSpace[], kPySpace[], kPunct[], kMn[], kCaseIgnorable[], kCased[];
extern const size_t kControl_size, kBertSpace_size, kPySpace_size, kPunct_size, kMn_size,
    kCaseIgnorable_size, kCased_size;
extern const CccRange kCcc[];
extern const size_t kCcc_size;
extern const uint32_t kDecompPool[], kLowerPool[];
extern const Decomp kDecomp[], kLower[];
extern const size_t kDecomp_size, kLower_size;
extern const Compose kCompose[];
extern const size_t kCompose_size;

}  // namespace qdq::text::tables
