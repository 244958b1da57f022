// Linker tests: every example of wasmtime's Linker documentation ported
// one for one (DocExample_*), then error paths, traps, exceptions,
// re-entrancy and host-function ABI coverage.
#include "linker/linker.h"

#include <cstring>
#include <stdexcept>
#include <string>
#include <tuple>

#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"

namespace kiln {
namespace {

#define ASSERT_OK(expr)                              \
  do {                                               \
    auto _s = (expr);                                \
    ASSERT_TRUE(_s.ok()) << _s.status().message();   \
  } while (0)

absl::Status StatusOf(const absl::Status& s) { return s; }
template <typename T>
absl::Status StatusOf(const absl::StatusOr<T>& s) { return s.status(); }
template <typename T>
absl::Status StatusOf(const Result<T>& r) { return r.status(); }

#define EXPECT_OK(expr) EXPECT_TRUE(StatusOf(expr).ok()) << StatusOf(expr).message()

Module Compile(const Engine& engine, std::string_view wat) {
  absl::StatusOr<Module> m = Module::FromWat(engine, wat);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

// ---------------------------------------------------------------------------
// wasmtime Linker documentation, one test per example.

// Linker::allow_shadowing
TEST(LinkerDocTest, DocExample_AllowShadowing) {
  Engine engine;
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("", "", [] {}));
  // by default, duplicates are disallowed
  absl::Status dup = linker.FuncWrap("", "", [] {});
  EXPECT_FALSE(dup.ok());
  EXPECT_EQ(dup.message(), "import of `::` defined twice");
  // but shadowing can be configured to be allowed as well
  linker.AllowShadowing(true);
  EXPECT_OK(linker.FuncWrap("", "", [] {}));
}

// Linker::define
TEST(LinkerDocTest, DocExample_DefineGlobalUsedByDataSegment) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  absl::StatusOr<Global> global = Global::New(
      store, GlobalType{ValType::kI32, false}, Val::I32(0x1234));
  ASSERT_OK(global);
  EXPECT_OK(linker.Define(store, "host", "offset", *global));
  Module module = Compile(engine, R"(
    (module
      (import "host" "offset" (global i32))
      (memory (export "memory") 1)
      (data (global.get 0) "foo"))
  )");
  Result<Instance> instance = linker.Instantiate(store, module);
  ASSERT_TRUE(instance.ok()) << instance.status();
  absl::StatusOr<Memory> memory = instance->GetMemory(store, "memory");
  ASSERT_TRUE(memory.ok());
  EXPECT_EQ(std::memcmp(memory->data(store).value() + 0x1234, "foo", 3), 0);
}

// Linker::func_wrap: three host functions, instantiated in ten stores.
TEST(LinkerDocTest, DocExample_FuncWrapInTenStores) {
  Engine engine;
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "double", [](int32_t x) { return x * 2; }));
  EXPECT_OK(linker.FuncWrap("host", "log_i32", [](int32_t x) { (void)x; }));
  EXPECT_OK(linker.FuncWrap("host", "log_str",
                            [](Caller<>& caller, int32_t ptr, int32_t len) {
                              (void)caller, (void)ptr, (void)len;
                            }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "double" (func (param i32) (result i32)))
      (import "host" "log_i32" (func (param i32)))
      (import "host" "log_str" (func (param i32 i32))))
  )");
  // instantiate in multiple different stores
  for (int i = 0; i < 10; ++i) {
    Store<> store(engine);
    EXPECT_OK(linker.Instantiate(store, module));
  }
}

// Linker::instance
TEST(LinkerDocTest, DocExample_Instance) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  // Instantiate a small instance...
  Module module = Compile(engine, R"((module (func (export "run") )))");
  Result<Instance> instance = linker.Instantiate(store, module);
  ASSERT_TRUE(instance.ok());
  // ... and inform the linker that the name of this instance is
  // `instance1`. This defines the `instance1::run` name for our next
  // module to use.
  EXPECT_OK(linker.Instance(store, "instance1", *instance));
  Module module2 = Compile(engine, R"(
    (module
      (import "instance1" "run" (func $instance1_run))
      (func (export "run") call $instance1_run))
  )");
  Result<Instance> instance2 = linker.Instantiate(store, module2);
  ASSERT_TRUE(instance2.ok()) << instance2.status();
  EXPECT_OK(instance2->GetFunc(store, "run")->Call(store, {}));
}

// Linker::module, first example: a Reactor without initialization.
TEST(LinkerDocTest, DocExample_ModuleReactor) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module module = Compile(engine, R"((module (func (export "run") )))");
  EXPECT_OK(linker.Module(store, "instance1", module));
  Module module2 = Compile(engine, R"(
    (module
      (import "instance1" "run" (func $instance1_run))
      (func (export "run") call $instance1_run))
  )");
  Result<Instance> instance = linker.Instantiate(store, module2);
  ASSERT_TRUE(instance.ok()) << instance.status();
}

