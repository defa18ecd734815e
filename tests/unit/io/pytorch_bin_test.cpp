#include <doctest/doctest.h>

#include <cstring>
#include <set>

#include "io/atomic_file.h"
#include "io/pytorch_bin.h"
#include "io_test_util.h"

using namespace qdq;
using namespace qdq::testing;

namespace {
bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}
TensorMap load_bytes(const std::string& s) {
  return load_pytorch_bin_bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size(), "t.bin");
}
std::string error_of(const std::string& bin) {
  try {
    load_bytes(bin);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}
const std::string kSix = raw_bytes(std::vector<float>{1, 2, 3, 4, 5, 6});
}  // namespace

TEST_CASE("fixture checkpoints load identically from safetensors and pytorch_model.bin") {
  struct Case { std::string dir; std::set<std::string> tied; std::string tied_to; };
  for (const Case& c : {Case{"qdqbert-seqcls", {}, ""},
                        Case{"prophetnet",
                             {"lm_head.weight", "prophetnet.decoder.word_embeddings.weight",
                              "prophetnet.encoder.word_embeddings.weight"},
                             "prophetnet.word_embeddings.weight"}}) {
    CAPTURE(c.dir);
    const std::string d = std::string(QDQRT_FIXTURES) + "/" + c.dir;
    TensorMap st = read_safetensors(d + "/model.safetensors");
    TensorMap pt = load_pytorch_bin(d + "/pytorch_model.bin");
    size_t common = 0;
    std::set<std::string> extra;
    for (auto& n : pt.names) {
      if (st.has(n)) {
        CHECK_MESSAGE(same_bytes(st.at(n), pt.at(n)), n);
        ++common;
      } else {
        extra.insert(n);
      }
    }
    CHECK(common == st.names.size());
    CHECK(extra == c.tied);
    for (auto& n : extra) {
      CHECK(same_bytes(pt.at(n), pt.at(c.tied_to)));
      CHECK(pt.at(n).raw() == pt.at(c.tied_to).raw());  // tied: one storage, zero-copy views of it
    }
  }
  TensorMap pt = load_pytorch_bin(std::string(QDQRT_FIXTURES) + "/qdqbert-seqcls/pytorch_model.bin");
  CHECK(pt.names.front() == "bert.embeddings.word_embeddings.weight");  // pickle order kept
  CHECK(pt.at("classifier.weight").shape() == Shape{3, 64});
}

