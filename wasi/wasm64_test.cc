// WASI preview1 for a memory64 guest (Abi::kWasm64): every function of the
// table imported with its wasm64 signature (i64 pointers and sizes) and
// called through a wasm wrapper, so the host sees the caller's 64-bit
// memory. Struct layouts follow the pointer width: iovec {u64 buf, u64
// len}, prestat {u8 tag, u64 len @8}, argv of u64 pointers, size_t results
// of 8 bytes.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/add_to_linker.h"
#include "wasi/host.h"
#include "wasi/preview1.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr int32_t kFault = 21;  // EFAULT
constexpr uint64_t kPage = 65536;

// A module with a 64-bit memory importing every preview1 function with
// `abi`'s signature and exporting a wrapper "w_NAME" that forwards its
// params (so calls come from inside the instance).
std::string WrapperModule(Abi abi, bool memory64) {
  std::string wat = "(module\n";
  std::string funcs;
  for (const preview1::Function& f : preview1::Functions()) {
    const FuncType t = Preview1Type(f, abi);
    std::string params, forward;
    for (size_t i = 0; i < t.params.size(); ++i) {
      absl::StrAppend(&params, " ",
                      t.params[i] == ValType::kI64 ? "i64" : "i32");
      absl::StrAppend(&forward, " (local.get ", i, ")");
    }
    const std::string name(f.name);
    const std::string result = f.has_result ? " (result i32)" : "";
    wat += "  (import \"wasi_snapshot_preview1\" \"" + name + "\" (func $" +
           name + " (param" + params + ")" + result + "))\n";
    funcs += "  (func (export \"w_" + name + "\") (param" + params + ")" +
             result + " (call $" + name + forward + "))\n";
  }
  const std::string index = memory64 ? "i64" : "i32";
  wat += "  (memory (export \"memory\") " + index + " 1)\n" + funcs +
         "  (func (export \"grow\") (param " + index + ") (result " + index +
         ")\n    (memory.grow (local.get 0))))\n";
  return wat;
}

class Wasm64Test : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("wasm64_", getpid(), "_",
                        ::testing::UnitTest::GetInstance()
                            ->current_test_info()
                            ->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "sub");
    std::ofstream(dir_ / "file.txt") << "file contents";
    ctx_.set_args({"prog", "arg1"});
    ctx_.set_env({"A=1", "BB=22"});
    ASSERT_TRUE(ctx_.PreopenDir(dir_.string(), "box").ok());  // fd 3
    // stdin and stdout: pipes the test fills and drains.
    ASSERT_EQ(pipe(in_), 0);
    ASSERT_EQ(pipe(out_), 0);
    ASSERT_TRUE(ctx_.SetStdio(0, in_[0], true).ok());
    ASSERT_TRUE(ctx_.SetStdio(1, out_[1], true).ok());

    module_ = Module::FromWat(engine_, WrapperModule(Abi::kWasm64, true));
    ASSERT_TRUE(module_.ok()) << module_.status();
    ASSERT_EQ(WasiAbi(module_->info()), Abi::kWasm64);
    ASSERT_TRUE(AddToLinker(linker_, &ctx_, Abi::kWasm64).ok());
    Result<Instance> inst = linker_.Instantiate(store_, *module_);
    ASSERT_TRUE(inst.ok()) << inst.status();
    instance_ = *inst;
  }
  void TearDown() override {
    close(in_[1]);
    close(out_[0]);
    std::filesystem::remove_all(dir_);
  }

  // Calls wrapper "w_name"; the errno.
  int32_t Call(const std::string& name, std::vector<Val> args) {
    absl::StatusOr<Func> f = instance_->GetFunc(store_, "w_" + name);
    EXPECT_TRUE(f.ok()) << name;
    if (!f.ok()) return -1;
    Result<std::vector<Val>> r = f->Call(store_, args);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status();
    if (!r.ok() || r->empty()) return -1;
    return (*r)[0].i32();
  }
  uint8_t* Mem() {
    absl::StatusOr<Memory> m = instance_->GetMemory(store_, "memory");
    return *m->data(store_);
  }
  uint64_t MemSize() {
    absl::StatusOr<Memory> m = instance_->GetMemory(store_, "memory");
    return *m->data_size(store_);
  }
  template <typename T>
  T Get(uint64_t at) {
    T v;
    std::memcpy(&v, Mem() + at, sizeof(T));
    return v;
  }
  template <typename T>
  void Put(uint64_t at, T v) {
    std::memcpy(Mem() + at, &v, sizeof(T));
  }
  void PutString(uint64_t at, const std::string& s) {
    std::memcpy(Mem() + at, s.data(), s.size());
  }
  std::string ReadStdout() {
    char buf[256];
    ssize_t n = read(out_[0], buf, sizeof(buf));
    return n > 0 ? std::string(buf, n) : std::string();
  }

  static Val P(uint64_t v) { return Val::I64(static_cast<int64_t>(v)); }
  static Val I(uint32_t v) { return Val::I32(static_cast<int32_t>(v)); }

  std::filesystem::path dir_;
  int in_[2] = {-1, -1};
  int out_[2] = {-1, -1};
  WasiCtx ctx_;
  Engine engine_;
  Linker<> linker_{engine_};
  Store<> store_{engine_};
  absl::StatusOr<Module> module_ = absl::UnknownError("unset");
  std::optional<Instance> instance_;
};

