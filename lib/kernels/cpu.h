#pragma once
// What the CPU's oneDNN can do that changes results, for the commands to say so.

namespace qdq::kernels {

// AVX-512 VNNI or AVX-VNNI (and the ISAs above them): int8 GEMMs accumulate u8 x s8 products in
// int32. Without VNNI oneDNN adds pairs of products in saturating int16 first, so int8 results can
// drift from pytorch_quantization's fake quant.
bool cpu_has_vnni();

}  // namespace qdq::kernels
