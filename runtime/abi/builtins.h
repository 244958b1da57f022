// Builtin (libcall) ids and their machine signatures. The list lives in
// runtime/abi/builtins.def. Compiled code calls builtin `id` as
//   call [[vmctx + VMOffsets::kBuiltins] + id * 8]
// with the platform C ABI.
#ifndef KILN_RUNTIME_ABI_BUILTINS_H_
#define KILN_RUNTIME_ABI_BUILTINS_H_

#include <cstdint>
#include <string_view>

namespace kiln::abi {

enum class BuiltinId : uint32_t {
#define KILN_BUILTIN(name, result, params) k##name,
#include "runtime/abi/builtins.def"
#undef KILN_BUILTIN
};

inline constexpr uint32_t kNumBuiltins = 0
#define KILN_BUILTIN(name, result, params) +1
#include "runtime/abi/builtins.def"
#undef KILN_BUILTIN
    ;

// Machine-level type of a builtin parameter or result.
enum class BuiltinType : uint8_t { kVoid, kI32, kI64, kPtr };

inline constexpr int kMaxBuiltinParams = 8;

struct BuiltinSignature {
  std::string_view name;  // "MemoryGrow"
  BuiltinType result;
  int num_params;
  BuiltinType params[kMaxBuiltinParams];
};

// The signature of `id` (params include the leading VMContext*).
const BuiltinSignature& GetBuiltinSignature(BuiltinId id);

}  // namespace kiln::abi

#endif  // KILN_RUNTIME_ABI_BUILTINS_H_
