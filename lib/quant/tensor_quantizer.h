#pragma once
// pytorch_quantization's TensorQuantizer, and the plan that names every one of
// a model's quantizers as Hugging Face's named_modules() does. A model creates
// its quantizers through a QuantPlan at build time; the same forward code then
// runs fp32 (Disabled), calibration, fake quant or int8 depending on the
// quantizers' modes. Fake quant follows tensor_quant.py to the bit.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "kernels/ops.h"

namespace qdq::quant {

struct QuantDescriptor {
  int num_bits = 8;
  bool is_unsigned = false;
  bool narrow_range = false;
  std::optional<int> axis;  // per-channel axis; nullopt = per tensor
};

enum class QuantMode { Disabled, Calibrate, FakeQuant, Int8 };

class Calibrator;  // quant/calibrator.h

// What one quant point runs once its model is prepared: the precision plan.
// The layer that owns the point resolves it in prepare() (never in forward)
// and says why when a point in Int8 mode cannot run an integer kernel.
enum class Kernel {
  Unresolved,  // not prepared yet
  Fp32,        // quantizer disabled: the float tensor passes through
  Calibrate,   // collecting statistics, values unchanged
  FakeQuant,   // quantize-dequantize in float (pytorch_quantization's numerics)
  Int8,        // the tensor is quantized into an integer kernel's operand
  Bf16,        // quantizer disabled; the consuming GEMM rounds its operands to bfloat16
};
const char* kernel_name(Kernel k);  // "unresolved", "fp32", "calibrate", "fake quant", "int8", "bf16"

// The arithmetic of the float GEMMs: what --precision bf16 changes (the kernels' own enum).
using FloatMath = kernels::FloatMath;

struct PointPlan {
  Kernel kernel = Kernel::Unresolved;
  std::string op;    // what consumes the quantized tensor, e.g. "linear", "matmul Q.K^T", "residual add"
  std::string note;  // Int8 mode without an integer kernel: why (e.g. HF applies the residual adds as fake quant)
};

class TensorQuantizer {
 public:
  TensorQuantizer(std::string name, QuantDescriptor desc);
  ~TensorQuantizer();

  const std::string& name() const { return name_; }
  const QuantDescriptor& desc() const { return desc_; }
  QuantMode mode() const { return mode_; }
  // A quantizer that keeps_float() stays Disabled when asked for FakeQuant or Int8.
  void set_mode(QuantMode m);

  // amax: one value (per tensor) or one per channel along desc().axis.
  const std::vector<float>& amax() const { return amax_; }
  void set_amax(std::vector<float> a);  // a non-empty amax also ends keeps_float()
  bool has_amax() const { return !amax_.empty(); }

  // The "stays in float" state: the quantizer saw no calibration data (the
  // cross-attention of a ProphetNetForCausalLM, whose checkpoint carries it
  // but never runs it), so it has no amax and every precision leaves its
  // tensor in float; the rest of the model still runs fake quant / int8.
  // set_mode(Calibrate) still calibrates it, so a new calibration can give it
  // an amax. Amax tables and int8 directories record this state explicitly
  // (amax_table.h, int8_checkpoint.h), never as a silently missing entry.
  // pytorch_quantization's counterpart: load_calib_amax(strict=False) then
  // quantizer.disable().
  bool keeps_float() const { return keep_float_; }
  void set_keep_float();  // drops the amax

  // Calibrate: collect statistics of x, x unchanged. FakeQuant: x = fq(x) in
  // place. Disabled / Int8: x unchanged (int8 kernels read amax() themselves).
  void apply(Tensor& x);

  // Channels along desc().axis when the model knows them (0: unknown); amax tables are checked against it.
  int64_t channels() const { return channels_; }
  void set_channels(int64_t n) { channels_ = n; }

  // The precision plan of this point (see PointPlan); set by its layer's prepare().
  const PointPlan& plan() const { return plan_; }
  void set_plan(PointPlan p) { plan_ = std::move(p); }
  // The plan this point's mode gives where no integer kernel is in question:
  // Int8 mode then runs fake quant, with `why_not_int8` as the note.
  void plan_by_mode(const std::string& op, const std::string& why_not_int8);

  // An observer of every tensor apply() sees, before it is quantized (used by
  // `compare` to read what arrives at each point); empty: none.
  void set_tap(std::function<void(const Tensor&)> tap) { tap_ = std::move(tap); }
  bool has_tap() const { return static_cast<bool>(tap_); }

  Calibrator* calibrator() { return calib_.get(); }
  void set_calibrator(std::unique_ptr<Calibrator> c);