TEST_F(Wasm64Test, SignaturesUseI64ForPointersAndSizes) {
  const preview1::Function* fd_write = preview1::FindFunction("fd_write");
  ASSERT_NE(fd_write, nullptr);
  EXPECT_EQ(Preview1Type(*fd_write, Abi::kWasm64).ToString(),
            Preview1Type(*preview1::FindFunction("fd_read"), Abi::kWasm64)
                .ToString());
  const FuncType t64 = Preview1Type(*fd_write, Abi::kWasm64);
  const FuncType t32 = Preview1Type(*fd_write, Abi::kWasm32);
  ASSERT_EQ(t64.params.size(), 4u);
  EXPECT_EQ(t64.params[0], ValType::kI32);  // fd stays i32
  EXPECT_EQ(t64.params[1], ValType::kI64);
  EXPECT_EQ(t64.params[3], ValType::kI64);
  for (ValType v : t32.params) EXPECT_EQ(v, ValType::kI32);
  // Fixed i64s (offsets, rights) and i32s (flags) keep their types.
  const FuncType open64 =
      Preview1Type(*preview1::FindFunction("path_open"), Abi::kWasm64);
  EXPECT_EQ(open64.params[4], ValType::kI32);  // oflags
  EXPECT_EQ(open64.params[5], ValType::kI64);  // rights
  EXPECT_EQ(open64.params[8], ValType::kI64);  // fd out pointer
}

TEST_F(Wasm64Test, FdWriteHello) {
  PutString(1000, "hello, ");
  PutString(1100, "wasm64\n");
  // Two ciovecs of {u64 buf, u64 len}.
  Put<uint64_t>(200, 1000);
  Put<uint64_t>(208, 7);
  Put<uint64_t>(216, 1100);
  Put<uint64_t>(224, 7);
  Put<uint64_t>(300, ~uint64_t{0});
  EXPECT_EQ(Call("fd_write", {I(1), P(200), P(2), P(300)}), 0);
  EXPECT_EQ(Get<uint64_t>(300), 14u);  // size_t: all 8 bytes written
  EXPECT_EQ(ReadStdout(), "hello, wasm64\n");
}

TEST_F(Wasm64Test, ArgsAndEnviron) {
  Put<uint64_t>(100, ~uint64_t{0});
  Put<uint64_t>(108, ~uint64_t{0});
  EXPECT_EQ(Call("args_sizes_get", {P(100), P(108)}), 0);
  EXPECT_EQ(Get<uint64_t>(100), 2u);
  EXPECT_EQ(Get<uint64_t>(108), 10u);  // "prog\0arg1\0"
  EXPECT_EQ(Call("args_get", {P(200), P(400)}), 0);
  EXPECT_EQ(Get<uint64_t>(200), 400u);  // argv: u64 pointers
  EXPECT_EQ(Get<uint64_t>(208), 405u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 405)), "arg1");

  EXPECT_EQ(Call("environ_sizes_get", {P(100), P(108)}), 0);
  EXPECT_EQ(Get<uint64_t>(100), 2u);
  EXPECT_EQ(Get<uint64_t>(108), 10u);  // "A=1\0BB=22\0"
  EXPECT_EQ(Call("environ_get", {P(600), P(800)}), 0);
  EXPECT_EQ(Get<uint64_t>(600), 800u);
  EXPECT_EQ(Get<uint64_t>(608), 804u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 804)), "BB=22");
}

TEST_F(Wasm64Test, FdRead) {
  ASSERT_EQ(write(in_[1], "input!", 6), 6);
  Put<uint64_t>(200, 1000);  // iovec {buf 1000, len 4}, {1010, 10}
  Put<uint64_t>(208, 4);
  Put<uint64_t>(216, 1010);
  Put<uint64_t>(224, 10);
  EXPECT_EQ(Call("fd_read", {I(0), P(200), P(2), P(300)}), 0);
  EXPECT_EQ(Get<uint64_t>(300), 6u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 1000), 4), "inpu");
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 1010), 2), "t!");
}

