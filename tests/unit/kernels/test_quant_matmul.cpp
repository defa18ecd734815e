#include <doctest/doctest.h>

#include "layers/quant_matmul.h"
#include "kernels/ops.h"
#include "ref.h"

using namespace qdq;
using quant::QuantMode;

TEST_CASE("quant_matmul: Int8 equals FakeQuant, Disabled equals fp32") {
  quant::QuantPlan plan;
  auto& qa = plan.add("self.matmul_q_input_quantizer", quant::input_desc());
  auto& qb = plan.add("self.matmul_k_input_quantizer", quant::input_desc());
  qa.set_amax({3.0f});
  qb.set_amax({2.5f});
  const Tensor a0 = ref::randn({2, 3, 7, 16}, 80), b0 = ref::randn({2, 3, 9, 16}, 81);
  const float alpha = 0.25f;

  Tensor a = a0.clone(), b = b0.clone();
  Tensor fp = layers::quant_matmul(qa, a, qb, b, true, alpha);
  CHECK(ref::rel_err(fp, kernels::batched_matmul(a0, b0, true, alpha)) < 1e-6);

  plan.set_mode(QuantMode::FakeQuant);
  a = a0.clone();
  b = b0.clone();
  Tensor fq = layers::quant_matmul(qa, a, qb, b, true, alpha);
  CHECK(ref::rel_err(fq, fp) > 1e-4);  // quantization did something

  plan.set_mode(QuantMode::Int8);
  a = a0.clone();
  b = b0.clone();
  Tensor i8 = layers::quant_matmul(qa, a, qb, b, true, alpha);
  CHECK(i8.shape() == Shape{2, 3, 7, 9});
  CHECK(ref::rel_err(i8, fq) < 1e-5);
  for (int64_t i = 0; i < a.numel(); ++i) REQUIRE(a.data<float>()[i] == a0.data<float>()[i]);  // untouched in Int8

  // One side Int8, the other disabled: fake-quant numbers, fp32 product.
  qb.set_mode(QuantMode::Disabled);
  a = a0.clone();
  b = b0.clone();
  Tensor mixed = layers::quant_matmul(qa, a, qb, b, true, alpha);
  Tensor ra = a0.clone();
  quant::fake_quant(ra.data<float>(), ra.shape(), {3.0f}, std::nullopt, 8, false, false);
  CHECK(ref::rel_err(mixed, kernels::batched_matmul(ra, b0, true, alpha)) < 1e-6);
}
