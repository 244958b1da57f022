#include "runtime/abi/builtins.h"

#include <type_traits>

namespace kiln::abi {
namespace {

// Each table row's parameter list, e.g. `(Ptr vmctx, I32 index)`, is read
// as the parameter list of a function type over these tag types (the names
// are legal there and ignored); MakeSig reads the types back.
struct Ptr {};
struct I32 {};
struct I64 {};
struct Void {};

template <typename T>
constexpr BuiltinType ToType() {
  if constexpr (std::is_same_v<T, Ptr>) return BuiltinType::kPtr;
  if constexpr (std::is_same_v<T, I32>) return BuiltinType::kI32;
  if constexpr (std::is_same_v<T, I64>) return BuiltinType::kI64;
  return BuiltinType::kVoid;
}

template <typename R, typename... P>
constexpr BuiltinSignature MakeSig(std::string_view name, R (*)(P...)) {
  static_assert(sizeof...(P) <= kMaxBuiltinParams);
  BuiltinSignature sig{name, ToType<R>(), static_cast<int>(sizeof...(P)), {}};
  int i = 0;
  ((sig.params[i++] = ToType<P>()), ...);
  return sig;
}

constexpr BuiltinSignature kSignatures[] = {
#define KILN_BUILTIN(name, result, params) \
  MakeSig(#name, static_cast<result(*) params>(nullptr)),
#include "runtime/abi/builtins.def"
#undef KILN_BUILTIN
};

static_assert(sizeof(kSignatures) / sizeof(kSignatures[0]) == kNumBuiltins);

}  // namespace

const BuiltinSignature& GetBuiltinSignature(BuiltinId id) {
  return kSignatures[static_cast<uint32_t>(id)];
}

}  // namespace kiln::abi
