#pragma once
// What the CPU's oneDNN can do that changes results, for the kernels to take the exact path and the
// commands to say so. Implementation: kernels/cpu.cpp.

namespace qdq::kernels {

// AVX-512 VNNI or AVX-VNNI (and the ISAs above them): int8 GEMMs accumulate u8 x s8 products in
// int32. Without VNNI oneDNN adds pairs of products in saturating int16 first (wrong by up to 0.5 on
// bert-base's hidden states), so the int8 kernels then multiply the integer codes in f32 instead:
// exact while every partial sum stays below 2^24 (K <= 1032 for s8 x s8 codes, whatever the values).
bool cpu_has_vnni();

// AVX-512 (avx512_core and above): oneDNN 2.6's f32 matmul runs brgemm, whose summation order per
// output row does not depend on the row count. Below it (AVX2) the f32 matmul is the jit sgemm, whose
// order changes with M, so kernels::Linear runs fixed-size row blocks there (kernels/linear.cpp).
bool cpu_has_brgemm();

}  // namespace qdq::kernels
