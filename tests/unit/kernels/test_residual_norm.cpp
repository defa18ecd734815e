// The fused BERT sublayer tail against its four steps: fake quant of both
// inputs (bit-exact arithmetic), the add, oneDNN's LayerNorm.
#include <doctest/doctest.h>

#include "kernels/int8.h"
#include "kernels/ops.h"
#include "kernels/residual_norm.h"
#include "ref.h"

using namespace qdq;

TEST_CASE("residual_add_layer_norm equals fake quant + add + layer_norm") {
  const int64_t rows = 37, C = 96;
  Tensor gamma = ref::randn({C}, 21, 0.3f), beta = ref::randn({C}, 22, 0.3f);
  for (int a_on = 0; a_on < 2; ++a_on)
    for (int b_on = 0; b_on < 2; ++b_on) {
      CAPTURE(a_on);
      CAPTURE(b_on);
      Tensor out = ref::randn({rows, C}, 23, 2.0f), x = ref::randn({rows, C}, 24, 3.0f);
      // Scales that clip the tails (amax 4 and 5 with 127 codes) and one of zero (every code 0).
      const kernels::FakeQuantStep fa{a_on == 1, 127.0f / 4.0f, -128.0f, 127.0f};
      const kernels::FakeQuantStep fb{b_on == 1, b_on ? 127.0f / 5.0f : 0.0f, -127.0f, 127.0f};
      Tensor want = out.clone(), xr = x.clone();
      if (fa.on) kernels::fake_quant_per_tensor(want.data<float>(), want.numel(), fa.scale, fa.lo, fa.hi);
      if (fb.on) kernels::fake_quant_per_tensor(xr.data<float>(), xr.numel(), fb.scale, fb.lo, fb.hi);
      kernels::add(want, xr);
      kernels::layer_norm(want, gamma, beta, 1e-12f);
      Tensor got = out.clone();
      kernels::residual_add_layer_norm(got, x, fa, fb, gamma, beta, 1e-12f);
      // Same fake-quant codes; the LayerNorm's float summation order differs: 1e-5 of the O(1) output.
      CHECK(ref::rel_err(got, want) < 1e-5);
    }
}

TEST_CASE("residual_add_layer_norm: a zero scale makes every code 0, as tensor_quant.py") {
  Tensor out = ref::randn({2, 8}, 31), x = ref::randn({2, 8}, 32);
  Tensor gamma = Tensor::from_vector(std::vector<float>(8, 1.0f), {8}), beta = Tensor::from_vector(std::vector<float>(8, 0.5f), {8});
  kernels::residual_add_layer_norm(out, x, {true, 0.0f, -128.0f, 127.0f}, {true, 0.0f, -128.0f, 127.0f}, gamma, beta,
                                   1e-5f);
  // All inputs quantize to 0: the row is constant, so LayerNorm gives beta.
  for (int64_t i = 0; i < out.numel(); ++i) CHECK(out.data<float>()[i] == doctest::Approx(0.5f));
}
