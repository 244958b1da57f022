// Test helper: hand-assembled "wasm" code with function ranges and trap
// sites, published W^X and registered in the global CodeRegistry, the way
// the backend will register real modules.
#ifndef KILN_RUNTIME_TRAPS_X64_TEST_MODULE_H_
#define KILN_RUNTIME_TRAPS_X64_TEST_MODULE_H_

#include <asmjit/x86.h>

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "runtime/abi/trap_code.h"
#include "runtime/code/asmjit_code.h"
#include "runtime/code/code_memory.h"
#include "runtime/code/code_registry.h"

namespace kiln::runtime::testing {

class TestModule {
 public:
  TestModule() {
    code_.init(asmjit::Environment::host());
    a_ = std::make_unique<asmjit::x86::Assembler>(&code_);
  }
  ~TestModule() { registration_.Reset(); }

  asmjit::x86::Assembler& a() { return *a_; }

  // Starts function `func_index` at the current offset; returns its label.
  asmjit::Label BeginFunction(uint32_t func_index) {
    a_->align(asmjit::AlignMode::kCode, 16);
    asmjit::Label label = a_->newLabel();
    a_->bind(label);
    functions_.push_back({static_cast<uint32_t>(a_->offset()), 0, func_index});
    labels_[func_index] = label;
    return label;
  }
  void EndFunction() {
    functions_.back().end = static_cast<uint32_t>(a_->offset());
  }
  // The next instruction emitted is a trap site with `code`.
  void TrapHere(abi::TrapCode code) {
    traps_.push_back({static_cast<uint32_t>(a_->offset()), code});
  }
  // Offset of the next instruction (e.g. to predict a return address).
  uint32_t offset() const { return static_cast<uint32_t>(a_->offset()); }

  absl::Status Finish() {
    auto memory = PublishAsmjitCode(code_);
    if (!memory.ok()) return memory.status();
    memory_ = *std::move(memory);
    range_.start = memory_->start();
    range_.end = memory_->start() + memory_->size();
    range_.owner = this;
    range_.functions = functions_;
    range_.trap_sites = traps_;
    return registration_.Register(&range_);
  }

  template <typename Fn>
  Fn Function(uint32_t func_index) const {
    return reinterpret_cast<Fn>(memory_->start() +
                                code_.labelOffsetFromBase(labels_.at(func_index)));
  }
  uintptr_t start() const { return memory_->start(); }
  uint32_t FunctionStart(uint32_t func_index) const {
    return static_cast<uint32_t>(
        code_.labelOffsetFromBase(labels_.at(func_index)));
  }

 private:
  asmjit::CodeHolder code_;
  std::unique_ptr<asmjit::x86::Assembler> a_;
  std::vector<FunctionRange> functions_;
  std::vector<TrapSite> traps_;
  std::map<uint32_t, asmjit::Label> labels_;
  std::unique_ptr<CodeMemory> memory_;
  CodeRange range_;
  ScopedCodeRegistration registration_;
};

}  // namespace kiln::runtime::testing

#endif  // KILN_RUNTIME_TRAPS_X64_TEST_MODULE_H_
