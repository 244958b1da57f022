// Values crossing the embedding API: Val (typed, for Func::Call, globals,
// tables) and ValRaw (untyped 16-byte slots, the array-call layout).
#ifndef KILN_ENGINE_VAL_H_
#define KILN_ENGINE_VAL_H_

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "engine/store_id.h"
#include "runtime/abi/vm_offsets.h"
#include "wasm/types.h"

namespace kiln {

using ValType = wasm::ValType;
using FuncType = wasm::FuncType;
using TableType = wasm::TableType;
using MemoryType = wasm::MemoryType;
using GlobalType = wasm::GlobalType;
using Limits = wasm::Limits;

// One untyped value slot: i32/f32 in the low 4 bytes, i64/f64/references
// in the low 8 bytes, v128 in all 16.
union alignas(16) ValRaw {
  int32_t i32;
  int64_t i64;
  uint32_t f32;  // bits
  uint64_t f64;  // bits
  void* ref;     // funcref: const VMFuncRef*; externref: host pointer
  uint8_t v128[16];

  static ValRaw I32(int32_t v) { ValRaw r{}; r.i32 = v; return r; }
  static ValRaw I64(int64_t v) { ValRaw r{}; r.i64 = v; return r; }
  static ValRaw F32Bits(uint32_t v) { ValRaw r{}; r.f32 = v; return r; }
  static ValRaw F64Bits(uint64_t v) { ValRaw r{}; r.f64 = v; return r; }
  static ValRaw Ref(void* v) { ValRaw r{}; r.ref = v; return r; }
};
static_assert(sizeof(ValRaw) == 16);

// A function reference: the VMFuncRef that wasm uses for it (code, callee
// VMContext, signature id) and its store's id, checked wherever the value
// enters a store (tables, globals, call arguments, host results). Cheap to
// copy; valid while its store lives.
class Func;

class Val {
 public:
  Val() : Val(I32(0)) {}
  static Val I32(int32_t v) { Val x(ValType::kI32); x.bits_ = static_cast<uint32_t>(v); return x; }
  static Val I64(int64_t v) { Val x(ValType::kI64); x.bits_ = static_cast<uint64_t>(v); return x; }
  static Val F32(float v) { uint32_t b; std::memcpy(&b, &v, 4); return F32Bits(b); }
  static Val F64(double v) { uint64_t b; std::memcpy(&b, &v, 8); return F64Bits(b); }
  static Val F32Bits(uint32_t b) { Val x(ValType::kF32); x.bits_ = b; return x; }
  static Val F64Bits(uint64_t b) { Val x(ValType::kF64); x.bits_ = b; return x; }
  static Val FuncRef(std::optional<Func> f);
  static Val NullFuncRef() { return Val(ValType::kFuncRef); }
  // nullptr is ref.null extern.
  static Val ExternRef(void* p) { Val x(ValType::kExternRef); x.ref_ = p; return x; }
  // v128 from its low and high 64 bits (little-endian lanes).
  static Val V128(uint64_t lo, uint64_t hi) { Val x(ValType::kV128); x.bits_ = lo; x.hi_ = hi; return x; }
  static Val Null(ValType ref_type) { return Val(ref_type); }
  // The zero / null value of `type`.
  static Val Default(ValType type) { return Val(type); }

  ValType type() const { return type_; }
  int32_t i32() const { return static_cast<int32_t>(bits_); }
  int64_t i64() const { return static_cast<int64_t>(bits_); }
  float f32() const { float f; uint32_t b = f32_bits(); std::memcpy(&f, &b, 4); return f; }
  double f64() const { double d; std::memcpy(&d, &bits_, 8); return d; }
  uint32_t f32_bits() const { return static_cast<uint32_t>(bits_); }
  uint64_t f64_bits() const { return bits_; }
  uint64_t v128_lo() const { return bits_; }
  uint64_t v128_hi() const { return hi_; }
  std::optional<Func> funcref() const;
  // The store of a non-null funcref (invalid for other values, and for a
  // funcref made by FromRaw without an owner).
  StoreId funcref_store() const {
    return type_ == ValType::kFuncRef ? StoreId::FromValue(bits_) : StoreId();
  }
  void* externref() const { return ref_; }
  bool is_null_ref() const { return ref_ == nullptr; }

  ValRaw ToRaw() const;
  // A funcref gets `owner` as its store (the raw slot does not say; a
  // funcref of no known store is refused wherever a store checks it).
  static Val FromRaw(ValType type, const ValRaw& raw,
                     StoreId owner = StoreId());

  // "i32:5", "f64:1.5", "funcref:null", ...
  std::string ToString() const;

  friend bool operator==(const Val& a, const Val& b) {
    return a.type_ == b.type_ && a.bits_ == b.bits_ && a.ref_ == b.ref_ &&
           a.hi_ == b.hi_;
  }

 private:
  explicit Val(ValType t) : type_(t) {}
  ValType type_;
  uint64_t bits_ = 0;    // funcref: its store's id
  void* ref_ = nullptr;  // funcref: abi::VMFuncRef*; externref: host ptr
  uint64_t hi_ = 0;      // v128: the high 64 bits
};

}  // namespace kiln

#endif  // KILN_ENGINE_VAL_H_
