// End-to-end tests of the embedding API: compile .wat, instantiate, call,
// trap, link.
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>

#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : store_(engine_) {}

  Module Compile(std::string_view wat) {
    absl::StatusOr<Module> m = Module::FromWat(engine_, wat);
    EXPECT_TRUE(m.ok()) << m.status();
    return *m;
  }
  Instance Instantiate(std::string_view wat,
                       absl::Span<const Extern> imports = {}) {
    Module m = Compile(wat);
    Result<Instance> i = Instance::Create(store_, m, imports);
    EXPECT_TRUE(i.ok()) << i.status();
    return *i;
  }

  Engine engine_;
  Store<> store_;
};

TEST_F(EngineTest, CallAdd) {
  Instance inst = Instantiate(R"(
    (module (func (export "add") (param i32 i32) (result i32)
      (i32.add (local.get 0) (local.get 1)))))");
  absl::StatusOr<Func> add = inst.GetFunc(store_, "add");
  ASSERT_TRUE(add.ok());
  Result<std::vector<Val>> r = add->Call(store_, {Val::I32(2), Val::I32(40)});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].i32(), 42);

  auto typed = inst.GetTypedFunc<int32_t(int32_t, int32_t)>(store_, "add");
  ASSERT_TRUE(typed.ok()) << typed.status();
  Result<int32_t> t = typed->Call(store_, 20, 22);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 42);
  // Wrong static signature is rejected once, at creation.
  EXPECT_FALSE((inst.GetTypedFunc<int64_t(int32_t, int32_t)>(store_, "add").ok()));
  // Wrong dynamic argument types are an error, not a trap.
  Result<std::vector<Val>> bad = add->Call(store_, {Val::I64(1), Val::I32(2)});
  EXPECT_TRUE(bad.is_error());
}

TEST_F(EngineTest, MultiValueAndFloats) {
  Instance inst = Instantiate(R"(
    (module
      (func (export "swap") (param i32 i64) (result i64 i32)
        (local.get 1) (local.get 0))
      (func (export "mix") (param f32 f64 i32 i64 f32 f64 i32 i64 i32 i32)
                           (result f64)
        (f64.add (f64.promote_f32 (local.get 0))
          (f64.add (local.get 1)
            (f64.convert_i32_s (i32.add (local.get 8) (local.get 9))))))))");
  auto swap = inst.GetTypedFunc<std::tuple<int64_t, int32_t>(int32_t, int64_t)>(
      store_, "swap");
  ASSERT_TRUE(swap.ok()) << swap.status();
  Result<std::tuple<int64_t, int32_t>> r = swap->Call(store_, 7, int64_t{1} << 40);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<0>(*r), int64_t{1} << 40);
  EXPECT_EQ(std::get<1>(*r), 7);

  absl::StatusOr<Func> mix = inst.GetFunc(store_, "mix");
  ASSERT_TRUE(mix.ok());
  Result<std::vector<Val>> m = mix->Call(
      store_, {Val::F32(1.5f), Val::F64(2.25), Val::I32(0), Val::I64(0),
               Val::F32(0), Val::F64(0), Val::I32(0), Val::I64(0), Val::I32(3),
               Val::I32(4)});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)[0].f64(), 1.5 + 2.25 + 7);

  // The typed fast path (direct entry, two int args on the stack).
  auto typed = inst.GetTypedFunc<double(float, double, int32_t, int64_t, float,
                                        double, int32_t, int64_t, int32_t,
                                        int32_t)>(store_, "mix");
  ASSERT_TRUE(typed.ok()) << typed.status();
  Result<double> d = typed->Call(store_, 1.5f, 2.25, 0, 0, 0.f, 0.0, 0, 0, 3, 4);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, 1.5 + 2.25 + 7);
}