// Linker::module, second example: a Command that tries to count how often
// it runs, foiled by each call getting a fresh instance.
TEST(LinkerDocTest, DocExample_ModuleCommandCounterStaysZero) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module module = Compile(engine, R"(
    (module
      (global $counter (mut i32) (i32.const 0))
      (func (export "_start")
        (global.set $counter (i32.add (global.get $counter) (i32.const 1))))
      (func (export "read_counter") (result i32)
        (global.get $counter)))
  )");
  EXPECT_OK(linker.Module(store, "commander", module));
  absl::StatusOr<Func> run_default = linker.GetDefault(store, "");
  ASSERT_OK(run_default);
  absl::StatusOr<TypedFunc<void()>> run =
      TypedFunc<void()>::Create(store, *run_default);
  ASSERT_OK(run);
  EXPECT_OK(run->Call(store));
  EXPECT_OK(run->Call(store));
  EXPECT_OK(run->Call(store));

  Module module2 = Compile(engine, R"(
    (module
      (import "commander" "_start" (func $commander_start))
      (import "commander" "read_counter"
        (func $commander_read_counter (result i32)))
      (func (export "run") (result i32) (local i32)
        call $commander_start
        call $commander_start
        call $commander_start
        call $commander_read_counter))
  )");
  EXPECT_OK(linker.Module(store, "", module2));
  absl::StatusOr<Extern> run2 = linker.Get(store, "", "run");
  ASSERT_OK(run2);
  ASSERT_NE(run2->func(), nullptr);
  absl::StatusOr<TypedFunc<int32_t()>> typed =
      TypedFunc<int32_t()>::Create(store, *run2->func());
  ASSERT_OK(typed);
  Result<int32_t> count = typed->Call(store);
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(*count, 0)
      << "a Command should get a fresh instance on each invocation";
}

// Linker::alias
TEST(LinkerDocTest, DocExample_Alias) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "double", [](int32_t x) { return x * 2; }));
  EXPECT_OK(linker.Alias("host", "double", "", "double"));
  absl::StatusOr<Extern> f = linker.Get(store, "", "double");
  ASSERT_OK(f);
  absl::StatusOr<TypedFunc<int32_t(int32_t)>> typed =
      TypedFunc<int32_t(int32_t)>::Create(store, *f->func());
  ASSERT_OK(typed);
  EXPECT_EQ(*typed->Call(store, 21), 42);
}

// Linker::func_new
TEST(LinkerDocTest, DocExample_FuncNew) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncNew("host", "no_params", FuncType{{}, {}},
                           [](Caller<>&, absl::Span<const Val>, absl::Span<Val>) {
                             return absl::OkStatus();
                           }));
  EXPECT_OK(linker.FuncNew("host", "one_i32",
                           FuncType{{ValType::kI32}, {ValType::kI32}},
                           [](Caller<>&, absl::Span<const Val> params,
                              absl::Span<Val> results) {
                             results[0] = params[0];
                             return absl::OkStatus();
                           }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "no_params" (func))
      (import "host" "one_i32" (func (param i32) (result i32)))
      (func (export "run") (param i32) (result i32)
        call 0
        (call 1 (local.get 0))))
  )");
  Result<Instance> instance = linker.Instantiate(store, module);
  ASSERT_TRUE(instance.ok()) << instance.status();
  auto run = instance->GetTypedFunc<int32_t(int32_t)>(store, "run");
  ASSERT_OK(run);
  EXPECT_EQ(*run->Call(store, 7), 7);
}

// Linker::get_default
TEST(LinkerDocTest, DocExample_GetDefault) {
  Engine engine;
  Store<int> store(engine, 0);
  Linker<int> linker(engine);
  // Nothing defined: a function that does nothing.
  absl::StatusOr<Func> nop = linker.GetDefault(store, "m");
  ASSERT_OK(nop);
  EXPECT_OK(nop->Call(store, {}));
  // "_start" is the default; "" wins over it.
  EXPECT_OK(linker.FuncWrap("m", "_start",
                            [](Caller<int>& c) { c.data() += 1; }));
  absl::StatusOr<Func> start = linker.GetDefault(store, "m");
  ASSERT_OK(start);
  EXPECT_OK(start->Call(store, {}));
  EXPECT_EQ(store.data(), 1);
  EXPECT_OK(linker.FuncWrap("m", "", [](Caller<int>& c) { c.data() += 10; }));
  absl::StatusOr<Func> empty = linker.GetDefault(store, "m");
  ASSERT_OK(empty);
  EXPECT_OK(empty->Call(store, {}));
  EXPECT_EQ(store.data(), 11);
  // A default export that is not a function is an error.
  absl::StatusOr<Global> g =
      Global::New(store, GlobalType{ValType::kI32, false}, Val::I32(1));
  ASSERT_OK(g);
  EXPECT_OK(linker.Define(store, "g", "", *g));
  absl::StatusOr<Func> bad = linker.GetDefault(store, "g");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "default export in 'g' is not a function");
}

