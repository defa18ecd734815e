#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "quant/int8_checkpoint.h"
#include "test_util.h"

using namespace qdq;
using namespace qdq::quant;
namespace fs = std::filesystem;

TEST_CASE("int8 model directory: write, read back, dequantized weights fake-quantize to themselves") {
  const fs::path base = fs::temp_directory_path() / ("qdqrt_int8_test_" + std::to_string(::getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "src");
  write_file_atomic((base / "src/config.json").string(), "{\"model_type\": \"bert\"}");
  write_file_atomic((base / "src/vocab.txt").string(), "[PAD]\n");

  const int64_t rows = 8, cols = 16;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::vector<float> w(rows * cols);
  for (auto& v : w) v = nd(rng);
  for (int64_t c = 0; c < cols; ++c) w[3 * cols + c] = 0.0f;  // an all-zero row: amax 0, codes 0
  std::vector<float> amax(rows, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) amax[r] = std::max(amax[r], std::fabs(w[r * cols + c]));

  QuantPlan plan;
  // The registry's module name and the checkpoint's key differ (a checkpoint without "bert."):
  // the weight is written under the key it came from, the quantizers under the model's names.
  auto& lin = plan.add_linear("bert.enc.dense", "enc.dense.weight", Tensor::from_vector(w, {rows, cols}), Tensor());
  lin.input->set_amax({2.5f});
  lin.weight_quantizer->set_amax(amax);
  std::vector<Int8Weight> fp32{{lin.weight_key, lin.weight, lin.weight_quantizer}};
  TensorMap other;
  other.add("enc.dense.bias", Tensor::from_vector(std::vector<float>(rows, 0.5f), {rows}));

  const std::string out = (base / "q").string();
  write_int8_model((base / "src").string(), plan, fp32, other, out, "max");
  CHECK_THROWS_WITH_AS(write_int8_model((base / "src").string(), plan, fp32, other, out, "max"),
                       doctest::Contains("already exists"), Error);
  CHECK(fs::exists(base / "q/vocab.txt"));

  TensorMap m = read_safetensors(out + "/model.safetensors");
  CHECK(m.at("enc.dense.weight").dtype() == DType::I8);
  CHECK(m.at("enc.dense.weight_scale").shape() == Shape{rows});
  CHECK(m.at("bert.enc.dense._weight_quantizer._amax").shape() == Shape{rows, 1});
  CHECK(m.at("bert.enc.dense._input_quantizer._amax").shape() == Shape{});
  CHECK(m.metadata.at("qdqrt.calibration") == "max");

  // Codes equal fake quant's integers.
  std::vector<float> fq = w;
  fake_quant(fq.data(), {rows, cols}, amax, 0, 8, false, false);
  const int8_t* q = m.at("enc.dense.weight").data<int8_t>();
  for (int64_t r = 0; r < rows; ++r) {
    const float s = quant_scale(amax[r], 127.0f);
    for (int64_t c = 0; c < cols; ++c) CHECK(dequant_code(q[r * cols + c], s) == fq[r * cols + c]);
  }

  Checkpoint ck;
  ck.dir = out;
  ck.weights_file = out + "/model.safetensors";
  ck.weights = m;
  REQUIRE(is_int8_checkpoint(ck));
  AmaxTable t = take_int8_amax(ck);
  CHECK(t.at("bert.enc.dense._input_quantizer") == std::vector<float>{2.5f});
  CHECK(t.at("bert.enc.dense._weight_quantizer") == amax);
  CHECK(!ck.weights.has("enc.dense.weight_scale"));
  CHECK(!ck.weights.has("bert.enc.dense._input_quantizer._amax"));
  const Tensor& codes = ck.weights.at("enc.dense.weight");
  REQUIRE(codes.dtype() == DType::I8);  // the Linears take the codes as they are
  const Tensor d = dequantize_weight(codes, amax, "enc.dense");
  std::vector<float> again(d.data<float>(), d.data<float>() + d.numel());
  CHECK(again == fq);  // exact: dequantized as fake quant does
  fake_quant(again.data(), {rows, cols}, amax, 0, 8, false, false);
  CHECK(again == fq);  // and fake-quantizing it again is the identity

  // Validation.
  Checkpoint bad;
  bad.weights_file = "m.safetensors";
  bad.weights = m;
  bad.weights.metadata.erase("qdqrt.quantized");
  CHECK(is_int8_checkpoint(bad));
  CHECK_THROWS_WITH_AS(take_int8_amax(bad), doctest::Contains("m.safetensors: int8 weights without"), Error);
  CHECK_THROWS_WITH_AS(dequantize_weight(codes, {1, 2}, "enc.dense"), doctest::Contains("2 amax values for 8 rows"),
                       Error);
  fs::remove_all(base);
}