TEST_F(Wasm64Test, PrestatPathOpenAndReaddir) {
  // prestat: {u8 tag, u64 name_len @8}, 16 bytes.
  std::memset(Mem() + 100, 0xff, 16);
  EXPECT_EQ(Call("fd_prestat_get", {I(3), P(100)}), 0);
  EXPECT_EQ(Get<uint8_t>(100), 0);
  EXPECT_EQ(Get<uint64_t>(108), 3u);
  EXPECT_EQ(Call("fd_prestat_dir_name", {I(3), P(120), P(3)}), 0);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 120), 3), "box");

  PutString(500, "file.txt");
  EXPECT_EQ(Call("path_open", {I(3), I(0), P(500), P(8), I(0),
                               Val::I64(2 /* fd_read */), Val::I64(0), I(0),
                               P(600)}),
            0);
  const uint32_t fd = Get<uint32_t>(600);
  // The lowest free descriptor: 2 (this ctx has no stderr).
  EXPECT_EQ(fd, 2u);
  Put<uint64_t>(200, 1000);
  Put<uint64_t>(208, 64);
  EXPECT_EQ(Call("fd_read", {I(fd), P(200), P(1), P(300)}), 0);
  EXPECT_EQ(Get<uint64_t>(300), 13u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(Mem() + 1000), 13),
            "file contents");
  EXPECT_EQ(Call("fd_close", {I(fd)}), 0);

  // fd_readdir: dirents keep their u64/u32 fields; bufused is a size_t.
  Put<uint64_t>(300, ~uint64_t{0});
  EXPECT_EQ(Call("fd_readdir", {I(3), P(2000), P(4096), Val::I64(0), P(300)}),
            0);
  const uint64_t used = Get<uint64_t>(300);
  ASSERT_GT(used, 0u);
  ASSERT_LT(used, 4096u);
  std::vector<std::string> names;
  for (uint64_t at = 2000; at < 2000 + used;) {
    const uint32_t namlen = Get<uint32_t>(at + 16);
    names.emplace_back(reinterpret_cast<char*>(Mem() + at + 24), namlen);
    at += 24 + namlen;
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".", "..", "file.txt", "sub"}));

  // path_readlink's bufused is a size_t too (EINVAL on a non-link keeps
  // it untouched, so check the error only).
  PutString(500, "sub");
  EXPECT_NE(Call("path_readlink", {I(3), P(500), P(3), P(700), P(10), P(300)}),
            0);
}

TEST_F(Wasm64Test, ClockRandomAndExit) {
  Put<uint64_t>(100, 0);
  EXPECT_EQ(Call("clock_time_get", {I(0), Val::I64(1), P(100)}), 0);
  EXPECT_GT(Get<uint64_t>(100), uint64_t{1600000000} * 1000000000);
  std::memset(Mem() + 200, 0, 64);
  EXPECT_EQ(Call("random_get", {P(200), P(64)}), 0);
  int zero = 0;
  for (int i = 0; i < 64; ++i) zero += Get<uint8_t>(200 + i) == 0;
  EXPECT_LT(zero, 16);

  absl::StatusOr<Func> exit = instance_->GetFunc(store_, "w_proc_exit");
  ASSERT_TRUE(exit.ok());
  Result<std::vector<Val>> r = exit->Call(store_, {I(7)});
  ASSERT_TRUE(r.is_trap());
  EXPECT_EQ(ExitCode(r.trap(), ctx_), 7u);
}

TEST_F(Wasm64Test, OutOfRangePointersAreEfault) {
  const uint64_t size = MemSize();
  // iovs past the end, an iovec whose buffer ends past the end, pointers
  // with high bits set, a count whose byte size wraps 2^64.
  EXPECT_EQ(Call("fd_write", {I(1), P(size), P(1), P(300)}), kFault);
  Put<uint64_t>(200, size - 4);
  Put<uint64_t>(208, 8);
  EXPECT_EQ(Call("fd_write", {I(1), P(200), P(1), P(300)}), kFault);
  Put<uint64_t>(200, uint64_t{1} << 40);
  Put<uint64_t>(208, 1);
  EXPECT_EQ(Call("fd_write", {I(1), P(200), P(1), P(300)}), kFault);
  EXPECT_EQ(Call("fd_write", {I(1), P(200), P(uint64_t{1} << 60), P(300)}),
            kFault);
  EXPECT_EQ(Call("args_sizes_get", {P(size - 4), P(100)}), kFault);
  EXPECT_EQ(Call("args_get", {P(~uint64_t{0}), P(100)}), kFault);
  EXPECT_EQ(Call("random_get", {P(100), P(size)}), kFault);
  EXPECT_EQ(Call("clock_time_get", {I(0), Val::I64(1), P(size - 7)}), kFault);
  EXPECT_EQ(Call("fd_prestat_get", {I(3), P(size - 8)}), kFault);  // 16 B
  EXPECT_EQ(Call("poll_oneoff", {P(0), P(0), P(~uint64_t{0} / 8), P(100)}),
            kFault);
  // The output count is a size_t: 8 bytes must fit.
  Put<uint64_t>(200, 1000);
  Put<uint64_t>(208, 0);
  EXPECT_EQ(Call("fd_write", {I(1), P(200), P(1), P(size - 4)}), kFault);
}