// TypedFunc's direct entry for every argument-placement class: negative
// i32 arguments (zero-extended in their registers), floats and ints past the
// argument registers, and a multi-value return area passed on the stack.
TEST_F(EngineTest, TypedEntryArgumentPlacement) {
  Instance inst = Instantiate(R"(
    (module
      (memory 1)
      (data (i32.const 0) "\2a")
      (func (export "neg") (param i32 i32) (result i64)
        (i64.add (i64.extend_i32_u (local.get 0))
                 (i64.extend_i32_s (local.get 1))))
      (func (export "load") (param i32) (result i32)
        (i32.load8_u (i32.add (local.get 0) (i32.const 1))))
      (func (export "floats") (param f64 f64 f64 f64 f64 f64 f64 f64 f64 f64)
                              (result f64)
        (f64.sub (local.get 9) (local.get 8)))
      (func (export "multi") (param i32 i32 i32 i32 i32)
                             (result i32 i64 f32 f64)
        (local.get 4) (i64.extend_i32_u (local.get 3))
        (f32.convert_i32_s (local.get 2)) (f64.convert_i32_s (local.get 0))))
  )");
  auto neg = inst.GetTypedFunc<int64_t(int32_t, int32_t)>(store_, "neg");
  ASSERT_TRUE(neg.ok()) << neg.status();
  Result<int64_t> n = neg->Call(store_, -1, -2);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, int64_t{0xffffffff} - 2);
  auto load = inst.GetTypedFunc<int32_t(int32_t)>(store_, "load");
  ASSERT_TRUE(load.ok()) << load.status();
  Result<int32_t> l = load->Call(store_, -1);  // address 0: no trap
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(*l, 0x2a);
  auto floats = inst.GetTypedFunc<double(double, double, double, double,
                                         double, double, double, double,
                                         double, double)>(store_, "floats");
  ASSERT_TRUE(floats.ok()) << floats.status();
  Result<double> f = floats->Call(store_, 0, 0, 0, 0, 0, 0, 0, 0, 1.5, 4.0);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, 2.5);
  auto multi = inst.GetTypedFunc<std::tuple<int32_t, int64_t, float, double>(
      int32_t, int32_t, int32_t, int32_t, int32_t)>(store_, "multi");
  ASSERT_TRUE(multi.ok()) << multi.status();
  auto m = multi->Call(store_, 9, 0, -3, 4, 5);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<0>(*m), 5);
  EXPECT_EQ(std::get<1>(*m), 4);
  EXPECT_EQ(std::get<2>(*m), -3.0f);
  EXPECT_EQ(std::get<3>(*m), 9.0);
}

struct TrapCase {
  const char* name;
  const char* body;  // body of (func $inner (export "run") ...)
  TrapCode code;
};

class TrapTest : public EngineTest,
                 public ::testing::WithParamInterface<TrapCase> {};

TEST_P(TrapTest, TrapsWithBacktraceAndRecovers) {
  const TrapCase& c = GetParam();
  std::string wat = absl::StrCat(R"(
    (module
      (type $v (func))
      (type $i (func (result i32)))
      (memory 1)
      (table $t 4 funcref)
      (elem (i32.const 0) $ok)
      (func $ok (type $v))
      (func $inner )", c.body, R"()
      (func $outer (export "run") (call $inner))
      (func $rec (param i32) (result i32)
        (i32.add (call $rec (local.get 0)) (i32.const 1)))
      (func (export "fine") (result i32) (i32.const 5)))
  )");
  Instance inst = Instantiate(wat);
  absl::StatusOr<Func> run = inst.GetFunc(store_, "run");
  ASSERT_TRUE(run.ok());
  Result<std::vector<Val>> r = run->Call(store_, {});
  ASSERT_TRUE(r.is_trap()) << c.name;
  EXPECT_EQ(r.trap().code(), c.code) << c.name << ": " << r.trap().ToString();
  EXPECT_EQ(r.trap().message(), abi::TrapMessage(c.code));
  const auto& bt = r.trap().backtrace();
  ASSERT_GE(bt.size(), 2u) << r.trap().ToString();
  // Innermost first: $inner (or $rec for stack overflow), ..., $outer.
  if (c.code != TrapCode::kStackOverflow) {
    EXPECT_EQ(bt[0].func_name, "inner") << r.trap().ToString();
  } else {
    EXPECT_EQ(bt[0].func_name, "rec") << r.trap().ToString();
  }
  if (c.code != TrapCode::kStackOverflow) {  // deep traces are truncated
    EXPECT_EQ(bt.back().func_name, "outer") << r.trap().ToString();
  }
  // The process and the store are healthy afterwards.
  auto fine = inst.GetTypedFunc<int32_t()>(store_, "fine");
  ASSERT_TRUE(fine.ok());
  Result<int32_t> f = fine->Call(store_);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f, 5);
}

