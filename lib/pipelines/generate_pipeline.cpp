#include "pipelines/generate_pipeline.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "pipelines/batching.h"
#include "pipelines/bounded_encode.h"

namespace qdq::pipelines {

uint64_t stream_of(const nlohmann::json& id, size_t index) {
  if (id.is_null()) return static_cast<uint64_t>(index);
  // FNV-1a over the id's canonical JSON text ("7" and 7 are different ids).
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : id.dump()) h = (h ^ c) * 1099511628211ull;
  return h;
}

decoding::Request padded_request(const std::vector<std::vector<int64_t>>& ids, const std::vector<size_t>& rows,
                                 const std::vector<uint64_t>& streams, int64_t pad) {
  decoding::Request r;
  r.B = static_cast<int64_t>(rows.size());
  for (size_t i : rows) r.L = std::max<int64_t>(r.L, static_cast<int64_t>(ids[i].size()));
  for (size_t i : rows) {
    for (int64_t t = 0; t < r.L; ++t) {
      const bool in = t < static_cast<int64_t>(ids[i].size());
      r.src.push_back(in ? ids[i][t] : pad);
      r.mask.push_back(in ? 1 : 0);
    }
    r.streams.push_back(streams[i]);
  }
  return r;
}

void GenerateStats::add(const decoding::Result& r, int64_t rows) {
  prefill_s += r.prefill_seconds;
  decode_s += r.decode_seconds;
  inputs += rows;
  new_tokens += rows * (r.new_positions + 1);
  decode_tokens += rows * r.new_positions;
  forwards += r.steps;
  drafts_proposed += r.drafts_proposed;
  drafts_accepted += r.drafts_accepted;
  row_forwards += r.row_forwards;
  forward_tokens += r.forward_tokens;
  speculative = speculative || r.row_forwards > 0;
}

GeneratedIds generate_ids(models::Generative& g, const std::vector<std::vector<int64_t>>& ids,
                          const std::vector<uint64_t>& streams, const decoding::Options& o, int64_t batch_size,
                          GenerateStats* stats) {
  check(streams.size() == ids.size(), "generate: {} streams for {} inputs", streams.size(), ids.size());
  std::vector<int64_t> lengths(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) lengths[i] = static_cast<int64_t>(ids[i].size());
  GeneratedIds out;
  out.hyps.resize(ids.size());
  const int64_t per = o.num_return_sequences;
  for (const auto& rows : length_sorted_batches(lengths, batch_size, !g.is_encoder_decoder())) {
    const auto r = padded_request(ids, rows, streams, o.pad_token_id);
    auto res = decoding::generate(g, r, o);
    if (stats) stats->add(res, r.B);
    out.width = std::max(out.width, res.width);
    out.scored = res.scored;
    for (size_t k = 0; k < rows.size(); ++k)
      for (int64_t j = 0; j < per; ++j) out.hyps[rows[k]].push_back(std::move(res.hyps[k * per + j]));
  }
  return out;
}

GeneratePipeline::GeneratePipeline(models::Generative& g, const text::Tokenizer& src, const text::Tokenizer& dec,
                                   GenerateSettings s)
    : g_(g), src_(src), dec_(dec), s_(std::move(s)) {
  check(s_.max_input_length > 0, "max input length must be positive, got {}", s_.max_input_length);
}

std::vector<std::vector<Generated>> GeneratePipeline::run(const std::vector<GenerateInput>& inputs) {
  const auto& o = s_.options;
  const bool causal = !g_.is_encoder_decoder();
  text::EncodeOptions eo;
  // A causal LM continues the prompt: no [SEP] (which is also its eos) appended.
  eo.add_special_tokens = !causal;
  eo.truncate = true;
  eo.max_length = s_.max_input_length;
  std::vector<std::vector<int64_t>> ids(inputs.size());
  std::vector<int64_t> lengths(inputs.size());
  std::vector<bool> cut(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    BoundedEncoding be;
    try {
      be = encode_bounded(src_, inputs[i].text, std::nullopt, eo);
    } catch (const Error& e) {
      throw Error("{}: {}", inputs[i].where, e.what());
    }
    if (be.truncated && ++truncated_ <= 10)
      spdlog::warn("{}: truncated to {} tokens (--max-input-length {})", inputs[i].where,
                   be.encoding.input_ids.size(), s_.max_input_length);
    else if (be.truncated && truncated_ == 11)
      spdlog::warn("more inputs truncated; not naming each");
    cut[i] = be.truncated;
    ids[i] = std::move(be.encoding.input_ids);
    check(!ids[i].empty(), "{}: the text has no tokens (a causal LM needs a prompt)", inputs[i].where);
    lengths[i] = static_cast<int64_t>(ids[i].size());
  }
  std::vector<uint64_t> streams(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) streams[i] = stream_of(inputs[i].id, inputs[i].index);
  auto res = generate_ids(g_, ids, streams, o, s_.batch_size, &stats_);
  std::vector<std::vector<Generated>> out(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (auto& h : res.hyps[i]) {
      Generated gen;
      gen.ids = h.tokens;
      if (res.scored) gen.score = h.score;
      if (causal) {
        // The text-generation pipeline: decode everything, drop the decoded prompt's length,
        // and (return_full_text) put the prompt back as the user wrote it.
        const std::string all = dec_.decode(h.tokens, true);
        const size_t plen = dec_.decode(ids[i], true).size();
        const std::string cont = all.size() >= plen ? all.substr(plen) : std::string();
        const std::string prompt = cut[i] ? dec_.decode(ids[i], true) : inputs[i].text;
        gen.text = s_.include_prompt ? prompt + cont : cont;
      } else {
        gen.text = dec_.decode(h.tokens, true);
      }
      out[i].push_back(std::move(gen));
    }
  }
  return out;
}
void GeneratePipeline::log_stats() const { stats_.log(); }

void GenerateStats::log() const {
  spdlog::info("generate: {} inputs, prompt/encode + first token {:.3f} s, {} new tokens, decode {:.3f} s, "
               "{:.2f} new tokens/s (after the first)",
               inputs, prefill_s, new_tokens, decode_s, decode_s > 0 ? decode_tokens / decode_s : 0.0);
  if (speculative)
    spdlog::info("generate: speculative: {} forwards after the first pass, {} drafts proposed, {} accepted "
                 "(acceptance {:.3f}), {:.3f} tokens per row forward",
                 forwards, drafts_proposed, drafts_accepted,
                 drafts_proposed > 0 ? static_cast<double>(drafts_accepted) / drafts_proposed : 0.0,
                 row_forwards > 0 ? static_cast<double>(forward_tokens) / row_forwards : 0.0);
}

}  // namespace qdq::pipelines
