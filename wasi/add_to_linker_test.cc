// wasi::AddToLinker through the Linker: per-store contexts, proc_exit,
// memory that grows between calls.
#include "wasi/add_to_linker.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/host.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {
namespace {

struct Host {
  std::unique_ptr<WasiCtx> wasi;
};

constexpr char kWat[] = R"(
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get"
    (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  ;; argc * 1000 + size of the argument strings
  (func (export "args") (result i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (i32.add (i32.mul (i32.load (i32.const 0)) (i32.const 1000))
             (i32.load (i32.const 4))))
  ;; random_get into the page just grown: 0 once it exists, 21 before
  (func (export "random_high") (result i32)
    (call $random_get (i32.const 70000) (i32.const 16)))
  (func (export "grow") (drop (memory.grow (i32.const 1))))
  (func (export "bye") (param i32) (call $exit (local.get 0))))
)";

std::unique_ptr<WasiCtx> CtxWithArgs(std::vector<std::string> args) {
  auto ctx = std::make_unique<WasiCtx>();
  ctx->set_args(std::move(args));
  return ctx;
}

TEST(AddToLinkerTest, PerStoreContexts) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, kWat);
  ASSERT_TRUE(module.ok()) << module.status();
  Linker<Host> linker(engine);
  ASSERT_TRUE(AddToLinker(linker, [](Host& h) -> WasiCtx& { return *h.wasi; }).ok());

  Store<Host> a(engine, Host{CtxWithArgs({"prog", "x"})});
  Store<Host> b(engine, Host{CtxWithArgs({"p", "yy", "zzz"})});
  Result<Instance> ia = linker.Instantiate(a, *module);
  Result<Instance> ib = linker.Instantiate(b, *module);
  ASSERT_TRUE(ia.ok()) << ia.status();
  ASSERT_TRUE(ib.ok()) << ib.status();
  auto args_a = ia->GetTypedFunc<int32_t()>(a, "args");
  auto args_b = ib->GetTypedFunc<int32_t()>(b, "args");
  ASSERT_TRUE(args_a.ok() && args_b.ok());
  EXPECT_EQ(*args_a->Call(a), 2 * 1000 + 7);
  EXPECT_EQ(*args_b->Call(b), 3 * 1000 + 9);

  // proc_exit: a trap, with the code in that store's context only.
  auto bye = ib->GetTypedFunc<void(int32_t)>(b, "bye");
  ASSERT_TRUE(bye.ok());
  Result<void> r = bye->Call(b, 17);
  ASSERT_TRUE(r.is_trap());
  EXPECT_NE(r.trap().message().find("proc_exit(17)"), std::string::npos)
      << r.trap().message();
  EXPECT_EQ(b.data().wasi->exit_code(), 17u);
  EXPECT_EQ(ExitCode(r.trap(), *b.data().wasi), 17u);
  EXPECT_EQ(ExitCode(Trap(TrapCode::kUnreachableCodeReached), *b.data().wasi), std::nullopt);
  EXPECT_FALSE(a.data().wasi->exit_code().has_value());
}

TEST(AddToLinkerTest, SharedContextAndGrowingMemory) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, kWat);
  ASSERT_TRUE(module.ok()) << module.status();
  WasiCtx ctx;
  Linker<> linker(engine);
  ASSERT_TRUE(AddToLinker(linker, &ctx).ok());
  Store<> store(engine);
  Result<Instance> inst = linker.Instantiate(store, *module);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto high = inst->GetTypedFunc<int32_t()>(store, "random_high");
  auto grow = inst->GetTypedFunc<void()>(store, "grow");
  ASSERT_TRUE(high.ok() && grow.ok());
  EXPECT_EQ(*high->Call(store), 21);  // EFAULT: past the one page
  ASSERT_TRUE(grow->Call(store).ok());
  EXPECT_EQ(*high->Call(store), 0);
}

// Without a Linker: host functions in import order (wasi/host.h).
TEST(WasiImportsTest, InstantiateWithoutALinker) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, kWat);
  ASSERT_TRUE(module.ok()) << module.status();
  WasiCtx ctx;
  ctx.set_args({"a", "bcd"});
  Store<> store(engine);
  absl::StatusOr<std::vector<Extern>> imports = WasiImports(store, *module, &ctx);
  ASSERT_TRUE(imports.ok()) << imports.status();
  ASSERT_EQ(imports->size(), 3u);
  Result<Instance> inst = Instance::Create(store, *module, *imports);
  ASSERT_TRUE(inst.ok()) << inst.status();
  auto args = inst->GetTypedFunc<int32_t()>(store, "args");
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(*args->Call(store), 2 * 1000 + 6);
  auto bye = inst->GetTypedFunc<void(int32_t)>(store, "bye");
  Result<void> r = bye->Call(store, 3);
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(ExitCode(r.trap(), ctx), 3u);

  absl::StatusOr<Module> other = Module::FromWat(
      engine, R"((module (import "env" "f" (func))))");
  ASSERT_TRUE(other.ok());
  absl::StatusOr<std::vector<Extern>> bad = WasiImports(store, *other, &ctx);
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("env::f"), std::string::npos);
}

// Memory64: the module's memory 0 picks the wasm64 signatures (i64
// pointers; wasm64_test covers the calls), fixed i32s stay i32.
TEST(WasiImportsTest, A64BitMemoryGetsTheWasm64Signatures) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, R"(
    (module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
      (import "wasi_snapshot_preview1" "random_get"
        (func (param i64 i64) (result i32)))
      (memory (export "memory") i64 1)))");
  ASSERT_TRUE(module.ok()) << module.status();
  EXPECT_EQ(WasiAbi(module->info()), Abi::kWasm64);
  WasiCtx ctx;
  Store<> store(engine);
  absl::StatusOr<std::vector<Extern>> imports =
      WasiImports(store, *module, &ctx);
  ASSERT_TRUE(imports.ok()) << imports.status();
  // The 32-bit signature of random_get is refused for that module.
  absl::StatusOr<Module> narrow = Module::FromWat(engine, R"(
    (module (import "wasi_snapshot_preview1" "random_get"
        (func (param i32 i32) (result i32)))
      (memory (export "memory") i64 1)))");
  ASSERT_TRUE(narrow.ok());
  absl::StatusOr<std::vector<Extern>> bad = WasiImports(store, *narrow, &ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("incompatible import type"),
            std::string::npos)
      << bad.status();
  absl::StatusOr<Module> plain =
      Module::FromWat(engine, "(module (memory 1))");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(WasiAbi(plain->info()), Abi::kWasm32);
}

TEST(AddToLinkerTest, WrongSignatureIsALinkError) {
  Engine engine;
  absl::StatusOr<Module> module = Module::FromWat(engine, R"(
    (module (import "wasi_snapshot_preview1" "fd_write"
              (func (param i32) (result i32))))
  )");
  ASSERT_TRUE(module.ok());
  WasiCtx ctx;
  Linker<> linker(engine);
  ASSERT_TRUE(AddToLinker(linker, &ctx).ok());
  Store<> store(engine);
  Result<Instance> inst = linker.Instantiate(store, *module);
  EXPECT_TRUE(inst.is_error());
  EXPECT_NE(inst.status().message().find("fd_write"), std::string::npos)
      << inst.status();
}

}  // namespace
}  // namespace kiln::wasi
