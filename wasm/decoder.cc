#include "wasm/decoder.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wasm/leb128.h"
#include "wasm/limits.h"
#include "wasm/name_section.h"
#include "wasm/opcodes.h"
#include "wasm/status_macros.h"
#include "wasm/validator.h"

namespace kiln::wasm {
namespace {

constexpr const char* kSectionEof = "unexpected end of section or function";

enum SectionId : uint8_t {
  kCustomSection = 0,
  kTypeSection = 1,
  kImportSection = 2,
  kFunctionSection = 3,
  kTableSection = 4,
  kMemorySection = 5,
  kGlobalSection = 6,
  kExportSection = 7,
  kStartSection = 8,
  kElementSection = 9,
  kCodeSection = 10,
  kDataSection = 11,
  kDataCountSection = 12,
};

// Position of each section id in the required order.
int SectionOrder(uint8_t id) {
  switch (id) {
    case kTypeSection: return 1;
    case kImportSection: return 2;
    case kFunctionSection: return 3;
    case kTableSection: return 4;
    case kMemorySection: return 5;
    case kGlobalSection: return 6;
    case kExportSection: return 7;
    case kStartSection: return 8;
    case kElementSection: return 9;
    case kDataCountSection: return 10;
    case kCodeSection: return 11;
    case kDataSection: return 12;
    default: return 0;
  }
}

class ModuleDecoder {
 public:
  ModuleDecoder(ModuleInfo* m, const DecodeOptions& options)
      : m_(m), options_(options) {}

  absl::Status Decode();

 private:
  // Reads a vector count, checking it against an implementation limit and
  // against the bytes left (each element takes at least `min_elem_size`
  // bytes), before anything is allocated.
  absl::StatusOr<uint32_t> Count(Reader& r, uint64_t limit, const char* what,
                                 size_t min_elem_size = 1);
  absl::StatusOr<ValType> ReadValType(Reader& r);
  absl::StatusOr<ValType> ReadRefType(Reader& r);
  // A memory type's flags go to `is64` (memory64, bit 2: min and max are
  // then u64) and `shared` (threads, bit 1); both are nullptr for a table.
  absl::StatusOr<Limits> ReadLimits(Reader& r, bool* is64,
                                    bool* shared = nullptr);
  absl::StatusOr<TableType> ReadTableType(Reader& r);
  absl::StatusOr<MemoryType> ReadMemoryType(Reader& r);
  absl::StatusOr<GlobalType> ReadGlobalType(Reader& r);
  absl::StatusOr<ConstExpr> ReadConstExpr(Reader& r, ValType expected);

  // Before adding a memory (imported or defined) that starts at `at`: a
  // second one needs multi-memory, and there are at most kMaxMemories.
  absl::Status CheckAnotherMemory(size_t at) const;

  absl::Status DecodeTypeSection(Reader& r);
  absl::Status DecodeImportSection(Reader& r);
  absl::Status DecodeFunctionSection(Reader& r);
  absl::Status DecodeTableSection(Reader& r);
  absl::Status DecodeMemorySection(Reader& r);
  absl::Status DecodeGlobalSection(Reader& r);
  absl::Status DecodeExportSection(Reader& r);
  absl::Status DecodeStartSection(Reader& r);
  absl::Status DecodeElementSection(Reader& r);
  absl::Status DecodeDataCountSection(Reader& r);
  absl::Status DecodeCodeSection(Reader& r);
  absl::Status DecodeDataSection(Reader& r);
  absl::Status DecodeCustomSection(Reader& r, size_t section_start);

  ModuleInfo* m_;
  DecodeOptions options_;
  uint32_t num_declared_functions_ = 0;  // From the function section.
  bool saw_code_section_ = false;
  bool saw_data_section_ = false;
  uint64_t total_elem_items_ = 0;
};

absl::StatusOr<uint32_t> ModuleDecoder::Count(Reader& r, uint64_t limit,
                                              const char* what,
                                              size_t min_elem_size) {
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > limit) {
    return ErrorAt(at, absl::StrFormat("too many %s: %u (limit %u)", what, n,
                                       limit));
  }
  (void)min_elem_size;
  return n;
}

// Capacity to reserve for `n` elements of at least `min_elem_size` bytes
// each: never more than the remaining bytes can hold, so a hostile count
// cannot drive a large allocation (decoding then fails at the real end).
size_t SafeCapacity(uint32_t n, const Reader& r, size_t min_elem_size) {
  return std::min<size_t>(n, r.remaining() / min_elem_size);
}

absl::StatusOr<ValType> ModuleDecoder::ReadValType(Reader& r) {
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint8_t b, r.U8());
  std::optional<ValType> t = ValTypeFromByte(b);
  if (!t) {
    // Types are signed 7-bit LEB128 values.
    if (b & 0x80) return ErrorAt(at, "integer representation too long");
    return ErrorAt(at, "malformed value type");
  }
  return *t;
}

