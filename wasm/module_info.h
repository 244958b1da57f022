// ModuleInfo: everything the decoder learned about a module, as a
// self-contained value that owns a copy of the module bytes (so function
// bodies can be re-decoded by the compiler after the input buffer is gone).
#ifndef KILN_WASM_MODULE_INFO_H_
#define KILN_WASM_MODULE_INFO_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "wasm/features.h"
#include "wasm/types.h"

namespace kiln::wasm {

// Operand stack depth of an extended constant expression (the decoder
// rejects deeper ones; real ones need a handful).
inline constexpr size_t kMaxConstExprStack = 64;

// One instruction of an extended constant expression (extended-const
// proposal), in postfix order: constants and global.get push, the
// arithmetic pops two values of `type` and pushes one.
struct ConstOp {
  enum class Kind : uint8_t { kConst, kGlobalGet, kAdd, kSub, kMul };
  Kind kind = Kind::kConst;
  ValType type = ValType::kI32;  // i32 or i64
  uint64_t bits = 0;             // kConst: the value (i32 sign-extended)
  uint32_t index = 0;            // kGlobalGet: the global
};

// A validated constant expression. In WebAssembly 2.0 a constant
// expression that produces one value is exactly one instruction; with
// extended-const, i32/i64 add/sub/mul may combine constants and global.get.
// The decoder folds an expression without global.get to one constant (so
// copy-on-write images and lazy tables see a plain i32.const offset); the
// rest are kExtended and evaluated at instantiation.
struct ConstExpr {
  enum class Kind : uint8_t {
    kI32Const,
    kI64Const,
    kF32Const,   // bits holds the raw IEEE bits
    kF64Const,
    kV128Const,  // v128 holds the 16 bytes
    kRefNull,    // type is the reference type
    kRefFunc,    // index is the function index
    kGlobalGet,  // index is the (imported, immutable) global index
    kExtended,   // ops is the program (it reads at least one global)
  };
  Kind kind = Kind::kI32Const;
  ValType type = ValType::kI32;  // Result type.
  uint64_t bits = 0;             // i32/i64 value (sign-extended) or float bits.
  uint32_t index = 0;
  std::array<uint8_t, 16> v128{};
  std::vector<ConstOp> ops;  // kExtended

  static ConstExpr I32(int32_t v) {
    ConstExpr e;
    e.kind = Kind::kI32Const;
    e.type = ValType::kI32;
    e.bits = static_cast<uint64_t>(static_cast<int64_t>(v));
    return e;
  }
  static ConstExpr I64(int64_t v) {
    ConstExpr e;
    e.kind = Kind::kI64Const;
    e.type = ValType::kI64;
    e.bits = static_cast<uint64_t>(v);
    return e;
  }
  static ConstExpr RefFunc(uint32_t f) {
    ConstExpr e;
    e.kind = Kind::kRefFunc;
    e.type = ValType::kFuncRef;
    e.index = f;
    return e;
  }
  static ConstExpr RefNull(ValType t) {
    ConstExpr e;
    e.kind = Kind::kRefNull;
    e.type = t;
    return e;
  }
};

// The value of an i32/i64 extended constant expression: `global(i)` gives
// the bits of global i (i32 zero- or sign-extended, only the low 32 bits
// are used). Wrapping arithmetic, as the instructions.
template <class GlobalBits>
uint64_t EvalConstOps(const std::vector<ConstOp>& ops, GlobalBits global) {
  uint64_t stack[kMaxConstExprStack];
  size_t n = 0;
  for (const ConstOp& op : ops) {
    uint64_t v;
    switch (op.kind) {
      case ConstOp::Kind::kConst: v = op.bits; break;
      case ConstOp::Kind::kGlobalGet: v = global(op.index); break;
      default: {
        const uint64_t b = stack[--n], a = stack[--n];
        v = op.kind == ConstOp::Kind::kAdd   ? a + b
            : op.kind == ConstOp::Kind::kSub ? a - b
                                             : a * b;
        break;
      }
    }
    if (op.type == ValType::kI32) v = static_cast<uint32_t>(v);
    stack[n++] = v;
  }
  return stack[0];
}

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  uint32_t func_type_index = 0;  // kFunction
  TableType table;               // kTable
  MemoryType memory;             // kMemory
  GlobalType global;             // kGlobal
};