// Linker::instantiate
TEST(LinkerDocTest, DocExample_Instantiate) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "double", [](int32_t x) { return x * 2; }));
  Module module = Compile(engine, R"(
    (module (import "host" "double" (func (param i32) (result i32))))
  )");
  EXPECT_OK(linker.Instantiate(store, module));
}

// Linker::instantiate_pre: instantiate, then again into a new store.
TEST(LinkerDocTest, DocExample_InstantiatePreIntoNewStore) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "double", [](int32_t x) { return x * 2; }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "double" (func (param i32) (result i32)))
      (func (export "quad") (param i32) (result i32)
        (call 0 (call 0 (local.get 0)))))
  )");
  absl::StatusOr<InstancePre<>> instance_pre =
      linker.InstantiatePre(store, module);
  ASSERT_OK(instance_pre);
  // Finish instantiation after the type-checking has all completed...
  Result<Instance> instance = instance_pre->Instantiate(store);
  ASSERT_TRUE(instance.ok()) << instance.status();
  // ... and we can even continue to keep instantiating with `instance_pre`
  Store<> new_store(engine);
  Result<Instance> new_instance = instance_pre->Instantiate(new_store);
  ASSERT_TRUE(new_instance.ok()) << new_instance.status();
  auto quad = new_instance->GetTypedFunc<int32_t(int32_t)>(new_store, "quad");
  ASSERT_OK(quad);
  EXPECT_EQ(*quad->Call(new_store, 5), 20);
}

// Linker::define_unknown_imports_as_traps
TEST(LinkerDocTest, DocExample_DefineUnknownImportsAsTraps) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "double", [](int32_t x) { return x * 2; }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "double" (func (param i32) (result i32)))
      (import "host" "log" (func (param i32)))
      (func (export "run") (call 1 (i32.const 1))))
  )");
  EXPECT_OK(linker.DefineUnknownImportsAsTraps(module));
  Result<Instance> instance = linker.Instantiate(store, module);
  ASSERT_TRUE(instance.ok()) << instance.status();
  Result<std::vector<Val>> r = instance->GetFunc(store, "run")->Call(store, {});
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().message(),
            "unknown import: `host::log` has not been defined");
  ASSERT_FALSE(r.trap().backtrace().empty());
}

// ---------------------------------------------------------------------------
// Error paths: each message of the issue.

TEST(LinkerErrorTest, UnknownImportWithoutDefinition) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module module = Compile(engine, R"((module (import "a" "b" (func))))");
  Result<Instance> r = linker.Instantiate(store, module);
  ASSERT_TRUE(r.is_error());
  EXPECT_EQ(r.status().message(), "unknown import: `a::b` has not been defined");
}

TEST(LinkerErrorTest, AliasOfMissingItem) {
  Engine engine;
  Linker<> linker(engine);
  absl::Status s = linker.Alias("m", "n", "x", "y");
  EXPECT_EQ(s.message(), "no item named `m::n` defined");
}

TEST(LinkerErrorTest, AliasModule) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("a", "f", [] { return int32_t{1}; }));
  EXPECT_OK(linker.FuncWrap("a", "g", [] { return int32_t{2}; }));
  EXPECT_OK(linker.AliasModule("a", "b"));
  EXPECT_OK(linker.Get(store, "b", "f"));
  EXPECT_OK(linker.Get(store, "b", "g"));
  EXPECT_FALSE(linker.AliasModule("a", "b").ok());  // defined twice
}

TEST(LinkerErrorTest, CommandAndReactor) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module both = Compile(engine, R"(
    (module (func (export "_start")) (func (export "_initialize"))))");
  EXPECT_EQ(linker.Module(store, "m", both).message(),
            "Program cannot be both a Command and a Reactor");
}

TEST(LinkerErrorTest, CommandExportNotAFunction) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module m = Compile(engine, R"(
    (module (func (export "_start"))
      (memory (export "memory") 1)
      (table (export "__indirect_function_table") 1 funcref)
      (global (export "__heap_base") i32 (i32.const 0))
      (global (export "x") i32 (i32.const 0))))");
  EXPECT_EQ(linker.Module(store, "m", m).message(),
            "command export 'x' is not a function");
  linker.AllowUnknownExports(true);
  EXPECT_OK(linker.Module(store, "m", m));
  EXPECT_OK(linker.Get(store, "m", "_start"));
  EXPECT_FALSE(linker.Get(store, "m", "memory").ok());
}

