#include "wasm/types.h"

#include "absl/strings/str_cat.h"

namespace kiln::wasm {

std::optional<ValType> ValTypeFromByte(uint8_t b) {
  switch (b) {
    case 0x7f: return ValType::kI32;
    case 0x7e: return ValType::kI64;
    case 0x7d: return ValType::kF32;
    case 0x7c: return ValType::kF64;
    case 0x7b: return ValType::kV128;
    case 0x70: return ValType::kFuncRef;
    case 0x6f: return ValType::kExternRef;
    default: return std::nullopt;
  }
}

const char* ValTypeName(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kV128: return "v128";
    case ValType::kFuncRef: return "funcref";
    case ValType::kExternRef: return "externref";
  }
  return "<invalid>";
}

int ValTypeSize(ValType t) {
  switch (t) {
    case ValType::kI32:
    case ValType::kF32: return 4;
    case ValType::kV128: return 16;
    default: return 8;
  }
}

std::string FuncType::ToString() const {
  std::string s = "(";
  for (size_t i = 0; i < params.size(); ++i) {
    absl::StrAppend(&s, i ? ", " : "", ValTypeName(params[i]));
  }
  absl::StrAppend(&s, ") -> (");
  for (size_t i = 0; i < results.size(); ++i) {
    absl::StrAppend(&s, i ? ", " : "", ValTypeName(results[i]));
  }
  s += ")";
  return s;
}

const char* ExternKindName(ExternKind k) {
  switch (k) {
    case ExternKind::kFunction: return "func";
    case ExternKind::kTable: return "table";
    case ExternKind::kMemory: return "memory";
    case ExternKind::kGlobal: return "global";
  }
  return "<invalid>";
}

}  // namespace kiln::wasm
