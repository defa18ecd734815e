// Per-tensor fake quantization, bit-for-bit tensor_quant.py's arithmetic
// (and quant::fake_quant's): q = clamp(round_half_even(x * scale)), x = q / scale.
// quant::fake_quant handles every descriptor but calls libm per element and
// runs on one thread; the per-tensor 8-bit case is every activation quant
// point of a transformer, so it gets this vectorisable loop.
#include "kernels/engine.h"
#include "kernels/int8.h"

namespace qdq::kernels {

void fake_quant_per_tensor(float* x, int64_t n, float scale, float lo, float hi) {
  const float div = scale == 0.0f ? 1.0f : scale;  // dequant_code: q / 1 when scale is 0
#pragma omp parallel for simd schedule(static) if (n > (1 << 15))
  for (int64_t i = 0; i < n; ++i) x[i] = quant_code(x[i], scale, lo, hi) / div;
}

}  // namespace qdq::kernels