INSTANTIATE_TEST_SUITE_P(
    AllTraps, TrapTest,
    ::testing::Values(
        TrapCase{"unreachable", "unreachable", TrapCode::kUnreachableCodeReached},
        TrapCase{"div0",
                 "(drop (i32.div_u (i32.const 1) (i32.const 0)))",
                 TrapCode::kIntegerDivisionByZero},
        TrapCase{"overflow",
                 "(drop (i32.div_s (i32.const 0x80000000) (i32.const -1)))",
                 TrapCode::kIntegerOverflow},
        TrapCase{"conversion",
                 "(drop (i32.trunc_f32_s (f32.const nan)))",
                 TrapCode::kBadConversionToInteger},
        TrapCase{"oob_memory",
                 "(drop (i32.load (i32.const 65534)))",
                 TrapCode::kMemoryOutOfBounds},
        TrapCase{"oob_table",
                 "(drop (table.get $t (i32.const 10)))",
                 TrapCode::kTableOutOfBounds},
        TrapCase{"indirect_type",
                 "(drop (call_indirect (type $i) (i32.const 0)))",
                 TrapCode::kBadSignature},
        TrapCase{"indirect_null",
                 "(call_indirect (type $v) (i32.const 1))",
                 TrapCode::kIndirectCallToNull},
        TrapCase{"indirect_oob",
                 "(call_indirect (type $v) (i32.const 100))",
                 TrapCode::kIndirectCallOutOfBounds},
        TrapCase{"stack_overflow", "(drop (call $rec (i32.const 0)))",
                 TrapCode::kStackOverflow}),
    [](const ::testing::TestParamInfo<TrapCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(EngineTest, HostFunctionsBothWays) {
  absl::StatusOr<Func> host = Func::New(
      store_, FuncType{{ValType::kI32, ValType::kF64}, {ValType::kI64}},
      [](Caller<>&, absl::Span<const Val> params,
         absl::Span<Val> results) -> std::optional<Trap> {
        if (params[0].i32() < 0) return Trap::Host("negative");
        results[0] = Val::I64(params[0].i32() * 10 +
                              static_cast<int64_t>(params[1].f64()));
        return std::nullopt;
      });
  ASSERT_TRUE(host.ok()) << host.status();
  Instance inst = Instantiate(R"(
    (module
      (import "env" "h" (func $h (param i32 f64) (result i64)))
      (func $call_h (export "call_h") (param i32) (result i64)
        (call $h (local.get 0) (f64.const 3))))
  )", {Extern(*host)});
  auto call_h = inst.GetTypedFunc<int64_t(int32_t)>(store_, "call_h");
  ASSERT_TRUE(call_h.ok());
  Result<int64_t> r = call_h->Call(store_, 4);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 43);
  // A host trap unwinds through wasm with its own message.
  Result<int64_t> t = call_h->Call(store_, -1);
  ASSERT_TRUE(t.is_trap());
  EXPECT_EQ(t.trap().message(), "negative");
  EXPECT_EQ(t.trap().code(), TrapCode::kHostError);
  ASSERT_FALSE(t.trap().backtrace().empty());
  EXPECT_EQ(t.trap().backtrace()[0].func_name, "call_h");
  // And the next call works.
  r = call_h->Call(store_, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 13);
  // Calling the host function directly from C++.
  Result<std::vector<Val>> d = host->Call(store_, {Val::I32(2), Val::F64(1)});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ((*d)[0].i64(), 21);
}

TEST_F(EngineTest, ImportTypeChecks) {
  absl::StatusOr<Func> host = Func::New(
      store_, FuncType{{ValType::kI32}, {}},
      [](Caller<>&, absl::Span<const Val>, absl::Span<Val>)
          -> std::optional<Trap> { return std::nullopt; });
  ASSERT_TRUE(host.ok());
  Module m = Compile(R"((module (import "env" "f" (func (param i64)))))");
  Result<Instance> r = Instance::Create(store_, m, {Extern(*host)});
  ASSERT_TRUE(r.is_error());
  EXPECT_NE(r.status().message().find("incompatible import type"),
            std::string::npos)
      << r.status();

  absl::StatusOr<Memory> mem = Memory::New(store_, MemoryType{{1, 2}});
  ASSERT_TRUE(mem.ok());
  Module needs_big = Compile(R"((module (import "env" "m" (memory 2))))");
  EXPECT_TRUE(Instance::Create(store_, needs_big, {Extern(*mem)}).is_error());
  Module needs_max = Compile(R"((module (import "env" "m" (memory 1 1))))");
  EXPECT_TRUE(Instance::Create(store_, needs_max, {Extern(*mem)}).is_error());
  Module ok = Compile(R"((module (import "env" "m" (memory 1 3))))");
  EXPECT_TRUE(Instance::Create(store_, ok, {Extern(*mem)}).ok());

  absl::StatusOr<Global> g =
      Global::New(store_, GlobalType{ValType::kI32, false}, Val::I32(1));
  ASSERT_TRUE(g.ok());
  Module mut = Compile(R"((module (import "env" "g" (global (mut i32)))))");
  EXPECT_TRUE(Instance::Create(store_, mut, {Extern(*g)}).is_error());
  // Wrong kind.
  EXPECT_TRUE(Instance::Create(store_, mut, {Extern(*mem)}).is_error());
}

TEST_F(EngineTest, SegmentsApplyInOrderAndTrap) {
  absl::StatusOr<Table> table =
      Table::New(store_, TableType{ValType::kFuncRef, {10, 20}},
                 Val::NullFuncRef());
  ASSERT_TRUE(table.ok());
  Module m = Compile(R"(
    (module
      (import "env" "t" (table 10 funcref))
      (memory 1)
      (func $f (result i32) (i32.const 9))
      (elem (i32.const 2) $f)
      (data (i32.const 65535) "ab")))");
  Result<Instance> r = Instance::Create(store_, m, {Extern(*table)});
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kMemoryOutOfBounds);
  // The element segment was written before the data segment trapped, and
  // the function stays callable.
  absl::StatusOr<Val> slot = table->Get(store_, 2);
  ASSERT_TRUE(slot.ok());
  std::optional<Func> f = slot->funcref();
  ASSERT_TRUE(f.has_value());
  Result<std::vector<Val>> call = f->Call(store_, {});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ((*call)[0].i32(), 9);
}

