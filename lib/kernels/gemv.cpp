// Small-M fp32 x W^T: a register tile of up to 4 x rows by 4 weight rows,
// AVX-512 when the CPU has it (the build has no -march, hence the target
// attribute and the run-time check), else a plain loop.
#include "kernels/gemv.h"

#include <immintrin.h>

#include <algorithm>

namespace qdq::kernels {

namespace {

constexpr int64_t kNR = 4;  // weight rows per tile
constexpr int64_t kMR = 4;  // x rows per tile

// Tree sum through memory: gcc 12's _mm512_reduce_add_ps trips -Wuninitialized.
__attribute__((target("avx512f"))) float hsum(__m512 v) {
  alignas(64) float t[16];
  _mm512_store_ps(t, v);
  for (int w = 8; w >= 1; w /= 2)
    for (int i = 0; i < w; ++i) t[i] += t[i + w];
  return t[0];
}

template <int MR, int NR>
__attribute__((target("avx512f"))) void tile_avx512(const float* x, int64_t K, const float* w, const float* bias,
                                                    float* y, int64_t N) {
  __m512 acc[MR][NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16) {
    __m512 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_loadu_ps(w + j * K + k);
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_loadu_ps(x + i * K + k);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  if (k < K) {
    const __mmask16 m = static_cast<__mmask16>((1u << (K - k)) - 1);
    __m512 wv[NR];
    for (int j = 0; j < NR; ++j) wv[j] = _mm512_maskz_loadu_ps(m, w + j * K + k);
    for (int i = 0; i < MR; ++i) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + i * K + k);
      for (int j = 0; j < NR; ++j) acc[i][j] = _mm512_fmadd_ps(xv, wv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) y[i * N + j] = hsum(acc[i][j]) + (bias ? bias[j] : 0.0f);
}

template <int NR>
void rows_avx512(const float* x, int64_t M, int64_t K, const float* w, const float* bias, float* y, int64_t N) {
  int64_t m = 0;
  for (; m + kMR <= M; m += kMR) tile_avx512<kMR, NR>(x + m * K, K, w, bias, y + m * N, N);
  switch (M - m) {
    case 1: tile_avx512<1, NR>(x + m * K, K, w, bias, y + m * N, N); break;
    case 2: tile_avx512<2, NR>(x + m * K, K, w, bias, y + m * N, N); break;
    case 3: tile_avx512<3, NR>(x + m * K, K, w, bias, y + m * N, N); break;
    default: break;
  }
}

void rows_plain(const float* x, int64_t M, int64_t K, const float* w, int64_t nr, const float* bias, float* y,
                int64_t N) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < nr; ++j) {
      float s = 0;
      for (int64_t k = 0; k < K; ++k) s += x[i * K + k] * w[j * K + k];
      y[i * N + j] = s + (bias ? bias[j] : 0.0f);
    }
}

bool has_avx512() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}

}  // namespace

void gemv_f32(const float* x, int64_t M, int64_t K, const float* w, int64_t N, const float* bias, float* y) {
  const bool simd = has_avx512();
  const int64_t blocks = (N + kNR - 1) / kNR;
#pragma omp parallel for schedule(static) if (N * K > (1 << 14))
  for (int64_t b = 0; b < blocks; ++b) {
    const int64_t n = b * kNR, nr = std::min(kNR, N - n);
    const float* bn = bias ? bias + n : nullptr;
    if (!simd) {
      rows_plain(x, M, K, w + n * K, nr, bn, y + n, N);
    } else if (nr == kNR) {
      rows_avx512<kNR>(x, M, K, w + n * K, bn, y + n, N);
    } else {
      for (int64_t j = 0; j < nr; ++j) rows_avx512<1>(x, M, K, w + (n + j) * K, bn ? bn + j : nullptr, y + n + j, N);
    }
  }
}

}  // namespace qdq::kernels