TEST(LinkerErrorTest, NonFunctionStartOrInitialize) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module start = Compile(engine,
                         R"((module (global (export "_start") i32 (i32.const 0))))");
  EXPECT_FALSE(linker.Module(store, "m", start).ok());
  Module init = Compile(
      engine, R"((module (global (export "_initialize") i32 (i32.const 0))))");
  EXPECT_FALSE(linker.Module(store, "m", init).ok());
}

TEST(LinkerErrorTest, ReactorInitialization) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  Module ok = Compile(engine, R"(
    (module
      (global $g (mut i32) (i32.const 0))
      (func (export "_initialize") (global.set $g (i32.const 42)))
      (func (export "get") (result i32) (global.get $g))))");
  EXPECT_OK(linker.Module(store, "r", ok));
  absl::StatusOr<Extern> get = linker.Get(store, "r", "get");
  ASSERT_OK(get);
  auto typed = TypedFunc<int32_t()>::Create(store, *get->func());
  ASSERT_OK(typed);
  EXPECT_EQ(*typed->Call(store), 42);

  Module trap = Compile(engine, R"(
    (module (func (export "_initialize") unreachable)))");
  absl::Status s = linker.Module(store, "t", trap);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               "calling the Reactor initialization function"))
      << s.message();
}

TEST(LinkerErrorTest, ImportTypeMismatchNamesBothTypes) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "f", [](int64_t x) { return x; }));
  Module module = Compile(engine, R"(
    (module (import "host" "f" (func (param i32) (result i32)))))");
  Result<Instance> r = linker.Instantiate(store, module);
  ASSERT_TRUE(r.is_error());
  EXPECT_TRUE(absl::StrContains(r.status().message(), "`host::f`"));
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "expected function (i32) -> (i32)"))
      << r.status().message();
  EXPECT_TRUE(absl::StrContains(r.status().message(),
                                "found function (i64) -> (i64)"))
      << r.status().message();

  Module mem = Compile(engine, R"((module (import "host" "f" (memory 1))))");
  Result<Instance> r2 = linker.Instantiate(store, mem);
  ASSERT_TRUE(r2.is_error());
  EXPECT_TRUE(absl::StrContains(r2.status().message(), "expected memory"))
      << r2.status().message();
}

TEST(LinkerErrorTest, StoreAndEngineMisuseIsAnError) {
  Engine engine;
  Engine other_engine;
  Store<> store(engine);
  Store<> other_store(engine);
  Store<> foreign(other_engine);
  Linker<> linker(engine);
  absl::StatusOr<Memory> mem = Memory::New(store, MemoryType{Limits{1, {}}});
  ASSERT_OK(mem);
  // A memory of `store` defined for `other_store`.
  EXPECT_FALSE(linker.Define(other_store, "m", "mem", *mem).ok());
  EXPECT_OK(linker.Define(store, "m", "mem", *mem));
  Module module = Compile(engine, R"((module (import "m" "mem" (memory 1))))");
  // Instantiating into another store, or a store of another engine.
  EXPECT_TRUE(linker.Instantiate(other_store, module).is_error());
  EXPECT_TRUE(linker.Instantiate(foreign, module).is_error());
  EXPECT_FALSE(linker.Get(other_store, "m", "mem").ok());
  // A module of another engine.
  Module foreign_module = Compile(other_engine, "(module)");
  EXPECT_TRUE(linker.Instantiate(store, foreign_module).is_error());
  // A host function of another engine.
  absl::StatusOr<HostFunc> h = HostFunc::Wrap(other_engine, [] {});
  ASSERT_OK(h);
  EXPECT_FALSE(linker.Define("x", "y", *h).ok());
  // An instance of another store.
  Module exporting = Compile(engine, R"((module (func (export "f"))))");
  Result<Instance> inst = linker.Instantiate(store, exporting);
  ASSERT_TRUE(inst.ok());
  EXPECT_FALSE(linker.Instance(other_store, "i", *inst).ok());
  EXPECT_OK(linker.Instance(store, "i", *inst));
  // The InstancePre made for `store` into `other_store`.
  absl::StatusOr<InstancePre<>> pre = linker.InstantiatePre(store, module);
  ASSERT_OK(pre);
  EXPECT_TRUE(pre->Instantiate(other_store).is_error());
}