absl::StatusOr<ValType> ModuleDecoder::ReadRefType(Reader& r) {
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint8_t b, r.U8());
  std::optional<ValType> t = ValTypeFromByte(b);
  if (!t || !IsRefType(*t)) return ErrorAt(at, "malformed reference type");
  return *t;
}

absl::StatusOr<Limits> ModuleDecoder::ReadLimits(Reader& r, bool* is64,
                                                  bool* shared) {
  size_t at = r.offset();
  // The flags are a small LEB128 value: bit 0 = has maximum; for memories
  // bit 1 = shared (threads) and bit 2 = 64-bit (memory64).
  KILN_ASSIGN_OR_RETURN(uint8_t flags, r.U8());
  if (flags & 0x80) return ErrorAt(at, "integer representation too long");
  constexpr uint8_t kSharedFlag = 2;
  constexpr uint8_t kMemory64Flag = 4;
  const bool wide = is64 != nullptr && (flags & kMemory64Flag) != 0;
  if (wide && !m_->features.memory64) {
    return ErrorAt(at, FeatureDisabledMessage(Feature::k_memory64,
                                              "a 64-bit memory (i64 limits)"));
  }
  const bool is_shared = shared != nullptr && (flags & kSharedFlag) != 0 &&
                         (flags & ~(kSharedFlag | kMemory64Flag | 1)) == 0;
  if (is_shared && !m_->features.threads) {
    return ErrorAt(at, FeatureDisabledMessage(Feature::k_threads,
                                              "a shared memory"));
  }
  const uint8_t known =
      1 | (wide ? kMemory64Flag : 0) | (is_shared ? kSharedFlag : 0);
  if (flags & ~known) return ErrorAt(at, "integer too large");
  if (is64 != nullptr) *is64 = wide;
  if (shared != nullptr) *shared = is_shared;
  Limits l;
  // With memory64 on, every memory's limits are u64 in the binary (3.0);
  // a 32-bit memory's are then bounded by validation, not decoding.
  if (is64 != nullptr && m_->features.memory64) {
    KILN_ASSIGN_OR_RETURN(l.min, r.U64());
    if (flags & 1) {
      KILN_ASSIGN_OR_RETURN(uint64_t max, r.U64());
      l.max = max;
    }
    return l;
  }
  KILN_ASSIGN_OR_RETURN(l.min, r.U32());
  if (flags & 1) {
    KILN_ASSIGN_OR_RETURN(uint32_t max, r.U32());
    l.max = max;
  }
  return l;
}

absl::StatusOr<TableType> ModuleDecoder::ReadTableType(Reader& r) {
  TableType t;
  KILN_ASSIGN_OR_RETURN(t.elem_type, ReadRefType(r));
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(t.limits, ReadLimits(r, nullptr));
  if (t.limits.max && t.limits.min > *t.limits.max) {
    return ErrorAt(at, "size minimum must not be greater than maximum");
  }
  if (t.limits.min > kMaxTableSize) {
    return ErrorAt(at, absl::StrFormat(
                           "table size must be at most %u elements (got %u)",
                           kMaxTableSize, t.limits.min));
  }
  return t;
}

absl::StatusOr<MemoryType> ModuleDecoder::ReadMemoryType(Reader& r) {
  MemoryType t;
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(t.limits, ReadLimits(r, &t.is64, &t.shared));
  const uint64_t max_pages = t.is64 ? kMaxMemory64Pages : kMaxMemoryPages;
  if (t.limits.min > max_pages ||
      (t.limits.max && *t.limits.max > max_pages)) {
    return ErrorAt(at, t.is64
                           ? "memory size must be at most 2^48 pages (2^64 bytes)"
                           : "memory size must be at most 65536 pages (4GiB)");
  }
  if (t.limits.max && t.limits.min > *t.limits.max) {
    return ErrorAt(at, "size minimum must not be greater than maximum");
  }
  if (t.shared && !t.limits.max) {
    return ErrorAt(at, "shared memory must have maximum");
  }
  return t;
}