 private:
  std::string name_;
  QuantDescriptor desc_;
  QuantMode mode_ = QuantMode::Disabled;
  std::vector<float> amax_;
  bool keep_float_ = false;
  int64_t channels_ = 0;
  PointPlan plan_;
  std::function<void(const Tensor&)> tap_;
  std::unique_ptr<Calibrator> calib_;
};

// One torch.nn.Linear (QuantLinear) of a model: its module path as the class's
// named_modules() gives it, the checkpoint tensor its weight came from, its
// parameters and its two quantizers. The plan owns it, so its address is stable
// while the model's layer objects move.
struct LinearParams {
  std::string module;      // e.g. "encoder.layer.0.attention.self.query" (bare QDQBertModel)
  std::string weight_key;  // checkpoint name of the weight; empty when tied to another parameter
  Tensor weight;           // F32 [out, in]
  Tensor bias;             // F32 [out] or undefined
  TensorQuantizer* input = nullptr;
  TensorQuantizer* weight_quantizer = nullptr;
  // How the Linear's GEMM runs when both quantizers are disabled (QuantPlan::set_float_math).
  FloatMath float_math = FloatMath::Fp32;
};

// The model's registry of quant points: every quantizer in creation
// (= named_modules()) order, and every quantized Linear with its parameters.
// calibrate, quantize, int8 loading and inspect walk it; nothing outside the
// model guesses structure from weight names.
class QuantPlan {
 public:
  TensorQuantizer& add(const std::string& name, QuantDescriptor desc);
  // Registers "<module>._input_quantizer" and "<module>._weight_quantizer"
  // (QDQBERT's descriptors; per output channel) with the Linear's parameters.
  LinearParams& add_linear(const std::string& module, const std::string& weight_key, Tensor weight, Tensor bias);
  const std::vector<std::unique_ptr<LinearParams>>& linears() const { return linears_; }
  // The Linear whose weight quantizer is q; nullptr for every other quantizer.
  const LinearParams* linear_of_weight(const TensorQuantizer* q) const;
  // True for a Linear's weight quantizer (calibrated by per-channel max, whatever the input method).
  bool is_weight_quantizer(const TensorQuantizer* q) const { return linear_of_weight(q) != nullptr; }
  TensorQuantizer* find(const std::string& name);
  const TensorQuantizer* find(const std::string& name) const;
  const std::vector<std::unique_ptr<TensorQuantizer>>& all() const { return all_; }
  void set_mode(QuantMode m);
  bool empty() const { return all_.empty(); }
  // --precision bf16: every Linear whose quantizers are disabled runs its GEMM in bf16
  // (fake quant and int8 keep their exact numerics). Takes effect at the model's prepare().
  void set_float_math(FloatMath m);
  FloatMath float_math() const { return float_math_; }
  // The model this plan belongs to (its family's model_type and Hugging Face class), set by
  // models::load_model: amax tables record it and are checked against it (amax_table.h).
  void set_model(std::string model_type, std::string arch) {
    model_type_ = std::move(model_type);
    arch_ = std::move(arch);
  }
  const std::string& model_type() const { return model_type_; }
  const std::string& arch() const { return arch_; }

 private:
  FloatMath float_math_ = FloatMath::Fp32;
  std::string model_type_, arch_;
  std::vector<std::unique_ptr<TensorQuantizer>> all_;
  std::map<std::string, TensorQuantizer*> by_name_;
  std::vector<std::unique_ptr<LinearParams>> linears_;
};

// QDQBERT's defaults (Hugging Face docs): inputs per tensor 8 bit; weights per channel on axis 0.
inline QuantDescriptor input_desc() { return {}; }
inline QuantDescriptor weight_desc() { QuantDescriptor d; d.axis = 0; return d; }

// tensor_quant.py's integer bounds: max = 2^(bits-1+unsigned) - 1; min = 0
// (unsigned), -max (narrow range) or -max-1.
struct QuantBounds {
  float min_bound, max_bound;
};
QuantBounds quant_bounds(int num_bits, bool is_unsigned, bool narrow_range);
// The float32 multiplier max_bound / amax, or 0 for amax <= 2^-24 (every value quantizes to 0).
float quant_scale(float amax, float max_bound);
// One integer code: clamp(round_half_even(x * scale)) in float32, as _tensor_quant computes it.
float quant_code(float x, float scale, QuantBounds b);
// The dequantized value of a code: q / scale (scale 0 -> 1, as _tensor_quant returns it).
inline float dequant_code(float q, float scale) { return q / (scale == 0.0f ? 1.0f : scale); }

// tensor_quant.py's fake quant on float data laid out with `shape`:
// scale = max_bound / amax (float32), q = clamp(round_half_even(x * scale)),
// out = q / scale; amax <= 2^-24 gives 0. amax has 1 value or shape[axis] values.
// Error for a negative amax, or a negative input with is_unsigned (TypeError in the reference).
void fake_quant(float* x, const Shape& shape, const std::vector<float>& amax, std::optional<int> axis,
                int num_bits, bool is_unsigned, bool narrow_range);

}  // namespace qdq::quant
