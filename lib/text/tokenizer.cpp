#include "text/tokenizer.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "text/tokenizer_config.h"
#include "text/wordpiece_tokenizer.h"

namespace qdq::text {

namespace fs = std::filesystem;

namespace {

// config.json's model_type, "" when absent or unreadable (the model loader
// reports a bad config.json; here it is only a hint).
std::string model_type(const fs::path& dir) {
  fs::path p = dir / "config.json";
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return "";
  try {
    auto j = nlohmann::json::parse(read_file(p.string()));
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
      return j["model_type"].get<std::string>();
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir, const std::string& kind_in) {
  fs::path dir(model_dir);
  std::error_code ec;
  check(fs::is_directory(dir, ec), "{}: not a directory", model_dir);
  fs::path bert_vocab = dir / "vocab.txt", pn_vocab = dir / "prophetnet.tokenizer";
  bool has_bert = fs::is_regular_file(bert_vocab, ec), has_pn = fs::is_regular_file(pn_vocab, ec);
  std::string kind = kind_in;
  if (kind.empty()) {
    check(has_bert || has_pn, "{}: no vocab.txt or prophetnet.tokenizer", model_dir);
    if (has_bert && has_pn)
      kind = model_type(dir) == "prophetnet" ? "prophetnet" : "bert";
    else
      kind = has_bert ? "bert" : "prophetnet";
  }
  check(kind == "bert" || kind == "prophetnet", "tokenizer kind '{}': expected bert or prophetnet", kind);
  const fs::path& vocab_path = kind == "bert" ? bert_vocab : pn_vocab;
  check(kind == "bert" ? has_bert : has_pn, "{}: no {}", model_dir, vocab_path.filename().string());

  TokenizerConfig cfg = default_config(kind);
  fs::path tc = dir / "tokenizer_config.json";
  if (fs::is_regular_file(tc, ec)) apply_tokenizer_config(cfg, tc.string());
  return std::make_unique<WordPieceTokenizer>(std::move(cfg), load_vocab_file(vocab_path.string()),
                                              vocab_path.string());
}

TensorMap pad_batch(const std::vector<Encoding>& batch, int64_t pad_id, bool with_token_type_ids) {
  int64_t b = static_cast<int64_t>(batch.size()), len = 0;
  for (const auto& e : batch) len = std::max<int64_t>(len, static_cast<int64_t>(e.input_ids.size()));
  Tensor ids(DType::I64, {b, len}), mask(DType::I64, {b, len}), types(DType::I64, {b, len});
  int64_t* pi = ids.data<int64_t>();
  int64_t* pm = mask.data<int64_t>();
  int64_t* pt = types.data<int64_t>();
  for (int64_t r = 0; r < b; ++r) {
    const Encoding& e = batch[r];
    for (int64_t c = 0; c < len; ++c) {
      size_t k = static_cast<size_t>(c);
      bool in = k < e.input_ids.size();
      pi[r * len + c] = in ? e.input_ids[k] : pad_id;
      pm[r * len + c] = in ? (k < e.attention_mask.size() ? e.attention_mask[k] : 1) : 0;
      pt[r * len + c] = in && k < e.token_type_ids.size() ? e.token_type_ids[k] : 0;
    }
  }
  TensorMap m;
  m.add("input_ids", ids);
  m.add("attention_mask", mask);
  if (with_token_type_ids) m.add("token_type_ids", types);
  return m;
}

}  // namespace qdq::text