// A memory grown past 4 GiB: pointers above 2^32 reach the right bytes.
TEST_F(Wasm64Test, PointersAbove4GiB) {
  absl::StatusOr<Func> grow = instance_->GetFunc(store_, "grow");
  ASSERT_TRUE(grow.ok());
  const uint64_t pages = (4 * kGiB) / kPage + 1;  // 4 GiB + 2 pages total
  Result<std::vector<Val>> g = grow->Call(store_, {Val::I64(pages)});
  ASSERT_TRUE(g.ok()) << g.status();
  ASSERT_EQ((*g)[0].i64(), 1);
  ASSERT_GT(MemSize(), 4 * kGiB + kPage);
  const uint64_t high = 4 * kGiB + 100;  // its low 32 bits are 100
  PutString(high + 64, "from above 4 GiB\n");
  Put<uint64_t>(high, high + 64);
  Put<uint64_t>(high + 8, 17);
  EXPECT_EQ(Call("fd_write", {I(1), P(high), P(1), P(high + 32)}), 0);
  EXPECT_EQ(Get<uint64_t>(high + 32), 17u);
  EXPECT_EQ(ReadStdout(), "from above 4 GiB\n");
  // Nothing landed at the truncated address.
  EXPECT_EQ(Get<uint64_t>(100 + 32), 0u);
  // args into high memory: argv entries are full 64-bit pointers.
  EXPECT_EQ(Call("args_get", {P(high + 200), P(high + 400)}), 0);
  EXPECT_EQ(Get<uint64_t>(high + 200), high + 400);
  EXPECT_EQ(Get<uint64_t>(high + 208), high + 405);
  // Past the end of the grown memory: EFAULT.
  EXPECT_EQ(Call("random_get", {P(MemSize() - 8), P(9)}), kFault);
}

// A memory64 module importing the 32-bit signatures is a link error with
// the wasm64 functions, and WasiImports picks the width by the module.
TEST(Wasm64LinkTest, WidthMismatchIsALinkError) {
  Engine engine;
  absl::StatusOr<Module> module =
      Module::FromWat(engine, WrapperModule(Abi::kWasm32, true));
  ASSERT_TRUE(module.ok()) << module.status();
  WasiCtx ctx;
  Linker<> linker(engine);
  ASSERT_TRUE(AddToLinker(linker, &ctx, Abi::kWasm64).ok());
  Store<> store(engine);
  Result<Instance> inst = linker.Instantiate(store, *module);
  EXPECT_TRUE(inst.is_error());
  EXPECT_NE(inst.status().message().find("incompatible import type"),
            std::string::npos)
      << inst.status();

  Store<> store2(engine);
  absl::StatusOr<std::vector<Extern>> bad = WasiImports(store2, *module, &ctx);
  EXPECT_FALSE(bad.ok());

  absl::StatusOr<Module> good =
      Module::FromWat(engine, WrapperModule(Abi::kWasm64, true));
  ASSERT_TRUE(good.ok());
  Store<> store3(engine);
  absl::StatusOr<std::vector<Extern>> imports =
      WasiImports(store3, *good, &ctx);
  ASSERT_TRUE(imports.ok()) << imports.status();
  Result<Instance> i3 = Instance::Create(store3, *good, *imports);
  ASSERT_TRUE(i3.ok()) << i3.status();
  // A 32-bit memory keeps the wasm32 signatures.
  absl::StatusOr<Module> m32 =
      Module::FromWat(engine, WrapperModule(Abi::kWasm32, false));
  ASSERT_TRUE(m32.ok());
  EXPECT_EQ(WasiAbi(m32->info()), Abi::kWasm32);
}

}  // namespace
}  // namespace kiln::wasi
