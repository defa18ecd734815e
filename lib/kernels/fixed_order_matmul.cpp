#include "kernels/fixed_order_matmul.h"

#include <algorithm>
#include <vector>

namespace qdq::kernels::detail {

void fixed_order_matmul(int64_t B, int64_t H, int64_t M, int64_t N, int64_t K, const Strided& a, const Strided& w,
                        float oscale, const Strided& mask, float* c, int64_t cb, int64_t ch, int64_t ci) {
  const bool rows_of_w = w.sc == 1;  // w(k, :) contiguous: accumulate rows of w in k order
#pragma omp parallel
  {
    std::vector<float> acc(static_cast<size_t>(N));
#pragma omp for collapse(3) schedule(static)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t i = 0; i < M; ++i) {
          const float* ar = a.p + b * a.sb + h * a.sh + i * a.sr;
          const float* wb = w.p + b * w.sb + h * w.sh;
          float* cr = c + b * cb + h * ch + i * ci;
          if (rows_of_w) {
            std::fill(acc.begin(), acc.end(), 0.0f);
            for (int64_t k = 0; k < K; ++k) {
              const float x = ar[k * a.sc];
              const float* wr = wb + k * w.sr;
#pragma omp simd
              for (int64_t j = 0; j < N; ++j) acc[j] += x * wr[j];
            }
          } else {
            for (int64_t j = 0; j < N; ++j) {
              const float* wc = wb + j * w.sc;
              float s = 0.0f;
#pragma omp simd reduction(+ : s)
              for (int64_t k = 0; k < K; ++k) s += ar[k * a.sc] * wc[k * w.sr];
              acc[j] = s;
            }
          }
          const float* mr = mask.p ? mask.p + b * mask.sb + h * mask.sh + i * mask.sr : nullptr;
          for (int64_t j = 0; j < N; ++j) cr[j] = mr ? oscale * acc[j] + mr[j * mask.sc] : oscale * acc[j];
        }
  }
}

}  // namespace qdq::kernels::detail
