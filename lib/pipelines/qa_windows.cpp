#include "pipelines/qa_windows.h"

#include <algorithm>

#include "core/error.h"

namespace qdq::pipelines {

namespace {
bool is_special(const text::Tokenizer& tok, int64_t id) {
  return id == tok.cls_id() || id == tok.sep_id() || id == tok.pad_id();
}
nlohmann::json offset(int64_t v) { return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v); }
}  // namespace

QaExample qa_windows(const text::Tokenizer& tok, const std::string& question, const std::string& context,
                     const QaOptions& o) {
  // The pipeline's argument handler refuses both ("`question` cannot be empty", "`context` cannot be empty").
  check(!question.empty(), "the question is empty");
  check(!context.empty(), "question answering needs a context (the record has an empty one)");
  check(tok.cls_id() >= 0 && tok.sep_id() >= 0, "question answering needs a tokenizer with [CLS] and [SEP]");
  QaExample ex;
  ex.context = context;
  // BertTokenizer's encode(question, context) is exactly [CLS] tokenize(q) [SEP] tokenize(c) [SEP]: the
  // windows are cut from the two piece lists (tokenized once each) rather than re-encoded per window.
  const auto qp = tok.tokenize(question), cp = tok.tokenize(context);
  check(!cp.empty(), "the context has no tokens");
  const int64_t nq = static_cast<int64_t>(qp.size()), nc = static_cast<int64_t>(cp.size());
  ex.question_tokens = nq;
  ex.ctx_spans = align_pieces(context, cp, tok.id_to_token(tok.unk_id()));
  int64_t budget = nc;
  if (o.split) {
    budget = o.max_length - nq - 3;
    check(budget > 0,
          "the question has {} tokens: with --max-length {} no room is left for the context (the question is never "
          "truncated)",
          nq, o.max_length);
    // Hugging Face's tokenizer (Encoding::truncate) asserts stride < max_len when it must split.
    check(nc <= budget || o.doc_stride < budget,
          "--doc-stride {} must be smaller than the {} context tokens a window holds (--max-length {} minus the "
          "question's {} tokens and 3 special tokens)",
          o.doc_stride, budget, o.max_length, nq);
  }
  std::vector<int64_t> qids(nq), cids(nc);
  for (int64_t i = 0; i < nq; ++i) qids[i] = tok.token_to_id(qp[i]);
  for (int64_t i = 0; i < nc; ++i) cids[i] = tok.token_to_id(cp[i]);
  const int64_t step = std::max<int64_t>(1, budget - o.doc_stride);
  for (int64_t begin = 0;; begin += step) {
    const int64_t end = std::min(begin + budget, nc);
    text::Encoding e;
    auto push = [&](int64_t id, int64_t type) {
      e.input_ids.push_back(id);
      e.token_type_ids.push_back(type);
      e.attention_mask.push_back(1);
      e.tokens.push_back(tok.id_to_token(id));
    };
    push(tok.cls_id(), 0);
    for (int64_t id : qids) push(id, 0);
    push(tok.sep_id(), 0);
    for (int64_t k = begin; k < end; ++k) push(cids[k], 1);
    push(tok.sep_id(), 1);
    if (!tok.has_token_type_ids()) std::fill(e.token_type_ids.begin(), e.token_type_ids.end(), 0);
    ex.windows.push_back(std::move(e));
    ex.window_begin.push_back(begin);
    if (end == nc) break;
  }
  return ex;
}

