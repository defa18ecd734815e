#include "models/prophetnet/prophetnet_model.h"

#include <cstring>

#include "models/prophetnet/generation_defaults.h"
#include "models/prophetnet/input_util.h"
#include "models/prophetnet/lm_loss.h"

namespace qdq::models::prophetnet {

void add_logits(TensorMap& out, const Tensor& pl) {
  const int64_t B = pl.dim(0), NG = pl.dim(1), T = pl.dim(2), V = pl.dim(3);
  Tensor logits(DType::F32, {B, T, V});
  for (int64_t b = 0; b < B; ++b)
    std::memcpy(logits.data<float>() + b * T * V, pl.data<float>() + b * NG * T * V, sizeof(float) * T * V);
  out.add("logits", logits);
  if (NG > 1) {
    Tensor ng(DType::F32, {B, NG - 1, T, V});
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(ng.data<float>() + b * (NG - 1) * T * V, pl.data<float>() + (b * NG + 1) * T * V,
                  sizeof(float) * (NG - 1) * T * V);
    out.add("logits_ngram", ng);
  }
}

Tensor repeat_rows(const Tensor& x, int64_t expand) {
  if (expand == 1) return x;
  Shape s = x.shape();
  const int64_t B = s[0], row = x.numel() / B;
  s[0] = B * expand;
  Tensor y(DType::F32, s);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t e = 0; e < expand; ++e)
      std::memcpy(y.data<float>() + (b * expand + e) * row, x.data<float>() + b * row, sizeof(float) * row);
  return y;
}

std::vector<int64_t> repeat_rows(const std::vector<int64_t>& v, int64_t B, int64_t expand) {
  if (v.empty() || expand == 1) return v;
  const int64_t row = static_cast<int64_t>(v.size()) / B;
  std::vector<int64_t> out;
  out.reserve(v.size() * expand);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t e = 0; e < expand; ++e) out.insert(out.end(), v.begin() + b * row, v.begin() + (b + 1) * row);
  return out;
}

namespace {
Config config_of(const Checkpoint& ck) { return parse_config(ck.config, ck.dir + "/config.json"); }
}  // namespace

// ---- ForConditionalGeneration ----

ForConditionalGeneration::ForConditionalGeneration(const Checkpoint& ck) : c_(config_of(ck)), gen_(generation_defaults_of(ck)) {
  WeightStore ws(ck);
  Tensor word = take_word_embeddings(ws, "prophetnet.", c_);
  enc_ = std::make_unique<Encoder>("prophetnet.encoder", ws, c_, word, plan_);
  Tensor head = take_head_weight(ws, "lm_head", c_, word);
  lm_ = LmDecoder("prophetnet.decoder", "lm_head", ws, c_, word, head, plan_);
  ws.finish();
}

void ForConditionalGeneration::prepare() {
  enc_->prepare();
  lm_.prepare();
}

namespace {
// Inputs this port does not take: an error rather than silently ignoring them (transformers'
// ProphetNet has no position_ids argument either).
void refuse_unsupported(const TensorMap& in) {
  check(!in.has("position_ids"), "input 'position_ids' is not taken by ProphetNet (positions follow the tokens)");
}
// inputs_embeds `name` [B, T, hidden] as F32, in place of `ids_name`; undefined when absent.
Tensor read_embeds(const TensorMap& in, const char* name, const char* ids_name, int64_t hidden) {
  if (!in.has(name)) return Tensor();
  check(!in.has(ids_name), "give {} or {}, not both", ids_name, name);
  const Tensor& e = in.at(name);
  check(dtype_is_float(e.dtype()), "input '{}' is {}, expected a float dtype", name, dtype_name(e.dtype()));
  check(e.ndim() == 3 && e.dim(0) > 0 && e.dim(1) > 0 && e.dim(2) == hidden,
        "input '{}' has shape {}, expected [batch, seq, {}]", name, shape_str(e.shape()), hidden);
  return e.to_f32().clone();
}
// The [B, T] of ids `name`, or of the embeddings standing in for them.
IdBatch ids_or_embeds(const TensorMap& in, const char* name, const Tensor& embeds) {
  if (embeds.defined()) return {{}, embeds.dim(0), embeds.dim(1)};
  return read_ids(in, name);
}
std::vector<float> head_masks_of(const TensorMap& in, const char* name, int64_t layers, int64_t heads) {
  return layer_head_masks(in.has(name) ? in.at(name) : Tensor(), layers, heads, name);
}
void append(TensorMap& out, const TensorMap& tuples) {
  for (auto& n : tuples.names) out.add(n, tuples.tensors.at(n));
}
}  // namespace

