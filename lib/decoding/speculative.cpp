#include "decoding/speculative.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "decoding/logits_process.h"
#include "decoding/prefix.h"
#include "decoding/sampler.h"

namespace qdq::decoding {

std::vector<int64_t> prompt_lookup(const std::vector<int64_t>& seq, int64_t num_tokens, int64_t max_ngram) {
  const int64_t L = static_cast<int64_t>(seq.size());
  for (int64_t n = std::min(max_ngram, L - 1); n > 0; --n)
    for (int64_t idx = 0; idx + n <= L; ++idx) {
      if (!std::equal(seq.begin() + idx, seq.begin() + idx + n, seq.end() - n)) continue;
      const int64_t start = idx + n, end = std::min(start + num_tokens, L);
      if (start < end) return {seq.begin() + start, seq.begin() + end};
    }
  return {};
}

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The state of one row between forwards.
struct Row {
  bool done = false;                // finished (eos) or at max_length
  int64_t stream_draft = -1;        // stream 1's guess at the token after the pending one
  std::vector<float> draft_scores;  // sampling: the processed scores the stream draft was drawn from (q)
};

// Probabilities of processed scores (-inf: 0), in double.
std::vector<double> probs(const float* sc, int64_t V) {
  float mx = -INFINITY;
  for (int64_t i = 0; i < V; ++i) mx = std::max(mx, sc[i]);
  std::vector<double> p(V);
  double z = 0;
  for (int64_t i = 0; i < V; ++i) z += p[i] = std::exp(static_cast<double>(sc[i]) - mx);
  for (auto& x : p) x /= z;
  return p;
}

// Speculative sampling of one position: draft d drawn from q; returns the token kept (d when
// accepted, else a draw from the residual max(0, p - q), renormalised).
int64_t verify_sampled(RowSampler& rs, const float* p_scores, const float* q_scores, int64_t d, int64_t V) {
  const std::vector<double> p = probs(p_scores, V), q = probs(q_scores, V);
  if (q[d] > 0 && rs.uniform() * q[d] < p[d]) return d;
  std::vector<float> residual(V);
  double mass = 0;
  for (int64_t i = 0; i < V; ++i) {
    const double r = std::max(0.0, p[i] - q[i]);
    mass += r;
    residual[i] = r > 0 ? static_cast<float>(std::log(r)) : -INFINITY;
  }
  // p == q up to rounding: every residual vanished; p itself is then the distribution.
  if (!(mass > 0)) return rs.sample(p_scores, V);
  return rs.sample(residual.data(), V);
}

}  // namespace

namespace {
Result speculative_rows(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb);
}  // namespace

Result speculative_generate(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb) {
  const int64_t expand = o.do_sample ? o.num_return_sequences : 1;
  if (m.rows_can_diverge() || r.B * expand == 1) return speculative_rows(m, r, o, cb);
  // A state whose rows share one length: each row (input x copy) decodes in a state of its own,
  // sampling from the stream it has in the whole batch; results merge in row order.
  Result all;
  Options one = o;
  one.num_return_sequences = 1;
  for (int64_t b = 0; b < r.B; ++b)
    for (int64_t e = 0; e < expand; ++e) {
      Request q;
      q.B = 1;
      q.L = r.L;
      q.src.assign(r.src.begin() + b * r.L, r.src.begin() + (b + 1) * r.L);
      if (!r.mask.empty()) q.mask.assign(r.mask.begin() + b * r.L, r.mask.begin() + (b + 1) * r.L);
      const uint64_t input = r.streams.empty() ? static_cast<uint64_t>(r.first_index + b) : r.streams[b];
      q.streams = {input * static_cast<uint64_t>(expand) + static_cast<uint64_t>(e)};
      const int64_t row = b * expand + e;
      auto res = speculative_rows(m, q, one, cb ? TokenCallback([&](int64_t, int64_t t) { cb(row, t); }) : cb);
      all.hyps.push_back(std::move(res.hyps[0]));
      all.width = std::max(all.width, res.width);
      all.prefill_seconds += res.prefill_seconds;
      all.decode_seconds += res.decode_seconds;
      all.steps += res.steps;
      all.drafts_proposed += res.drafts_proposed;
      all.drafts_accepted += res.drafts_accepted;
      all.row_forwards += res.row_forwards;
      all.forward_tokens += res.forward_tokens;
    }
  // HF's padded width for the batch: positions after the first new token.
  all.new_positions = all.width - (m.is_encoder_decoder() ? 1 : r.L) - 1;
  return all;
}

