#include "runtime/abi/trap_code.h"

namespace kiln::abi {
namespace {

constexpr std::string_view kMessages[] = {
#define KILN_TRAP_CODE(name, message) message,
#include "runtime/abi/trap_code.def"
#undef KILN_TRAP_CODE
};

constexpr std::string_view kNames[] = {
#define KILN_TRAP_CODE(name, message) #name,
#include "runtime/abi/trap_code.def"
#undef KILN_TRAP_CODE
};

static_assert(sizeof(kMessages) / sizeof(kMessages[0]) == kNumTrapCodes);

}  // namespace

std::string_view TrapMessage(TrapCode code) {
  const int i = static_cast<int>(code);
  return i < kNumTrapCodes ? kMessages[i] : "unknown trap";
}

std::string_view TrapCodeName(TrapCode code) {
  const int i = static_cast<int>(code);
  return i < kNumTrapCodes ? kNames[i] : "Unknown";
}

std::optional<TrapCode> TrapCodeFromInt(int value) {
  if (value < 0 || value >= kNumTrapCodes) return std::nullopt;
  return static_cast<TrapCode>(value);
}

}  // namespace kiln::abi
