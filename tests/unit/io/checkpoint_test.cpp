#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/checkpoint.h"
#include "io/pytorch_bin.h"
#include "io_test_util.h"

using namespace qdq;
using namespace qdq::testing;
namespace fs = std::filesystem;

namespace {
const std::string kSeqcls = std::string(QDQRT_FIXTURES) + "/qdqbert-seqcls";

std::string ckpt_error(const std::string& dir) {
  try {
    load_checkpoint(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// A checkpoint dir with config.json and the fixture split over two safetensors shards.
void make_sharded(const TempDir& d, const std::string& index_extra = "") {
  fs::copy_file(kSeqcls + "/config.json", d / "config.json");
  TensorMap all = read_safetensors(kSeqcls + "/model.safetensors");
  TensorMap a, b;
  nlohmann::json idx = {{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
  for (size_t i = 0; i < all.names.size(); ++i) {
    const std::string& n = all.names[i];
    (i % 2 ? b : a).add(n, all.at(n));
    idx["weight_map"][n] = i % 2 ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
  }
  write_safetensors(d / "model-00001-of-00002.safetensors", a);
  write_safetensors(d / "model-00002-of-00002.safetensors", b);
  std::string text = idx.dump();
  if (!index_extra.empty()) text = text.substr(0, text.size() - 2) + "," + index_extra + "}}";
  write_file_atomic(d / "model.safetensors.index.json", text);
}
}  // namespace

TEST_CASE("checkpoint dir loads from safetensors, .bin and a sharded index to the same weights") {
  Checkpoint st = load_checkpoint(kSeqcls);
  CHECK(st.config["model_type"] == "qdqbert");
  CHECK(st.weights_file == kSeqcls + "/model.safetensors");
  TempDir bin_dir;
  fs::copy_file(kSeqcls + "/config.json", bin_dir / "config.json");
  fs::copy_file(kSeqcls + "/pytorch_model.bin", bin_dir / "pytorch_model.bin");
  TempDir sharded;
  make_sharded(sharded);
  for (const std::string& dir : {bin_dir.path.string(), sharded.path.string()}) {
    CAPTURE(dir);
    Checkpoint other = load_checkpoint(dir);
    CHECK(other.weights.names.size() == st.weights.names.size());
    for (auto& n : st.weights.names) {
      CAPTURE(n);
      REQUIRE(other.weights.has(n));
      const Tensor &a = st.weights.at(n), &b = other.weights.at(n);
      CHECK(a.shape() == b.shape());
      CHECK(std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0);
    }
  }
  CHECK(load_checkpoint(sharded.path.string()).weights_file == sharded / "model.safetensors.index.json");
}

TEST_CASE("bad checkpoint directories give specific errors") {
  TempDir d;
  CHECK(ckpt_error(d / "nope").find("no such directory") != std::string::npos);
  write_file_atomic(d / "file", "x");
  CHECK(ckpt_error(d / "file").find("file: not a directory") != std::string::npos);
  CHECK(ckpt_error(d.path.string()).find("no config.json") != std::string::npos);
  write_file_atomic(d / "config.json", "{\"model_type\": ");
  CHECK(ckpt_error(d.path.string()).find("config.json: not valid JSON") != std::string::npos);
  write_file_atomic(d / "config.json", "[1]");
  CHECK(ckpt_error(d.path.string()).find("config.json is not a JSON object") != std::string::npos);
  write_file_atomic(d / "config.json", "{}");
  CHECK(ckpt_error(d.path.string()).find("no weights (model.safetensors") != std::string::npos);
}

TEST_CASE("bad sharded indexes give specific errors") {
  SUBCASE("missing shard") {
    TempDir d;
    make_sharded(d);
    fs::remove(d / "model-00002-of-00002.safetensors");
    CHECK(ckpt_error(d.path.string()).find("shard 'model-00002-of-00002.safetensors' does not exist") !=
          std::string::npos);
  }
  SUBCASE("shard name with a path separator") {
    TempDir d;
    make_sharded(d, R"("x": "../etc/passwd")");
    CHECK(ckpt_error(d.path.string()).find("shard name '../etc/passwd' is not a plain file name") !=
          std::string::npos);
  }
  SUBCASE("tensor not in its shard") {
    TempDir d;
    make_sharded(d, R"("ghost.weight": "model-00001-of-00002.safetensors")");
    CHECK(ckpt_error(d.path.string()).find("tensor 'ghost.weight' is not in shard") != std::string::npos);
  }
  SUBCASE("no weight_map") {
    TempDir d;
    make_sharded(d);
    write_file_atomic(d / "model.safetensors.index.json", "{}");
    CHECK(ckpt_error(d.path.string()).find("no weight_map object") != std::string::npos);
  }
}

TEST_CASE("WeightStore: prefixes, shapes, missing and unexpected weights") {
  Checkpoint ck = load_checkpoint(kSeqcls);
  WeightStore ws(ck, {"bert."});
  CHECK(ws.take("embeddings.LayerNorm.weight", {64}).shape() == Shape{64});  // found under "bert."
  CHECK(ws.has("bert.pooler.dense.bias"));
  CHECK_THROWS_WITH_AS(ws.take("encoder.layer.9.output.dense.weight", {64, 256}),
                       doctest::Contains("model.safetensors: missing weight 'encoder.layer.9.output.dense.weight'"),
                       Error);
  CHECK_THROWS_WITH_AS(ws.take("classifier.weight", {64, 3}),
                       doctest::Contains("weight 'classifier.weight' has shape [3, 64], the config needs [64, 3]"),
                       Error);
  CHECK(!ws.take_optional("classifier.nothing", {3}).has_value());
  CHECK_THROWS_WITH_AS(ws.finish(), doctest::Contains("unexpected weights"), Error);
  ws.ignore_prefix("");
  CHECK_NOTHROW(ws.finish());
  WeightStore one(ck);
  one.ignore_prefix("bert.");
  one.take("classifier.weight", {3, 64});
  CHECK_THROWS_WITH_AS(one.finish(), doctest::Contains("unexpected weight classifier.bias"), Error);
}

TEST_CASE("WeightStore on a .bin: tied duplicates of used weights are not unexpected") {
  const std::string d = std::string(QDQRT_FIXTURES) + "/prophetnet";
  TempDir bin_dir;
  std::filesystem::copy_file(d + "/config.json", bin_dir / "config.json");
  std::filesystem::copy_file(d + "/pytorch_model.bin", bin_dir / "pytorch_model.bin");
  Checkpoint ck = load_checkpoint(bin_dir.path.string());
  TensorMap st = read_safetensors(d + "/model.safetensors");
  CHECK(ck.weights.names.size() == st.names.size() + 3);
  WeightStore ws(ck);
  for (auto& n : st.names) ws.take(n, st.at(n).shape());
  CHECK_NOTHROW(ws.finish());
}
