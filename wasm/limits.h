// Implementation limits (the JS-API limits), checked before allocating.
#ifndef KILN_WASM_LIMITS_H_
#define KILN_WASM_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace kiln::wasm {

inline constexpr size_t kMaxModuleSize = size_t{1} << 30;  // 1 GiB
inline constexpr uint32_t kMaxTypes = 1000000;
inline constexpr uint32_t kMaxFunctions = 1000000;
inline constexpr uint32_t kMaxImports = 100000;
inline constexpr uint32_t kMaxExports = 100000;
inline constexpr uint32_t kMaxGlobals = 1000000;
inline constexpr uint32_t kMaxDataSegments = 100000;
inline constexpr uint32_t kMaxTables = 100000;
// Multi-memory: V8's limit. Each 32-bit memory reserves 6 GiB of address
// space (4 GiB + 2 GiB guard), so a few thousand would exhaust it.
inline constexpr uint32_t kMaxMemories = 100;
inline constexpr uint32_t kMaxElemSegments = 10000000;
inline constexpr uint64_t kMaxElemItemsTotal = 10000000;
inline constexpr uint32_t kMaxMemoryPages = 65536;
// Memory64: the proposal's bound on a 64-bit memory's limits (2^48 pages,
// 2^64 bytes).
inline constexpr uint64_t kMaxMemory64Pages = uint64_t{1} << 48;
// Kiln's bound on a 64-bit memory's size in bytes (2^47, the x86-64 user
// address space): memory.grow fails beyond it. Compiled code relies on it
// (length + 1 never wraps in a bounds check).
inline constexpr uint64_t kMaxMemory64Bytes = uint64_t{1} << 47;
inline constexpr uint32_t kMaxTableSize = 10000000;  // initial size
inline constexpr uint32_t kMaxLocals = 50000;
inline constexpr uint32_t kMaxFunctionBodySize = 7654321;
inline constexpr uint32_t kMaxParams = 1000;
inline constexpr uint32_t kMaxResults = 1000;
inline constexpr uint32_t kMaxBrTableSize = 65520;
inline constexpr uint32_t kMaxControlDepth = 100000;
inline constexpr uint32_t kMaxSelectTypes = 1;  // 2.0: at most one type
inline constexpr uint32_t kMaxCustomSections = 100000;

}  // namespace kiln::wasm

#endif  // KILN_WASM_LIMITS_H_