struct Function {
  uint32_t type_index = 0;
  bool imported = false;
  uint32_t import_index = 0;  // For imported functions: index in imports.
  // For defined functions: the body (locals declarations + code + final
  // `end`) as a byte range of ModuleInfo::bytes.
  uint32_t body_offset = 0;
  uint32_t body_size = 0;
};

struct Table {
  TableType type;
  bool imported = false;
};

struct Memory {
  MemoryType type;
  bool imported = false;
};

struct Global {
  GlobalType type;
  bool imported = false;
  ConstExpr init;  // For defined globals.
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  uint32_t index = 0;
};

enum class SegmentMode : uint8_t { kActive, kPassive, kDeclarative };

struct ElemSegment {
  SegmentMode mode = SegmentMode::kActive;
  uint32_t table_index = 0;  // kActive
  ConstExpr offset;          // kActive, i32
  ValType elem_type = ValType::kFuncRef;
  // Each item is ref.func (function-index encodings), ref.null or global.get.
  std::vector<ConstExpr> items;
};

struct DataSegment {
  SegmentMode mode = SegmentMode::kActive;  // kActive or kPassive
  uint32_t memory_index = 0;
  ConstExpr offset;
  uint32_t data_offset = 0;  // Byte range in ModuleInfo::bytes.
  uint32_t data_size = 0;
};

struct CustomSection {
  std::string name;
  uint32_t data_offset = 0;  // Payload after the name, in ModuleInfo::bytes.
  uint32_t data_size = 0;
};

struct ModuleInfo {
  // A copy of the module's bytes; all byte ranges index into it.
  std::vector<uint8_t> bytes;
  // The proposals the module was decoded with (DecodeOptions::features);
  // the function-body validator checks instructions against it.
  Features features;

  std::vector<FuncType> types;
  std::vector<Import> imports;
  // Function index space: imported functions first, then defined ones.
  std::vector<Function> functions;
  std::vector<Table> tables;
  std::vector<Memory> memories;
  std::vector<Global> globals;
  std::vector<Export> exports;
  std::optional<uint32_t> start;
  std::vector<ElemSegment> elem_segments;
  std::vector<DataSegment> data_segments;
  std::optional<uint32_t> data_count;
  std::vector<CustomSection> custom_sections;

  uint32_t num_imported_functions = 0;
  uint32_t num_imported_tables = 0;
  uint32_t num_imported_memories = 0;
  uint32_t num_imported_globals = 0;

  // declared_functions[f]: f may be referenced by ref.func in a function
  // body (it occurs in an element segment, export or global initializer).
  std::vector<bool> declared_functions;

  // From the "name" custom section, if present and well-formed (a broken
  // name section is ignored: custom sections never make a module invalid).
  std::optional<std::string> module_name;
  absl::flat_hash_map<uint32_t, std::string> function_names;
  absl::flat_hash_map<uint32_t, absl::flat_hash_map<uint32_t, std::string>>
      local_names;

  uint32_t num_defined_functions() const {
    return static_cast<uint32_t>(functions.size()) - num_imported_functions;
  }
  const FuncType& func_type(uint32_t func_index) const {
    return types[functions[func_index].type_index];
  }
  // Bytes of a defined function's body (locals + code + end).
  absl::Span<const uint8_t> FunctionBody(uint32_t func_index) const {
    const Function& f = functions[func_index];
    return absl::Span<const uint8_t>(bytes.data() + f.body_offset,
                                     f.body_size);
  }
  absl::Span<const uint8_t> DataBytes(const DataSegment& d) const {
    return absl::Span<const uint8_t>(bytes.data() + d.data_offset,
                                     d.data_size);
  }
  // Name from the name section, or nullptr.
  const std::string* FunctionName(uint32_t func_index) const {
    auto it = function_names.find(func_index);
    return it == function_names.end() ? nullptr : &it->second;
  }
};

}  // namespace kiln::wasm

#endif  // KILN_WASM_MODULE_INFO_H_