TEST(LinkerTest, Iteration) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("a", "f", [] {}));
  absl::StatusOr<Global> g =
      Global::New(store, GlobalType{ValType::kI64, true}, Val::I64(7));
  ASSERT_OK(g);
  EXPECT_OK(linker.Define(store, "a", "g", *g));
  EXPECT_OK(linker.DefineName(store, "one", *g));
  std::vector<LinkerItem> items = linker.Iter(store);
  EXPECT_EQ(items.size(), 3u);
  int funcs = 0, globals = 0;
  for (const LinkerItem& item : items) {
    if (item.item.func() != nullptr) ++funcs;
    if (item.item.global() != nullptr) ++globals;
  }
  EXPECT_EQ(funcs, 1);
  EXPECT_EQ(globals, 2);
  EXPECT_OK(linker.GetName(store, "one"));
  int n = 0;
  linker.ForEachDefinition(
      [&](std::string_view, std::string_view, const Definition&) { ++n; });
  EXPECT_EQ(n, 3);
  // A copy shares the host functions.
  Linker<> copy = linker;
  EXPECT_EQ(copy.size(), 3u);
  absl::StatusOr<Extern> f1 = linker.Get(store, "a", "f");
  absl::StatusOr<Extern> f2 = copy.Get(store, "a", "f");
  ASSERT_OK(f1);
  ASSERT_OK(f2);
  EXPECT_TRUE(*f1->func() == *f2->func());
}

int64_t PlainTriple(int64_t x) { return 3 * x; }

TEST(LinkerTest, FunctionPointerAndGetByImport) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("m", "triple", &PlainTriple));
  Module module = Compile(engine, R"(
    (module (import "m" "triple" (func (param i64) (result i64)))))");
  absl::StatusOr<Extern> e = linker.GetByImport(store, module.info().imports[0]);
  ASSERT_OK(e);
  auto typed = TypedFunc<int64_t(int64_t)>::Create(store, *e->func());
  ASSERT_OK(typed);
  EXPECT_EQ(*typed->Call(store, 14), 42);
  EXPECT_FALSE(linker.Get(store, "m", "missing").ok());
  EXPECT_EQ(linker.Get(store, "m", "missing").status().message(),
            "no item named `m::missing` defined");
}

// ---------------------------------------------------------------------------
// Host functions: ABI coverage, Caller, traps, exceptions, re-entrancy.

TEST(HostFuncTest, FuncWrapAllTypesAndMultiValue) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap(
      "h", "mix",
      [](int32_t a, int64_t b, float c, double d, int32_t e, int64_t f,
         float g, double h, int32_t i, int64_t j) {
        return static_cast<double>(a) + b + c + d + e + f + g + h + i + j;
      }));
  EXPECT_OK(linker.FuncWrap("h", "swap", [](int32_t a, int64_t b) {
    return std::tuple<int64_t, int32_t, double>(b, a, 0.5);
  }));
  EXPECT_OK(linker.FuncWrap("h", "ext", [](ExternRef r) {
    return ExternRef{static_cast<char*>(r.ptr) + 1};
  }));
  EXPECT_OK(linker.FuncWrap("h", "fref", [](FuncRef f) { return f; }));
  EXPECT_OK(linker.FuncWrap("h", "fl", [](float x) { return x * 2; }));
  Module module = Compile(engine, R"(
    (module
      (import "h" "mix" (func $mix (param i32 i64 f32 f64 i32 i64 f32 f64 i32 i64) (result f64)))
      (import "h" "swap" (func $swap (param i32 i64) (result i64 i32 f64)))
      (import "h" "ext" (func $ext (param externref) (result externref)))
      (import "h" "fref" (func $fref (param funcref) (result funcref)))
      (import "h" "fl" (func $fl (param f32) (result f32)))
      (func $f (export "f"))
      (elem declare func $f)
      (func (export "mix") (result f64)
        (call $mix (i32.const 1) (i64.const 2) (f32.const 3) (f64.const 4)
                   (i32.const 5) (i64.const 6) (f32.const 7) (f64.const 8)
                   (i32.const 9) (i64.const 10)))
      (func (export "swap") (result i64 i32 f64)
        (call $swap (i32.const -7) (i64.const 1099511627776)))
      (func (export "ext") (param externref) (result externref)
        (call $ext (local.get 0)))
      (func (export "fref_null") (result i32)
        (ref.is_null (call $fref (ref.null func))))
      (func (export "fref") (result funcref)
        (call $fref (ref.func $f)))
      (func (export "fl") (result f32) (call $fl (f32.const 1.25))))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto mix = inst->GetTypedFunc<double()>(store, "mix");
  ASSERT_OK(mix);
  EXPECT_EQ(*mix->Call(store), 55.0);
  auto swap = inst->GetTypedFunc<std::tuple<int64_t, int32_t, double>()>(
      store, "swap");
  ASSERT_OK(swap);
  Result<std::tuple<int64_t, int32_t, double>> s = swap->Call(store);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(std::get<0>(*s), 1099511627776);
  EXPECT_EQ(std::get<1>(*s), -7);
  EXPECT_EQ(std::get<2>(*s), 0.5);
  char buf[4];
  Result<std::vector<Val>> e =
      inst->GetFunc(store, "ext")->Call(store, {Val::ExternRef(buf)});
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ((*e)[0].externref(), buf + 1);
  auto fnull = inst->GetTypedFunc<int32_t()>(store, "fref_null");
  ASSERT_OK(fnull);
  EXPECT_EQ(*fnull->Call(store), 1);
  Result<std::vector<Val>> fr = inst->GetFunc(store, "fref")->Call(store, {});
  ASSERT_TRUE(fr.ok()) << fr.status();
  ASSERT_TRUE((*fr)[0].funcref().has_value());
  EXPECT_TRUE(*(*fr)[0].funcref() == *inst->GetFunc(store, "f"));
  auto fl = inst->GetTypedFunc<float()>(store, "fl");
  ASSERT_OK(fl);
  EXPECT_EQ(*fl->Call(store), 2.5f);

  // Called from the host directly (Func::Call and TypedFunc).
  absl::StatusOr<Extern> h = linker.Get(store, "h", "swap");
  ASSERT_OK(h);
  Result<std::vector<Val>> hs =
      h->func()->Call(store, {Val::I32(3), Val::I64(4)});
  ASSERT_TRUE(hs.ok()) << hs.status();
  EXPECT_EQ((*hs)[0].i64(), 4);
  EXPECT_EQ((*hs)[1].i32(), 3);
  EXPECT_EQ((*hs)[2].f64(), 0.5);
}

