#pragma once
// One quant point of the forward (matmul inputs, residual-add inputs): see
// layers/quant_point.h (fake quant in FakeQuant and in Int8 mode, where no
// integer kernel consumes the tensor).
#include "layers/quant_point.h"

namespace qdq::models::bert {

using layers::quant_point;

}  // namespace qdq::models::bert
