#pragma once
// WordPiece tokenizers bit-exact with Hugging Face transformers 4.37.2's slow
// BertTokenizer and ProphetNetTokenizer: tokenize, encode (special tokens,
// truncation, padding) and decode.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/safetensors.h"

namespace qdq::text {

struct Encoding {
  std::vector<std::string> tokens;  // convert_ids_to_tokens(input_ids)
  std::vector<int64_t> input_ids, token_type_ids, attention_mask;
  std::vector<int64_t> overflowing_tokens;  // filled when truncation removed tokens
};

// The keyword arguments of `tok(text, text_pair, **kwargs)`.
struct EncodeOptions {
  bool add_special_tokens = true;
  std::optional<int64_t> max_length;
  // "longest_first", "only_first", "only_second" or "do_not_truncate"; used
  // when `truncate` is set (HF: truncation=True means "longest_first").
  std::string truncation = "longest_first";
  // false is HF's truncation=None: then, as HF does, a max_length without
  // padding still truncates with "longest_first".
  bool truncate = false;
  // "do_not_pad", "longest" (a single sequence: no-op) or "max_length".
  std::string padding = "do_not_pad";
  int64_t stride = 0;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // `tok(text, text_pair, **opts)`. Error when text is not UTF-8.
  virtual Encoding encode(const std::string& text, const std::optional<std::string>& pair,
                          const EncodeOptions& opts) const = 0;
  Encoding encode(const std::string& text) const { return encode(text, std::nullopt, EncodeOptions{}); }
  // `tok.tokenize(text)`: word pieces without special tokens.
  virtual std::vector<std::string> tokenize(const std::string& text) const = 0;
  // `tok.decode(ids, skip_special_tokens, clean_up_tokenization_spaces=True)`.
  virtual std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const = 0;

  virtual int64_t pad_id() const = 0;
  virtual int64_t cls_id() const = 0;  // -1 when the tokenizer has no [CLS] (ProphetNet)
  virtual int64_t sep_id() const = 0;
  virtual int64_t mask_id() const = 0;
  virtual int64_t unk_id() const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual std::string id_to_token(int64_t id) const = 0;  // unk token for unknown ids
  virtual int64_t token_to_id(const std::string& token) const = 0;  // unk id for unknown tokens
  virtual bool has_token_type_ids() const = 0;
  // tokenizer_config.json's model_max_length; -1 when unset or HF's "very large" sentinel.
  virtual int64_t model_max_length() const = 0;
  virtual std::string kind() const = 0;  // "bert" or "prophetnet"
};

// Picks the tokenizer from the files in model_dir: vocab.txt -> BERT,
// prophetnet.tokenizer -> ProphetNet (both present: config.json's model_type
// decides). kind "bert" / "prophetnet" forces one. tokenizer_config.json is
// read when its tokenizer_class fits the kind.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir, const std::string& kind = "");

// Right-pads encodings into I64 [B, maxlen] tensors input_ids, attention_mask
// and (with_token_type_ids) token_type_ids.
TensorMap pad_batch(const std::vector<Encoding>& batch, int64_t pad_id, bool with_token_type_ids);

}  // namespace qdq::text
