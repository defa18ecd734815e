#pragma once
// BertTokenizer and ProphetNetTokenizer (they differ only in their special
// tokens and in how special tokens frame a sequence).
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "text/tokenizer.h"
#include "text/tokenizer_config.h"
#include "text/vocab.h"

namespace qdq::text {

class WordPieceTokenizer : public Tokenizer {
 public:
  // `what` names the vocabulary file in error messages.
  WordPieceTokenizer(TokenizerConfig cfg, Vocab vocab, const std::string& what);

  Encoding encode(const std::string& text, const std::optional<std::string>& pair,
                  const EncodeOptions& opts) const override;
  using Tokenizer::encode;
  std::vector<std::string> tokenize(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const override;

  int64_t pad_id() const override { return pad_id_; }
  int64_t cls_id() const override { return cls_id_; }
  int64_t sep_id() const override { return sep_id_; }
  int64_t mask_id() const override { return mask_id_; }
  int64_t unk_id() const override { return unk_id_; }
  int64_t vocab_size() const override { return vocab_.size(); }
  std::string id_to_token(int64_t id) const override;
  int64_t token_to_id(const std::string& token) const override;
  bool has_token_type_ids() const override { return cfg_.kind == "bert"; }
  int64_t model_max_length() const override { return cfg_.model_max_length; }
  std::string kind() const override { return cfg_.kind; }

 private:
  std::u32string lowercase_outside_specials(const std::u32string& text) const;
  std::vector<std::u32string> split_added(const std::u32string& text) const;
  void tokenize_plain(const std::u32string& text, std::vector<std::string>& out) const;
  std::vector<int64_t> ids_of(const std::string& text) const;
  int64_t special_id(const std::string& tok);

  TokenizerConfig cfg_;
  Vocab vocab_;
  std::vector<std::string> all_special_;        // all_special_tokens, in HF's order
  std::set<std::u32string> all_special_u32_;    // never_split passed to the basic tokenizer
  std::vector<std::u32string> lower_keep_;      // kept as written by the do_lower_case pre-pass
  std::vector<AddedToken> added_;               // _added_tokens_decoder
  std::unordered_map<std::string, size_t> added_by_content_;
  std::map<int64_t, size_t> added_by_id_;
  std::vector<std::u32string> added_u32_;
  std::set<int64_t> special_ids_;
  int64_t next_new_id_ = 0;
  int64_t pad_id_ = -1, cls_id_ = -1, sep_id_ = -1, mask_id_ = -1, unk_id_ = -1;
};

}  // namespace qdq::text
