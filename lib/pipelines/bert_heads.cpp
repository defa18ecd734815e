#include "pipelines/bert_heads.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.h"
#include "pipelines/char_offsets.h"

namespace qdq::pipelines {

using models::bert::Head;

std::vector<float> softmax(const float* x, int64_t n) {
  std::vector<float> p(n);
  const float m = *std::max_element(x, x + n);
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += p[i] = std::exp(x[i] - m);
  for (auto& v : p) v = static_cast<float>(v / s);
  return p;
}

namespace {
bool is_special(const text::Tokenizer& tok, int64_t id) {
  return id == tok.cls_id() || id == tok.sep_id() || id == tok.pad_id();
}

// Per token of the encoding: its span in the text of its segment (type 0 ->
// text, type 1 -> pair), or -1 for special tokens.
std::vector<TokenSpan> token_spans(const text::Tokenizer& tok, const EncodedText& in) {
  const auto& e = in.enc;
  const int64_t n = static_cast<int64_t>(e.input_ids.size());
  std::vector<TokenSpan> spans(n);
  for (int seg = 0; seg < 2; ++seg) {
    const std::string* src = seg == 0 ? &in.text : (in.pair ? &*in.pair : nullptr);
    if (!src) continue;
    std::vector<int64_t> where;
    std::vector<std::string> pieces;
    for (int64_t t = 0; t < n; ++t) {
      const int64_t type = e.token_type_ids.empty() ? 0 : e.token_type_ids[t];
      if (type == seg && !is_special(tok, e.input_ids[t])) {
        where.push_back(t);
        pieces.push_back(e.tokens[t]);
      }
    }
    const auto s = align_pieces(*src, pieces, tok.id_to_token(tok.unk_id()));
    for (size_t k = 0; k < where.size(); ++k) spans[where[k]] = s[k];
  }
  return spans;
}

nlohmann::json offset(int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }

Record embedding(const HeadSpec& spec, const TensorMap& out, int64_t b, int64_t len) {
  const Tensor& hs = out.at("last_hidden_state");
  const int64_t T = hs.dim(1), H = hs.dim(2);
  std::vector<float> e(H, 0.0f);
  if (spec.pooling == "pooler") {
    const float* p = out.at("pooler_output").data<float>() + b * H;
    e.assign(p, p + H);
  } else if (spec.pooling == "cls") {
    const float* p = hs.data<float>() + b * T * H;
    e.assign(p, p + H);
  } else {  // mean over the sequence's own tokens (its attention mask)
    for (int64_t t = 0; t < len; ++t)
      for (int64_t i = 0; i < H; ++i) e[i] += hs.data<float>()[(b * T + t) * H + i];
    for (auto& v : e) v /= static_cast<float>(len);
  }
  Record r;
  r["embedding"] = e;
  return r;
}

Record classify(const HeadSpec& spec, const TensorMap& out, int64_t b) {
  const int64_t L = static_cast<int64_t>(spec.labels.size());
  const float* l = out.at("logits").data<float>() + b * L;
  // The text-classification pipeline: sigmoid for one label, softmax otherwise.
  std::vector<float> p = L == 1 ? std::vector<float>{1.0f / (1.0f + std::exp(-l[0]))} : softmax(l, L);
  const int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
  Record scores = Record::object();
  for (int64_t i = 0; i < L; ++i) scores[spec.labels[i]] = p[i];
  Record r;
  r["label"] = spec.labels[best];
  r["score"] = p[best];
  r["scores"] = scores;
  return r;
}

Record entities(const HeadSpec& spec, const text::Tokenizer& tok, const TensorMap& out, int64_t b,
                const EncodedText& in) {
  const int64_t L = static_cast<int64_t>(spec.labels.size());
  const int64_t T = out.at("logits").dim(1);
  const int64_t len = static_cast<int64_t>(in.enc.input_ids.size());
  const auto spans = token_spans(tok, in);
  Record ents = Record::array();
  for (int64_t t = 0; t < len; ++t) {
    if (is_special(tok, in.enc.input_ids[t])) continue;
    const auto p = softmax(out.at("logits").data<float>() + (b * T + t) * L, L);
    const int64_t best = std::max_element(p.begin(), p.end()) - p.begin();
    if (spec.labels[best] == "O") continue;  // the pipeline's default ignore_labels
    Record e;
    e["entity"] = spec.labels[best];
    e["score"] = p[best];
    e["index"] = t;
    e["word"] = in.enc.tokens[t];
    e["start"] = offset(spans[t].start);
    e["end"] = offset(spans[t].end);
    ents.push_back(std::move(e));
  }
  Record r;
  r["entities"] = std::move(ents);
  return r;
}

Record mask_fills(const HeadSpec& spec, const text::Tokenizer& tok, const TensorMap& out, int64_t b,
                  const EncodedText& in) {
  const int64_t V = spec.vocab_size, T = out.at("logits").dim(1);
  const auto& ids = in.enc.input_ids;
  const int64_t len = static_cast<int64_t>(ids.size());
  const int64_t n_masks = std::count(ids.begin(), ids.end(), tok.mask_id());
  Record masks = Record::array();
  for (int64_t t = 0; t < len; ++t) {
    if (ids[t] != tok.mask_id()) continue;
    const auto p = softmax(out.at("logits").data<float>() + (b * T + t) * V, V);
    std::vector<int64_t> idx(V);
    std::iota(idx.begin(), idx.end(), 0);
    const int64_t k = std::min<int64_t>(spec.top_k, V);
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int64_t a, int64_t c) { return p[a] > p[c] || (p[a] == p[c] && a < c); });
    Record fills = Record::array();
    for (int64_t i = 0; i < k; ++i) {
      std::vector<int64_t> filled = ids;
      filled[t] = idx[i];
      Record f;
      f["score"] = p[idx[i]];
      f["token"] = idx[i];
      f["token_str"] = tok.decode({idx[i]}, false);
      // The pipeline skips special tokens in `sequence` only when there is one mask.
      f["sequence"] = tok.decode(filled, n_masks == 1);
      fills.push_back(std::move(f));
    }
    Record m;
    m["index"] = t;
    m["fills"] = std::move(fills);
    masks.push_back(std::move(m));
  }
  Record r;
  r["masks"] = std::move(masks);
  return r;
}
}  // namespace

Record head_record(const HeadSpec& spec, const text::Tokenizer& tok, const TensorMap& out, int64_t b,
                   const EncodedText& in) {
  const int64_t len = static_cast<int64_t>(in.enc.input_ids.size());
  switch (spec.head) {
    case Head::Base:
      return embedding(spec, out, b, len);
    case Head::SequenceClassification:
      return classify(spec, out, b);
    case Head::TokenClassification:
      return entities(spec, tok, out, b, in);
    case Head::QuestionAnswering:  // every window of a context together: qa_windows.h
      break;
    case Head::MaskedLM:
      return mask_fills(spec, tok, out, b, in);
    case Head::NextSentencePrediction: {  // logit 0: text_pair continues text (HF's NSP label 0)
      const auto p = softmax(out.at("logits").data<float>() + b * 2, 2);
      const bool next = p[0] >= p[1];
      Record r;
      r["label"] = next ? "is_next" : "not_next";
      r["score"] = next ? p[0] : p[1];
      r["scores"] = {{"is_next", p[0]}, {"not_next", p[1]}};
      return r;
    }
    case Head::MultipleChoice:  // records per [batch, num_choices, T] forward: multiple_choice.h
      break;
  }
  return {};
}

}  // namespace qdq::pipelines
