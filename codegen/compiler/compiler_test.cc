#include "codegen/compiler/compiler.h"

#include <sys/mman.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codegen/disasm/disasm.h"
#include "codegen/ir/printer.h"
#include "codegen/translate/test_util.h"
#include "gtest/gtest.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln::compiler {
namespace {

constexpr char kModule[] = R"(
  (module
    (type $t (func (param i32) (result i32)))
    (memory 1)
    (global $g (mut i32) (i32.const 5))
    (table 2 funcref)
    (func $sum (param $n i32) (result i32) (local $s i32)
      (block $done
        (loop $top
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $s (i32.add (local.get $s) (local.get $n)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $top)))
      (local.get $s))
    (func $twice (param i32) (result i32)
      (i32.add (call $sum (local.get 0)) (call $sum (local.get 0))))
    (func $mem (param i32) (result i32)
      (i32.store offset=4 (local.get 0) (i32.const 7))
      (i32.add (i32.load offset=4 (local.get 0)) (global.get $g)))
    (func $div (param i32 i32) (result i32)
      (i32.div_s (local.get 0) (local.get 1)))
    (func $pair (param i32) (result i32 i32)
      (local.get 0) (i32.add (local.get 0) (i32.const 1)))
    (func $usepair (param i32) (result i32)
      (call $pair (local.get 0)) (i32.mul))
  ))";

absl::StatusOr<CompiledModule> Compile(std::string_view wat,
                                       CompileOptions opts = {}) {
  auto m = translate::testing::WatToModule(wat);
  if (!m.ok()) return m.status();
  opts.verify = true;
  return CompileModule(**m, {}, opts);
}

TEST(CompilerTest, LayoutTrapsAndRelocations) {
  auto cm = Compile(kModule);
  ASSERT_TRUE(cm.ok()) << cm.status();
  ASSERT_EQ(cm->functions.size(), 6u);
  EXPECT_TRUE(cm->relocations.empty());
  for (size_t i = 0; i < cm->functions.size(); ++i) {
    const CompiledFunctionInfo& f = cm->functions[i];
    EXPECT_EQ(f.func_index, i);
    EXPECT_EQ(f.code_offset % kFunctionAlignment, 0u);
    EXPECT_GT(f.code_size, 0u);
    EXPECT_LE(f.code_offset + f.code_size, cm->code.size());
    EXPECT_EQ(cm->FunctionAt(f.code_offset), &f);
    for (uint32_t t = f.traps_begin; t < f.traps_end; ++t) {
      EXPECT_GE(cm->traps[t].code_offset, f.code_offset);
      EXPECT_LT(cm->traps[t].code_offset, f.code_offset + f.code_size);
    }
  }
  // $div has a division-by-zero trap site.
  const CompiledFunctionInfo& div = cm->Function(3);
  bool has_div0 = false;
  for (uint32_t t = div.traps_begin; t < div.traps_end; ++t) {
    has_div0 |= cm->traps[t].code == abi::TrapCode::kIntegerDivisionByZero;
  }
  EXPECT_TRUE(has_div0);
  // $twice calls $sum: the rel32 of each call lands on $sum's first byte.
  const CompiledFunctionInfo& twice = cm->Function(1);
  auto lines = disasm::DisassembleX64(
      absl::MakeConstSpan(cm->code).subspan(twice.code_offset,
                                            twice.code_size),
      twice.code_offset);
  int calls = 0;
  for (const auto& l : lines) {
    if (absl::StartsWith(l.text, "call ")) {
      ++calls;
      const uint32_t end = twice.code_offset + l.offset + l.length;
      int32_t rel;
      std::memcpy(&rel, cm->code.data() + end - 4, 4);
      EXPECT_EQ(end + rel, cm->Function(0).code_offset) << l.text;
    }
  }
  EXPECT_EQ(calls, 2);
  // Source map entries point into the module.
  EXPECT_FALSE(cm->source_map.empty());
}

