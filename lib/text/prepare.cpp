#include "text/prepare.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"

namespace qdq::text {
namespace {

enum class Trunc { None, LongestFirst, OnlyFirst, OnlySecond };
enum class Pad { None, Longest, MaxLength };

Trunc parse_trunc(const std::string& s) {
  if (s == "longest_first" || s == "true") return Trunc::LongestFirst;
  if (s == "only_first") return Trunc::OnlyFirst;
  if (s == "only_second") return Trunc::OnlySecond;
  if (s == "do_not_truncate" || s == "false") return Trunc::None;
  throw Error("truncation: unknown strategy '{}' (longest_first, only_first, only_second, do_not_truncate)", s);
}

Pad parse_pad(const std::string& s) {
  if (s == "do_not_pad" || s == "false" || s.empty()) return Pad::None;
  if (s == "longest" || s == "true") return Pad::Longest;
  if (s == "max_length") return Pad::MaxLength;
  throw Error("padding: unknown strategy '{}' (do_not_pad, longest, max_length)", s);
}

// Python's seq[:-k] for k > 0.
void drop_tail(std::vector<int64_t>& v, int64_t k) {
  if (k > 0) v.resize(static_cast<size_t>(std::max<int64_t>(0, static_cast<int64_t>(v.size()) - k)));
}

// Python's seq[-k:] for k > 0 (k <= len here).
std::vector<int64_t> tail(const std::vector<int64_t>& v, int64_t k) {
  return std::vector<int64_t>(v.end() - std::min<int64_t>(k, static_cast<int64_t>(v.size())), v.end());
}

// truncate_sequences with truncation_side="right".
std::vector<int64_t> truncate(std::vector<int64_t>& ids, std::vector<int64_t>* pair, int64_t remove, Trunc strategy,
                              int64_t stride) {
  std::vector<int64_t> overflow;
  if (remove <= 0) return overflow;
  int64_t n = static_cast<int64_t>(ids.size());
  if (strategy == Trunc::OnlyFirst || (strategy == Trunc::LongestFirst && !pair)) {
    if (n > remove) {
      overflow = tail(ids, std::min(n, stride + remove));
      drop_tail(ids, remove);
    } else {
      spdlog::error(
          "We need to remove {} tokens to truncate the input but the first sequence has a length {}.{}", remove, n,
          strategy == Trunc::OnlyFirst ? " Please select another truncation strategy than only_first." : "");
    }
  } else if (strategy == Trunc::LongestFirst) {
    int64_t np = static_cast<int64_t>(pair->size());
    int64_t first = std::min(std::abs(np - n), remove);
    int64_t second = remove - first;
    int64_t ids_move, pair_move;
    if (n > np) {
      ids_move = first + second / 2;
      pair_move = second - second / 2;
    } else {
      ids_move = second / 2;
      pair_move = first + second - second / 2;
    }
    drop_tail(ids, ids_move);
    drop_tail(*pair, pair_move);
  } else if (strategy == Trunc::OnlySecond && pair) {
    int64_t np = static_cast<int64_t>(pair->size());
    if (np > remove) {
      overflow = tail(*pair, std::min(np, stride + remove));
      drop_tail(*pair, remove);
    } else {
      spdlog::error(
          "We need to remove {} tokens to truncate the input but the second sequence has a length {}. Please select "
          "another truncation strategy than only_second.",
          remove, np);
    }
  }
  return overflow;
}

}  // namespace

Encoding prepare_for_model(std::vector<int64_t> ids, std::optional<std::vector<int64_t>> pair,
                           const EncodeOptions& opts, const SpecialLayout& layout) {
  // _get_padding_truncation_strategies.
  Pad pad = parse_pad(opts.padding);
  Trunc trunc = Trunc::None;
  if (opts.truncate)
    trunc = parse_trunc(opts.truncation);
  else if (opts.max_length && pad == Pad::None)
    trunc = Trunc::LongestFirst;  // HF: max_length without truncation= still truncates
  std::optional<int64_t> max_length = opts.max_length;
  if (!max_length) {
    if (pad == Pad::MaxLength) {
      if (layout.model_max_length < 0) pad = Pad::None;
      else max_length = layout.model_max_length;
    }
    if (trunc != Trunc::None) {
      if (layout.model_max_length < 0) trunc = Trunc::None;
      else max_length = layout.model_max_length;
    }
  }

  const bool has_pair = pair.has_value();
  std::vector<int64_t>* pp = has_pair ? &*pair : nullptr;
  int64_t total = static_cast<int64_t>(ids.size() + (has_pair ? pair->size() : 0)) +
                  (opts.add_special_tokens ? (has_pair ? layout.num_special_pair : layout.num_special_single) : 0);

  Encoding e;
  if (trunc != Trunc::None && max_length && *max_length != 0 && total > *max_length)
    e.overflowing_tokens = truncate(ids, pp, total - *max_length, trunc, opts.stride);

  std::vector<int64_t> types;
  if (opts.add_special_tokens) {
    e.input_ids = layout.build(ids, pp);
    types = layout.type_ids(ids, pp);
  } else {
    e.input_ids = ids;
    if (pp) e.input_ids.insert(e.input_ids.end(), pp->begin(), pp->end());
    types.assign(e.input_ids.size(), 0);
  }
  if (layout.model_max_length >= 0 && !max_length && static_cast<int64_t>(e.input_ids.size()) > layout.model_max_length)
    spdlog::warn("Token indices sequence length is longer than the specified maximum sequence length for this model "
                 "({} > {}). Running this sequence through the model will result in indexing errors",
                 e.input_ids.size(), layout.model_max_length);
  if (layout.return_token_type_ids) e.token_type_ids = std::move(types);
  e.attention_mask.assign(e.input_ids.size(), 1);

  // pad() with padding_side="right".
  int64_t target = pad == Pad::Longest ? static_cast<int64_t>(e.input_ids.size()) : max_length.value_or(0);
  int64_t diff = target - static_cast<int64_t>(e.input_ids.size());
  if (pad != Pad::None && diff > 0) {
    e.input_ids.insert(e.input_ids.end(), diff, layout.pad_id);
    e.attention_mask.insert(e.attention_mask.end(), diff, 0);
    if (layout.return_token_type_ids) e.token_type_ids.insert(e.token_type_ids.end(), diff, 0);
  }
  return e;
}

}  // namespace qdq::text
