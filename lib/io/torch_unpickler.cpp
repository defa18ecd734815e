#include "io/torch_unpickler.h"

#include <cstring>
#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace qdq {

namespace {

constexpr size_t kMaxStack = 1 << 20, kMaxMarks = 1 << 16, kMaxMemo = 1 << 22;
constexpr size_t kMaxLine = 256, kMaxDims = 64;
constexpr int64_t kMaxDim = int64_t(1) << 40;

enum class Kind { None, Bool, Int, Float, Str, Tuple, List, Dict, Global, Storage, Tensor };
enum class Fn { OrderedDict, RebuildTensorV2, RebuildParameter, StorageType };

// Values live in an arena owned by the unpickler and point at each other with
// raw pointers: a pickle may build cycles (a list appended to itself), which
// shared ownership would leak.
struct Value {
  Kind kind = Kind::None;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<Value*> items;  // tuple / list; dict as key, value, key, value, ...
  Fn fn = Fn::OrderedDict;
  DType dtype = DType::F32;  // of a storage type or a storage
  std::string key;           // of a storage
  StorageRef storage;
  Tensor tensor;
};

std::optional<DType> storage_dtype(const std::string& name) {
  static const std::map<std::string, DType> k = {
      {"FloatStorage", DType::F32}, {"DoubleStorage", DType::F64}, {"HalfStorage", DType::F16},
      {"BFloat16Storage", DType::BF16}, {"LongStorage", DType::I64}, {"IntStorage", DType::I32},
      {"ShortStorage", DType::I16}, {"CharStorage", DType::I8}, {"ByteStorage", DType::U8},
      {"BoolStorage", DType::BOOL}};
  auto it = k.find(name);
  if (it == k.end()) return std::nullopt;
  return it->second;
}

// Names from the pickle go into messages: keep them printable.
std::string printable(const std::string& s) {
  std::string r;
  for (unsigned char c : s.substr(0, 80)) r += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return r;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* b, size_t n, const std::string& what, const StorageLoader& load, uint64_t budget)
      : b_(b), n_(n), what_(what), load_(load), budget_(budget) {}

  TensorMap run();

