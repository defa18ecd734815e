#include "decoding/prefix.h"

#include "core/error.h"
#include "decoding/logits_process.h"
#include "decoding/sampler.h"

namespace qdq::decoding {

Setup setup(models::Generative& m, const Request& r, const Options& o) {
  check(r.B >= 1 && r.L >= 1 && static_cast<int64_t>(r.src.size()) == r.B * r.L, "generate: empty or ragged input");
  Setup s;
  if (m.is_encoder_decoder()) {
    check(o.decoder_start_token_id >= 0, "generate: no decoder_start_token_id (generation_config.json / config.json)");
    s.prefix_len = 1;
    s.prefix.assign(r.B, o.decoder_start_token_id);
  } else {
    for (int64_t v : r.mask) check(v == 1, "generate: causal LM prompts of one batch must be unpadded");
    s.prefix_len = r.L;
    s.prefix = r.src;
  }
  s.max_len = effective_max_length(o, s.prefix_len);
  s.min_len = effective_min_length(o, s.prefix_len);
  check(s.max_len > s.prefix_len, "generate: max_length {} leaves no room after the {} decoder input tokens",
        s.max_len, s.prefix_len);
  check(s.max_len <= m.max_decoder_tokens(),
        "generate: max_length {} exceeds the decoder position table ({} tokens)", s.max_len, m.max_decoder_tokens());
  return s;
}

std::vector<std::vector<int64_t>> expand_prefix(const Setup& s, int64_t B, int64_t expand) {
  std::vector<std::vector<int64_t>> seqs;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t e = 0; e < expand; ++e)
      seqs.emplace_back(s.prefix.begin() + b * s.prefix_len, s.prefix.begin() + (b + 1) * s.prefix_len);
  return seqs;
}

std::vector<int64_t> flat(const std::vector<std::vector<int64_t>>& seqs) {
  std::vector<int64_t> f;
  for (auto& s : seqs) f.insert(f.end(), s.begin(), s.end());
  return f;
}


void process_scores(float* sc, int64_t V, const std::vector<int64_t>& seq, int64_t min_len, const Options& o) {
  repetition_penalty(sc, seq, o.repetition_penalty);
  no_repeat_ngram(sc, seq, o.no_repeat_ngram_size);
  min_length(sc, static_cast<int64_t>(seq.size()), min_len, o.eos_token_id);
  if (o.do_sample) {
    temperature(sc, V, o.temperature);
    top_k(sc, V, o.top_k);
    top_p(sc, V, o.top_p);
  }
}

std::vector<RowSampler> row_samplers(const Request& r, const Options& o, int64_t expand) {
  std::vector<RowSampler> samplers;
  if (!o.do_sample) return samplers;
  for (int64_t i = 0; i < r.B * expand; ++i) {
    const int64_t b = i / expand;
    const uint64_t input = r.streams.empty() ? static_cast<uint64_t>(r.first_index + b) : r.streams[b];
    samplers.emplace_back(o.seed, input * static_cast<uint64_t>(expand) + static_cast<uint64_t>(i % expand));
  }
  return samplers;
}

std::vector<Hypothesis> hypotheses(const std::vector<std::vector<int64_t>>& seqs, int64_t prefix_len, int64_t eos) {
  std::vector<Hypothesis> hyps;
  for (auto& q : seqs) {
    Hypothesis h;
    size_t n = q.size();
    for (size_t k = prefix_len; k < q.size(); ++k)
      if (q[k] == eos) {
        n = k + 1;
        break;
      }
    h.tokens.assign(q.begin(), q.begin() + n);
    hyps.push_back(std::move(h));
  }
  return hyps;
}

}  // namespace qdq::decoding