namespace {

Result speculative_rows(models::Generative& m, const Request& r, const Options& o, const TokenCallback& cb) {
  const bool streams = o.speculative == Speculative::Streams;
  check(m.can_extend(), "generate: speculative decoding needs a model with a multi-token cached forward "
                        "(ProphetNet, or an EncoderDecoderModel with a ProphetNet decoder)");
  check(!streams || m.has_stream_drafts(),
        "--speculative streams: this model has no n-gram predicting streams (ProphetNet with ngram >= 2)");
  Setup s = setup(m, r, o);
  const int64_t expand = o.do_sample ? o.num_return_sequences : 1, rows = r.B * expand, V = m.vocab_size();
  const int64_t max_draft = std::max<int64_t>(streams ? 1 : 0, o.prompt_lookup_num_tokens);
  auto seqs = expand_prefix(s, r.B, expand);
  std::vector<RowSampler> samplers = row_samplers(r, o, expand);
  std::vector<Row> st_rows(rows);
  auto choose = [&](int64_t i, const float* sc) { return o.do_sample ? samplers[i].sample(sc, V) : argmax(sc, V); };
  // Appends a chosen token; returns false when the row is now done.
  auto append = [&](int64_t i, int64_t t) {
    if (cb) cb(i, t);
    seqs[i].push_back(t);
    if (t == o.eos_token_id || static_cast<int64_t>(seqs[i].size()) >= s.max_len) st_rows[i].done = true;
    return !st_rows[i].done;
  };
  // Stream 1's guess after row i's newest token, from its raw draft logits.
  auto take_draft = [&](int64_t i, const float* draft_logits) {
    Row& row = st_rows[i];
    row.draft_scores.assign(draft_logits, draft_logits + V);
    process_scores(row.draft_scores.data(), V, seqs[i], s.min_len, o);
    row.stream_draft = choose(i, row.draft_scores.data());
  };

  Result res;
  const auto t0 = Clock::now();
  // Room for the drafts of a row at max_length - 1 (fed to keep the batch rectangular, then taken back).
  auto st = m.start(r.src, r.B, r.L, r.mask, expand, s.max_len + max_draft);
  // A one-token start (encoder-decoder) is a cached step: run it as a one-position extend, which
  // also gives stream 1's draft for the second new token.
  const bool first_drafts = streams && s.prefix_len == 1;
  Tensor logits, first_draft_logits;
  if (first_drafts) {
    auto ext = m.extend(*st, flat(seqs), 1, true);
    logits = ext.logits.reshape({rows, V});
    first_draft_logits = ext.drafts.reshape({rows, V});
  } else {
    logits = m.prefill(*st, flat(seqs), s.prefix_len);
  }
  check(logits.dim(0) == rows && logits.dim(1) == V, "generate: model returned logits {}", shape_str(logits.shape()));
  for (int64_t i = 0; i < rows; ++i) {
    float* sc = logits.data<float>() + i * V;
    process_scores(sc, V, seqs[i], s.min_len, o);
    if (append(i, choose(i, sc)) && first_drafts) take_draft(i, first_draft_logits.data<float>() + i * V);
  }
  res.prefill_seconds = since(t0);
  const auto t1 = Clock::now();

  std::vector<std::vector<int64_t>> drafts(rows);
  std::vector<char> from_stream(rows, 0);  // the draft is stream 1's (else prompt lookup's)
  std::vector<int64_t> tokens, lengths(rows);
  while (std::any_of(st_rows.begin(), st_rows.end(), [](const Row& w) { return !w.done; })) {
    int64_t n = 1;
    for (int64_t i = 0; i < rows; ++i) {
      auto& d = drafts[i];
      d.clear();
      lengths[i] = static_cast<int64_t>(seqs[i].size()) - 1;  // cached: all but the pending token
      if (st_rows[i].done) continue;
      if (o.prompt_lookup_num_tokens > 0) d = prompt_lookup(seqs[i], o.prompt_lookup_num_tokens, o.max_matching_ngram_size);
      // The choice never looks at the stream draft's value (sampling stays exact).
      from_stream[i] = streams && st_rows[i].stream_draft >= 0 && d.empty();
      if (from_stream[i]) d = {st_rows[i].stream_draft};
      // A fully accepted draft plus the token after it must fit in max_length.
      const int64_t room = s.max_len - static_cast<int64_t>(seqs[i].size()) - 1;
      if (static_cast<int64_t>(d.size()) > room) d.resize(std::max<int64_t>(room, 0));
      n = std::max<int64_t>(n, 1 + static_cast<int64_t>(d.size()));
    }
    tokens.assign(rows * n, 0);
    for (int64_t i = 0; i < rows; ++i) {
      // Rows with shorter drafts (and done rows) repeat their last token: positions after every
      // used one, which causal attention keeps out of the used outputs.
      std::fill(tokens.begin() + i * n, tokens.begin() + (i + 1) * n, seqs[i].back());
      std::copy(drafts[i].begin(), drafts[i].end(), tokens.begin() + i * n + 1);
    }
    auto ext = m.extend(*st, tokens, n, streams);
    ++res.steps;
    check(ext.logits.numel() == rows * n * V, "generate: extend returned logits {}", shape_str(ext.logits.shape()));
    for (int64_t i = 0; i < rows; ++i) {
      if (st_rows[i].done) continue;
      const auto& d = drafts[i];
      const int64_t before = static_cast<int64_t>(seqs[i].size());
      int64_t j = 0;
      for (;; ++j) {
        float* sc = ext.logits.data<float>() + (i * n + j) * V;
        process_scores(sc, V, seqs[i], s.min_len, o);
        const bool drafted = j < static_cast<int64_t>(d.size());
        int64_t t;
        if (drafted && o.do_sample && from_stream[i])
          t = verify_sampled(samplers[i], sc, st_rows[i].draft_scores.data(), d[j], V);
        else
          t = choose(i, sc);
        if (!append(i, t) || !drafted || t != d[j]) break;
      }
      // j: drafts accepted (the token chosen at fed position j ended the row's forward).
      res.drafts_proposed += static_cast<int64_t>(d.size());
      res.drafts_accepted += std::min<int64_t>(j, static_cast<int64_t>(d.size()));
      res.row_forwards += 1;
      res.forward_tokens += static_cast<int64_t>(seqs[i].size()) - before;
      lengths[i] = static_cast<int64_t>(seqs[i].size()) - 1;
      st_rows[i].stream_draft = -1;
      if (streams && !st_rows[i].done) take_draft(i, ext.drafts.data<float>() + (i * n + j) * V);
    }
    st->truncate(lengths);
  }
  res.decode_seconds = since(t1);
  int64_t width = 0;
  for (auto& q : seqs) width = std::max<int64_t>(width, static_cast<int64_t>(q.size()));
  res.width = width;
  res.new_positions = width - s.prefix_len - 1;
  res.hyps = hypotheses(seqs, s.prefix_len, o.eos_token_id);
  return res;
}

}  // namespace

}  // namespace qdq::decoding
