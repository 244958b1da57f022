#include "codegen/compiler/compiler.h"

#include <sys/mman.h>

#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "codegen/disasm/disasm.h"
#include "codegen/ir/function.h"
#include "codegen/ir/printer.h"
#include "codegen/translate/test_util.h"
#include "gtest/gtest.h"
#include "runtime/abi/builtins.h"
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
  // Without inlining $sum would not be called (inlining is tested below).
  CompileOptions no_inline;
  no_inline.inline_functions = false;
  auto cm = Compile(kModule, no_inline);
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

TEST(CompilerTest, SimdCompiles) {
  CompileOptions o;
  o.features = isa::CpuFeatures::All();
  auto cm = Compile(R"((module (func $v (result i32)
      (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))", o);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_FALSE(cm->code.empty());
}

TEST(CompilerTest, SimdWithoutSse41IsUnimplemented) {
  CompileOptions o;
  o.features = isa::CpuFeatures::Baseline();
  auto cm = Compile(R"((module (func $v (result i32)
      (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4)))))", o);
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

int CountCalls(const ir::Function& f) {
  int n = 0;
  for (ir::Block b : f.blocks()) {
    for (ir::Inst i : f.insts(b)) n += ir::IsCall(f.opcode(i));
  }
  return n;
}

TEST(CompilerTest, InlinesSmallFunctions) {
  for (bool inline_functions : {true, false}) {
    CompileOptions o;
    o.inline_functions = inline_functions;
    std::vector<int> calls(6, -1);
    std::vector<bool> absorbed(6, false);
    o.on_ir = [&](uint32_t i, const ir::Function& f) {
      calls[i] = CountCalls(f);
      ir::Inst first = f.first_inst(f.entry_block());
      absorbed[i] = f.opcode(first) == ir::Opcode::kTrap;
    };
    o.skip_codegen = true;
    auto cm = Compile(kModule, o);
    ASSERT_TRUE(cm.ok()) << cm.status();
    // $twice calls the small $sum twice; $usepair calls $pair (two results).
    EXPECT_EQ(calls[1], inline_functions ? 0 : 2);
    EXPECT_EQ(calls[5], inline_functions ? 0 : 1);
    // $pair's one call site has its body and nothing else reaches it: its
    // own code is only a trap (absorbed). $sum has two call sites: compiled.
    EXPECT_EQ(absorbed[4], inline_functions);
    EXPECT_FALSE(absorbed[0]);
  }
}

// A body of about 40 * 8 bytes (over the small-function limit).
std::string BigBody(const std::string& callee) {
  std::string s = "(local.get 0)";
  for (int k = 0; k < 40; ++k) {
    s = absl::StrCat("(i32.xor (i32.mul ", s, " (i32.const 40503)) (i32.const ",
                     1000 + k, "))");
  }
  if (!callee.empty()) s = absl::StrCat("(call ", callee, " ", s, ")");
  return s;
}

// Whatever the function order, an absorbed function (compiled as a trap)
// is called from nowhere: $c's one caller $b is itself inlined into $a, which would
// copy the call of $c into $a (one level of inlining).
TEST(CompilerTest, AbsorbedFunctionsAreNeverCalled) {
  const std::string wat = absl::StrCat(
      "(module (func $c (param i32) (result i32) ", BigBody(""),
      ") (func $b (param i32) (result i32) ", BigBody("$c"),
      ") (func $a (export \"a\") (param i32) (result i32) ", BigBody("$b"),
      "))");
  CompileOptions o;
  std::vector<bool> absorbed(3, false);
  std::vector<std::vector<uint32_t>> callees(3);
  o.on_ir = [&](uint32_t i, const ir::Function& f) {
    absorbed[i] = f.opcode(f.first_inst(f.entry_block())) == ir::Opcode::kTrap;
    for (ir::Block b : f.blocks()) {
      for (ir::Inst k : f.insts(b)) {
        if (f.opcode(k) == ir::Opcode::kCall) {
          callees[i].push_back(f.ext_func(ir::FuncRef(f.inst(k).ref)).func_index);
        }
      }
    }
  };
  o.skip_codegen = true;
  auto cm = Compile(wat, o);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_TRUE(absorbed[1]);  // $b: inlined into $a
  for (uint32_t i = 0; i < 3; ++i) {
    if (absorbed[i]) continue;
    for (uint32_t c : callees[i]) EXPECT_FALSE(absorbed[c]) << i << " calls " << c;
  }
}

