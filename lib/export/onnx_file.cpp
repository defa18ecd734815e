#include "export/onnx_file.h"

#include <onnx/checker.h>
#include <onnx/shape_inference/implementation.h>

#include <filesystem>
#include <optional>

#include "core/error.h"
#include "io/atomic_file.h"

namespace qdq::onnx_export {

namespace fs = std::filesystem;

void check_onnx(onnx::ModelProto& m, const std::string& what) {
  try {
    onnx::ShapeInferenceOptions strict(/*check_type=*/true, /*strict_mode=*/1, /*data_prop=*/false);
    onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), strict);
    onnx::checker::check_model(m);
  } catch (const std::exception& e) {
    throw Error("ONNX export of {}: the graph fails ONNX's checks: {}", what, e.what());
  }
}

namespace {

// Protobuf refuses to serialize messages of 2 GiB or more; keep a margin for the graph itself.
constexpr size_t kInlineLimit = (size_t{2} << 30) - (size_t{64} << 20);
constexpr size_t kExternalThreshold = 1024;

size_t raw_bytes(const onnx::ModelProto& m) {
  size_t n = 0;
  for (const auto& t : m.graph().initializer()) n += t.raw_data().size();
  return n;
}

}  // namespace

std::string save_onnx(onnx::ModelProto& m, const std::string& path, ExternalData ext) {
  const bool external = ext == ExternalData::Always || (ext == ExternalData::Auto && raw_bytes(m) > kInlineLimit);
  std::string data_name;
  std::optional<AtomicFile> data;
  if (external) {
    data_name = fs::path(path).filename().string() + ".data";
    data.emplace((fs::path(path).parent_path() / data_name).string());
    uint64_t offset = 0;
    for (auto& t : *m.mutable_graph()->mutable_initializer()) {
      const std::string& raw = t.raw_data();
      if (raw.size() < kExternalThreshold) continue;
      // onnx.external_data_helper aligns nothing by default; we align to 4 KiB so readers can mmap.
      const uint64_t pad = (4096 - offset % 4096) % 4096;
      if (pad) {
        const std::string zeros(pad, '\0');
        data->write(zeros);
        offset += pad;
      }
      data->write(raw.data(), raw.size());
      auto add = [&](const char* k, const std::string& v) {
        auto* e = t.add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", data_name);
      add("offset", std::to_string(offset));
      add("length", std::to_string(raw.size()));
      offset += raw.size();
      t.clear_raw_data();
      t.set_data_location(onnx::TensorProto_DataLocation_EXTERNAL);
    }
  }
  std::string bytes;
  check(m.SerializeToString(&bytes), "{}: the ONNX model could not be serialized", path);
  AtomicFile f(path);
  f.write(bytes);
  if (data) data->commit();
  f.commit();
  return data_name;
}

}  // namespace qdq::onnx_export
