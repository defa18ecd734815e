#include <doctest/doctest.h>

#include "core/tensor.h"

using namespace qdq;

TEST_CASE("tensor reshape shares storage and checks numel") {
  Tensor t(DType::F32, {2, 3});
  t.data<float>()[4] = 7.0f;
  Tensor r = t.reshape({3, -1});
  CHECK(r.shape() == Shape{3, 2});
  CHECK(r.data<float>()[4] == 7.0f);
  CHECK_THROWS_AS(t.reshape({4, 2}), Error);
  CHECK_THROWS_AS(t.data<int64_t>(), Error);
}

TEST_CASE("half and bfloat16 convert exactly") {
  CHECK(f16_to_f32(0x3c00) == 1.0f);
  CHECK(f16_to_f32(0xc000) == -2.0f);
  CHECK(f16_to_f32(0x0001) == doctest::Approx(5.960464477539063e-08));
  CHECK(bf16_to_f32(0x3f80) == 1.0f);
}