TEST_CASE("hand-made state dict: views, strided copies, dtypes, scalars") {
  std::string items = p_tensor_item("a", "0", 6, 0, {2, 3}, {3, 1}) +   // contiguous
                      p_tensor_item("at", "0", 6, 0, {3, 2}, {1, 3}) +  // transposed view
                      p_tensor_item("tail", "0", 6, 4, {2}, {1}) +      // offset
                      p_tensor_item("s", "0", 6, 5, {}, {}) +           // scalar
                      p_tensor_item("ids", "1", 2, 0, {2}, {1}, "LongStorage") +
                      p_tensor_item("empty", "1", 2, 0, {0, 5}, {5, 1}, "LongStorage");
  std::string bin = make_bin(p_state_dict(items), {{"0", kSix}, {"1", raw_bytes(std::vector<int64_t>{-7, 1LL << 40})}});
  TensorMap m = load_bytes(bin);
  REQUIRE(m.names == std::vector<std::string>{"a", "at", "tail", "s", "ids", "empty"});
  CHECK(m.at("a").data<float>()[4] == 5.0f);
  const float* at = m.at("at").data<float>();
  CHECK(std::vector<float>(at, at + 6) == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(m.at("tail").data<float>()[1] == 6.0f);
  CHECK(m.at("s").shape().empty());
  CHECK(m.at("s").data<float>()[0] == 6.0f);
  CHECK(m.at("ids").to_i64_vector() == std::vector<int64_t>{-7, 1LL << 40});
  CHECK(m.at("empty").numel() == 0);
}

TEST_CASE("bad pytorch_model.bin inputs give specific errors") {
  const std::string good_item = p_tensor_item("w", "0", 6, 0, {2, 3}, {3, 1});
  SUBCASE("truncated zip") {
    std::string fixture = read_file(std::string(QDQRT_FIXTURES) + "/qdqbert-seqcls/pytorch_model.bin");
    CHECK(error_of(fixture.substr(0, fixture.size() / 2)).find("no end of central directory") != std::string::npos);
    CHECK(error_of("PK").find("not a zip archive") != std::string::npos);
  }
  SUBCASE("compressed entry") {
    std::string zip = make_zip({{"archive/data.pkl", p_state_dict(good_item), 8}, {"archive/data/0", kSix}});
    CHECK(error_of(zip).find("'archive/data.pkl' is compressed (method 8)") != std::string::npos);
  }
  SUBCASE("forbidden global os.system, nothing executed") {
    std::string pkl = std::string("\x80\x02") + "cos\nsystem\n" + p_str("touch /tmp/qdqrt_pwned") + "\x85R.";
    CHECK(error_of(make_bin(pkl, {})) == "t.bin: pickle asks for forbidden global os.system");
    CHECK(!std::filesystem::exists("/tmp/qdqrt_pwned"));
    std::string legacy = std::string("\x80\x02") + "ctorch.storage\n_load_from_bytes\n.";
    CHECK(error_of(make_bin(legacy, {})).find("forbidden global torch.storage._load_from_bytes") != std::string::npos);
  }
  SUBCASE("truncated pickle stream") {
    std::string pkl = p_state_dict(good_item);
    CHECK(error_of(make_bin(pkl.substr(0, pkl.size() / 2), {{"0", kSix}})).find("pickle stream is truncated") !=
          std::string::npos);
  }
  SUBCASE("persistent id naming a missing storage") {
    CHECK(error_of(make_bin(p_state_dict(p_tensor_item("w", "7", 6, 0, {6}, {1})), {{"0", kSix}}))
              .find("refers to storage '7' but the archive has no archive/data/7") != std::string::npos);
  }
  SUBCASE("storage size does not match numel") {
    CHECK(error_of(make_bin(p_state_dict(p_tensor_item("w", "0", 7, 0, {6}, {1})), {{"0", kSix}}))
              .find("storage '0' holds 24 bytes, but 7 elements of F32 need 28") != std::string::npos);
  }
  SUBCASE("tensor extent past its storage") {
    CHECK(error_of(make_bin(p_state_dict(p_tensor_item("w", "0", 6, 2, {2, 3}, {3, 1})), {{"0", kSix}}))
              .find("runs past storage '0' (6 elements)") != std::string::npos);
    CHECK(error_of(make_bin(p_state_dict(p_tensor_item("w", "0", 6, 0, {3, 2}, {1, 3})), {{"0", kSix}}))
              .find("(no error)") != std::string::npos);
    CHECK(error_of(make_bin(p_state_dict(p_tensor_item("w", "0", 6, 0, {3, 3}, {1, 3})), {{"0", kSix}}))
              .find("runs past storage") != std::string::npos);
  }
  SUBCASE("top level is not a dict") {
    CHECK(error_of(make_bin("\x80\x02]." , {})).find("top level is not a dict") != std::string::npos);
  }
  SUBCASE("stack underflow and unknown opcodes") {
    CHECK(error_of(make_bin("\x80\x02R.", {})).find("stack underflow") != std::string::npos);
    CHECK(error_of(make_bin("\x80\x02i.", {})).find("unsupported pickle opcode 0x69") != std::string::npos);
  }
  SUBCASE("no data.pkl") {
    CHECK(error_of(make_zip({{"x/y", "z"}})).find("no <name>/data.pkl") != std::string::npos);
  }
  SUBCASE("entry data past the end of the archive") {
    std::string zip = make_bin(p_state_dict(good_item), {{"0", kSix}});
    // Grow the central size field of the first entry (local header sizes are not trusted).
    size_t cd = zip.find(std::string("PK\x01\x02", 4));
    zip[cd + 20] = zip[cd + 24] = '\x7f';
    zip[cd + 21] = zip[cd + 25] = '\x7f';
    CHECK(error_of(zip).find("runs past the end of the archive") != std::string::npos);
  }
  SUBCASE("missing file") {
    CHECK_THROWS_WITH_AS(load_pytorch_bin("/nonexistent/pytorch_model.bin"),
                         doctest::Contains("/nonexistent/pytorch_model.bin: cannot open"), Error);
  }
}
