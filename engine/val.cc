#include "engine/val.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/func.h"

namespace kiln {

Val Val::FuncRef(std::optional<Func> f) {
  Val x(ValType::kFuncRef);
  if (f.has_value()) {
    x.ref_ = const_cast<abi::VMFuncRef*>(f->raw());
    x.bits_ = f->store_id().value();
  }
  return x;
}

std::optional<Func> Val::funcref() const {
  if (type_ != ValType::kFuncRef || ref_ == nullptr) return std::nullopt;
  return Func::FromRaw(StoreId::FromValue(bits_),
                       static_cast<const abi::VMFuncRef*>(ref_));
}

ValRaw Val::ToRaw() const {
  switch (type_) {
    case ValType::kI32: return ValRaw::I32(i32());
    case ValType::kF32: return ValRaw::F32Bits(f32_bits());
    case ValType::kFuncRef:
    case ValType::kExternRef: return ValRaw::Ref(ref_);
    case ValType::kV128: {
      ValRaw r;
      std::memcpy(r.v128, &bits_, 8);
      std::memcpy(r.v128 + 8, &hi_, 8);
      return r;
    }
    default: return ValRaw::I64(static_cast<int64_t>(bits_));
  }
}

Val Val::FromRaw(ValType type, const ValRaw& raw, StoreId owner) {
  switch (type) {
    case ValType::kI32: return I32(raw.i32);
    case ValType::kI64: return I64(raw.i64);
    case ValType::kF32: return F32Bits(raw.f32);
    case ValType::kF64: return F64Bits(raw.f64);
    case ValType::kFuncRef: {
      Val x(ValType::kFuncRef);
      x.ref_ = raw.ref;
      if (raw.ref != nullptr) x.bits_ = owner.value();
      return x;
    }
    case ValType::kExternRef: return ExternRef(raw.ref);
    case ValType::kV128: break;
  }
  uint64_t lo, hi;
  std::memcpy(&lo, raw.v128, 8);
  std::memcpy(&hi, raw.v128 + 8, 8);
  return V128(lo, hi);
}

std::string Val::ToString() const {
  switch (type_) {
    case ValType::kI32: return absl::StrCat("i32:", i32());
    case ValType::kI64: return absl::StrCat("i64:", i64());
    case ValType::kF32: return absl::StrCat("f32:", f32());
    case ValType::kF64: return absl::StrCat("f64:", f64());
    case ValType::kFuncRef:
      return ref_ == nullptr ? "funcref:null"
                             : absl::StrFormat("funcref:%p", ref_);
    case ValType::kExternRef:
      return ref_ == nullptr ? "externref:null"
                             : absl::StrFormat("externref:%p", ref_);
    case ValType::kV128: return absl::StrFormat("v128:0x%016x%016x", hi_, bits_);
  }
  return "?";
}

}  // namespace kiln
