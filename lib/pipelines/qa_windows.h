#pragma once
// Question answering as Hugging Face's question-answering pipeline does it
// (transformers v4.37.2 pipelines/question_answering.py, fast-tokenizer path):
//  * preprocess: tokenizer(question, context, truncation="only_second",
//    max_length, stride=doc_stride, return_overflowing_tokens=True). The
//    question is never cut; the context is split into windows of
//    B = max_length - len(question) - 3 tokens, each starting B - doc_stride
//    tokens after the previous one (so consecutive windows share doc_stride
//    tokens), until one reaches the context's end. Each window is
//    [CLS] question [SEP] window [SEP].
//  * postprocess, per window: select_starts_ends (question, special and
//    padding tokens masked to -10000 before the softmax, [CLS] kept in it and
//    then zeroed) and decode_spans (score = p_start * p_end, end >= start,
//    end - start < max_answer_len, top_k); spans widened to whole words within
//    the window (align_to_words). Then every window's answers are sorted by
//    score (a stable sort: window order breaks ties) and the top_k kept.
// Character offsets come from aligning the WHOLE context's pieces once
// (char_offsets.h), so they are right in every window.
#include <algorithm>
#include <string>
#include <vector>

#include "pipelines/bert_heads.h"
#include "pipelines/char_offsets.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

struct QaOptions {
  int64_t max_length = 512;   // tokens per window, question and special tokens included
  int64_t doc_stride = 128;   // context tokens two consecutive windows share
  int64_t max_answer_len = 15;  // tokens
  int64_t top_k = 1;
  bool split = true;  // false (--truncation do_not_truncate): one window with the whole context
};

// HF's default stride: min(max_length / 2, 128).
inline int64_t default_doc_stride(int64_t max_length) { return std::min<int64_t>(max_length / 2, 128); }

// One question and context, tokenized once, cut into windows.
struct QaExample {
  std::string context;
  std::vector<TokenSpan> ctx_spans;       // per context piece: its characters in `context`
  std::vector<text::Encoding> windows;    // [CLS] question [SEP] context[begin, begin + n) [SEP]
  std::vector<int64_t> window_begin;      // first context piece of each window
  int64_t question_tokens = 0;
};

// Error (without a location; the caller adds it) for an empty question or
// context, a context without tokens, a question that leaves no room for the
// context, or a stride that cannot advance (HF's tokenizer refuses these too).
QaExample qa_windows(const text::Tokenizer& tok, const std::string& question, const std::string& context,
                     const QaOptions& o);

struct QaSpan {
  float score = 0;
  int64_t start = -1, end = -1;  // code points into the context, end exclusive; -1: not aligned
};

// select_starts_ends + decode_spans + get_indices for window w, best first
// (at most top_k; fewer when the window has fewer candidate spans).
std::vector<QaSpan> qa_window_spans(const float* start_logits, const float* end_logits, const text::Tokenizer& tok,
                                    const QaExample& ex, size_t w, const QaOptions& o);

// The answers of all windows (per window, in window order) merged as the
// pipeline's postprocess does: {"score", "start", "end", "answer"} of the best
// answer; with top_k > 1 also "answers": the top_k answers best first (the
// list the pipeline returns). No candidate at all: score 0, null offsets.
Record qa_record(const std::vector<std::vector<QaSpan>>& per_window, const QaExample& ex, int64_t top_k);

}  // namespace qdq::pipelines