 private:
  template <class... A>
  [[noreturn]] void fail(fmt::format_string<A...> f, A&&... a) {
    throw Error("{}: data.pkl: {} (at byte {})", what_, fmt::format(f, std::forward<A>(a)...), op_pos_);
  }
  const uint8_t* take(uint64_t k) {
    if (k > n_ - pos_) fail("pickle stream is truncated");
    const uint8_t* p = b_ + pos_;
    pos_ += k;
    return p;
  }
  uint64_t le(int k) {
    const uint8_t* p = take(k);
    uint64_t v = 0;
    for (int i = k - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  std::string line() {
    const uint8_t* start = b_ + pos_;
    size_t avail = std::min<size_t>(n_ - pos_, kMaxLine);
    const void* nl = std::memchr(start, '\n', avail);
    if (!nl) fail(n_ - pos_ <= kMaxLine ? "pickle stream is truncated" : "GLOBAL name too long");
    size_t len = static_cast<const uint8_t*>(nl) - start;
    pos_ += len + 1;
    return std::string(reinterpret_cast<const char*>(start), len);
  }
  Value* make(Kind k) {
    arena_.emplace_back();
    arena_.back().kind = k;
    return &arena_.back();
  }
  void push(Value* v) {
    if (stack_.size() >= kMaxStack) fail("pickle stack too deep");
    stack_.push_back(v);
  }
  Value* pop() {
    if (stack_.size() <= floor()) fail("pickle stack underflow");
    Value* v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value* top() {
    if (stack_.size() <= floor()) fail("pickle stack underflow");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<Value*> pop_mark() {
    if (marks_.empty()) fail("pickle has no MARK to pop to");
    size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Value*> r(stack_.begin() + m, stack_.end());
    stack_.resize(m);
    return r;
  }
  void memo_put(uint64_t idx) {
    if (idx >= kMaxMemo) fail("memo index {} too large", idx);
    if (memo_.size() >= kMaxMemo) fail("memo too large");
    memo_[idx] = top();
  }
  void memo_get(uint64_t idx) {
    auto it = memo_.find(idx);
    if (it == memo_.end()) fail("memo index {} was never stored", idx);
    push(it->second);
  }
  void push_tuple(std::vector<Value*> items) {
    Value* t = make(Kind::Tuple);
    t->items = std::move(items);
    push(t);
  }
  void push_str(uint64_t len) {
    Value* v = make(Kind::Str);
    const uint8_t* p = take(len);
    v->s.assign(reinterpret_cast<const char*>(p), len);
    push(v);
  }
  void push_int(int64_t i) {
    Value* v = make(Kind::Int);
    v->i = i;
    push(v);
  }
  void global(const std::string& module, const std::string& name);
  void persistent_id();
  void reduce();
  Value* rebuild_tensor(const std::vector<Value*>& args);
  int64_t as_int(const Value* v, const char* what) {
    if (v->kind != Kind::Int && v->kind != Kind::Bool) fail("{} is not an integer", what);
    return v->i;
  }
  Shape int_tuple(const Value* v, const char* what) {
    if (v->kind != Kind::Tuple) fail("{} is not a tuple", what);
    if (v->items.size() > kMaxDims) fail("{} has {} dimensions", what, v->items.size());
    Shape s;
    for (auto* x : v->items) {
      int64_t d = as_int(x, what);
      if (d < 0 || d >= kMaxDim) fail("{} entry {} out of range", what, d);
      s.push_back(d);
    }
    return s;
  }

  const uint8_t* b_;
  size_t n_, pos_ = 0, op_pos_ = 0;
  const std::string& what_;
  const StorageLoader& load_;
  uint64_t budget_;
  std::deque<Value> arena_;
  std::vector<Value*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Value*> memo_;
  std::map<std::string, Value*> storages_;
};

void Unpickler::global(const std::string& module, const std::string& name) {
  Value* v = make(Kind::Global);
  if (module == "collections" && name == "OrderedDict") {
    v->fn = Fn::OrderedDict;
  } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
    v->fn = Fn::RebuildTensorV2;
  } else if (module == "torch._utils" && name == "_rebuild_parameter") {
    v->fn = Fn::RebuildParameter;
  } else if (module == "torch" && storage_dtype(name)) {
    v->fn = Fn::StorageType;
    v->dtype = *storage_dtype(name);
  } else {
    throw Error("{}: pickle asks for forbidden global {}.{}", what_, printable(module), printable(name));
  }
  push(v);
}

void Unpickler::persistent_id() {
  Value* pid = pop();
  if (pid->kind != Kind::Tuple || pid->items.size() != 5 || pid->items[0]->kind != Kind::Str ||
      pid->items[0]->s != "storage")
    fail("persistent id is not ('storage', type, key, location, numel)");
  Value* type = pid->items[1];
  if (type->kind != Kind::Global || type->fn != Fn::StorageType) fail("persistent id names no storage type");
  if (pid->items[2]->kind != Kind::Str) fail("storage key is not a string");
  const std::string& key = pid->items[2]->s;
  int64_t numel = as_int(pid->items[4], "storage numel");
  if (numel < 0 || numel >= (int64_t(1) << 50)) fail("storage '{}' numel {} out of range", printable(key), numel);
  auto it = storages_.find(key);
  if (it != storages_.end()) {
    Value* s = it->second;
    if (s->dtype != type->dtype || s->storage.numel != static_cast<uint64_t>(numel))
      fail("storage '{}' is referenced with two different types or sizes", printable(key));
    push(s);
    return;
  }
  Value* s = make(Kind::Storage);
  s->dtype = type->dtype;
  s->key = key;
  s->storage = load_(key, type->dtype, static_cast<uint64_t>(numel));
  storages_[key] = s;
  push(s);
}

Value* Unpickler::rebuild_tensor(const std::vector<Value*>& a) {
  if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got {}", a.size());
  if (a[0]->kind != Kind::Storage) fail("_rebuild_tensor_v2: first argument is not a storage");
  const Value& st = *a[0];
  const size_t item = dtype_size(st.dtype);
  int64_t offset = as_int(a[1], "storage offset");
  Shape size = int_tuple(a[2], "tensor size"), stride = int_tuple(a[3], "tensor stride");
  if (size.size() != stride.size()) fail("tensor size and stride differ in length");
  if (offset < 0 || static_cast<uint64_t>(offset) > st.storage.numel)
    fail("storage offset {} is outside storage '{}' ({} elements)", offset, printable(st.key), st.storage.numel);
  unsigned __int128 numel = 1, last = offset;  // last: highest element index touched
  for (size_t i = 0; i < size.size(); ++i) {
    numel *= static_cast<uint64_t>(size[i]);
    if (numel > (uint64_t(1) << 50)) fail("tensor size {} is too large", shape_str(size));
  }
  Value* v = make(Kind::Tensor);
  if (numel == 0) {
    v->tensor = Tensor(st.dtype, size);
    return v;
  }
  for (size_t i = 0; i < size.size(); ++i)
    last += static_cast<unsigned __int128>(size[i] - 1) * static_cast<uint64_t>(stride[i]);
  if (last >= st.storage.numel)
    fail("tensor of size {} stride {} at offset {} runs past storage '{}' ({} elements)", shape_str(size),
         shape_str(stride), offset, printable(st.key), st.storage.numel);
  bool contiguous = true;
  int64_t expect = 1;
  for (size_t i = size.size(); i-- > 0;) {
    if (size[i] != 1 && stride[i] != expect) contiguous = false;
    expect *= size[i];
  }
  uint8_t* base = st.storage.data + static_cast<uint64_t>(offset) * item;
  if (contiguous && reinterpret_cast<uintptr_t>(base) % item == 0) {
    v->tensor = Tensor::borrow(st.dtype, size, base, st.storage.holder);
    return v;
  }
  // Strided or misaligned: gather into an owned, contiguous tensor.
  uint64_t bytes = static_cast<uint64_t>(numel) * item;
  if (bytes > budget_) fail("strided tensors need more than the {} bytes allowed for copies", budget_);
  budget_ -= bytes;
  Tensor t(st.dtype, size);
  uint8_t* out = static_cast<uint8_t*>(t.raw());
  // Odometer over the dims that are not 1, moving the source index incrementally.
  std::vector<int64_t> dims, steps;
  for (size_t i = 0; i < size.size(); ++i)
    if (size[i] != 1) dims.push_back(size[i]), steps.push_back(stride[i]);
  std::vector<int64_t> idx(dims.size(), 0);
  int64_t src = 0;
  for (uint64_t k = 0; k < static_cast<uint64_t>(numel); ++k) {
    std::memcpy(out + k * item, base + static_cast<uint64_t>(src) * item, item);
    for (size_t i = dims.size(); i-- > 0;) {
      src += steps[i];
      if (++idx[i] < dims[i]) break;
      src -= dims[i] * steps[i];
      idx[i] = 0;
    }
  }
  v->tensor = std::move(t);
  return v;
}

void Unpickler::reduce() {
  Value* args = pop();
  Value* fn = pop();
  if (fn->kind != Kind::Global) fail("REDUCE on something that is not a global");
  if (args->kind != Kind::Tuple) fail("REDUCE arguments are not a tuple");
  switch (fn->fn) {
    case Fn::OrderedDict:
      if (!args->items.empty()) fail("OrderedDict called with arguments");
      push(make(Kind::Dict));
      return;
    case Fn::RebuildTensorV2:
      push(rebuild_tensor(args->items));
      return;
    case Fn::RebuildParameter:
      if (args->items.size() != 3 || args->items[0]->kind != Kind::Tensor)
        fail("_rebuild_parameter takes (tensor, requires_grad, hooks)");
      push(args->items[0]);
      return;
    case Fn::StorageType:
      fail("a storage type is called directly");
  }
}

TensorMap Unpickler::run() {
  for (;;) {
    op_pos_ = pos_;
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80: {  // PROTO
        uint64_t p = le(1);
        if (p < 2 || p > 5) fail("unsupported pickle protocol {}", p);
        break;
      }
      case 0x95: take(8); break;  // FRAME: a hint for buffered readers only
      case 'c': {                 // GLOBAL
        std::string module = line();
        global(module, line());
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Value* name = pop();
        Value* module = pop();
        if (name->kind != Kind::Str || module->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
        global(module->s, name->s);
        break;
      }
      case 'q': memo_put(le(1)); break;  // BINPUT
      case 'r': memo_put(le(4)); break;  // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;  // MEMOIZE
      case 'h': memo_get(le(1)); break;  // BINGET
      case 'j': memo_get(le(4)); break;  // LONG_BINGET
      case '(':
        if (marks_.size() >= kMaxMarks) fail("too many nested MARKs");
        marks_.push_back(stack_.size());
        break;
      case '}': push(make(Kind::Dict)); break;
      case ']': push(make(Kind::List)); break;
      case ')': push_tuple({}); break;
      case 't': push_tuple(pop_mark()); break;
      case 0x85: { Value* a = pop(); push_tuple({a}); break; }
      case 0x86: { Value* b = pop(); Value* a = pop(); push_tuple({a, b}); break; }
      case 0x87: { Value* c = pop(); Value* b = pop(); Value* a = pop(); push_tuple({a, b, c}); break; }
      case 'J': push_int(static_cast<int32_t>(le(4))); break;  // BININT
      case 'K': push_int(static_cast<int64_t>(le(1))); break;  // BININT1
      case 'M': push_int(static_cast<int64_t>(le(2))); break;  // BININT2
      case 0x8a: {  // LONG1: little-endian two's complement
        uint64_t k = le(1);
        if (k > 8) fail("LONG1 of {} bytes is too large", k);
        uint64_t v = k ? le(static_cast<int>(k)) : 0;
        if (k && k < 8 && (v >> (8 * k - 1)) & 1) v |= ~uint64_t(0) << (8 * k);  // sign-extend
        push_int(static_cast<int64_t>(v));
        break;
      }
      case 'X': push_str(le(4)); break;     // BINUNICODE
      case 0x8c: push_str(le(1)); break;    // SHORT_BINUNICODE
      case 0x8d: push_str(le(8)); break;    // BINUNICODE8
      case 'Q': persistent_id(); break;     // BINPERSID
      case 'R': reduce(); break;
      case 'b': {  // BUILD: state of an OrderedDict (its _metadata) or a tensor; not needed
        pop();
        Value* obj = top();
        if (obj->kind != Kind::Dict && obj->kind != Kind::Tensor) fail("BUILD on an unsupported object");
        break;
      }
      case 's': {  // SETITEM
        Value* v = pop();
        Value* k = pop();
        Value* d = top();
        if (d->kind != Kind::Dict) fail("SETITEM on something that is not a dict");
        d->items.push_back(k);
        d->items.push_back(v);
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<Value*> kv = pop_mark();
        Value* d = top();
        if (d->kind != Kind::Dict) fail("SETITEMS on something that is not a dict");
        if (kv.size() % 2) fail("SETITEMS with an odd number of items");
        d->items.insert(d->items.end(), kv.begin(), kv.end());
        break;
      }
      case 'a': {  // APPEND
        Value* v = pop();
        Value* l = top();
        if (l->kind != Kind::List) fail("APPEND on something that is not a list");
        l->items.push_back(v);
        break;
      }
      case 'e': {  // APPENDS
        std::vector<Value*> vs = pop_mark();
        Value* l = top();
        if (l->kind != Kind::List) fail("APPENDS on something that is not a list");
        l->items.insert(l->items.end(), vs.begin(), vs.end());
        break;
      }
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        Value* v = make(Kind::Bool);
        v->i = op == 0x88;
        push(v);
        break;
      }
      case 'N': push(make(Kind::None)); break;
      case 'G': {  // BINFLOAT: big-endian double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        Value* v = make(Kind::Float);
        std::memcpy(&v->f, &bits, 8);
        push(v);
        break;
      }
      case '.': {  // STOP
        Value* d = pop();
        if (d->kind != Kind::Dict) fail("the pickle is not a state dict (top level is not a dict)");
        TensorMap m;
        for (size_t i = 0; i < d->items.size(); i += 2) {
          Value* k = d->items[i];
          Value* v = d->items[i + 1];
          if (k->kind != Kind::Str) fail("state dict key is not a string");
          if (v->kind != Kind::Tensor) fail("state dict entry '{}' is not a tensor", printable(k->s));
          m.add(k->s, v->tensor);
        }
        return m;
      }
      default:
        fail("unsupported pickle opcode 0x{:02x}", op);
    }
  }
}

}  // namespace

TensorMap unpickle_state_dict(const uint8_t* bytes, size_t size, const std::string& what, const StorageLoader& load,
                              uint64_t copy_budget) {
  Unpickler u(bytes, size, what, load, copy_budget);
  return u.run();
}

}  // namespace qdq
