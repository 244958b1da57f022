// What the Linker checks up front and how it words it: InstancePre
// type-checks every import kind once (one message naming `m::n`, the
// expected and the found type), Command and Reactor entry points, and a
// Command's trap reaching the caller unchanged (so wasi::ExitCode sees
// proc_exit through a Command too).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "engine/kiln.h"
#include "gtest/gtest.h"
#include "linker/linker.h"
#include "wasi/add_to_linker.h"
#include "wasi/host.h"
#include "wasi/wasi_ctx.h"

namespace kiln {
namespace {

Module Compile(const Engine& engine, std::string_view wat) {
  absl::StatusOr<Module> m = Module::FromWat(engine, wat);
  EXPECT_TRUE(m.ok()) << m.status();
  return *m;
}

// InstantiatePre's error for `importer` with `item` defined as x::y.
std::string PreError(const Engine& engine, Store<>& store, const Extern& item,
                     std::string_view importer) {
  Linker<> linker(engine);
  EXPECT_TRUE(linker.Define(store, "x", "y", item).ok());
  absl::StatusOr<InstancePre<>> pre =
      linker.InstantiatePre(store, Compile(engine, importer));
  if (pre.ok()) return "ok";
  EXPECT_EQ(pre.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(pre.status().message());
}

class LinkerChecksTest : public ::testing::Test {
 protected:
  Engine engine_;
  Store<> store_{engine_};
};

TEST_F(LinkerChecksTest, InstancePreChecksFunctionSignatures) {
  Linker<> linker(engine_);
  ASSERT_TRUE(linker.FuncWrap("x", "y", [](int32_t a) { return a; }).ok());
  absl::StatusOr<InstancePre<>> pre = linker.InstantiatePre(
      store_, Compile(engine_, R"((module (import "x" "y" (func (param i64)))))"));
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(std::string(pre.status().message()),
            "incompatible import type for `x::y`: expected function "
            "(i64) -> (), found function (i32) -> (i32)");
  // A store-owned function too.
  absl::StatusOr<Func> f =
      Func::New(store_, FuncType{{}, {}},
                [](Caller<>&, absl::Span<const Val>, absl::Span<Val>)
                    -> std::optional<Trap> { return std::nullopt; });
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(PreError(engine_, store_, *f,
                     R"((module (import "x" "y" (func (result i32)))))"),
            "incompatible import type for `x::y`: expected function "
            "() -> (i32), found function () -> ()");
}

TEST_F(LinkerChecksTest, InstancePreChecksMemoryLimits) {
  absl::StatusOr<Memory> mem = Memory::New(store_, MemoryType{{1, 3}});
  ASSERT_TRUE(mem.ok());
  EXPECT_EQ(PreError(engine_, store_, *mem,
                     R"((module (import "x" "y" (memory 1 3))))"),
            "ok");
  EXPECT_EQ(PreError(engine_, store_, *mem,
                     R"((module (import "x" "y" (memory 2))))"),
            "incompatible import type for `x::y`: expected memory {min 2}, "
            "found memory {min 1, max 3}");
  EXPECT_EQ(PreError(engine_, store_, *mem,
                     R"((module (import "x" "y" (memory 1 2))))"),
            "incompatible import type for `x::y`: expected memory "
            "{min 1, max 2}, found memory {min 1, max 3}");
  EXPECT_EQ(PreError(engine_, store_, *mem,
                     R"((module (import "x" "y" (table 1 funcref))))"),
            "incompatible import type for `x::y`: expected table, found "
            "memory");
}

TEST_F(LinkerChecksTest, InstancePreChecksTableTypeAndLimits) {
  absl::StatusOr<Table> tab = Table::New(
      store_, TableType{ValType::kFuncRef, {2, 10}}, Val::NullFuncRef());
  ASSERT_TRUE(tab.ok());
  EXPECT_EQ(PreError(engine_, store_, *tab,
                     R"((module (import "x" "y" (table 1 funcref))))"),
            "ok");
  EXPECT_EQ(PreError(engine_, store_, *tab,
                     R"((module (import "x" "y" (table 3 funcref))))"),
            "incompatible import type for `x::y`: expected table funcref "
            "{min 3}, found table funcref {min 2, max 10}");
  EXPECT_EQ(PreError(engine_, store_, *tab,
                     R"((module (import "x" "y" (table 1 externref))))"),
            "incompatible import type for `x::y`: expected table externref "
            "{min 1}, found table funcref {min 2, max 10}");
  EXPECT_EQ(PreError(engine_, store_, *tab,
                     R"((module (import "x" "y" (table 1 5 funcref))))"),
            "incompatible import type for `x::y`: expected table funcref "
            "{min 1, max 5}, found table funcref {min 2, max 10}");
}

TEST_F(LinkerChecksTest, InstancePreChecksGlobalTypeAndMutability) {
  absl::StatusOr<Global> g =
      Global::New(store_, GlobalType{ValType::kI32, true}, Val::I32(1));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(PreError(engine_, store_, *g,
                     R"((module (import "x" "y" (global (mut i32)))))"),
            "ok");
  EXPECT_EQ(PreError(engine_, store_, *g,
                     R"((module (import "x" "y" (global i32))))"),
            "incompatible import type for `x::y`: expected global i32, "
            "found global (mut i32)");
  EXPECT_EQ(PreError(engine_, store_, *g,
                     R"((module (import "x" "y" (global (mut i64)))))"),
            "incompatible import type for `x::y`: expected global (mut i64), "
            "found global (mut i32)");
  EXPECT_EQ(PreError(engine_, store_, *g,
                     R"((module (import "x" "y" (func))))"),
            "incompatible import type for `x::y`: expected func, found "
            "global");
}

// Instance::Create words it the same way.
TEST_F(LinkerChecksTest, InstanceCreateUsesTheSameWording) {
  absl::StatusOr<Global> g =
      Global::New(store_, GlobalType{ValType::kI32, false}, Val::I32(1));
  ASSERT_TRUE(g.ok());
  Result<Instance> inst = Instance::Create(
      store_, Compile(engine_, R"((module (import "x" "y" (global i64))))"),
      {*g});
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(std::string(inst.status().message()),
            "incompatible import type for `x::y`: expected global i64, found "
            "global i32");
}

// A memory imported by an InstancePre may grow afterwards: the check made
// up front still holds, and Instantiate does not check again.
TEST_F(LinkerChecksTest, InstancePreInstantiatesManyTimesAfterGrowth) {
  absl::StatusOr<Memory> mem = Memory::New(store_, MemoryType{{1, 4}});
  ASSERT_TRUE(mem.ok());
  Linker<> linker(engine_);
  ASSERT_TRUE(linker.Define(store_, "x", "m", *mem).ok());
  absl::StatusOr<InstancePre<>> pre = linker.InstantiatePre(
      store_, Compile(engine_, R"((module (import "x" "m" (memory 1 4))
        (func (export "size") (result i32) (memory.size))))"));
  ASSERT_TRUE(pre.ok()) << pre.status();
  ASSERT_TRUE(mem->Grow(store_, 2).ok());
  for (int i = 0; i < 3; ++i) {
    Result<Instance> inst = pre->Instantiate(store_);
    ASSERT_TRUE(inst.ok()) << inst.status();
    EXPECT_EQ(*inst->GetTypedFunc<int32_t()>(store_, "size")->Call(store_),
              3);
  }
  // Another store cannot use it: the memory is not its.
  Store<> other(engine_);
  Result<Instance> inst = pre->Instantiate(other);
  ASSERT_FALSE(inst.ok());
  EXPECT_EQ(std::string(inst.status().message()),
            "import `x::m`: object used with the wrong store");
}

TEST_F(LinkerChecksTest, EntryPointsMustBeFunctions) {
  Linker<> linker(engine_);
  absl::Status start = linker.Module(
      store_, "m",
      Compile(engine_, R"((module (memory (export "_start") 1)))"));
  EXPECT_EQ(std::string(start.message()), "`_start` must be a function");
  absl::Status init = linker.Module(
      store_, "m",
      Compile(engine_,
              R"((module (global (export "_initialize") i32 (i32.const 0))))"));
  EXPECT_EQ(std::string(init.message()), "`_initialize` must be a function");
  absl::Status typed = linker.Module(
      store_, "m",
      Compile(engine_,
              R"((module (func (export "_initialize") (param i32))))"));
  EXPECT_EQ(std::string(typed.message()),
            "`_initialize` must have type () -> (), found (i32) -> ()");
}

TEST_F(LinkerChecksTest, GetDefaultNamesTheExport) {
  Linker<> linker(engine_);
  absl::StatusOr<Global> g =
      Global::New(store_, GlobalType{ValType::kI32, false}, Val::I32(1));
  ASSERT_TRUE(g.ok());
  ASSERT_TRUE(linker.Define(store_, "m", "_start", *g).ok());
  absl::StatusOr<Func> f = linker.GetDefault(store_, "m");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(std::string(f.status().message()), "`_start` in 'm' is not a function");
  ASSERT_TRUE(linker.Define(store_, "n", "", *g).ok());
  f = linker.GetDefault(store_, "n");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(std::string(f.status().message()), "default export in 'n' is not a function");
}

// A Command's trap reaches the caller as the same trap: code, message.
TEST_F(LinkerChecksTest, CommandTrapKeepsItsCodeAndMessage) {
  Linker<> linker(engine_);
  ASSERT_TRUE(
      linker
          .Module(store_, "cmd", Compile(engine_, R"(
            (module
              (func (export "_start"))
              (func (export "boom") (result i32) (unreachable))
              (func (export "div") (param i32) (result i32)
                (i32.div_s (i32.const 1) (local.get 0)))))"))
          .ok());
  Result<Instance> user = linker.Instantiate(store_, Compile(engine_, R"(
    (module
      (import "cmd" "boom" (func $boom (result i32)))
      (import "cmd" "div" (func $div (param i32) (result i32)))
      (func (export "boom") (result i32) (call $boom))
      (func (export "div") (param i32) (result i32)
        (call $div (local.get 0)))))"));
  ASSERT_TRUE(user.ok()) << user.status();
  Result<int32_t> boom =
      user->GetTypedFunc<int32_t()>(store_, "boom")->Call(store_);
  ASSERT_TRUE(boom.is_trap());
  EXPECT_EQ(boom.trap().code(), TrapCode::kUnreachableCodeReached);
  EXPECT_EQ(boom.trap().message(), "unreachable");
  auto div = user->GetTypedFunc<int32_t(int32_t)>(store_, "div");
  Result<int32_t> zero = div->Call(store_, 0);
  ASSERT_TRUE(zero.is_trap());
  EXPECT_EQ(zero.trap().code(), TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(*div->Call(store_, 1), 1);
  // Called directly from the host, too.
  Result<std::vector<Val>> direct =
      linker.Get(store_, "cmd", "boom")->func()->Call(store_, {});
  ASSERT_TRUE(direct.is_trap());
  EXPECT_EQ(direct.trap().code(), TrapCode::kUnreachableCodeReached);
}

struct Host {
  std::unique_ptr<wasi::WasiCtx> wasi;
};

// proc_exit inside a Command (WASI through Linker<Host>) is recognised.
TEST_F(LinkerChecksTest, CommandProcExitIsRecognised) {
  Linker<Host> linker(engine_);
  ASSERT_TRUE(wasi::AddToLinker(linker, [](Host& h) -> wasi::WasiCtx& {
                return *h.wasi;
              }).ok());
  Store<Host> store(engine_, Host{std::make_unique<wasi::WasiCtx>()});
  ASSERT_TRUE(linker
                  .Module(store, "cmd", Compile(engine_, R"(
    (module
      (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1)
      (func (export "_start") (call $exit (i32.const 3)))))"))
                  .ok());
  absl::StatusOr<Func> start = linker.GetDefault(store, "cmd");
  ASSERT_TRUE(start.ok()) << start.status();
  Result<std::vector<Val>> r = start->Call(store, {});
  ASSERT_TRUE(r.is_trap()) << r.status();
  EXPECT_EQ(r.trap().message(), "wasi proc_exit(3)");
  EXPECT_EQ(wasi::ExitCode(r.trap(), *store.data().wasi), 3u);
}

}  // namespace
}  // namespace kiln
