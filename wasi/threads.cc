#include "wasi/threads.h"

#include <cstdio>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "wasi/add_to_linker.h"
#include "wasi/host.h"

namespace kiln::wasi {
namespace {

constexpr char kSpawnModule[] = "wasi";
constexpr char kSpawnName[] = "thread-spawn";
constexpr char kStartExport[] = "wasi_thread_start";
// wasi-threads: ids are positive and fit in 29 bits.
constexpr int32_t kMaxTid = 0x1FFFFFFF;

}  // namespace

bool WasiThreads::Wanted(const Module& module) {
  for (const wasm::Import& imp : module.info().imports) {
    if (imp.kind == wasm::ExternKind::kFunction && imp.module == kSpawnModule &&
        imp.name == kSpawnName) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::shared_ptr<WasiThreads>> WasiThreads::Create(
    const Engine& engine, const Module& module, WasiCtx* ctx,
    ConfigureStore configure, ExitProcess exit_process) {
  const wasm::Import* memory_import = nullptr;
  for (const wasm::Import& imp : module.info().imports) {
    if (imp.kind != wasm::ExternKind::kMemory) continue;
    if (memory_import != nullptr) {
      return absl::InvalidArgumentError(
          "wasi-threads: the module imports more than one memory");
    }
    memory_import = &imp;
  }
  if (memory_import == nullptr || !memory_import->memory.shared) {
    return absl::InvalidArgumentError(
        "wasi-threads: a module that imports wasi::thread-spawn must import "
        "a shared memory");
  }
  absl::StatusOr<SharedMemory> memory =
      SharedMemory::New(engine, memory_import->memory);
  if (!memory.ok()) return memory.status();
  return std::shared_ptr<WasiThreads>(
      new WasiThreads(engine, module, ctx, *std::move(memory), *memory_import,
                      std::move(configure), std::move(exit_process)));
}

WasiThreads::WasiThreads(const Engine& engine, const Module& module,
                         WasiCtx* ctx, SharedMemory memory,
                         const wasm::Import& memory_import,
                         ConfigureStore configure, ExitProcess exit_process)
    : engine_(engine),
      module_(module),
      ctx_(ctx),
      memory_(std::move(memory)),
      memory_module_(memory_import.module),
      memory_name_(memory_import.name),
      configure_(std::move(configure)),
      exit_process_(std::move(exit_process)) {}

absl::Status WasiThreads::AddToLinker(Linker<>& linker, Store<>& store) {
  // The host function holds the threads' state weakly: the state owns the
  // engine, whose host functions would otherwise own the state back.
  std::weak_ptr<WasiThreads> weak = weak_from_this();
  absl::Status s =
      linker.FuncWrap(kSpawnModule, kSpawnName, [weak](int32_t start_arg) {
        std::shared_ptr<WasiThreads> self = weak.lock();
        return self ? self->Spawn(start_arg) : -1;
      });
  if (!s.ok()) return s;
  absl::StatusOr<Memory> m = memory_.ToMemory(store);
  if (!m.ok()) return m.status();
  return linker.Define(store, memory_module_, memory_name_, *m);
}

int32_t WasiThreads::Spawn(int32_t start_arg) {
  const int32_t tid = next_tid_.fetch_add(1, std::memory_order_relaxed);
  if (tid > kMaxTid) return -1;
  running_.fetch_add(1, std::memory_order_acq_rel);
  try {
    std::thread([self = shared_from_this(), tid, start_arg] {
      self->RunThread(tid, start_arg);
    }).detach();
  } catch (const std::system_error&) {
    running_.fetch_sub(1, std::memory_order_acq_rel);
    return -1;
  }
  return tid;
}

void WasiThreads::RunThread(int32_t tid, int32_t start_arg) {
  auto fail = [&](const absl::Status& s) {
    std::fprintf(stderr, "kiln: wasi-threads: thread %d: %s\n", tid,
                 std::string(s.message()).c_str());
    exit_process_(1);
  };
  {
    Store<> store(engine_);
    if (absl::Status s = configure_(store); !s.ok()) fail(s);
    Linker<> linker(engine_);
    if (absl::Status s = wasi::AddToLinker(linker, ctx_, WasiAbi(module_.info())); !s.ok()) fail(s);
    if (absl::Status s = AddToLinker(linker, store); !s.ok()) fail(s);
    Result<Instance> instance = linker.Instantiate(store, module_);
    if (instance.is_trap()) Exit(instance.trap());
    if (!instance.ok()) fail(instance.status());
    absl::StatusOr<TypedFunc<void(int32_t, int32_t)>> start =
        instance->GetTypedFunc<void(int32_t, int32_t)>(store, kStartExport);
    if (!start.ok()) {
      fail(absl::NotFoundError(absl::StrCat(
          "no export \"", kStartExport, "\" (param i32 i32): ",
          start.status().message())));
    }
    Result<void> r = start->Call(store, tid, start_arg);
    if (r.is_trap()) Exit(r.trap());
    if (!r.ok()) fail(r.status());
  }
  running_.fetch_sub(1, std::memory_order_acq_rel);
}

void WasiThreads::Exit(const Trap& trap) {
  if (std::optional<uint32_t> code = ExitCode(trap, *ctx_)) {
    exit_process_(static_cast<int>(*code & 0xff));
  }
  std::fprintf(stderr, "kiln: wasi-threads: wasm trap: %s\n",
               trap.ToString().c_str());
  exit_process_(134);
  std::abort();  // exit_process_ does not return
}

}  // namespace kiln::wasi