TEST(HostFuncTest, CallerSeesStoreDataAndCallerMemory) {
  Engine engine;
  Store<std::string> store(engine, "");
  Linker<std::string> linker(engine);
  EXPECT_OK(linker.FuncWrap(
      "host", "log_str",
      [](Caller<std::string>& caller, int32_t ptr, int32_t len) {
        std::optional<Extern> mem = caller.GetExport("memory");
        if (!mem.has_value() || mem->memory() == nullptr) {
          return absl::Status(absl::FailedPreconditionError("no memory"));
        }
        const uint8_t* data = mem->memory()->data(caller.store()).value();
        caller.data().append(
            reinterpret_cast<const char*>(data + ptr), len);
        return absl::OkStatus();
      }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "log_str" (func $log (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 16) "Hello, world!")
      (func (export "run") (call $log (i32.const 16) (i32.const 13))))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  EXPECT_OK(inst->GetFunc(store, "run")->Call(store, {}));
  EXPECT_EQ(store.data(), "Hello, world!");
}

// Caller<T>: FuncWrap, FuncNew and FuncNewUnchecked callables see the
// Store<T>'s data typed; the untyped Caller<> is still accepted.
TEST(HostFuncTest, TypedCallerInEveryKindOfHostFunction) {
  struct Counters {
    int wrap = 0;
    int fresh = 0;
    int unchecked = 0;
    int untyped = 0;
  };
  Engine engine;
  Store<Counters> store(engine, Counters{});
  Linker<Counters> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "wrap", [](Caller<Counters>& c, int32_t x) {
    c.data().wrap += x;
    Store<Counters>& s = c.store();
    return s.data().wrap;
  }));
  EXPECT_OK(linker.FuncNew(
      "host", "new", FuncType{{ValType::kI32}, {}},
      [](Caller<Counters>& c, absl::Span<const Val> p, absl::Span<Val>) {
        c.data().fresh += p[0].i32();
        return absl::OkStatus();
      }));
  EXPECT_OK(linker.FuncNewUnchecked(
      "host", "unchecked", FuncType{{ValType::kI32}, {ValType::kI32}},
      [](Caller<Counters>& c, absl::Span<ValRaw> v) {
        c.data().unchecked += v[0].i32;
        v[0] = ValRaw::I32(c.data().unchecked);
        return absl::OkStatus();
      }));
  EXPECT_OK(linker.FuncWrap("host", "untyped", [](Caller<>& c) {
    c.data<Counters>().untyped += 1;
    EXPECT_TRUE(c.GetExport("memory").has_value());
  }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "wrap" (func $wrap (param i32) (result i32)))
      (import "host" "new" (func $new (param i32)))
      (import "host" "unchecked" (func $unchecked (param i32) (result i32)))
      (import "host" "untyped" (func $untyped))
      (memory (export "memory") 1)
      (func (export "run") (result i32)
        (call $new (i32.const 5))
        (call $untyped)
        (i32.add (call $wrap (i32.const 2)) (call $unchecked (i32.const 7)))))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  absl::StatusOr<TypedFunc<int32_t()>> run =
      inst->GetTypedFunc<int32_t()>(store, "run");
  ASSERT_OK(run);
  Result<int32_t> r = run->Call(store);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, 2 + 7);
  EXPECT_EQ(store.data().wrap, 2);
  EXPECT_EQ(store.data().fresh, 5);
  EXPECT_EQ(store.data().unchecked, 7);
  EXPECT_EQ(store.data().untyped, 1);
}

