// CompiledModule: the output of compiling every defined function of a wasm
// module, as plain data (no pointers into the process; every field is an
// integer or a vector of plain structs), so it can be serialized and
// published into code memory by the engine.
//
// Layout of `code`:
//   functions are concatenated in function-index order, each starting at a
//   16-byte aligned offset (padding is int3 = 0xCC). The blob must be
//   mapped at a 16-byte aligned address.
//   Direct calls between defined functions are already resolved inside the
//   blob (rel32, position-independent). `relocations` lists only what the
//   compiler could not resolve (targets outside the blob, e.g. builtins if
//   the backend ever calls one directly); offsets are blob-relative:
//     *(int32_t*)(code + offset) = target - (code + offset) + addend.
//   Compiled code from the translator reaches imports through the
//   VMContext (VMFunctionImport) and builtins through the header's builtin
//   table, so `relocations` is normally empty.
//
// Traps: `traps` is sorted by blob-relative code_offset (one table for the
// whole blob); function f's entries are traps[f.traps_begin, f.traps_end).
// A fault (or ud2) at code + code_offset raises `code`.
//
// Source map: blob-relative code offset -> wasm byte offset in the module
// (ModuleInfo::bytes), sorted; function f's entries are
// source_map[f.source_map_begin, f.source_map_end). Empty while the IR has
// no source locations.
//
// Calling convention of every function (see codegen/translate/translator.h):
// System V x86-64 with two hidden leading pointer args (callee VMContext*,
// caller VMContext*), then the wasm params; one result in rax/xmm0; more
// than one result through a return-area pointer passed as an extra last
// integer argument, result k at [ptr + 8*k] (codegen/isa/x64/abi.h).
#ifndef KILN_CODEGEN_COMPILER_COMPILED_MODULE_H_
#define KILN_CODEGEN_COMPILER_COMPILED_MODULE_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "runtime/abi/trap_code.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln::compiler {

inline constexpr uint32_t kFunctionAlignment = 16;

struct TrapEntry {
  uint32_t code_offset = 0;  // blob-relative
  abi::TrapCode code = abi::TrapCode::kUnreachableCodeReached;
  friend bool operator==(const TrapEntry& a, const TrapEntry& b) {
    return a.code_offset == b.code_offset && a.code == b.code;
  }
};

struct SourceMapEntry {
  uint32_t code_offset = 0;  // blob-relative
  uint32_t wasm_offset = 0;  // byte offset in the module
};

enum class RelocKind : uint8_t {
  kWasmFunction,  // index = function index (only imports could remain)
  kBuiltin,       // index = abi::BuiltinId
};

struct BlobRelocation {
  uint32_t offset = 0;  // blob-relative position of the rel32 field
  RelocKind kind = RelocKind::kBuiltin;
  uint32_t index = 0;
  int32_t addend = -4;
};

// One defined function.
struct CompiledFunctionInfo {
  uint32_t func_index = 0;   // index in the module's function space
  uint32_t code_offset = 0;  // blob-relative, multiple of 16
  uint32_t code_size = 0;    // bytes (without alignment padding)
  uint32_t frame_size = 0;   // bytes below the saved frame pointer
  uint32_t traps_begin = 0, traps_end = 0;
  uint32_t source_map_begin = 0, source_map_end = 0;
};

struct CompiledModule {
  std::vector<uint8_t> code;
  // Defined functions in function-index order:
  // functions[i].func_index == num_imported_functions + i.
  std::vector<CompiledFunctionInfo> functions;
  std::vector<TrapEntry> traps;
  std::vector<SourceMapEntry> source_map;
  std::vector<BlobRelocation> relocations;
  uint32_t num_imported_functions = 0;

  // The VMContext layout the compiled code assumes (counts from the
  // ModuleInfo). Compiled code uses only offsets below func_refs_begin()
  // (header, memories, imports, tables, globals); num_func_refs here is the
  // number of functions with declared_functions[f] set, as a suggestion:
  // ref.func goes through the RefFunc builtin, so the engine may lay out
  // its funcrefs differently without affecting compiled code.
  abi::VMOffsetsCounts vmctx_counts;

  // The entry for defined function `func_index` (must be defined).
  const CompiledFunctionInfo& Function(uint32_t func_index) const {
    return functions[func_index - num_imported_functions];
  }
  // The function containing blob-relative `offset`, or nullptr.
  const CompiledFunctionInfo* FunctionAt(uint32_t offset) const {
    auto it = std::upper_bound(
        functions.begin(), functions.end(), offset,
        [](uint32_t o, const CompiledFunctionInfo& f) {
          return o < f.code_offset;
        });
    if (it == functions.begin()) return nullptr;
    --it;
    return offset < it->code_offset + it->code_size ? &*it : nullptr;
  }
  // The trap at exactly blob-relative `offset`, or nullptr.
  const TrapEntry* TrapAt(uint32_t offset) const {
    auto it = std::lower_bound(
        traps.begin(), traps.end(), offset,
        [](const TrapEntry& t, uint32_t o) { return t.code_offset < o; });
    return it != traps.end() && it->code_offset == offset ? &*it : nullptr;
  }
};

}  // namespace kiln::compiler

#endif  // KILN_CODEGEN_COMPILER_COMPILED_MODULE_H_