TEST_F(EngineTest, StartFunctionTrap) {
  Module m = Compile(R"((module (func $s unreachable) (start $s)))");
  Result<Instance> r = Instance::Create(store_, m, {});
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kUnreachableCodeReached);
}

TEST_F(EngineTest, MemoryTableGlobalFromHost) {
  Instance inst = Instantiate(R"(
    (module
      (memory (export "mem") 1 3)
      (table (export "tab") 2 funcref)
      (global (export "g") (mut i64) (i64.const -5))
      (func $f (export "f") (result i32) (i32.const 1))
      (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "get_g") (result i64) (global.get 0))
      (func (export "call") (param i32) (result i32)
        (call_indirect (result i32) (local.get 0))))
  )");
  absl::StatusOr<Memory> mem = inst.GetMemory(store_, "mem");
  ASSERT_TRUE(mem.ok());
  mem->data(store_).value()[100] = 77;
  auto load = inst.GetTypedFunc<int32_t(int32_t)>(store_, "load");
  ASSERT_TRUE(load.ok());
  EXPECT_EQ(*load->Call(store_, 100), 77);
  absl::StatusOr<uint32_t> old = mem->Grow(store_, 1);
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, 1u);
  auto size = inst.GetTypedFunc<int32_t()>(store_, "size");
  EXPECT_EQ(*size->Call(store_), 2);
  EXPECT_FALSE(mem->Grow(store_, 5).ok());

  absl::StatusOr<Global> g = inst.GetGlobal(store_, "g");
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->Get(store_)->i64(), -5);
  ASSERT_TRUE(g->Set(store_, Val::I64(99)).ok());
  auto get_g = inst.GetTypedFunc<int64_t()>(store_, "get_g");
  EXPECT_EQ(*get_g->Call(store_), 99);
  EXPECT_FALSE(g->Set(store_, Val::I32(1)).ok());

  absl::StatusOr<Table> tab = inst.GetTable(store_, "tab");
  absl::StatusOr<Func> f = inst.GetFunc(store_, "f");
  ASSERT_TRUE(tab.ok() && f.ok());
  ASSERT_TRUE(tab->Set(store_, 1, Val::FuncRef(*f)).ok());
  auto call = inst.GetTypedFunc<int32_t(int32_t)>(store_, "call");
  EXPECT_EQ(*call->Call(store_, 1), 1);
  Result<int32_t> null_call = call->Call(store_, 0);
  ASSERT_TRUE(null_call.is_trap());
  EXPECT_EQ(null_call.trap().code(), TrapCode::kIndirectCallToNull);
  EXPECT_EQ(tab->Get(store_, 1)->funcref(), *f);
  EXPECT_FALSE(tab->Get(store_, 2).ok());
}

