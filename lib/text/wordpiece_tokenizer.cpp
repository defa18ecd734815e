#include "text/wordpiece_tokenizer.h"

#include <algorithm>

#include "core/error.h"
#include "text/basic_tokenizer.h"
#include "text/decode.h"
#include "text/prepare.h"
#include "text/unicode.h"
#include "io/utf8.h"

namespace qdq::text {

namespace {

std::u32string decode_text(const std::string& s) {
  if (!is_valid_utf8(s)) utf8_decode(s);  // throws with the byte offset
  return utf8_decode(s);
}

void py_lstrip(std::u32string& s) {
  size_t b = 0;
  while (b < s.size() && is_py_space(s[b])) ++b;
  s.erase(0, b);
}

void py_rstrip(std::u32string& s) {
  size_t e = s.size();
  while (e > 0 && is_py_space(s[e - 1])) --e;
  s.resize(e);
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(TokenizerConfig cfg, Vocab vocab, const std::string& what)
    : cfg_(std::move(cfg)), vocab_(std::move(vocab)) {
  check(vocab_.find(cfg_.unk) >= 0, "{}: vocabulary has no unknown token '{}'", what, cfg_.unk);
  next_new_id_ = static_cast<int64_t>(vocab_.by_id.size());
  for (const auto& a : cfg_.added)
    if (a.id >= next_new_id_) next_new_id_ = a.id + 1;

  // SPECIAL_TOKENS_ATTRIBUTES order: unk, sep, pad, cls, mask, additional.
  for (const std::string* s : {&cfg_.unk, &cfg_.sep, &cfg_.pad, &cfg_.cls, &cfg_.mask})
    if (!s->empty() && std::find(all_special_.begin(), all_special_.end(), *s) == all_special_.end())
      all_special_.push_back(*s);
  for (const auto& s : cfg_.additional_special)
    if (std::find(all_special_.begin(), all_special_.end(), s) == all_special_.end()) all_special_.push_back(s);

  // _added_tokens_decoder: the config's entries, then the special tokens not in it.
  for (const auto& a : cfg_.added) {
    if (added_by_content_.count(a.content)) continue;
    AddedToken t = a;
    if (t.id < 0) t.id = vocab_.find(t.content) >= 0 ? vocab_.find(t.content) : next_new_id_++;
    added_by_content_[t.content] = added_.size();
    added_by_id_[t.id] = added_.size();
    added_.push_back(std::move(t));
  }
  for (const auto& s : all_special_) special_id(s);

  for (const auto& s : all_special_) {
    all_special_u32_.insert(utf8_decode(s));
    lower_keep_.push_back(utf8_decode(s));
    special_ids_.insert(token_to_id(s));
  }
  for (const auto& a : added_) {
    added_u32_.push_back(utf8_decode(a.content));
    if (!a.special && a.normalized) lower_keep_.push_back(utf8_decode(a.content));
  }
  unk_id_ = token_to_id(cfg_.unk);
  sep_id_ = cfg_.sep.empty() ? -1 : token_to_id(cfg_.sep);
  pad_id_ = cfg_.pad.empty() ? -1 : token_to_id(cfg_.pad);
  cls_id_ = cfg_.cls.empty() ? -1 : token_to_id(cfg_.cls);
  mask_id_ = cfg_.mask.empty() ? -1 : token_to_id(cfg_.mask);
  check(sep_id_ >= 0, "{}: the tokenizer needs a sep token", what);
  check(cfg_.kind != "bert" || cls_id_ >= 0, "{}: the tokenizer needs a cls token", what);
}

// A special token joins _added_tokens_decoder with its vocabulary id (a new id
// past the vocabulary when it is missing), as PreTrainedTokenizer._add_tokens does.
int64_t WordPieceTokenizer::special_id(const std::string& tok) {
  auto it = added_by_content_.find(tok);
  if (it != added_by_content_.end()) return added_[it->second].id;
  AddedToken t;
  t.content = tok;
  t.special = true;
  int64_t v = vocab_.find(tok);
  t.id = v >= 0 ? v : next_new_id_++;
  added_by_content_[tok] = added_.size();
  added_by_id_[t.id] = added_.size();
  added_.push_back(t);
  return t.id;
}

std::string WordPieceTokenizer::id_to_token(int64_t id) const {
  auto it = added_by_id_.find(id);
  if (it != added_by_id_.end()) return added_[it->second].content;
  const std::string* t = vocab_.token(id);
  return t ? *t : cfg_.unk;
}

int64_t WordPieceTokenizer::token_to_id(const std::string& token) const {
  auto it = added_by_content_.find(token);
  if (it != added_by_content_.end()) return added_[it->second].id;
  int64_t v = vocab_.find(token);
  return v >= 0 ? v : vocab_.find(cfg_.unk);
}

// tokenize()'s do_lower_case pre-pass: re.sub("(special|...)|(.+?)") lowercases
// every other character on its own (so no final-sigma context).
std::u32string WordPieceTokenizer::lowercase_outside_specials(const std::u32string& text) const {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool kept = false;
    for (const auto& s : lower_keep_) {
      if (!s.empty() && text.compare(i, s.size(), s) == 0) {
        out += s;
        i += s.size();
        kept = true;
        break;
      }
    }
    if (kept) continue;
    out += py_lower(std::u32string_view(text).substr(i, 1));
    ++i;
  }
  return out;
}

// tokens_trie.split: pieces of text and added tokens, the leftmost (then
// longest) added token first; no empty pieces.
std::vector<std::u32string> WordPieceTokenizer::split_added(const std::u32string& text) const {
  std::vector<std::u32string> out;
  size_t start = 0, i = 0;
  while (i < text.size()) {
    size_t best = 0;
    for (const auto& a : added_u32_)
      if (a.size() > best && text.compare(i, a.size(), a) == 0) best = a.size();
    if (best == 0) {
      ++i;
      continue;
    }
    if (i > start) out.push_back(text.substr(start, i - start));
    out.push_back(text.substr(i, best));
    i += best;
    start = i;
  }
  if (start < text.size()) out.push_back(text.substr(start));
  return out;
}

void WordPieceTokenizer::tokenize_plain(const std::u32string& text, std::vector<std::string>& out) const {
  if (!cfg_.do_basic_tokenize) {
    for (const auto& w : whitespace_split(text)) wordpiece(w, vocab_, cfg_.unk, cfg_.max_input_chars_per_word, out);
    return;
  }
  for (const auto& tok : basic_tokenize(cfg_.basic, text, all_special_u32_)) {
    if (cfg_.basic.never_split.count(tok))
      out.push_back(utf8_encode(tok));
    else
      wordpiece(tok, vocab_, cfg_.unk, cfg_.max_input_chars_per_word, out);
  }
}

std::vector<std::string> WordPieceTokenizer::tokenize(const std::string& input) const {
  std::u32string text = decode_text(input);
  // BertTokenizer has a do_lower_case attribute, ProphetNetTokenizer does not.
  if (cfg_.kind == "bert" && cfg_.basic.do_lower_case) text = lowercase_outside_specials(text);
  std::vector<std::u32string> pieces = split_added(text);
  auto is_added = [&](const std::u32string& p) { return added_by_content_.count(utf8_encode(p)) != 0; };
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (!is_added(pieces[i])) continue;
    const AddedToken& a = added_[added_by_content_.at(utf8_encode(pieces[i]))];
    // As in HF, the single_word tests look at the neighbours before stripping.
    const std::u32string left = i > 0 ? pieces[i - 1] : U"", right = i + 1 < pieces.size() ? pieces[i + 1] : U"";
    if (a.rstrip && !right.empty()) py_lstrip(pieces[i + 1]);
    if (a.lstrip && !left.empty()) py_rstrip(pieces[i - 1]);
    if (a.single_word && !left.empty() && left.back() != U' ') {
      pieces[i - 1] += pieces[i];
      pieces[i].clear();
    } else if (a.single_word && !right.empty() && right.front() != U' ') {
      pieces[i] += right;
      pieces[i + 1].clear();
    }
  }
  std::vector<std::string> out;
  for (const auto& p : pieces) {
    if (p.empty()) continue;
    if (is_added(p))
      out.push_back(utf8_encode(p));
    else
      tokenize_plain(p, out);
  }
  return out;
}

std::vector<int64_t> WordPieceTokenizer::ids_of(const std::string& text) const {
  std::vector<int64_t> ids;
  for (const auto& t : tokenize(text)) ids.push_back(token_to_id(t));
  return ids;
}

Encoding WordPieceTokenizer::encode(const std::string& text, const std::optional<std::string>& pair,
                                    const EncodeOptions& opts) const {
  SpecialLayout lay;
  const bool bert = cfg_.kind == "bert";
  const int64_t cls = cls_id_, sep = sep_id_;
  lay.build = [bert, cls, sep](const std::vector<int64_t>& a, const std::vector<int64_t>* b) {
    std::vector<int64_t> r;
    if (bert) r.push_back(cls);
    r.insert(r.end(), a.begin(), a.end());
    r.push_back(sep);
    if (b) {
      r.insert(r.end(), b->begin(), b->end());
      r.push_back(sep);
    }
    return r;
  };
  lay.type_ids = [bert](const std::vector<int64_t>& a, const std::vector<int64_t>* b) {
    std::vector<int64_t> r(a.size() + (bert ? 2 : 1), 0);
    if (b) r.insert(r.end(), b->size() + 1, 1);
    return r;
  };
  lay.num_special_single = bert ? 2 : 1;
  lay.num_special_pair = bert ? 3 : 2;
  lay.return_token_type_ids = bert;
  lay.pad_id = pad_id_;
  lay.model_max_length = cfg_.model_max_length;
  std::optional<std::vector<int64_t>> pair_ids;
  if (pair) pair_ids = ids_of(*pair);
  Encoding e = prepare_for_model(ids_of(text), std::move(pair_ids), opts, lay);
  for (int64_t id : e.input_ids) e.tokens.push_back(id_to_token(id));
  return e;
}

std::string WordPieceTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> sub_texts, current;
  for (int64_t id : ids) {
    if (skip_special_tokens && special_ids_.count(id)) continue;
    std::string tok = id_to_token(id);
    auto it = added_by_content_.find(tok);
    // Non-special added tokens are decoded apart ("legacy added tokens").
    bool legacy = it != added_by_content_.end() && !added_[it->second].special &&
                  std::find(all_special_.begin(), all_special_.end(), tok) == all_special_.end();
    if (legacy) {
      if (!current.empty()) {
        std::string s = wordpiece_tokens_to_string(current);
        if (!s.empty()) sub_texts.push_back(s);
        current.clear();
      }
      sub_texts.push_back(tok);
    } else {
      current.push_back(std::move(tok));
    }
  }
  if (!current.empty()) sub_texts.push_back(wordpiece_tokens_to_string(current));
  std::string text;
  for (size_t i = 0; i < sub_texts.size(); ++i) {
    if (i) text += ' ';
    text += sub_texts[i];
  }
  return clean_up_tokenization(std::move(text));
}

}  // namespace qdq::text
