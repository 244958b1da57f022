#include "engine/trap.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kiln {

Trap::Trap(TrapCode code, std::vector<FrameInfo> backtrace)
    : code_(code),
      message_(abi::TrapMessage(code)),
      backtrace_(std::move(backtrace)) {}

Trap Trap::Host(std::string message) {
  Trap t(TrapCode::kHostError);
  t.message_ = std::move(message);
  return t;
}

Trap Trap::WithMessage(TrapCode code, std::string message) {
  Trap t(code);
  t.message_ = std::move(message);
  return t;
}

std::string Trap::ToString() const {
  std::string out = message_;
  for (size_t k = 0; k < backtrace_.size(); ++k) {
    const FrameInfo& f = backtrace_[k];
    std::string name = f.func_name.empty()
                           ? absl::StrCat("<func ", f.func_index, ">")
                           : f.func_name;
    if (!f.module_name.empty()) name = absl::StrCat(f.module_name, "::", name);
    absl::StrAppendFormat(&out, "\n  #%d %s (func %d) +0x%x", k, name,
                          f.func_index, f.func_offset);
  }
  return out;
}

}  // namespace kiln