absl::Status ModuleDecoder::CheckAnotherMemory(size_t at) const {
  if (m_->memories.empty()) return absl::OkStatus();
  if (!m_->features.multi_memory) {
    return ErrorAt(at, FeatureDisabledMessage(Feature::k_multi_memory,
                                              "multiple memories"));
  }
  if (m_->memories.size() >= kMaxMemories) {
    return ErrorAt(at, absl::StrFormat("too many memories (at most %u)",
                                       kMaxMemories));
  }
  return absl::OkStatus();
}

absl::StatusOr<GlobalType> ModuleDecoder::ReadGlobalType(Reader& r) {
  GlobalType g;
  KILN_ASSIGN_OR_RETURN(g.type, ReadValType(r));
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint8_t mut, r.U8());
  if (mut > 1) return ErrorAt(at, "malformed mutability");
  g.mutable_ = mut == 1;
  return g;
}

absl::StatusOr<ConstExpr> ModuleDecoder::ReadConstExpr(Reader& r,
                                                       ValType expected) {
  // The value stack's types, and the program for extended expressions
  // (only i32/i64 values take part in arithmetic).
  std::vector<ValType> types;
  std::vector<ConstOp> ops;
  ConstExpr single;  // The expression when it is one instruction.
  bool reads_global = false;
  for (;;) {
    size_t at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint8_t b, r.U8());
    uint32_t code = b;
    uint8_t prefix = 0;
    if (IsPrefixByte(b)) {
      prefix = b;
      KILN_ASSIGN_OR_RETURN(code, r.U32());
    }
    Opcode op = LookupOpcode(prefix, code);
    if (op == Opcode::kInvalid) return ErrorAt(at, "illegal opcode");
    ConstExpr v;
    ConstOp cop;
    switch (op) {
      case Opcode::kEnd: {
        if (types.size() != 1 || types[0] != expected) {
          std::string got = types.empty() ? "[]" : ValTypeName(types.back());
          if (types.size() > 1) got = absl::StrCat(types.size(), " values");
          return ErrorAt(at, absl::StrCat("type mismatch: expected ",
                                          ValTypeName(expected), ", got ",
                                          got));
        }
        if (ops.size() <= 1) return single;
        if (reads_global) {
          ConstExpr e;
          e.kind = ConstExpr::Kind::kExtended;
          e.type = expected;
          e.ops = std::move(ops);
          return e;
        }
        // Constant after evaluation: one plain constant.
        const uint64_t value =
            EvalConstOps(ops, [](uint32_t) { return uint64_t{0}; });
        return expected == ValType::kI32
                   ? ConstExpr::I32(static_cast<int32_t>(value))
                   : ConstExpr::I64(static_cast<int64_t>(value));
      }
      case Opcode::kI32Add:
      case Opcode::kI32Sub:
      case Opcode::kI32Mul:
      case Opcode::kI64Add:
      case Opcode::kI64Sub:
      case Opcode::kI64Mul: {
        if (!m_->features.extended_const) {
          return ErrorAt(at, "constant expression required");
        }
        const ValType t =
            (op == Opcode::kI32Add || op == Opcode::kI32Sub ||
             op == Opcode::kI32Mul)
                ? ValType::kI32
                : ValType::kI64;
        for (int k = 0; k < 2; ++k) {
          if (types.empty()) {
            return ErrorAt(at, absl::StrCat("type mismatch: expected ",
                                            ValTypeName(t), ", got nothing"));
          }
          if (types.back() != t) {
            return ErrorAt(at, absl::StrCat("type mismatch: expected ",
                                            ValTypeName(t), ", got ",
                                            ValTypeName(types.back())));
          }
          types.pop_back();
        }
        cop.kind = op == Opcode::kI32Add || op == Opcode::kI64Add
                       ? ConstOp::Kind::kAdd
                   : op == Opcode::kI32Sub || op == Opcode::kI64Sub
                       ? ConstOp::Kind::kSub
                       : ConstOp::Kind::kMul;
        cop.type = t;
        ops.push_back(cop);
        types.push_back(t);
        continue;
      }
      case Opcode::kI32Const: {
        KILN_ASSIGN_OR_RETURN(int32_t x, r.S32());
        v = ConstExpr::I32(x);
        break;
      }
      case Opcode::kI64Const: {
        KILN_ASSIGN_OR_RETURN(int64_t x, r.S64());
        v = ConstExpr::I64(x);
        break;
      }
      case Opcode::kF32Const: {
        KILN_ASSIGN_OR_RETURN(uint32_t x, r.F32Bits());
        v.kind = ConstExpr::Kind::kF32Const;
        v.type = ValType::kF32;
        v.bits = x;
        break;
      }
      case Opcode::kF64Const: {
        KILN_ASSIGN_OR_RETURN(uint64_t x, r.F64Bits());
        v.kind = ConstExpr::Kind::kF64Const;
        v.type = ValType::kF64;
        v.bits = x;
        break;
      }
      case Opcode::kV128Const: {
        KILN_ASSIGN_OR_RETURN(absl::Span<const uint8_t> x, r.Bytes(16));
        v.kind = ConstExpr::Kind::kV128Const;
        v.type = ValType::kV128;
        std::memcpy(v.v128.data(), x.data(), 16);
        break;
      }
      case Opcode::kRefNull: {
        KILN_ASSIGN_OR_RETURN(ValType t, ReadRefType(r));
        v = ConstExpr::RefNull(t);
        break;
      }
      case Opcode::kRefFunc: {
        size_t iat = r.offset();
        KILN_ASSIGN_OR_RETURN(uint32_t f, r.U32());
        if (f >= m_->functions.size()) {
          return ErrorAt(iat, absl::StrCat("unknown function ", f));
        }
        m_->declared_functions[f] = true;
        v = ConstExpr::RefFunc(f);
        break;
      }
      case Opcode::kGlobalGet: {
        size_t iat = r.offset();
        KILN_ASSIGN_OR_RETURN(uint32_t g, r.U32());
        if (g >= m_->num_imported_globals) {
          return ErrorAt(iat, absl::StrCat("unknown global ", g));
        }
        if (m_->globals[g].type.mutable_) {
          return ErrorAt(at, "constant expression required");
        }
        v.kind = ConstExpr::Kind::kGlobalGet;
        v.type = m_->globals[g].type.type;
        v.index = g;
        reads_global = true;
        break;
      }
      default:
        return ErrorAt(at, "constant expression required");
    }
    if (types.size() >= kMaxConstExprStack) {
      return ErrorAt(at, "constant expression too deep");
    }
    types.push_back(v.type);
    single = v;
    if (v.type == ValType::kI32 || v.type == ValType::kI64) {
      cop.kind = v.kind == ConstExpr::Kind::kGlobalGet
                     ? ConstOp::Kind::kGlobalGet
                     : ConstOp::Kind::kConst;
      cop.type = v.type;
      cop.bits = v.bits;
      cop.index = v.index;
      ops.push_back(cop);
    } else {
      // Other values never take part in arithmetic; a second one makes
      // the expression invalid at its end.
      ops.push_back(ConstOp{});
    }
  }
}

