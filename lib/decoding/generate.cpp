#include "decoding/generate.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "decoding/beam_search.h"
#include "decoding/logits_process.h"
#include "decoding/prefix.h"
#include "decoding/sampler.h"
#include "decoding/speculative.h"

namespace qdq::decoding {

int64_t effective_max_length(const Options& o, int64_t prefix_len) {
  return o.max_new_tokens ? *o.max_new_tokens + prefix_len : o.max_length;
}

int64_t effective_min_length(const Options& o, int64_t prefix_len) {
  int64_t m = o.min_length;
  if (o.min_new_tokens) m = std::max(m, *o.min_new_tokens + prefix_len);
  return m;
}

Tensor to_sequences(const std::vector<Hypothesis>& hyps, int64_t width, int64_t pad_id) {
  Tensor t(DType::I64, {static_cast<int64_t>(hyps.size()), width});
  int64_t* p = t.data<int64_t>();
  std::fill(p, p + t.numel(), pad_id);
  for (size_t i = 0; i < hyps.size(); ++i)
    std::copy_n(hyps[i].tokens.begin(), std::min<int64_t>(width, hyps[i].tokens.size()), p + i * width);
  return t;
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Result greedy_or_sample(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb,
                        std::vector<Tensor>* step_scores) {
  Setup s = setup(m, r, o);
  const int64_t expand = o.do_sample ? o.num_return_sequences : 1, rows = r.B * expand, V = m.vocab_size();
  auto seqs = expand_prefix(s, r.B, expand);
  std::vector<RowSampler> samplers = row_samplers(r, o, expand);
  const auto t0 = Clock::now();
  auto st = m.start(r.src, r.B, r.L, r.mask, expand, s.max_len);
  Tensor logits = m.prefill(*st, flat(seqs), s.prefix_len);
  const double prefill_s = since(t0);
  const auto t1 = Clock::now();
  int64_t steps = 0;
  std::vector<char> unfinished(rows, 1);
  int64_t cur = s.prefix_len;
  std::vector<int64_t> tokens(rows);
  while (true) {
    check(logits.dim(0) == rows && logits.dim(1) == V, "generate: model returned logits {}", shape_str(logits.shape()));
    // Every row has cur tokens here (finished rows grow by padding), as HF's input_ids.
    for (int64_t i = 0; i < rows; ++i) process_scores(logits.data<float>() + i * V, V, seqs[i], s.min_len, o);
    if (step_scores) step_scores->push_back(logits.clone());
    for (int64_t i = 0; i < rows; ++i) {
      const float* sc = logits.data<float>() + i * V;
      int64_t t = o.do_sample ? samplers[i].sample(sc, V) : argmax(sc, V);
      if (o.eos_token_id >= 0 && !unfinished[i]) t = o.pad_token_id;
      tokens[i] = t;
      if (cb && unfinished[i]) cb(i, t);
      seqs[i].push_back(t);
      if (t == o.eos_token_id) unfinished[i] = 0;
    }
    ++cur;
    if (cur >= s.max_len || std::none_of(unfinished.begin(), unfinished.end(), [](char u) { return u; })) break;
    logits = m.step(*st, tokens);
    ++steps;
  }
  Result res;
  res.width = cur;
  res.prefill_seconds = prefill_s;
  res.decode_seconds = since(t1);
  res.steps = steps;
  res.new_positions = steps;
  res.hyps = hypotheses(seqs, s.prefix_len, o.eos_token_id);
  return res;
}

}  // namespace

Result generate(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb,
                std::vector<Tensor>* step_scores) {
  validate(o, m.vocab_size());
  if (o.num_beams > 1) {
    Setup s = setup(m, r, o);
    BeamSearch bs(o, r.B, s.max_len, s.min_len, s.prefix_len);
    auto seqs = expand_prefix(s, r.B, o.num_beams);
    const auto t0 = Clock::now();
    auto st = m.start(r.src, r.B, r.L, r.mask, o.num_beams, s.max_len);
    Tensor logits = m.prefill(*st, flat(seqs), s.prefix_len);
    const double prefill_s = since(t0);
    const auto t1 = Clock::now();
    int64_t steps = 0;
    while (true) {
      auto reorder = bs.advance(logits, seqs);
      if (bs.finished()) break;
      st->reorder(reorder);
      std::vector<int64_t> last;
      for (auto& q : seqs) last.push_back(q.back());
      logits = m.step(*st, last);
      ++steps;
    }
    Result res = bs.finalize(seqs);
    res.prefill_seconds = prefill_s;
    res.decode_seconds = since(t1);
    res.steps = steps;
    res.new_positions = steps;
    return res;
  }
  if (o.speculative != Speculative::Off || o.prompt_lookup_num_tokens > 0) {
    check(step_scores == nullptr, "generate: speculative decoding does not record per-step scores");
    return speculative_generate(m, r, o, cb);
  }
  return greedy_or_sample(m, r, o, cb, step_scores);
}

}  // namespace qdq::decoding