TEST(CompilerTest, TrapInAnInlinedFunction) {
  constexpr char kWat[] = R"(
    (module
      (func $div (param i32 i32) (result i32)
        (i32.div_s (local.get 0) (local.get 1)))
      (func $caller (param i32) (result i32)
        (call $div (i32.const 100) (local.get 0))))
  )";
  auto m = translate::testing::WatToModule(kWat);
  ASSERT_TRUE(m.ok()) << m.status();
  CompileOptions o;
  o.verify = true;
  int calls = -1;
  o.on_ir = [&](uint32_t i, const ir::Function& f) {
    if (i == 1) calls = CountCalls(f);
  };
  auto cm = CompileModule(**m, {}, o);
  ASSERT_TRUE(cm.ok()) << cm.status();
  EXPECT_EQ(calls, 0);
  // $caller's code has the division's trap site, and a source map entry
  // there points into $div's body.
  const CompiledFunctionInfo& caller = cm->Function(1);
  const wasm::Function& div = (*m)->functions[0];
  bool has_div0 = false;
  for (uint32_t t = caller.traps_begin; t < caller.traps_end; ++t) {
    if (cm->traps[t].code != abi::TrapCode::kIntegerDivisionByZero) continue;
    has_div0 = true;
    const uint32_t at = cm->traps[t].code_offset;
    bool located = false;
    for (uint32_t k = caller.source_map_begin; k < caller.source_map_end;
         ++k) {
      const auto& l = cm->source_map[k];
      if (l.code_offset > at) break;
      located = l.wasm_offset >= div.body_offset &&
                l.wasm_offset < div.body_offset + div.body_size;
    }
    EXPECT_TRUE(located);
  }
  EXPECT_TRUE(has_div0);
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

