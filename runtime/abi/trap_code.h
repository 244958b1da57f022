// Trap codes: why compiled code (or the runtime on its behalf) stopped.
//
// The list lives in runtime/abi/trap_code.def. Compiled code records a
// TrapCode per faulting instruction in its trap table (see
// runtime/code/code_registry.h), and RaiseTrap (runtime/traps/) takes one.
#ifndef KILN_RUNTIME_ABI_TRAP_CODE_H_
#define KILN_RUNTIME_ABI_TRAP_CODE_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace kiln::abi {

enum class TrapCode : uint8_t {
#define KILN_TRAP_CODE(name, message) k##name,
#include "runtime/abi/trap_code.def"
#undef KILN_TRAP_CODE
};

// Number of trap codes; every TrapCode value is below this.
inline constexpr int kNumTrapCodes = 0
#define KILN_TRAP_CODE(name, message) +1
#include "runtime/abi/trap_code.def"
#undef KILN_TRAP_CODE
    ;

// The spec test suite's message for `code` ("integer divide by zero", ...).
// Returns "unknown trap" for values outside the enum.
std::string_view TrapMessage(TrapCode code);

// The enumerator's name without the leading k ("IntegerDivisionByZero").
std::string_view TrapCodeName(TrapCode code);

// Inverse of static_cast<uint8_t>: nullopt if `value` is not a trap code.
std::optional<TrapCode> TrapCodeFromInt(int value);

}  // namespace kiln::abi

#endif  // KILN_RUNTIME_ABI_TRAP_CODE_H_