TEST(HostFuncTest, HostTrapHasBacktraceThroughWasmFrames) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  int destroyed = 0;
  struct Guard {
    int* n;
    ~Guard() { ++*n; }
  };
  EXPECT_OK(linker.FuncWrap("host", "fail",
                            [&destroyed](int32_t x) -> absl::StatusOr<int32_t> {
                              Guard g{&destroyed};
                              if (x > 0) return absl::InternalError("boom");
                              return x;
                            }));
  Module module = Compile(engine, R"(
    (module $m
      (import "host" "fail" (func $fail (param i32) (result i32)))
      (func $inner (param i32) (result i32) (call $fail (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32)
        (i32.add (call $inner (local.get 0)) (i32.const 1))))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto outer = inst->GetTypedFunc<int32_t(int32_t)>(store, "outer");
  ASSERT_OK(outer);
  EXPECT_EQ(*outer->Call(store, 0), 1);
  Result<int32_t> r = outer->Call(store, 5);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().code(), TrapCode::kHostError);
  EXPECT_EQ(r.trap().message(), "boom");
  EXPECT_EQ(destroyed, 2);  // the C++ locals were destroyed
  const auto& bt = r.trap().backtrace();
  ASSERT_GE(bt.size(), 2u) << r.trap().ToString();
  EXPECT_EQ(bt[0].func_name, "inner") << r.trap().ToString();
  EXPECT_EQ(bt[1].func_name, "outer") << r.trap().ToString();
  // The store still works.
  EXPECT_EQ(*outer->Call(store, -3), -2);

  // absl::Status form and FuncNew form.
  EXPECT_OK(linker.FuncWrap("host", "status", [] {
    return absl::InvalidArgumentError("bad");
  }));
  EXPECT_OK(linker.FuncNewUnchecked(
      "host", "raw", FuncType{{ValType::kI32}, {}},
      [](Caller<>&, absl::Span<ValRaw> v) {
        return v[0].i32 == 1 ? absl::OkStatus()
                             : absl::UnknownError("raw failed");
      }));
  Module m2 = Compile(engine, R"(
    (module
      (import "host" "status" (func $s))
      (import "host" "raw" (func $r (param i32)))
      (func (export "s") call $s)
      (func (export "r") (param i32) (call $r (local.get 0))))
  )");
  Result<Instance> i2 = linker.Instantiate(store, m2);
  ASSERT_TRUE(i2.ok()) << i2.status();
  Result<std::vector<Val>> s = i2->GetFunc(store, "s")->Call(store, {});
  ASSERT_TRUE(s.is_trap());
  EXPECT_EQ(s.trap().message(), "bad");
  EXPECT_OK(i2->GetFunc(store, "r")->Call(store, {Val::I32(1)}));
  Result<std::vector<Val>> rr =
      i2->GetFunc(store, "r")->Call(store, {Val::I32(2)});
  ASSERT_TRUE(rr.is_trap());
  EXPECT_EQ(rr.trap().message(), "raw failed");
  EXPECT_FALSE(rr.trap().backtrace().empty());
}

TEST(HostFuncTest, ThrownExceptionBecomesTrap) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("host", "throw", [](int32_t x) -> int32_t {
    if (x == 1) throw std::runtime_error("oops");
    if (x == 2) throw 42;
    return x;
  }));
  EXPECT_OK(linker.FuncNew("host", "throw_new", FuncType{{}, {}},
                           [](Caller<>&, absl::Span<const Val>,
                              absl::Span<Val>) -> absl::Status {
                             throw std::logic_error("new");
                           }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "throw" (func $t (param i32) (result i32)))
      (import "host" "throw_new" (func $n))
      (func (export "run") (param i32) (result i32) (call $t (local.get 0)))
      (func (export "new") call $n))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto run = inst->GetTypedFunc<int32_t(int32_t)>(store, "run");
  ASSERT_OK(run);
  Result<int32_t> a = run->Call(store, 1);
  ASSERT_TRUE(a.is_trap());
  EXPECT_EQ(a.trap().message(), "host function threw: oops");
  Result<int32_t> b = run->Call(store, 2);
  ASSERT_TRUE(b.is_trap());
  EXPECT_EQ(b.trap().message(), "host function threw an exception");
  EXPECT_EQ(*run->Call(store, 3), 3);
  Result<std::vector<Val>> c = inst->GetFunc(store, "new")->Call(store, {});
  ASSERT_TRUE(c.is_trap());
  EXPECT_EQ(c.trap().message(), "host function threw: new");
}

