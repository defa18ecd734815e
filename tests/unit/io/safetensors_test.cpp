#include <doctest/doctest.h>

#include <cstring>

#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io_test_util.h"

using namespace qdq;
using namespace qdq::testing;

namespace {
// A safetensors image from a header JSON text and data bytes.
std::string image(const std::string& header, const std::string& data) {
  return le_bytes(header.size(), 8) + header + data;
}
std::string error_of(const std::string& bytes) {
  try {
    parse_safetensors(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "t.safetensors", nullptr);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

TEST_CASE("safetensors round trip: every dtype, metadata, order, file on disk") {
  TensorMap m;
  int k = 0;
  for (DType t : {DType::F64, DType::F32, DType::F16, DType::BF16, DType::F8_E4M3, DType::F8_E5M2, DType::I64,
                  DType::I32, DType::I16, DType::I8, DType::U64, DType::U32, DType::U16, DType::U8, DType::BOOL}) {
    Tensor x(t, {2, 3});
    auto* p = static_cast<uint8_t*>(x.raw());
    for (size_t i = 0; i < x.nbytes(); ++i) p[i] = static_cast<uint8_t>(t == DType::BOOL ? i % 2 : 17 * i + k);
    m.add(std::string("t_") + std::string(dtype_name(t)), x);
    ++k;
  }
  m.add("scalar", Tensor::from_vector(std::vector<float>{2.5f}, {}));
  m.add("empty", Tensor(DType::F32, {0, 4}));
  m.add("grp.x", Tensor::from_vector(std::vector<int64_t>{8, 9}, {2}));
  m.metadata = {{"format", "pt"}, {"quantized_by", "qdqrt \"int8\"\n"}};
  TempDir dir;
  const std::string path = dir / "x.safetensors";
  write_safetensors(path, m);
  TensorMap r = read_safetensors(path);
  CHECK(r.metadata == m.metadata);
  CHECK(r.names == m.names);
  for (auto& n : m.names) {
    CAPTURE(n);
    const Tensor &a = m.at(n), &b = r.at(n);
    CHECK(a.dtype() == b.dtype());
    CHECK(a.shape() == b.shape());
    CHECK(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
    CHECK(reinterpret_cast<uintptr_t>(b.raw()) % dtype_size(b.dtype()) == 0);
  }
  CHECK(r.at("scalar").data<float>()[0] == 2.5f);
  // The header is padded so the data starts 8-byte aligned, as the reference writer does.
  std::string bytes = read_file(path);
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  CHECK(n % 8 == 0);
  TensorMap g = read_tensors_arg(path + ":grp");
  CHECK(g.names == std::vector<std::string>{"x"});
  CHECK(g.at("x").data<int64_t>()[1] == 9);
}

TEST_CASE("bad safetensors inputs give specific errors") {
  const std::string f32x2 = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  CHECK(error_of(image(f32x2, std::string(8, '\0'))) == "(no error)");
  CHECK(error_of("12345").find("shorter than the 8-byte header length") != std::string::npos);
  CHECK(error_of(le_bytes(1000, 8) + "{}").find("header length 1000 runs past the end of the file") !=
        std::string::npos);
  CHECK(error_of(le_bytes(1ULL << 40, 8)).find("exceeds the 100000000 byte limit") != std::string::npos);
  CHECK(error_of(image("{\"a\": [", "")).find("header is not valid JSON") != std::string::npos);
  CHECK(error_of(image("[1, 2]", "")).find("header is not a JSON object") != std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                       R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                       std::string(12, '\0')))
            .find("have overlapping data ranges") != std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", std::string(8, '\0')))
            .find("8 bytes in data_offsets but shape [3] x F32 needs 12") != std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"Q8","shape":[2],"data_offsets":[0,2]}})", std::string(2, '\0')))
            .find("tensor 'a': unknown dtype 'Q8'") != std::string::npos);
  CHECK(error_of(image(f32x2, std::string(4, '\0'))).find("run past the end of the data (4 bytes)") !=
        std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", std::string(8, '\0')))
            .find("are reversed") != std::string::npos);
  CHECK(error_of(image(R"({"__metadata__":{"k":1}})", "")).find("__metadata__ value for 'k' is not a string") !=
        std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", std::string(8, '\0')))
            .find("shape entries must be non-negative integers") != std::string::npos);
  CHECK(error_of(image(R"({"a":{"dtype":"F32","shape":[2]}})", std::string(8, '\0')))
            .find("data_offsets must be two non-negative integers") != std::string::npos);
  CHECK_THROWS_WITH_AS(read_safetensors("/nonexistent.safetensors"),
                       doctest::Contains("/nonexistent.safetensors: cannot open"), Error);
}

TEST_CASE("unpadded header: misaligned tensors are copied, values kept") {
  std::string h = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";  // 55 bytes: data at 63
  float v = 3.25f;
  std::string img = image(h, std::string(reinterpret_cast<char*>(&v), 4));
  std::vector<uint64_t> aligned((img.size() + 7) / 8);
  std::memcpy(aligned.data(), img.data(), img.size());
  TensorMap m = parse_safetensors(reinterpret_cast<const uint8_t*>(aligned.data()), img.size(), "t", nullptr);
  CHECK(reinterpret_cast<uintptr_t>(m.at("a").raw()) % 4 == 0);
  CHECK(m.at("a").data<float>()[0] == 3.25f);
}