// A richer module run on a hand-built instance: tables, call_indirect,
// imports, globals, builtins, multi-value, br_table, conversions.
constexpr char kFeatures[] = R"(
  (module
    (type $ii (func (param i32) (result i32)))
    (type $v (func))
    (import "env" "host" (func $host (param i32) (result i32)))
    (memory 1)
    (table 4 funcref)
    (global $g (mut i64) (i64.const 7))
    (elem (i32.const 0) $double $inc)
    (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    (func $ind (param i32 i32) (result i32)
      (call_indirect (type $ii) (local.get 1) (local.get 0)))
    (func $callhost (param i32) (result i32)
      (i32.add (call $host (local.get 0)) (i32.const 1)))
    (func $sw (param i32) (result i32)
      (block $d (block $c (block $b (block $a
        (br_table $a $b $c $d (local.get 0)))
        (return (i32.const 10)))
        (return (i32.const 11)))
        (return (i32.const 12)))
      (i32.const 13))
    (func $pair (param i32) (result i32 i64 f64)
      (local.get 0) (i64.const -5) (f64.const 2.5))
    (func $usepair (param i32) (result f64)
      (local f64)
      (call $pair (local.get 0))
      (local.set 1)
      (f64.convert_i64_s) (local.get 1) (f64.add) (local.set 1)
      (f64.convert_i32_u) (local.get 1) (f64.add))
    (func $glob (result i64)
      (global.set $g (i64.add (global.get $g) (i64.const 1)))
      (global.get $g))
    (func $grow (param i32) (result i32)
      (i32.add (memory.grow (local.get 0)) (i32.mul (memory.size) (i32.const 1000))))
    (func $conv (param f64) (result i32)
      (i32.add (i32.trunc_sat_f64_s (local.get 0))
               (i32.extend8_s (i32.const 0xff))))
    (func $fact (param i64) (result i64)
      (if (result i64) (i64.le_s (local.get 0) (i64.const 1))
        (then (i64.const 1))
        (else (i64.mul (local.get 0)
                       (call $fact (i64.sub (local.get 0) (i64.const 1)))))))
    (func $loopsel (param i32) (result i32) (local $acc i32)
      (loop $l
        (local.set $acc (i32.add (local.get $acc)
          (select (local.get 0) (i32.const 100) (i32.rem_u (local.get 0) (i32.const 2)))))
        (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
      (local.get $acc))
  ))";

struct Instance {
  abi::VMOffsets offsets{abi::VMOffsetsCounts{}};
  alignas(16) uint8_t vmctx[4096] = {};
  abi::VMRuntimeLimits limits;
  std::vector<const void*> builtins;
  std::vector<uint32_t> type_ids;
  std::vector<uint8_t> heap;
  uint64_t heap_pages = 1;
  std::vector<abi::VMFuncRef> funcrefs;
  std::vector<void*> table;
};

Instance* g_instance = nullptr;

uint32_t BuiltinMemoryGrow(void* vmctx, uint32_t mem, uint32_t delta) {
  Instance* in = g_instance;
  EXPECT_EQ(vmctx, in->vmctx);
  EXPECT_EQ(mem, 0u);
  uint64_t old = in->heap_pages;
  if (old + delta > in->heap.size() / 65536) return ~0u;
  in->heap_pages += delta;
  auto* def = reinterpret_cast<abi::VMMemoryDefinition*>(
      in->vmctx + in->offsets.DefinedMemory(0));
  def->length = in->heap_pages * 65536;
  return static_cast<uint32_t>(old);
}

void* BuiltinTableGetLazyInit(void*, uint32_t table, uint32_t index) {
  EXPECT_EQ(table, 0u);
  uintptr_t slot = reinterpret_cast<uintptr_t>(g_instance->table[index]);
  return reinterpret_cast<void*>(slot & ~abi::kFuncRefInitBit);
}

uint32_t HostImport(void* callee_vmctx, void* caller_vmctx, uint32_t x) {
  EXPECT_EQ(callee_vmctx, reinterpret_cast<void*>(0x1234));
  EXPECT_EQ(caller_vmctx, g_instance->vmctx);
  return x * 10;
}

TEST(CompilerTest, RunsFeatures) {
  auto m = translate::testing::WatToModule(kFeatures);
  ASSERT_TRUE(m.ok()) << m.status();
  CompileOptions opts;
  opts.verify = true;
  auto cm = CompileModule(**m, {}, opts);
  ASSERT_TRUE(cm.ok()) << cm.status();
  Executable exe(*cm);

  Instance in;
  g_instance = &in;
  in.offsets = abi::VMOffsets(cm->vmctx_counts);
  ASSERT_LE(in.offsets.size(), sizeof(in.vmctx));
  uint8_t* vmctx = in.vmctx;
  in.limits.stack_limit = 0;
  auto* header = reinterpret_cast<abi::VMContextHeader*>(vmctx);
  header->magic = abi::kVMContextMagic;
  header->runtime_limits = &in.limits;
  in.builtins.assign(abi::kNumBuiltins, nullptr);
  in.builtins[static_cast<uint32_t>(abi::BuiltinId::kMemoryGrow)] =
      reinterpret_cast<const void*>(&BuiltinMemoryGrow);
  in.builtins[static_cast<uint32_t>(abi::BuiltinId::kTableGetLazyInit)] =
      reinterpret_cast<const void*>(&BuiltinTableGetLazyInit);
  header->builtins = in.builtins.data();
  in.type_ids = {100, 101};
  header->type_ids = in.type_ids.data();
  // Memory: 1 page committed, room for 3.
  in.heap.assign(3 * 65536, 0);
  auto* memdef = reinterpret_cast<abi::VMMemoryDefinition*>(
      vmctx + in.offsets.DefinedMemory(0));
  memdef->base = in.heap.data();
  memdef->length = 65536;
  // Import 0.
  auto* imp = reinterpret_cast<abi::VMFunctionImport*>(
      vmctx + in.offsets.ImportedFunction(0));
  imp->code = reinterpret_cast<const void*>(&HostImport);
  imp->vmctx = reinterpret_cast<void*>(0x1234);
  // Global 0 = 7.
  int64_t seven = 7;
  std::memcpy(vmctx + in.offsets.DefinedGlobal(0), &seven, 8);
  // Table: [ $double (tagged), $inc (untagged: lazy path), null, null ].
  in.funcrefs.resize(2);
  for (int k = 0; k < 2; ++k) {
    in.funcrefs[k].code = exe.Get<const void*>(1 + k);
    in.funcrefs[k].vmctx = vmctx;
    in.funcrefs[k].type_id = 100;
  }
  in.table = {reinterpret_cast<void*>(
                  reinterpret_cast<uintptr_t>(&in.funcrefs[0]) |
                  abi::kFuncRefInitBit),
              &in.funcrefs[1], nullptr, nullptr};
  auto* tdef = reinterpret_cast<abi::VMTableDefinition*>(
      vmctx + in.offsets.DefinedTable(0));
  tdef->base = in.table.data();
  tdef->size = in.table.size();

  using I_I = uint32_t (*)(void*, void*, uint32_t);
  using I_II = uint32_t (*)(void*, void*, uint32_t, uint32_t);
  using D_I = double (*)(void*, void*, uint32_t);
  using L_V = int64_t (*)(void*, void*);
  using L_L = int64_t (*)(void*, void*, int64_t);
  using I_D = uint32_t (*)(void*, void*, double);
  EXPECT_EQ(exe.Get<I_II>(3)(vmctx, vmctx, 0, 21), 42u);  // $double
  EXPECT_EQ(exe.Get<I_II>(3)(vmctx, vmctx, 1, 21), 22u);  // $inc, lazy
  EXPECT_EQ(exe.Get<I_I>(4)(vmctx, vmctx, 4), 41u);
  EXPECT_EQ(exe.Get<I_I>(5)(vmctx, vmctx, 0), 10u);
  EXPECT_EQ(exe.Get<I_I>(5)(vmctx, vmctx, 2), 12u);
  EXPECT_EQ(exe.Get<I_I>(5)(vmctx, vmctx, 3), 13u);
  EXPECT_EQ(exe.Get<I_I>(5)(vmctx, vmctx, 99), 13u);
  EXPECT_DOUBLE_EQ(exe.Get<D_I>(7)(vmctx, vmctx, 4), 2.5 - 5 + 4);
  EXPECT_EQ(exe.Get<L_V>(8)(vmctx, vmctx), 8);
  EXPECT_EQ(exe.Get<L_V>(8)(vmctx, vmctx), 9);
  EXPECT_EQ(exe.Get<I_I>(9)(vmctx, vmctx, 1), 1u + 2000u);
  EXPECT_EQ(exe.Get<I_I>(9)(vmctx, vmctx, 5), ~0u + 2000u);
  EXPECT_EQ(exe.Get<I_D>(10)(vmctx, vmctx, 1e12), 0x7fffffffu - 1);
  EXPECT_EQ(exe.Get<I_D>(10)(vmctx, vmctx, -3.9), static_cast<uint32_t>(-4));
  EXPECT_EQ(exe.Get<L_L>(11)(vmctx, vmctx, 10), 3628800);
  // 5 + 100 + 3 + 100 + 1 = 209
  EXPECT_EQ(exe.Get<I_I>(12)(vmctx, vmctx, 5), 209u);
  g_instance = nullptr;
}

}  // namespace
}  // namespace kiln::compiler
