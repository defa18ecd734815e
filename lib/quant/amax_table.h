#pragma once
// Amax tables: {quantizer name: amax} as JSON (number, or list for per-channel)
// or as a safetensors state dict with "<name>._amax" tensors (shape [] per
// tensor, [out, 1] per channel, as pytorch_quantization stores them).
//
// A quantizer that stays in float (it saw no calibration data; see
// TensorQuantizer::keeps_float) is an EMPTY amax in an AmaxTable, `null` in
// JSON, and in a state dict has no "<name>._amax" tensor but is listed in the
// metadata entry "qdqrt.float_quantizers" (a JSON array of names). So a table
// that marks a quantizer float is told apart from one that misses it (an error).
//
// The model a table was calibrated on: tables qdqrt writes carry
// {"model_type", "architecture", "weights_hash"} (JSON: a "__metadata__"
// object; state dict: __metadata__ entries; the int8 directory's metadata
// too). weights_hash is FNV-1a 64 (see weights_hash) over every quantized
// Linear's weight quantizer name, shape and F32 bytes, in plan order.
// apply_amax_table refuses a table whose model_type or weights differ from
// the model's, unless forced. A table without that metadata (a PyTorch state
// dict, hand-written JSON) is checked against the weights themselves: a weight
// quantizer's amax from max calibration is the weight's own max|w| per
// channel, so a weight where EVERY channel disagrees means another model.
#include <map>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "quant/tensor_quantizer.h"

namespace qdq::quant {

// {quantizer name: amax}; an empty value: stays in float. `metadata`: the model identity
// keys above when the table carries them (not part of ==, which compares the amax values).
struct AmaxTable : std::map<std::string, std::vector<float>> {
  using std::map<std::string, std::vector<float>>::map;
  std::map<std::string, std::string> metadata;
};

// The model identity metadata keys.
inline const char* kModelTypeKey = "model_type";
inline const char* kArchitectureKey = "architecture";
inline const char* kWeightsHashKey = "weights_hash";
// "fnv1a64:<16 hex digits>" over (name, shape, F32 bytes) of every quantized Linear weight, in plan
// order; "" when the plan has no F32 weights to hash (an int8 directory's weights are I8 codes).
// FNV-1a 64 rather than SHA-256: it names the model, it does not defend against forgery, and it is
// cheap: 8 bytes per multiply (the word-wise variant): 2.7 GB/s, 0.13 s for bert-base's 340 MB of weights.
std::string weights_hash(const QuantPlan& plan);
// {model_type, architecture, weights_hash} of the plan's model (keys with an empty value left out).
std::map<std::string, std::string> model_identity(const QuantPlan& plan);
// The state-dict metadata key listing the quantizers that stay in float.
inline const char* kFloatQuantizersKey = "qdqrt.float_quantizers";
// Names of the entries that mark a quantizer float, in table order.
std::vector<std::string> float_quantizers(const AmaxTable& t);
// Adds the metadata's float quantizers to t as empty entries. Error "<path>: ..." for
// a value that is not a JSON array of names, or a name that also has an amax.
void read_float_quantizers(const std::map<std::string, std::string>& metadata, const std::string& path,
                           AmaxTable& t);

// By extension: .json, or .safetensors (a state dict; other keys are ignored).
AmaxTable load_amax_table(const std::string& path);
// The JSON form from text: {name: number | [number, ...] | null}; numbers parsed as
// double and rounded to float32; an optional "__metadata__": {key: string} object
// goes to t.metadata. Error "<what>: ..." for anything else.
AmaxTable parse_amax_json(const std::string& text, const std::string& what);
// JSON text: "__metadata__" first when t has metadata, then the amax in plan order (then any
// other names), each float as the shortest decimal that reads back to the same float32.
// Error for a NaN / Inf value.
std::string amax_json_text(const AmaxTable& t, const QuantPlan* plan);
// The state-dict form: "<name>._amax" F32, shape [] for one value, [n, 1] for a list;
// float quantizers and the model identity in the metadata (see above).
TensorMap amax_state_dict(const AmaxTable& t);
void save_amax_table(const std::string& path, const AmaxTable& t, const QuantPlan& plan);
// The table of a calibrated / loaded plan (keeps_float() quantizers as empty entries).
AmaxTable amax_table_of(const QuantPlan& plan);
// Sets every quantizer's amax. Error "<path>: ..." for a quantizer missing from
// the table, a negative, NaN or infinite amax, a zero per-tensor amax (a
// per-channel list may hold zeros: an all-zero weight row quantizes to 0 in
// pytorch_quantization too, but not only zeros), more than one value for a
// per-tensor quantizer, or a list whose length differs from the quantizer's
// channels() when that is known. Names in the table that the model lacks only
// get a warning (a table made for a larger head or a sibling class still applies).
// An empty entry makes the quantizer keep float (TensorQuantizer::set_keep_float).
// Then the model check (see the top): Error "<path>: the amax table was calibrated on
// another model (<what differs>); --force uses it anyway", or "<path>: the amax table was
// calibrated on other weights (<weight quantizer>: N of N channels differ)" for a table
// without identity; force turns both into warnings. An architecture that differs while the
// quantized weights are the same (a sibling head class) is only a warning.
void apply_amax_table(QuantPlan& plan, const AmaxTable& t, const std::string& path, bool force = false);

}  // namespace qdq::quant
