#include "text/tokenizer_config.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "text/unicode.h"
#include "io/utf8.h"

namespace qdq::text {

using nlohmann::json;

TokenizerConfig default_config(const std::string& kind) {
  TokenizerConfig c;
  c.kind = kind;
  if (kind == "prophetnet") c.cls.clear();  // ProphetNetTokenizer has no cls_token
  return c;
}

namespace {

bool get_bool(const json& j, const char* key, bool& out, const std::string& path) {
  if (!j.contains(key) || j[key].is_null()) return false;
  check(j[key].is_boolean(), "{}: '{}' must be true or false", path, key);
  out = j[key].get<bool>();
  return true;
}

std::u32string to_u32(const std::string& s, const std::string& path) {
  check(is_valid_utf8(s), "{}: a token is not valid UTF-8", path);
  return utf8_decode(s);
}

// A special token is a string or an AddedToken dict {"content": ...}.
void get_token(const json& j, const char* key, std::string& out, const std::string& path) {
  if (!j.contains(key)) return;
  const json& v = j[key];
  if (v.is_null()) {
    out.clear();
  } else if (v.is_string()) {
    out = v.get<std::string>();
  } else if (v.is_object() && v.contains("content") && v["content"].is_string()) {
    out = v["content"].get<std::string>();
  } else {
    throw Error("{}: '{}' must be a string or an object with a 'content' string", path, key);
  }
}

}  // namespace

void apply_tokenizer_config(TokenizerConfig& c, const std::string& path) {
  json j;
  try {
    j = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw Error("{}: invalid JSON ({})", path, e.what());
  }
  check(j.is_object(), "{}: expected a JSON object", path);
  if (j.contains("tokenizer_class") && j["tokenizer_class"].is_string()) {
    std::string cls = j["tokenizer_class"].get<std::string>();
    bool prophet = cls.rfind("ProphetNet", 0) == 0, bert = cls.rfind("Bert", 0) == 0;
    if ((c.kind == "bert" && prophet) || (c.kind == "prophetnet" && bert)) return;  // the other side's config
  }
  get_bool(j, "do_lower_case", c.basic.do_lower_case, path);
  get_bool(j, "do_basic_tokenize", c.do_basic_tokenize, path);
  get_bool(j, "tokenize_chinese_chars", c.basic.tokenize_chinese_chars, path);
  get_bool(j, "do_split_on_punc", c.basic.do_split_on_punc, path);
  bool sa;
  if (get_bool(j, "strip_accents", sa, path)) c.basic.strip_accents = sa;
  if (j.contains("never_split") && !j["never_split"].is_null()) {
    check(j["never_split"].is_array(), "{}: 'never_split' must be a list of strings", path);
    for (const json& t : j["never_split"]) {
      check(t.is_string(), "{}: 'never_split' must be a list of strings", path);
      c.basic.never_split.insert(to_u32(t.get<std::string>(), path));
    }
  }
  get_token(j, "unk_token", c.unk, path);
  get_token(j, "sep_token", c.sep, path);
  get_token(j, "pad_token", c.pad, path);
  get_token(j, "mask_token", c.mask, path);
  if (c.kind == "bert") get_token(j, "cls_token", c.cls, path);
  if (j.contains("additional_special_tokens") && j["additional_special_tokens"].is_array()) {
    for (const json& t : j["additional_special_tokens"]) {
      std::string s;
      json wrap = {{"t", t}};
      get_token(wrap, "t", s, path);
      if (!s.empty()) c.additional_special.push_back(s);
    }
  }
  if (j.contains("model_max_length") && j["model_max_length"].is_number()) {
    double m = j["model_max_length"].get<double>();
    check(m >= 0, "{}: 'model_max_length' must not be negative", path);
    // transformers treats anything above LARGE_INTEGER (1e20) as "no limit".
    c.model_max_length = m > 1e20 ? -1 : m > 9e18 ? INT64_MAX : j["model_max_length"].get<int64_t>();
  }
  if (j.contains("added_tokens_decoder") && j["added_tokens_decoder"].is_object()) {
    for (auto& [key, v] : j["added_tokens_decoder"].items()) {
      AddedToken a;
      try {
        size_t used = 0;
        a.id = std::stoll(key, &used);
        check(used == key.size() && a.id >= 0, "");
      } catch (const std::exception&) {
        throw Error("{}: added_tokens_decoder key '{}' is not a token id", path, key);
      }
      check(v.is_object() && v.contains("content") && v["content"].is_string(),
            "{}: added_tokens_decoder['{}'] needs a 'content' string", path, key);
      a.content = v["content"].get<std::string>();
      to_u32(a.content, path);
      get_bool(v, "lstrip", a.lstrip, path);
      get_bool(v, "rstrip", a.rstrip, path);
      get_bool(v, "single_word", a.single_word, path);
      get_bool(v, "normalized", a.normalized, path);
      get_bool(v, "special", a.special, path);
      if (!a.content.empty()) c.added.push_back(std::move(a));
    }
  }
}

}  // namespace qdq::text