TensorMap ForConditionalGeneration::forward(const TensorMap& in, const ForwardRequest& req) {
  refuse_unsupported(in);
  const Tensor src_embeds = read_embeds(in, "inputs_embeds", "input_ids", c_.hidden_size);
  const Tensor dec_embeds = read_embeds(in, "decoder_inputs_embeds", "decoder_input_ids", c_.hidden_size);
  IdBatch src = ids_or_embeds(in, "input_ids", src_embeds);
  auto src_mask = read_optional(in, "attention_mask", src.B, src.T);
  IdBatch labels;
  if (in.has("labels")) labels = read_ids(in, "labels");
  IdBatch dec;
  if (in.has("decoder_input_ids") || dec_embeds.defined()) {
    dec = ids_or_embeds(in, "decoder_input_ids", dec_embeds);
  } else {
    check(in.has("labels"), "inputs: ProphetNetForConditionalGeneration needs decoder_input_ids (or labels)");
    dec = {shift_right(labels, c_.decoder_start_token_id, c_.pad_token_id), labels.B, labels.T};
  }
  check(dec.B == src.B, "inputs: decoder_input_ids has batch {}, input_ids {}", dec.B, src.B);
  auto dec_mask = read_optional(in, "decoder_attention_mask", dec.B, dec.T);
  TensorMap tuples;  // the requested hidden states / attentions, written after the outputs
  ForwardCollector collect(req, tuples);
  ForwardCollector* co = req.any() ? &collect : nullptr;
  const auto enc_head_mask = head_masks_of(in, "head_mask", c_.num_encoder_layers, c_.num_encoder_heads);
  Tensor enc = src_embeds.defined() ? enc_->forward_embedded(src_embeds, src_mask, enc_head_mask, co)
                                    : enc_->forward(src.v, src.B, src.T, src_mask, enc_head_mask, co);
  DecoderExtras ex;
  ex.inputs_embeds = dec_embeds;
  ex.head_mask = head_masks_of(in, "decoder_head_mask", c_.num_decoder_layers, c_.num_decoder_heads);
  ex.cross_attn_head_mask = head_masks_of(in, "cross_attn_head_mask", c_.num_decoder_layers, c_.num_decoder_heads);
  ex.collect = co;
  ex.names = kSeq2SeqOutputNames;
  auto o = lm_.decoder().forward(dec.v, dec.B, dec.T, dec_mask, enc, src_mask, mode_, nullptr, &ex);
  Tensor pl = lm_.predict_logits(o.ngram, dec.T);
  TensorMap out;
  if (in.has("labels")) {
    check(labels.B == dec.B && labels.T == dec.T, "inputs: labels are [{}, {}], the decoder input [{}, {}]",
          labels.B, labels.T, dec.B, dec.T);
    out.add("loss", scalar(prophetnet_loss(pl, labels.v, c_.eps, c_.disable_ngram_loss)));
  }
  add_logits(out, pl);
  out.add("encoder_last_hidden_state", enc);
  out.add("decoder_last_hidden_state", o.main);
  out.add("decoder_last_hidden_state_ngram", o.ngram);
  append(out, tuples);
  return out;
}

std::unique_ptr<DecoderState> ForConditionalGeneration::start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                                          const std::vector<int64_t>& src_mask, int64_t expand,
                                                          int64_t capacity) {
  Tensor enc = repeat_rows(enc_->forward(src, B, L, src_mask), expand);
  auto st = std::make_unique<GenState>();
  st->rows = B * expand;
  st->cache = lm_.decoder().new_cache(st->rows, capacity, enc, repeat_rows(src_mask, B, expand));
  return st;
}