TEST_F(EngineTest, SignaturesInternedOnce) {
  uint32_t a = engine_.signatures().Intern(FuncType{{ValType::kI32}, {}});
  uint32_t b = engine_.signatures().Intern(FuncType{{ValType::kI32}, {}});
  uint32_t c = engine_.signatures().Intern(FuncType{{ValType::kI64}, {}});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(engine_.signatures().Lookup(c), (FuncType{{ValType::kI64}, {}}));
  // Two modules with the same type share the id.
  Module m1 = Compile(R"((module (func (export "f") (param i32))))");
  Module m2 = Compile(R"((module (type (func)) (func (export "g") (param i32))))");
  EXPECT_EQ(m1.type_id(0), a);
  EXPECT_EQ(m2.type_id(1), a);
}

TEST_F(EngineTest, SpectestModule) {
  absl::StatusOr<std::vector<std::pair<std::string, Extern>>> spectest =
      DefineSpectest(store_);
  ASSERT_TRUE(spectest.ok());
  std::vector<Extern> imports;
  auto find = [&](std::string_view name) {
    for (auto& [n, e] : *spectest) if (n == name) return e;
    ADD_FAILURE() << name;
    return (*spectest)[0].second;
  };
  imports = {find("print_i32"), find("global_i32"), find("table"),
             find("memory")};
  Instance inst = Instantiate(R"(
    (module
      (import "spectest" "print_i32" (func $p (param i32)))
      (import "spectest" "global_i32" (global $g i32))
      (import "spectest" "table" (table 10 funcref))
      (import "spectest" "memory" (memory 1))
      (func (export "run") (result i32) (call $p (i32.const 1)) (global.get $g)))
  )", imports);
  auto run = inst.GetTypedFunc<int32_t()>(store_, "run");
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(*run->Call(store_), 666);
}

TEST(ValTest, RoundTrips) {
  EXPECT_EQ(Val::FromRaw(ValType::kI32, Val::I32(-7).ToRaw()).i32(), -7);
  EXPECT_EQ(Val::FromRaw(ValType::kF32, Val::F32(1.5f).ToRaw()).f32(), 1.5f);
  EXPECT_EQ(Val::FromRaw(ValType::kF64, Val::F64(-2.5).ToRaw()).f64(), -2.5);
  uint32_t nan_bits = 0x7fa00001;
  EXPECT_EQ(Val::FromRaw(ValType::kF32, Val::F32Bits(nan_bits).ToRaw()).f32_bits(),
            nan_bits);
  int x;
  EXPECT_EQ(Val::FromRaw(ValType::kExternRef, Val::ExternRef(&x).ToRaw()).externref(), &x);
  EXPECT_TRUE(Val::NullFuncRef().is_null_ref());
  EXPECT_FALSE(Val::NullFuncRef().funcref().has_value());
}

}  // namespace
}  // namespace kiln

namespace kiln {
namespace {

TEST(CallerTest, HostSeesCallerMemoryAndStoreData) {
  Engine engine;
  Store<int> store(engine, 0);
  absl::StatusOr<Func> sum = Func::New(
      store, FuncType{{ValType::kI32, ValType::kI32}, {ValType::kI32}},
      [](Caller<>& caller, absl::Span<const Val> params,
         absl::Span<Val> results) -> std::optional<Trap> {
        ++caller.data<int>();
        std::optional<Extern> mem = caller.GetExport("mem");
        if (!mem.has_value() || mem->memory() == nullptr) {
          return Trap::Host("no memory export");
        }
        const uint8_t* bytes = mem->memory()->data(caller.store()).value();
        int32_t total = 0;
        for (int32_t i = 0; i < params[1].i32(); ++i) {
          total += bytes[params[0].i32() + i];
        }
        results[0] = Val::I32(total);
        return std::nullopt;
      });
  ASSERT_TRUE(sum.ok());
  absl::StatusOr<Module> m = Module::FromWat(engine, R"(
    (module
      (import "env" "sum" (func $sum (param i32 i32) (result i32)))
      (memory (export "mem") 1)
      (data (i32.const 8) "\01\02\03\04")
      (func (export "run") (result i32) (call $sum (i32.const 8) (i32.const 4))))
  )");
  ASSERT_TRUE(m.ok()) << m.status();
  Result<Instance> inst = Instance::Create(store, *m, {Extern(*sum)});
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto run = inst->GetTypedFunc<int32_t()>(store, "run");
  ASSERT_TRUE(run.ok());
  Result<int32_t> r = run->Call(store);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 10);
  EXPECT_EQ(store.data(), 1);
  // Called from C++ there is no calling instance.
  Result<std::vector<Val>> direct = sum->Call(store, {Val::I32(0), Val::I32(1)});
  ASSERT_TRUE(direct.is_trap());
  EXPECT_EQ(direct.trap().message(), "no memory export");
}

}  // namespace
}  // namespace kiln
