#include "pipelines/calibration_inputs.h"

#include <algorithm>

#include "core/error.h"
#include "core/log.h"
#include "decoding/generate.h"
#include "models/generative.h"
#include "pipelines/generate_pipeline.h"
#include "pipelines/multiple_choice.h"
#include "text/tokenizer.h"

namespace qdq::pipelines {

namespace {

// Right-pads rows into I64 [B, T] `ids_name` with pad; adds `mask_name` (1 = token) when
// always_mask or when the rows differ in length (an unpadded batch needs no mask).
void add_padded(TensorMap& m, const std::string& ids_name, const std::string& mask_name,
                const std::vector<std::vector<int64_t>>& rows, int64_t pad, bool always_mask) {
  size_t T = 0;
  bool ragged = false;
  for (auto& r : rows) T = std::max(T, r.size());
  for (auto& r : rows) ragged |= r.size() != T;
  std::vector<int64_t> ids, mask;
  for (auto& r : rows)
    for (size_t t = 0; t < T; ++t) {
      ids.push_back(t < r.size() ? r[t] : pad);
      mask.push_back(t < r.size() ? 1 : 0);
    }
  const Shape s{static_cast<int64_t>(rows.size()), static_cast<int64_t>(T)};
  m.add(ids_name, Tensor::from_vector(ids, s));
  if (always_mask || ragged) m.add(mask_name, Tensor::from_vector(mask, s));
}

std::string span(size_t first, size_t n) { return fmt::format("texts {}-{}", first + 1, first + n); }

std::string name_of(const CalibrationRecord& r, size_t i) {
  return r.where.empty() ? fmt::format("calibration text {}", i + 1) : r.where;
}

// Multiple choice: up to batch_size consecutive records with one number of choices per batch.
std::vector<CalibrationBatch> choice_batches(const text::Tokenizer& tok, const std::vector<CalibrationRecord>& recs,
                                             const text::EncodeOptions& eo, const CalibrationInputOptions& o) {
  std::vector<CalibrationBatch> out;
  for (size_t s = 0; s < recs.size();) {
    const size_t C = recs[s].choices.size();
    size_t e = s;
    std::vector<text::Encoding> flat;
    for (; e < recs.size() && e - s < static_cast<size_t>(o.batch_size) && recs[e].choices.size() == C; ++e) {
      check(C > 0, "{}: a multiple-choice record needs its \"choices\"", name_of(recs[e], e));
      for (const auto& c : recs[e].choices) {
        try {
          flat.push_back(tok.encode(recs[e].text, c, eo));
        } catch (const Error& err) {
          throw Error("{}: {}", name_of(recs[e], e), err.what());
        }
      }
    }
    out.push_back({span(s, e - s), pad_choices(flat, static_cast<int64_t>(e - s), static_cast<int64_t>(C), tok)});
    s = e;
  }
  return out;
}

// BERT family: text (+ text_pair) with special tokens, as `encode` runs it.
std::vector<CalibrationBatch> encoder_batches(const std::string& dir, const std::vector<CalibrationRecord>& recs,
                                              const CalibrationInputOptions& o) {
  auto tok = text::load_tokenizer(dir);
  text::EncodeOptions eo;
  eo.truncate = true;
  eo.max_length = o.max_length;
  if (!recs.empty() && !recs.front().choices.empty()) return choice_batches(*tok, recs, eo, o);
  std::vector<CalibrationBatch> out;
  for (size_t s = 0; s < recs.size(); s += o.batch_size) {
    std::vector<text::Encoding> encs;
    for (size_t i = s; i < std::min(recs.size(), s + static_cast<size_t>(o.batch_size)); ++i) {
      try {
        encs.push_back(tok->encode(recs[i].text, recs[i].pair, eo));
      } catch (const Error& e) {
        throw Error("{}: {}", name_of(recs[i], i), e.what());
      }
    }
    out.push_back({span(s, encs.size()), text::pad_batch(encs, tok->pad_id(), tok->has_token_type_ids())});
  }
  return out;
}

// Causal LM: the prompts as `generate` tokenizes them (no [SEP], which is also the eos).
std::vector<CalibrationBatch> causal_batches(const std::string& dir, const std::vector<CalibrationRecord>& recs,
                                             const CalibrationInputOptions& o) {
  auto tok = text::load_tokenizer(dir);
  text::EncodeOptions eo;
  eo.add_special_tokens = false;
  eo.truncate = true;
  eo.max_length = o.max_length;
  std::vector<std::vector<int64_t>> ids;
  for (size_t i = 0; i < recs.size(); ++i) {
    ids.push_back(tok->encode(recs[i].text, std::nullopt, eo).input_ids);
    check(!ids.back().empty(), "{}: the prompt has no tokens", name_of(recs[i], i));
  }
  std::vector<CalibrationBatch> out;
  for (size_t s = 0; s < ids.size(); s += o.batch_size) {
    const size_t e = std::min(ids.size(), s + static_cast<size_t>(o.batch_size));
    CalibrationBatch b{span(s, e - s), {}};
    add_padded(b.tensors, "input_ids", "attention_mask", {ids.begin() + s, ids.begin() + e}, tok->pad_id(),
               true);
    out.push_back(std::move(b));
  }
  return out;
}

// The greedy options for sources without a target: the model's generation defaults
// (eos, pad, start, repetition rules), one beam, no sampling, at most max_target_length tokens.
decoding::Options greedy_options(models::Generative& g, int64_t max_target_length) {
  auto o = decoding::options_from_json(g.generation_defaults());
  o.num_beams = 1;
  o.num_return_sequences = 1;
  o.do_sample = false;
  o.max_length = max_target_length;
  o.max_new_tokens.reset();
  o.min_new_tokens.reset();
  o.min_length = std::min(o.min_length, max_target_length);
  if (o.pad_token_id < 0) o.pad_token_id = 0;
  decoding::validate(o, g.vocab_size());
  return o;
}

// Encoder-decoder: sources through the encoder; the decoder sees [start] + the target's word
// pieces (HF's shift_right of the tokenized target), or the fp32 model's greedy output.
std::vector<CalibrationBatch> seq2seq_batches(models::Generative& g, const std::string& dir,
                                              const std::vector<CalibrationRecord>& recs,
                                              const CalibrationInputOptions& o) {
  auto src_tok = text::load_tokenizer(dir);
  // EncoderDecoderModel with a BERT encoder: the decoder's text uses prophetnet.tokenizer when present
  // (as `generate` decodes it).
  std::unique_ptr<text::Tokenizer> dec_tok_own;
  if (src_tok->kind() == "bert") {
    try {
      dec_tok_own = text::load_tokenizer(dir, "prophetnet");
    } catch (const Error&) {
    }
  }
  const text::Tokenizer& dec_tok = dec_tok_own ? *dec_tok_own : *src_tok;
  const decoding::Options go = greedy_options(g, o.max_target_length);
  check(go.decoder_start_token_id >= 0, "{}: no decoder_start_token_id (generation_config.json / config.json)", dir);
  check(o.max_target_length >= 1 && o.max_target_length <= g.max_decoder_tokens(),
        "max_target_length {}: the decoder's position table allows 1 to {} tokens", o.max_target_length,
        g.max_decoder_tokens());

  text::EncodeOptions src_eo;
  src_eo.truncate = true;
  src_eo.max_length = o.max_length;
  text::EncodeOptions tgt_eo;
  tgt_eo.add_special_tokens = false;
  tgt_eo.truncate = true;
  tgt_eo.max_length = o.max_target_length - 1;  // room for the start token

  const auto without_target =
      std::count_if(recs.begin(), recs.end(), [](const CalibrationRecord& r) { return !r.target; });
  if (without_target > 0)
    spdlog::info("calibration: {} of {} sources have no \"target\": their decoder inputs are the fp32 model's "
                 "greedy output (at most {} tokens)",
                 without_target, recs.size(), o.max_target_length);

  std::vector<CalibrationBatch> out;
  int64_t generated = 0;
  for (size_t s = 0; s < recs.size(); s += o.batch_size) {
    const size_t e = std::min(recs.size(), s + static_cast<size_t>(o.batch_size));
    std::vector<std::vector<int64_t>> src, dec;
    std::vector<size_t> to_generate;
    for (size_t i = s; i < e; ++i) {
      try {
        src.push_back(src_tok->encode(recs[i].text, std::nullopt, src_eo).input_ids);
        std::vector<int64_t> d{go.decoder_start_token_id};
        if (recs[i].target) {
          auto t = dec_tok.encode(*recs[i].target, std::nullopt, tgt_eo).input_ids;
          d.insert(d.end(), t.begin(), t.end());
        } else {
          to_generate.push_back(i - s);
        }
        dec.push_back(std::move(d));
      } catch (const Error& err) {
        throw Error("{}: {}", name_of(recs[i], i), err.what());
      }
    }
    if (!to_generate.empty()) {
      // Greedy: the random streams are unused.
      const auto r = padded_request(src, to_generate, std::vector<uint64_t>(src.size()), src_tok->pad_id());
      auto res = decoding::generate(g, r, go);
      for (size_t k = 0; k < to_generate.size(); ++k) {
        // The generated text plays the target: its eos (the label's last token) is not a decoder input.
        auto seq = res.hyps[k].tokens;
        if (seq.size() > 1 && seq.back() == go.eos_token_id) seq.pop_back();
        if (static_cast<int64_t>(seq.size()) > o.max_target_length) seq.resize(o.max_target_length);
        dec[to_generate[k]] = std::move(seq);
      }
      generated += r.B;
      if (o.on_generated) o.on_generated(generated, static_cast<int64_t>(without_target));
    }
    CalibrationBatch b{span(s, e - s), {}};
    add_padded(b.tensors, "input_ids", "attention_mask", src, src_tok->pad_id(), true);
    add_padded(b.tensors, "decoder_input_ids", "decoder_attention_mask", dec, go.pad_token_id, false);
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

std::vector<CalibrationBatch> calibration_batches(models::Model& model, const std::string& model_dir,
                                                  const std::vector<CalibrationRecord>& records,
                                                  const CalibrationInputOptions& o) {
  check(o.batch_size >= 1 && o.max_length >= 1, "calibration: batch size and max length must be positive");
  auto* g = dynamic_cast<models::Generative*>(&model);
  const bool seq2seq = g && g->is_encoder_decoder();
  if (!seq2seq)
    for (size_t i = 0; i < records.size(); ++i)
      check(!records[i].target, "{}: \"target\" is the decoder text of an encoder-decoder model; "
            "{} calibrates on \"text\" alone", name_of(records[i], i), model.arch());
  if (seq2seq) return seq2seq_batches(*g, model_dir, records, o);
  // A BERT-family causal LM (QDQBertLMHeadModel) reads text as BERT does ([CLS] ... [SEP]), as its
  // calibration is run in Hugging Face (bert_tok(texts, padding=True)); ProphetNet's continues prompts.
  if (g && model.family() != "bert") return causal_batches(model_dir, records, o);
  return encoder_batches(model_dir, records, o);
}

}  // namespace qdq::pipelines
