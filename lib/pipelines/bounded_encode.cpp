#include "pipelines/bounded_encode.h"

namespace qdq::pipelines {

std::string token_prefix(const text::Tokenizer& tok, const std::string& text, int64_t limit, int64_t* pieces) {
  // A piece covers at least one byte, so `limit` pieces need more than `limit`
  // bytes; start a little above and double.
  size_t budget = static_cast<size_t>(limit) * 8 + 64;
  while (budget < text.size()) {
    const size_t cut = text.find_first_of(" \t\n\r", budget);
    if (cut == std::string::npos) break;
    std::string prefix = text.substr(0, cut);
    const int64_t n = static_cast<int64_t>(tok.tokenize(prefix).size());
    if (n > limit) {
      *pieces = n;
      return prefix;
    }
    budget = cut * 2;
  }
  *pieces = static_cast<int64_t>(tok.tokenize(text).size());
  return text;
}

BoundedEncoding encode_bounded(const text::Tokenizer& tok, const std::string& text,
                               const std::optional<std::string>& pair, const text::EncodeOptions& opts) {
  BoundedEncoding r;
  if (!opts.max_length || !opts.truncate || opts.truncation == "do_not_truncate") {
    r.encoding = tok.encode(text, pair, opts);
    r.full_length = static_cast<int64_t>(r.encoding.input_ids.size());
    return r;
  }
  // Special tokens the layout adds: what an empty input encodes to.
  text::EncodeOptions plain = opts;
  plain.max_length.reset();
  plain.truncate = false;
  const int64_t specials = static_cast<int64_t>(
      tok.encode("", pair ? std::optional<std::string>("") : std::nullopt, plain).input_ids.size());
  const int64_t L = *opts.max_length, limit = L + 1;
  // Where Hugging Face cannot truncate (no room beside the special tokens; only_second without a pair) it
  // keeps everything: so do we.
  if (L <= specials || (!pair && opts.truncation == "only_second")) {
    r.encoding = tok.encode(text, pair, opts);
    r.full_length = static_cast<int64_t>(r.encoding.input_ids.size());
    return r;
  }
  // only_first / only_second never cut the other segment, and give up (keeping
  // everything, as Hugging Face does) when that segment alone leaves no room.
  const bool keep_a = pair && opts.truncation == "only_second";
  const bool keep_b = pair && opts.truncation == "only_first";
  int64_t na = 0, nb = 0;
  std::string a = keep_a ? text : token_prefix(tok, text, limit, &na);
  std::optional<std::string> b;
  if (pair) b = keep_b ? *pair : token_prefix(tok, *pair, limit, &nb);
  if (keep_a) na = static_cast<int64_t>(tok.tokenize(a).size());
  if (keep_b) nb = static_cast<int64_t>(tok.tokenize(*b).size());
  if ((keep_a && na + specials >= L) || (keep_b && nb + specials >= L)) {
    a = text;
    b = pair;
  }
  r.encoding = tok.encode(a, b, opts);
  r.full_length = na + nb + specials;
  r.truncated = a.size() < text.size() || (b && b->size() < pair->size()) ||
                static_cast<int64_t>(r.encoding.input_ids.size()) < r.full_length;
  return r;
}

}  // namespace qdq::pipelines
