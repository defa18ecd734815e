#include "models/encoder_decoder/encoder_decoder_model.h"

#include "models/prophetnet/generation_defaults.h"
#include "models/prophetnet/input_util.h"
#include "models/prophetnet/lm_loss.h"
#include "models/prophetnet/prophetnet_model.h"

namespace qdq::models::encoder_decoder {

using prophetnet::IdBatch;

namespace {
const nlohmann::json& sub(const Checkpoint& ck, const char* key) {
  check(ck.config.contains(key) && ck.config[key].is_object(), "{}/config.json: EncoderDecoderModel without '{}'",
        ck.dir, key);
  return ck.config[key];
}
int64_t id_of(const Checkpoint& ck, const char* key, int64_t fallback) {
  const auto& c = ck.config;
  if (c.contains(key) && c[key].is_number_integer()) return c[key].get<int64_t>();
  return fallback;
}
}  // namespace

EncoderDecoderModel::EncoderDecoderModel(const Checkpoint& ck) : gen_(generation_defaults_of(ck)) {
  const auto& ej = sub(ck, "encoder");
  const auto& dj = sub(ck, "decoder");
  std::string et = ej.value("model_type", ""), dt = dj.value("model_type", "");
  check(et == "bert" || et == "qdqbert", "{}/config.json: encoder model_type '{}' is not supported (bert)", ck.dir,
        et);
  check(dt == "prophetnet" || dt == "bert" || dt == "qdqbert",
        "{}/config.json: decoder model_type '{}' is not supported (prophetnet, bert, qdqbert)", ck.dir, dt);
  bert::BertConfig ec = bert::parse_bert_config(ej, ck.dir + "/config.json (encoder)");

  WeightStore ws(ck);
  enc_ = std::make_unique<bert::BertModel>(ec, ws, "encoder.", plan_, bert::Pooler::Optional);
  // Both decoder families name the width hidden_size (ProphetNet's default 1024, BERT's 768).
  const int64_t dh = dj.contains("hidden_size") && dj["hidden_size"].is_number_integer()
                         ? dj["hidden_size"].get<int64_t>()
                         : (dt == "prophetnet" ? 1024 : 768);
  const bool has_xattn_size = dj.contains("cross_attention_hidden_size") && !dj["cross_attention_hidden_size"].is_null();
  if (ec.hidden_size != dh && !has_xattn_size) {
    proj_.emplace("enc_to_dec_proj", ws.take("enc_to_dec_proj.weight", {dh, ec.hidden_size}, true),
                  ws.take("enc_to_dec_proj.bias", {dh}), plan_, ws.key_of("enc_to_dec_proj.weight").value_or(""));
  }
  check(ec.hidden_size == dh || proj_, "{}/config.json: encoder hidden size {} != decoder {}", ck.dir,
        ec.hidden_size, dh);
  const std::string where = ck.dir + "/config.json (decoder)";
  dec_ = dt == "prophetnet" ? make_prophetnet_decoder(dj, where, ws, plan_) : make_bert_decoder(dj, where, ws, plan_);
  check(dec_->hidden_size() == dh, "{}: hidden_size {} read as {}", where, dec_->hidden_size(), dh);
  decoder_start_ = id_of(ck, "decoder_start_token_id", dec_->default_decoder_start());
  pad_ = id_of(ck, "pad_token_id", dec_->default_pad());
  ws.finish();
}

void EncoderDecoderModel::prepare() {
  enc_->prepare();
  if (proj_) proj_->prepare();
  dec_->prepare();
}

Tensor EncoderDecoderModel::encode(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                   const std::vector<int64_t>& mask, const Tensor& token_type_ids,
                                   Tensor* last_hidden) {
  Tensor ids = Tensor::from_vector(src, {B, L});
  Tensor m = mask.empty() ? Tensor() : Tensor::from_vector(mask, {B, L});
  Tensor h = enc_->forward(ids, m, token_type_ids);
  if (last_hidden) *last_hidden = h;
  return proj_ ? proj_->forward(h) : h;
}

TensorMap EncoderDecoderModel::forward(const TensorMap& in) {
  IdBatch src = prophetnet::read_ids(in, "input_ids");
  auto src_mask = prophetnet::read_optional(in, "attention_mask", src.B, src.T);
  Tensor tt = in.has("token_type_ids") ? in.at("token_type_ids") : Tensor();
  IdBatch labels;
  if (in.has("labels")) labels = prophetnet::read_ids(in, "labels");
  IdBatch dec;
  std::vector<int64_t> dec_mask;
  if (in.has("decoder_input_ids")) {
    dec = prophetnet::read_ids(in, "decoder_input_ids");
    dec_mask = prophetnet::read_optional(in, "decoder_attention_mask", dec.B, dec.T);
  } else {
    check(in.has("labels"), "inputs: EncoderDecoderModel needs decoder_input_ids (or labels)");
    // shift_tokens_right, and a decoder mask of the non-pad positions (EncoderDecoderModel.forward).
    dec = {prophetnet::shift_right(labels, decoder_start_, pad_), labels.B, labels.T};
    dec_mask = prophetnet::read_optional(in, "decoder_attention_mask", dec.B, dec.T);
    if (dec_mask.empty())
      for (int64_t v : dec.v) dec_mask.push_back(v != pad_ ? 1 : 0);
  }
  check(dec.B == src.B, "inputs: decoder_input_ids has batch {}, input_ids {}", dec.B, src.B);
  Tensor enc_last;
  Tensor enc = encode(src.v, src.B, src.T, src_mask, tt, &enc_last);
  TensorMap dec_out;
  dec_->forward(dec.v, dec.B, dec.T, dec_mask, enc, src_mask, dec_out);
  TensorMap out;
  if (in.has("labels")) {
    check(labels.B == dec.B && labels.T == dec.T, "inputs: labels are [{}, {}], the decoder input [{}, {}]",
          labels.B, labels.T, dec.B, dec.T);
    out.add("loss", prophetnet::scalar(prophetnet::cross_entropy(dec_out.at("logits"), labels.v)));
  }
  out.add("logits", dec_out.at("logits"));
  out.add("encoder_last_hidden_state", enc_last);
  for (auto& n : dec_out.names)
    if (n != "logits") out.add(n, dec_out.at(n));
  return out;
}

std::unique_ptr<DecoderState> EncoderDecoderModel::start(const std::vector<int64_t>& src, int64_t B, int64_t L,
                                                         const std::vector<int64_t>& src_mask, int64_t expand,
                                                         int64_t capacity) {
  Tensor enc = prophetnet::repeat_rows(encode(src, B, L, src_mask, Tensor(), nullptr), expand);
  return dec_->start(B * expand, capacity, enc, prophetnet::repeat_rows(src_mask, B, expand));
}

Tensor EncoderDecoderModel::prefill(DecoderState& st, const std::vector<int64_t>& seqs, int64_t len) {
  check(len == 1, "EncoderDecoderModel generate: the decoder starts from one token, got {}", len);
  return dec_->step(st, seqs);
}

Tensor EncoderDecoderModel::step(DecoderState& st, const std::vector<int64_t>& tokens) { return dec_->step(st, tokens); }

}  // namespace qdq::models::encoder_decoder

namespace qdq::models {

std::unique_ptr<Model> load_encoder_decoder(const Checkpoint& ckpt, const std::string& arch) {
  check(arch.empty() || arch == "EncoderDecoderModel",
        "{}/config.json: unsupported architecture '{}' for model_type encoder-decoder (EncoderDecoderModel)", ckpt.dir,
        arch);
  return std::make_unique<encoder_decoder::EncoderDecoderModel>(ckpt);
}

}  // namespace qdq::models