Tensor ForConditionalGeneration::prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) {
  check(len == 1, "ProphetNet generate: the decoder starts from one token, got {}", len);
  return lm_.step(state_as<GenState>(st), seqs);
}

Tensor ForConditionalGeneration::step(DecoderState& st, const std::vector<int64_t>& tokens) {
  return lm_.step(state_as<GenState>(st), tokens);
}

// ---- ForCausalLM ----

ForCausalLM::ForCausalLM(const Checkpoint& ck) : c_(config_of(ck)), gen_(generation_defaults_of(ck)) {
  WeightStore ws(ck);
  Tensor word = take_word_embeddings(ws, "prophetnet.", c_);
  ws.ignore_prefix("prophetnet.encoder.");  // a ForConditionalGeneration checkpoint's other half
  Tensor head = take_head_weight(ws, "lm_head", c_, word);
  lm_ = LmDecoder("prophetnet.decoder", "lm_head", ws, c_, word, head, plan_);
  ws.finish();
}

TensorMap ForCausalLM::forward(const TensorMap& in, const ForwardRequest& req) {
  refuse_unsupported(in);
  DecoderExtras ex;
  ex.inputs_embeds = read_embeds(in, "inputs_embeds", "input_ids", c_.hidden_size);
  IdBatch ids = ids_or_embeds(in, "input_ids", ex.inputs_embeds);
  auto mask = read_optional(in, "attention_mask", ids.B, ids.T);
  TensorMap tuples;
  ForwardCollector collect(req, tuples);
  ex.head_mask = head_masks_of(in, "head_mask", c_.num_decoder_layers, c_.num_decoder_heads);
  ex.collect = req.any() ? &collect : nullptr;
  ex.names = kCausalOutputNames;
  auto o = lm_.decoder().forward(ids.v, ids.B, ids.T, mask, Tensor(), {}, mode_, nullptr, &ex);
  Tensor pl = lm_.predict_logits(o.ngram, ids.T);
  TensorMap out;
  if (in.has("labels")) {
    IdBatch labels = read_ids(in, "labels");
    check(labels.B == ids.B && labels.T == ids.T, "inputs: labels are [{}, {}], input_ids [{}, {}]", labels.B,
          labels.T, ids.B, ids.T);
    out.add("loss", scalar(prophetnet_loss(pl, labels.v, c_.eps, c_.disable_ngram_loss)));
  }
  add_logits(out, pl);
  out.add("last_hidden_state", o.main);
  out.add("last_hidden_state_ngram", o.ngram);
  append(out, tuples);
  return out;
}

std::unique_ptr<DecoderState> ForCausalLM::start(const std::vector<int64_t>&, int64_t B, int64_t,
                                             const std::vector<int64_t>&, int64_t expand, int64_t capacity) {
  auto st = std::make_unique<GenState>();
  st->rows = B * expand;
  st->cache = lm_.decoder().new_cache(st->rows, capacity, Tensor(), {});
  return st;
}

Tensor ForCausalLM::prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) {
  return lm_.prefill(state_as<GenState>(st), seqs, len, Tensor(), {}, mode_);
}

}  // namespace qdq::models::prophetnet

namespace qdq::models {

std::unique_ptr<Model> load_prophetnet(const Checkpoint& ckpt, const std::string& arch) {
  if (arch.empty() || arch == "ProphetNetForConditionalGeneration")
    return std::make_unique<prophetnet::ForConditionalGeneration>(ckpt);
  if (arch == "ProphetNetForCausalLM") return std::make_unique<prophetnet::ForCausalLM>(ckpt);
  throw Error("{}/config.json: unsupported ProphetNet architecture '{}' (supported: "
              "ProphetNetForConditionalGeneration, ProphetNetForCausalLM)",
              ckpt.dir, arch);
}

}  // namespace qdq::models