TEST(CompilerTest, ThreadsGiveTheSameCode) {
  auto a = Compile(kModule);
  CompileOptions o;
  o.num_threads = 3;
  auto b = Compile(kModule, o);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->code, b->code);
  EXPECT_EQ(a->traps, b->traps);
}

TEST(CompilerTest, SimdIsUnimplemented) {
  auto cm = Compile(R"((module (func $v (result i32)
      (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))");
  ASSERT_FALSE(cm.ok());
  EXPECT_EQ(cm.status().code(), absl::StatusCode::kUnimplemented)
      << cm.status();
  EXPECT_TRUE(absl::StrContains(cm.status().message(), "function 0 ($v)"))
      << cm.status();
  EXPECT_TRUE(absl::StrContains(cm.status().message(), "v128"))
      << cm.status();
}

TEST(CompilerTest, OnIrSeesOptimizedFunctions) {
  CompileOptions o;
  int n = 0;
  o.on_ir = [&](uint32_t, const ir::Function& f) {
    ++n;
    EXPECT_FALSE(ir::PrintFunction(f).empty());
  };
  o.skip_codegen = true;
  auto cm = Compile(kModule, o);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(n, 6);
  EXPECT_TRUE(cm->code.empty());
}

// Runs compiled code directly: a hand-built VMContext with one memory and
// one global, no builtins needed.
class Executable {
 public:
  explicit Executable(const CompiledModule& cm) : cm_(cm) {
    size_ = (cm.code.size() + 4095) & ~size_t{4095};
    mem_ = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    std::memcpy(mem_, cm.code.data(), cm.code.size());
    mprotect(mem_, size_, PROT_READ | PROT_EXEC);
  }
  ~Executable() { munmap(mem_, size_); }
  template <typename Fn>
  Fn Get(uint32_t func_index) const {
    return reinterpret_cast<Fn>(static_cast<uint8_t*>(mem_) +
                                cm_.Function(func_index).code_offset);
  }

 private:
  const CompiledModule& cm_;
  void* mem_;
  size_t size_;
};

TEST(CompilerTest, RunsCompiledCode) {
  auto cm = Compile(kModule);
  ASSERT_TRUE(cm.ok()) << cm.status();
  Executable exe(*cm);

  abi::VMOffsets offsets(cm->vmctx_counts);
  std::vector<uint8_t> heap(65536);
  alignas(16) static uint8_t vmctx_storage[4096];
  ASSERT_LE(offsets.size(), sizeof(vmctx_storage));
  uint8_t* vmctx = vmctx_storage;
  std::memset(vmctx, 0, sizeof(vmctx_storage));
  abi::VMRuntimeLimits limits;
  limits.stack_limit = 0;
  auto* header = reinterpret_cast<abi::VMContextHeader*>(vmctx);
  header->magic = abi::kVMContextMagic;
  header->runtime_limits = &limits;
  auto* memdef = reinterpret_cast<abi::VMMemoryDefinition*>(
      vmctx + offsets.DefinedMemory(0));
  memdef->base = heap.data();
  memdef->length = heap.size();
  int32_t five = 5;
  std::memcpy(vmctx + offsets.DefinedGlobal(0), &five, 4);

  using I_I = uint32_t (*)(void*, void*, uint32_t);
  using I_II = uint32_t (*)(void*, void*, uint32_t, uint32_t);
  EXPECT_EQ(exe.Get<I_I>(0)(vmctx, vmctx, 10), 55u);
  EXPECT_EQ(exe.Get<I_I>(1)(vmctx, vmctx, 4), 20u);
  EXPECT_EQ(exe.Get<I_I>(2)(vmctx, vmctx, 100), 12u);
  EXPECT_EQ(heap[104], 7);
  EXPECT_EQ(static_cast<int32_t>(exe.Get<I_II>(3)(vmctx, vmctx, -9, 2)), -4);
  EXPECT_EQ(exe.Get<I_I>(5)(vmctx, vmctx, 6), 42u);
}

}  // namespace
}  // namespace kiln::compiler
