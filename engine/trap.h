// kiln::Trap (why a call into wasm stopped) and kiln::Result<T> (a value,
// an embedder error, or a trap).
#ifndef KILN_ENGINE_TRAP_H_
#define KILN_ENGINE_TRAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "runtime/abi/trap_code.h"

namespace kiln {

using TrapCode = abi::TrapCode;

// One wasm frame of a trap's backtrace.
struct FrameInfo {
  std::string module_name;  // from the name section, may be empty
  uint32_t func_index = 0;
  std::string func_name;    // from the name section, may be empty
  uint32_t func_offset = 0;  // code offset of the pc in the function
};

class Trap {
 public:
  explicit Trap(TrapCode code, std::vector<FrameInfo> backtrace = {});
  // A trap raised by a host function with its own message (code kHostError).
  static Trap Host(std::string message);
  // A wasm trap whose message says more than the code's standard text
  // (e.g. why an epoch deadline callback stopped the guest).
  static Trap WithMessage(TrapCode code, std::string message);

  TrapCode code() const { return code_; }
  // The spec-suite text for wasm traps ("integer divide by zero", ...).
  const std::string& message() const { return message_; }
  // Innermost frame first.
  const std::vector<FrameInfo>& backtrace() const { return backtrace_; }
  void set_backtrace(std::vector<FrameInfo> frames) {
    backtrace_ = std::move(frames);
  }
  // "message" then one "  #k name (func N) +0xoff" line per frame.
  std::string ToString() const;

 private:
  TrapCode code_;
  std::string message_;
  std::vector<FrameInfo> backtrace_;
};

// The outcome of something that runs wasm: a value, an error (bad
// arguments, link errors, resource limits), or a trap.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT
  Result(Trap trap) : v_(std::move(trap)) {}  // NOLINT
  Result(absl::Status status) : v_(std::move(status)) {}  // NOLINT (not OK)

  bool ok() const { return v_.index() == 0; }
  bool is_trap() const { return v_.index() == 1; }
  bool is_error() const { return v_.index() == 2; }
  const Trap& trap() const { return std::get<1>(v_); }
  Trap& trap() { return std::get<1>(v_); }
  // OK, the error, or the trap as kAborted with its message.
  absl::Status status() const {
    if (ok()) return absl::OkStatus();
    if (is_error()) return std::get<2>(v_);
    return absl::AbortedError(std::get<1>(v_).ToString());
  }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Trap, absl::Status> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Trap trap) : v_(std::move(trap)) {}  // NOLINT
  Result(absl::Status status) {  // NOLINT
    if (!status.ok()) v_ = std::move(status);
  }
  bool ok() const { return v_.index() == 0; }
  bool is_trap() const { return v_.index() == 1; }
  bool is_error() const { return v_.index() == 2; }
  const Trap& trap() const { return std::get<1>(v_); }
  Trap& trap() { return std::get<1>(v_); }
  absl::Status status() const {
    if (ok()) return absl::OkStatus();
    if (is_error()) return std::get<2>(v_);
    return absl::AbortedError(std::get<1>(v_).ToString());
  }

 private:
  std::variant<std::monostate, Trap, absl::Status> v_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_TRAP_H_