absl::Status ModuleDecoder::DecodeTypeSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxTypes, "types", 3));
  m_->types.reserve(SafeCapacity(n, r, 3));
  for (uint32_t i = 0; i < n; ++i) {
    size_t at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint8_t form, r.U8());
    // The form is a signed 7-bit LEB128 value (-0x20).
    if (form & 0x80) return ErrorAt(at, "integer representation too long");
    if (form != 0x60) return ErrorAt(at, "malformed function type");
    FuncType ft;
    KILN_ASSIGN_OR_RETURN(uint32_t np, Count(r, kMaxParams, "params"));
    ft.params.reserve(SafeCapacity(np, r, 1));
    for (uint32_t k = 0; k < np; ++k) {
      KILN_ASSIGN_OR_RETURN(ValType t, ReadValType(r));
      ft.params.push_back(t);
    }
    KILN_ASSIGN_OR_RETURN(uint32_t nr, Count(r, kMaxResults, "results"));
    ft.results.reserve(SafeCapacity(nr, r, 1));
    for (uint32_t k = 0; k < nr; ++k) {
      KILN_ASSIGN_OR_RETURN(ValType t, ReadValType(r));
      ft.results.push_back(t);
    }
    m_->types.push_back(std::move(ft));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeImportSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxImports, "imports", 4));
  m_->imports.reserve(SafeCapacity(n, r, 4));
  for (uint32_t i = 0; i < n; ++i) {
    Import imp;
    KILN_ASSIGN_OR_RETURN(imp.module, r.Name());
    KILN_ASSIGN_OR_RETURN(imp.name, r.Name());
    size_t at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint8_t kind, r.U8());
    switch (kind) {
      case 0: {
        imp.kind = ExternKind::kFunction;
        size_t tat = r.offset();
        KILN_ASSIGN_OR_RETURN(imp.func_type_index, r.U32());
        if (imp.func_type_index >= m_->types.size()) {
          return ErrorAt(tat, absl::StrCat("unknown type ",
                                           imp.func_type_index));
        }
        if (m_->functions.size() >= kMaxFunctions) {
          return ErrorAt(at, "too many functions");
        }
        Function f;
        f.type_index = imp.func_type_index;
        f.imported = true;
        f.import_index = i;
        m_->functions.push_back(f);
        ++m_->num_imported_functions;
        break;
      }
      case 1: {
        imp.kind = ExternKind::kTable;
        KILN_ASSIGN_OR_RETURN(imp.table, ReadTableType(r));
        if (m_->tables.size() >= kMaxTables) {
          return ErrorAt(at, "too many tables");
        }
        m_->tables.push_back(Table{imp.table, true});
        ++m_->num_imported_tables;
        break;
      }
      case 2: {
        imp.kind = ExternKind::kMemory;
        KILN_ASSIGN_OR_RETURN(imp.memory, ReadMemoryType(r));
        KILN_RETURN_IF_ERROR(CheckAnotherMemory(at));
        m_->memories.push_back(Memory{imp.memory, true});
        ++m_->num_imported_memories;
        break;
      }
      case 3: {
        imp.kind = ExternKind::kGlobal;
        KILN_ASSIGN_OR_RETURN(imp.global, ReadGlobalType(r));
        if (m_->globals.size() >= kMaxGlobals) {
          return ErrorAt(at, "too many globals");
        }
        Global g;
        g.type = imp.global;
        g.imported = true;
        m_->globals.push_back(g);
        ++m_->num_imported_globals;
        break;
      }
      default:
        return ErrorAt(at, "malformed import kind");
    }
    m_->imports.push_back(std::move(imp));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeFunctionSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(
      uint32_t n, Count(r, kMaxFunctions - m_->functions.size(), "functions"));
  m_->functions.reserve(m_->functions.size() + SafeCapacity(n, r, 1));
  num_declared_functions_ = n;
  for (uint32_t i = 0; i < n; ++i) {
    size_t at = r.offset();
    Function f;
    KILN_ASSIGN_OR_RETURN(f.type_index, r.U32());
    if (f.type_index >= m_->types.size()) {
      return ErrorAt(at, absl::StrCat("unknown type ", f.type_index));
    }
    m_->functions.push_back(f);
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeTableSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(
      uint32_t n, Count(r, kMaxTables - m_->tables.size(), "tables", 3));
  m_->tables.reserve(m_->tables.size() + SafeCapacity(n, r, 3));
  for (uint32_t i = 0; i < n; ++i) {
    KILN_ASSIGN_OR_RETURN(TableType t, ReadTableType(r));
    m_->tables.push_back(Table{t, false});
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeMemorySection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(uint32_t n, Count(r, 1 << 20, "memories", 2));
  for (uint32_t i = 0; i < n; ++i) {
    const size_t mat = r.offset();
    KILN_ASSIGN_OR_RETURN(MemoryType t, ReadMemoryType(r));
    KILN_RETURN_IF_ERROR(CheckAnotherMemory(mat));
    m_->memories.push_back(Memory{t, false});
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeGlobalSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(
      uint32_t n, Count(r, kMaxGlobals - m_->globals.size(), "globals", 4));
  m_->globals.reserve(m_->globals.size() + SafeCapacity(n, r, 4));
  for (uint32_t i = 0; i < n; ++i) {
    Global g;
    KILN_ASSIGN_OR_RETURN(g.type, ReadGlobalType(r));
    KILN_ASSIGN_OR_RETURN(g.init, ReadConstExpr(r, g.type.type));
    m_->globals.push_back(std::move(g));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeExportSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxExports, "exports", 3));
  m_->exports.reserve(SafeCapacity(n, r, 3));
  absl::flat_hash_set<std::string_view> names;
  
  for (uint32_t i = 0; i < n; ++i) {
    Export e;
    size_t name_at = r.offset();
    KILN_ASSIGN_OR_RETURN(e.name, r.Name());
    size_t at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint8_t kind, r.U8());
    size_t iat = r.offset();
    KILN_ASSIGN_OR_RETURN(e.index, r.U32());
    switch (kind) {
      case 0:
        e.kind = ExternKind::kFunction;
        if (e.index >= m_->functions.size())
          return ErrorAt(iat, absl::StrCat("unknown function ", e.index));
        m_->declared_functions[e.index] = true;
        break;
      case 1:
        e.kind = ExternKind::kTable;
        if (e.index >= m_->tables.size())
          return ErrorAt(iat, absl::StrCat("unknown table ", e.index));
        break;
      case 2:
        e.kind = ExternKind::kMemory;
        if (e.index >= m_->memories.size())
          return ErrorAt(iat, absl::StrCat("unknown memory ", e.index));
        break;
      case 3:
        e.kind = ExternKind::kGlobal;
        if (e.index >= m_->globals.size())
          return ErrorAt(iat, absl::StrCat("unknown global ", e.index));
        break;
      default:
        return ErrorAt(at, "malformed export kind");
    }
    m_->exports.push_back(std::move(e));
    (void)name_at;
  }
  // Names point into the exports vector, which no longer reallocates.
  for (const Export& e : m_->exports) {
    if (!names.insert(e.name).second) {
      return ErrorAt(r.offset(),
                     absl::StrCat("duplicate export name \"", e.name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeStartSection(Reader& r) {
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint32_t f, r.U32());
  if (f >= m_->functions.size()) {
    return ErrorAt(at, absl::StrCat("unknown function ", f));
  }
  const FuncType& t = m_->func_type(f);
  if (!t.params.empty() || !t.results.empty()) {
    return ErrorAt(at, absl::StrCat("start function must have type [] -> [], "
                                    "got ",
                                    t.ToString()));
  }
  m_->start = f;
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeElementSection(Reader& r) {
  KILN_ASSIGN_OR_RETURN(uint32_t n,
                        Count(r, kMaxElemSegments, "element segments", 2));
  m_->elem_segments.reserve(SafeCapacity(n, r, 2));
  for (uint32_t i = 0; i < n; ++i) {
    ElemSegment seg;
    size_t at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint32_t flags, r.U32());
    if (flags > 7) return ErrorAt(at, "malformed elements segment kind");
    const bool passive_or_declarative = flags & 1;
    const bool explicit_table = flags & 2;
    const bool uses_exprs = flags & 4;
    if (passive_or_declarative) {
      seg.mode = explicit_table ? SegmentMode::kDeclarative
                                : SegmentMode::kPassive;
    } else {
      seg.mode = SegmentMode::kActive;
      if (explicit_table) {
        size_t tat = r.offset();
        KILN_ASSIGN_OR_RETURN(seg.table_index, r.U32());
        if (seg.table_index >= m_->tables.size())
          return ErrorAt(tat, absl::StrCat("unknown table ", seg.table_index));
      } else if (m_->tables.empty()) {
        return ErrorAt(at, "unknown table 0");
      }
      KILN_ASSIGN_OR_RETURN(seg.offset, ReadConstExpr(r, ValType::kI32));
    }
    // Element type / kind.
    if (passive_or_declarative || explicit_table) {
      if (uses_exprs) {
        KILN_ASSIGN_OR_RETURN(seg.elem_type, ReadRefType(r));
      } else {
        size_t kat = r.offset();
        KILN_ASSIGN_OR_RETURN(uint8_t kind, r.U8());
        if (kind != 0) return ErrorAt(kat, "malformed element kind");
        seg.elem_type = ValType::kFuncRef;
      }
    }
    size_t cat = r.offset();
    KILN_ASSIGN_OR_RETURN(uint32_t count, Count(r, kMaxElemItemsTotal,
                                                "element items"));
    total_elem_items_ += count;
    if (total_elem_items_ > kMaxElemItemsTotal) {
      return ErrorAt(cat, "too many element items in total");
    }
    seg.items.reserve(SafeCapacity(count, r, 1));
    for (uint32_t k = 0; k < count; ++k) {
      if (uses_exprs) {
        KILN_ASSIGN_OR_RETURN(ConstExpr e, ReadConstExpr(r, seg.elem_type));
        seg.items.push_back(e);
      } else {
        size_t fat = r.offset();
        KILN_ASSIGN_OR_RETURN(uint32_t f, r.U32());
        if (f >= m_->functions.size())
          return ErrorAt(fat, absl::StrCat("unknown function ", f));
        m_->declared_functions[f] = true;
        seg.items.push_back(ConstExpr::RefFunc(f));
      }
    }
    if (seg.mode == SegmentMode::kActive &&
        m_->tables[seg.table_index].type.elem_type != seg.elem_type) {
      return ErrorAt(at, absl::StrCat(
                             "type mismatch: element segment of type ",
                             ValTypeName(seg.elem_type), " for table of type ",
                             ValTypeName(
                                 m_->tables[seg.table_index].type.elem_type)));
    }
    m_->elem_segments.push_back(std::move(seg));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeDataCountSection(Reader& r) {
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n > kMaxDataSegments) {
    return ErrorAt(at, absl::StrFormat("too many data segments: %u (limit %u)",
                                       n, kMaxDataSegments));
  }
  m_->data_count = n;
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeCodeSection(Reader& r) {
  saw_code_section_ = true;
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint32_t n, r.U32());
  if (n != num_declared_functions_) {
    return ErrorAt(at,
                   "function and code section have inconsistent lengths");
  }
  if (n > r.remaining()) return ErrorAt(at, kSectionEof);
  for (uint32_t i = 0; i < n; ++i) {
    size_t sat = r.offset();
    KILN_ASSIGN_OR_RETURN(uint32_t size, r.U32());
    if (size > kMaxFunctionBodySize) {
      return ErrorAt(sat, absl::StrFormat(
                              "function body too large: %u bytes (limit %u)",
                              size, kMaxFunctionBodySize));
    }
    if (size > r.remaining()) return ErrorAt(sat, "length out of bounds");
    Function& f = m_->functions[m_->num_imported_functions + i];
    f.body_offset = static_cast<uint32_t>(r.offset());
    f.body_size = size;
    KILN_RETURN_IF_ERROR(r.Skip(size));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeDataSection(Reader& r) {
  saw_data_section_ = true;
  size_t at = r.offset();
  KILN_ASSIGN_OR_RETURN(uint32_t n, Count(r, kMaxDataSegments,
                                          "data segments", 2));
  if (m_->data_count && *m_->data_count != n) {
    return ErrorAt(at,
                   "data count and data section have inconsistent lengths");
  }
  m_->data_segments.reserve(SafeCapacity(n, r, 2));
  for (uint32_t i = 0; i < n; ++i) {
    DataSegment d;
    size_t fat = r.offset();
    KILN_ASSIGN_OR_RETURN(uint32_t flags, r.U32());
    switch (flags) {
      case 0:
      case 2: {
        d.mode = SegmentMode::kActive;
        if (flags == 2) {
          size_t mat = r.offset();
          KILN_ASSIGN_OR_RETURN(d.memory_index, r.U32());
          if (d.memory_index >= m_->memories.size())
            return ErrorAt(mat,
                           absl::StrCat("unknown memory ", d.memory_index));
        } else if (m_->memories.empty()) {
          return ErrorAt(fat, "unknown memory 0");
        }
        KILN_ASSIGN_OR_RETURN(
            d.offset,
            ReadConstExpr(r, m_->memories[d.memory_index].type.index_type()));
        break;
      }
      case 1:
        d.mode = SegmentMode::kPassive;
        break;
      default:
        return ErrorAt(fat, "malformed data segment kind");
    }
    KILN_ASSIGN_OR_RETURN(absl::Span<const uint8_t> bytes, r.LengthPrefixed());
    d.data_offset = static_cast<uint32_t>(bytes.data() - m_->bytes.data());
    d.data_size = static_cast<uint32_t>(bytes.size());
    m_->data_segments.push_back(d);
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::DecodeCustomSection(Reader& r,
                                                size_t section_start) {
  (void)section_start;
  CustomSection c;
  KILN_ASSIGN_OR_RETURN(c.name, r.Name());
  c.data_offset = static_cast<uint32_t>(r.offset());
  c.data_size = static_cast<uint32_t>(r.remaining());
  if (c.name == "name") {
    // Custom sections are never validated; a broken name section is ignored.
    ParseNameSection(r.rest(), r.offset(), m_).IgnoreError();
  }
  // Custom sections never make a module invalid: past the limit they are
  // just not recorded.
  if (m_->custom_sections.size() < kMaxCustomSections) {
    m_->custom_sections.push_back(std::move(c));
  }
  return absl::OkStatus();
}

absl::Status ModuleDecoder::Decode() {
  const std::vector<uint8_t>& bytes = m_->bytes;
  Reader r(absl::MakeConstSpan(bytes), 0, "unexpected end");
  if (bytes.size() < 4) return ErrorAt(bytes.size(), "unexpected end");
  static constexpr uint8_t kMagic[4] = {0x00, 0x61, 0x73, 0x6d};
  if (std::memcmp(bytes.data(), kMagic, 4) != 0) {
    return ErrorAt(0, "magic header not detected");
  }
  if (bytes.size() < 8) return ErrorAt(bytes.size(), "unexpected end");
  static constexpr uint8_t kVersion[4] = {0x01, 0x00, 0x00, 0x00};
  if (std::memcmp(bytes.data() + 4, kVersion, 4) != 0) {
    return ErrorAt(4, "unknown binary version");
  }
  KILN_RETURN_IF_ERROR(r.Skip(8));

  int last_order = 0;
  while (!r.at_end()) {
    size_t section_start = r.offset();
    KILN_ASSIGN_OR_RETURN(uint8_t id, r.U8());
    if (id > kDataCountSection) {
      return ErrorAt(section_start, "malformed section id");
    }
    size_t size_at = r.offset();
    KILN_ASSIGN_OR_RETURN(uint32_t size, r.U32());
    if (size > r.remaining()) {
      return ErrorAt(size_at, "length out of bounds");
    }
    if (id != kCustomSection) {
      int order = SectionOrder(id);
      if (order <= last_order) {
        return ErrorAt(section_start, "unexpected content after last section");
      }
      last_order = order;
    }
    Reader s(r.rest().subspan(0, size), r.offset(), kSectionEof);
    KILN_RETURN_IF_ERROR(r.Skip(size));
    switch (id) {
      case kCustomSection:
        KILN_RETURN_IF_ERROR(DecodeCustomSection(s, section_start));
        continue;  // The name parser need not consume the whole payload.
      case kTypeSection: KILN_RETURN_IF_ERROR(DecodeTypeSection(s)); break;
      case kImportSection: KILN_RETURN_IF_ERROR(DecodeImportSection(s)); break;
      case kFunctionSection:
        KILN_RETURN_IF_ERROR(DecodeFunctionSection(s));
        m_->declared_functions.assign(m_->functions.size(), false);
        break;
      case kTableSection: KILN_RETURN_IF_ERROR(DecodeTableSection(s)); break;
      case kMemorySection: KILN_RETURN_IF_ERROR(DecodeMemorySection(s)); break;
      case kGlobalSection: KILN_RETURN_IF_ERROR(DecodeGlobalSection(s)); break;
      case kExportSection: KILN_RETURN_IF_ERROR(DecodeExportSection(s)); break;
      case kStartSection: KILN_RETURN_IF_ERROR(DecodeStartSection(s)); break;
      case kElementSection:
        KILN_RETURN_IF_ERROR(DecodeElementSection(s));
        break;
      case kDataCountSection:
        KILN_RETURN_IF_ERROR(DecodeDataCountSection(s));
        break;
      case kCodeSection: KILN_RETURN_IF_ERROR(DecodeCodeSection(s)); break;
      case kDataSection: KILN_RETURN_IF_ERROR(DecodeDataSection(s)); break;
    }
    if (!s.at_end()) return ErrorAt(s.offset(), "section size mismatch");
    // Sections before the function section may leave declared_functions
    // sized for imports only.
    if (m_->declared_functions.size() != m_->functions.size()) {
      m_->declared_functions.resize(m_->functions.size(), false);
    }
  }
  if (!saw_code_section_ && num_declared_functions_ != 0) {
    return ErrorAt(r.offset(),
                   "function and code section have inconsistent lengths");
  }
  if (!saw_data_section_ && m_->data_count && *m_->data_count != 0) {
    return ErrorAt(r.offset(),
                   "data count and data section have inconsistent lengths");
  }
  if (options_.validate_function_bodies) {
    KILN_RETURN_IF_ERROR(ValidateAllFunctions(*m_));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModuleInfo>> DecodeModule(
    absl::Span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.size() > kMaxModuleSize) {
    return ErrorAt(0, absl::StrFormat("module too large: %u bytes (limit %u)",
                                      bytes.size(), kMaxModuleSize));
  }
  auto m = std::make_unique<ModuleInfo>();
  m->bytes.assign(bytes.begin(), bytes.end());
  m->features = options.features;
  ModuleDecoder d(m.get(), options);
  KILN_RETURN_IF_ERROR(d.Decode());
  return m;
}

}  // namespace kiln::wasm
