// GEMM micro-benchmark: the oneDNN matmul peak on this machine (fp32 and u8s8
// int8 with static per-channel scales, weights pre-reordered) next to the
// same shapes through qdqrt's kernels, so bench.sh can report ours vs peak.
// Usage: bench_gemm [reps=30]. One line per (shape, impl): tab-separated
// M K N impl best_ms G(FL)OP/s.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/int8.h"
#include "kernels/ops.h"

using namespace qdq;
using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

namespace {

template <class F>
double best_ms(int reps, F&& f) {
  for (int i = 0; i < 3; ++i) f();  // warm up: primitive creation, caches, page faults
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    f();
    auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

Tensor randn(Shape s, uint32_t seed, float sd) {
  Tensor t(DType::F32, std::move(s));
  std::mt19937 g(seed);
  std::normal_distribution<float> d(0.0f, sd);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(g);
  return t;
}

void report(int64_t M, int64_t K, int64_t N, const char* impl, double ms) {
  std::printf("%lld\t%lld\t%lld\t%-22s\t%8.3f\t%7.1f\n", (long long)M, (long long)K, (long long)N, impl, ms,
              2.0 * M * K * N / (ms * 1e6));
  std::fflush(stdout);
}

// Raw oneDNN matmul: weights "any" + one reorder, src/dst plain.
double onednn_ms(int64_t M, int64_t K, int64_t N, bool int8, int reps) {
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const dt st = int8 ? dt::u8 : dt::f32, wt = int8 ? dt::s8 : dt::f32;
  memory::desc src({M, K}, st, tag::ab), wany({K, N}, wt, tag::any), dst({M, N}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  if (int8) attr.set_output_scales(1 << 1, std::vector<float>(N, 1e-4f));
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, wany, dst), attr, eng);
  memory a(src, eng), w_user({{K, N}, wt, tag::ba}, eng), w(pd.weights_desc(), eng), c(dst, eng);
  std::mt19937 g(1);
  if (int8) {
    for (int64_t i = 0; i < M * K; ++i) static_cast<uint8_t*>(a.get_data_handle())[i] = g() & 127;
    for (int64_t i = 0; i < K * N; ++i) static_cast<int8_t*>(w_user.get_data_handle())[i] = int8_t(g() % 255 - 127);
  } else {
    std::normal_distribution<float> d;
    for (int64_t i = 0; i < M * K; ++i) static_cast<float*>(a.get_data_handle())[i] = d(g);
    for (int64_t i = 0; i < K * N; ++i) static_cast<float*>(w_user.get_data_handle())[i] = d(g);
  }
  dnnl::reorder(w_user, w).execute(s, w_user, w);
  dnnl::matmul mm(pd);
  return best_ms(reps, [&] {
    mm.execute(s, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, c}});
    s.wait();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 30;
  const int64_t shapes[][3] = {{128, 768, 768}, {1024, 768, 768}, {1024, 768, 3072}, {1024, 3072, 768}};
  std::printf("M\tK\tN\timpl\tbest_ms\tGFLOP/s (GOP/s for int8)\n");
  for (auto& sh : shapes) {
    const int64_t M = sh[0], K = sh[1], N = sh[2];
    report(M, K, N, "onednn_f32", onednn_ms(M, K, N, false, reps));
    report(M, K, N, "onednn_u8s8", onednn_ms(M, K, N, true, reps));

    Tensor w = randn({N, K}, 2, 0.05f), b = randn({N}, 3, 1.0f), x = randn({M, K}, 4, 1.0f);
    kernels::Linear lin(w, b);
    report(M, K, N, "qdqrt_linear_f32", best_ms(reps, [&] { lin.forward(x); }));
    kernels::Linear linb(w, Tensor());
    report(M, K, N, "qdqrt_linear_f32_nobias", best_ms(reps, [&] { linb.forward(x); }));

    std::vector<float> w_amax(N, 0.2f);
    kernels::Int8Linear q(w, b, w_amax, 4.0f, /*x_unsigned=*/false);
    report(M, K, N, "qdqrt_int8_f32in", best_ms(reps, [&] { q.forward(x); }));
    Tensor xq = kernels::quantize_s8(x, q.input_scale());
    report(M, K, N, "qdqrt_int8_s8in", best_ms(reps, [&] { q.forward_quantized(xq); }));
    report(M, K, N, "qdqrt_int8_s8in_s8out", best_ms(reps, [&] { q.forward_requantized(xq, kernels::Activation::None, 10.0f); }));
    kernels::Int8Linear qu(w, b, w_amax, 4.0f, /*x_unsigned=*/true);
    Tensor xu = kernels::quantize_u8(x, qu.input_scale());
    report(M, K, N, "qdqrt_int8_u8in", best_ms(reps, [&] { qu.forward_quantized(xu); }));
  }
  return 0;
}