std::vector<QaSpan> qa_window_spans(const float* sl, const float* el, const text::Tokenizer& tok,
                                    const QaExample& ex, size_t w, const QaOptions& o) {
  const auto& enc = ex.windows.at(w);
  const int64_t len = static_cast<int64_t>(enc.input_ids.size());
  // Context tokens of this window: after [CLS] question [SEP]; piece index = begin + (t - first).
  const int64_t first = ex.question_tokens + 2, begin = ex.window_begin[w];
  std::vector<bool> ctx(len);
  std::vector<float> s(len), e(len);
  for (int64_t t = 0; t < len; ++t) {
    ctx[t] = t >= first && t < len - 1 && !is_special(tok, enc.input_ids[t]);
    // p_mask: only context tokens and [CLS] enter the softmax; [CLS] is then zeroed (never an answer).
    const bool keep = ctx[t] || enc.input_ids[t] == tok.cls_id();
    s[t] = keep ? sl[t] : -10000.0f;
    e[t] = keep ? el[t] : -10000.0f;
  }
  const auto ps = softmax(s.data(), len), pe = softmax(e.data(), len);
  struct Cand {
    float score;
    int64_t i, j;
  };
  std::vector<Cand> cands;
  if (o.top_k == 1) {  // np.argmax: the first maximum in (start, end) order
    Cand best{-1, -1, -1};
    for (int64_t i = 0; i < len; ++i) {
      if (!ctx[i]) continue;
      for (int64_t j = i; j < len && j < i + o.max_answer_len; ++j) {
        if (!ctx[j]) continue;
        const float sc = ps[i] * pe[j];
        if (sc > best.score) best = {sc, i, j};
      }
    }
    if (best.i >= 0) cands.push_back(best);
  } else {
    for (int64_t i = 0; i < len; ++i) {
      if (!ctx[i]) continue;
      for (int64_t j = i; j < len && j < i + o.max_answer_len; ++j)
        if (ctx[j]) cands.push_back({ps[i] * pe[j], i, j});
    }
    const size_t k = std::min<size_t>(cands.size(), static_cast<size_t>(o.top_k));
    std::partial_sort(cands.begin(), cands.begin() + static_cast<std::ptrdiff_t>(k), cands.end(),
                      [](const Cand& a, const Cand& b) {
                        return a.score > b.score || (a.score == b.score && (a.i < b.i || (a.i == b.i && a.j < b.j)));
                      });
    cands.resize(k);
  }
  std::vector<QaSpan> out;
  for (const auto& c : cands) {
    // align_to_words: word_to_chars of the start and end tokens' words, over this window's tokens.
    const auto& sp = ex.ctx_spans;
    const TokenSpan& a = sp[begin + c.i - first];
    const TokenSpan& b = sp[begin + c.j - first];
    int64_t start = a.start, end = b.end;
    for (int64_t t = first; t < len; ++t) {
      if (!ctx[t]) continue;
      const TokenSpan& x = sp[begin + t - first];
      if (x.word < 0) continue;
      if (x.word == a.word && x.start >= 0) start = std::min(start, x.start);
      if (x.word == b.word) end = std::max(end, x.end);
    }
    out.push_back({c.score, start, end});
  }
  return out;
}

Record qa_record(const std::vector<std::vector<QaSpan>>& per_window, const QaExample& ex, int64_t top_k) {
  std::vector<QaSpan> all;
  for (const auto& v : per_window) all.insert(all.end(), v.begin(), v.end());
  // sorted(answers, key=score, reverse=True)[:top_k]: Python's sort is stable.
  std::stable_sort(all.begin(), all.end(), [](const QaSpan& a, const QaSpan& b) { return a.score > b.score; });
  if (static_cast<int64_t>(all.size()) > top_k) all.resize(static_cast<size_t>(top_k));
  auto one = [&](const QaSpan& s) {
    Record r;
    r["score"] = s.score;
    r["start"] = offset(s.start);
    r["end"] = offset(s.end);
    r["answer"] = s.start >= 0 && s.end >= 0 ? substr_chars(ex.context, s.start, s.end) : "";
    return r;
  };
  Record r;
  if (all.empty()) {
    r["score"] = 0.0;
    r["start"] = nullptr;
    r["end"] = nullptr;
    r["answer"] = "";
  } else {
    r = one(all[0]);
  }
  if (top_k > 1) {
    Record list = Record::array();
    for (const auto& s : all) list.push_back(one(s));
    r["answers"] = std::move(list);
  }
  return r;
}

}  // namespace qdq::pipelines
