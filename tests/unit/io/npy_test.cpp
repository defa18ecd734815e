#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "io_test_util.h"

using namespace qdq;
using namespace qdq::testing;

namespace {
struct Parsed {
  std::string header;  // the dict text, padding stripped
  std::string data;
};
// Reads back what serialize_npy wrote, checking the framing NumPy relies on.
Parsed parse(const std::string& b) {
  REQUIRE(b.size() >= 10);
  CHECK(b.compare(0, 6, "\x93NUMPY") == 0);
  CHECK(b[6] == 1);
  CHECK(b[7] == 0);
  size_t hlen = static_cast<uint8_t>(b[8]) | (static_cast<uint8_t>(b[9]) << 8);
  CHECK((10 + hlen) % 64 == 0);
  REQUIRE(b.size() >= 10 + hlen);
  std::string h = b.substr(10, hlen);
  CHECK(h.back() == '\n');
  h.erase(h.find_last_not_of(" \n") + 1);
  return {h, b.substr(10 + hlen)};
}
}  // namespace

TEST_CASE("npy header and data for several dtypes and ranks") {
  Tensor f = Tensor::from_vector(std::vector<float>{1.5f, -2, 3, 4, 5, 6}, {2, 3});
  Parsed p = parse(serialize_npy(f));
  CHECK(p.header == "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }");
  REQUIRE(p.data.size() == 24);
  float first;
  std::memcpy(&first, p.data.data(), 4);
  CHECK(first == 1.5f);

  CHECK(parse(serialize_npy(Tensor::from_vector(std::vector<int64_t>{7, 8, 9}, {3}))).header ==
        "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }");
  CHECK(parse(serialize_npy(Tensor::from_vector(std::vector<int32_t>{7}, {}))).header ==
        "{'descr': '<i4', 'fortran_order': False, 'shape': (), }");
  CHECK(parse(serialize_npy(Tensor(DType::I8, {1, 2, 3, 4}))).header ==
        "{'descr': '|i1', 'fortran_order': False, 'shape': (1, 2, 3, 4), }");
  CHECK(parse(serialize_npy(Tensor(DType::U8, {0}))).data.empty());
  CHECK(npy_descr(DType::BOOL) == "|b1");
  CHECK(npy_descr(DType::F16) == "<f2");
  CHECK_THROWS_WITH_AS(serialize_npy(Tensor(DType::BF16, {2})), doctest::Contains("NumPy has no dtype for BF16"),
                       Error);
}

TEST_CASE("write_npy writes atomically and leaves nothing on error") {
  TempDir d;
  Tensor t = Tensor::from_vector(std::vector<int32_t>{1, 2, 3, 4}, {2, 2});
  write_npy(d / "a.npy", t);
  CHECK(read_file(d / "a.npy") == serialize_npy(t));
  CHECK_THROWS_AS(write_npy(d / "b.npy", Tensor(DType::BF16, {2})), Error);
  CHECK(std::distance(std::filesystem::directory_iterator(d.path), std::filesystem::directory_iterator()) == 1);
  CHECK_THROWS_WITH_AS(write_npy(d / "no/such/dir/c.npy", t), doctest::Contains("does not exist"), Error);
}