// host -> wasm -> host -> wasm -> host, with a trap at the bottom that
// unwinds only the innermost activation.
TEST(HostFuncTest, ReentrantCalls) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap(
      "host", "recurse", [](Caller<>& caller, int32_t n) -> absl::StatusOr<int32_t> {
        std::optional<Extern> f = caller.GetExport("down");
        if (!f.has_value()) return absl::NotFoundError("no down");
        absl::StatusOr<TypedFunc<int32_t(int32_t)>> down =
            TypedFunc<int32_t(int32_t)>::Create(caller.store(), *f->func());
        if (!down.ok()) return down.status();
        Result<int32_t> r = down->Call(caller.store(), n - 1);
        if (r.is_trap()) return absl::AbortedError("inner trap");
        if (!r.ok()) return r.status();
        return *r + 100;
      }));
  Module module = Compile(engine, R"(
    (module
      (import "host" "recurse" (func $recurse (param i32) (result i32)))
      (func (export "down") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0))
          (then (i32.const 0))
          (else
            (if (result i32) (i32.lt_s (local.get 0) (i32.const 0))
              (then unreachable)
              (else (call $recurse (local.get 0))))))))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto down = inst->GetTypedFunc<int32_t(int32_t)>(store, "down");
  ASSERT_OK(down);
  EXPECT_EQ(*down->Call(store, 5), 500);
  Result<int32_t> t = down->Call(store, -1);
  ASSERT_TRUE(t.is_trap());
  EXPECT_EQ(t.trap().code(), TrapCode::kUnreachableCodeReached);
  EXPECT_EQ(*down->Call(store, 3), 300);
}

TEST(HostFuncTest, FuncNewChecksResultTypes) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncNew("h", "bad", FuncType{{}, {ValType::kI32}},
                           [](Caller<>&, absl::Span<const Val>,
                              absl::Span<Val> results) {
                             results[0] = Val::I64(1);
                             return absl::OkStatus();
                           }));
  Module module = Compile(engine, R"(
    (module (import "h" "bad" (func $b (result i32)))
      (func (export "run") (result i32) call $b))
  )");
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  Result<std::vector<Val>> r = inst->GetFunc(store, "run")->Call(store, {});
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(r.trap().message(),
            "host function result 0 has type i64, expected i32");
}

TEST(SignatureRegistryTest, HostFuncsModulesAndCallIndirectShareIds) {
  Engine engine;
  Store<> store(engine);
  Linker<> linker(engine);
  EXPECT_OK(linker.FuncWrap("h", "add", [](int32_t a, int32_t b) { return a + b; }));
  EXPECT_OK(linker.FuncNew("h", "sub", FuncType{{ValType::kI32, ValType::kI32}, {ValType::kI32}},
                           [](Caller<>&, absl::Span<const Val> p, absl::Span<Val> r) {
                             r[0] = Val::I32(p[0].i32() - p[1].i32());
                             return absl::OkStatus();
                           }));
  absl::StatusOr<Extern> add = linker.Get(store, "h", "add");
  absl::StatusOr<Extern> sub = linker.Get(store, "h", "sub");
  ASSERT_OK(add);
  ASSERT_OK(sub);
  EXPECT_EQ(add->func()->type_id(store).value(), sub->func()->type_id(store).value());
  Module module = Compile(engine, R"(
    (module
      (type $bin (func (param i32 i32) (result i32)))
      (import "h" "add" (func $add (type $bin)))
      (import "h" "sub" (func $sub (type $bin)))
      (table 2 funcref)
      (elem (i32.const 0) $add $sub)
      (func (export "call") (param i32 i32 i32) (result i32)
        (call_indirect (type $bin) (local.get 1) (local.get 2) (local.get 0)))
      (func (export "bad") (result i32)
        (call_indirect (param i32) (result i32) (i32.const 1) (i32.const 0))))
  )");
  EXPECT_EQ(module.type_id(0), add->func()->type_id(store).value());
  Result<Instance> inst = linker.Instantiate(store, module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto call = inst->GetTypedFunc<int32_t(int32_t, int32_t, int32_t)>(store, "call");
  ASSERT_OK(call);
  EXPECT_EQ(*call->Call(store, 0, 7, 3), 10);
  EXPECT_EQ(*call->Call(store, 1, 7, 3), 4);
  Result<std::vector<Val>> bad = inst->GetFunc(store, "bad")->Call(store, {});
  ASSERT_TRUE(bad.is_trap());
  EXPECT_EQ(bad.trap().code(), TrapCode::kBadSignature);
}

}  // namespace
}  // namespace kiln
