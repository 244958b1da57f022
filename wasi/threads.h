// wasi::WasiThreads: the wasi-threads proposal for a WASI command, as
// `kiln run` (and wasmtime's `-S threads`) provide it.
//
// A threaded module imports one shared memory and the function
// `wasi::thread-spawn` (param i32 start_arg) (result i32 tid). Each spawn
// runs on a new OS thread with a new store and a new instance of the same
// module over the same SharedMemory, whose export
// `wasi_thread_start(tid: i32, start_arg: i32)` it calls. Thread ids are
// 1 .. 0x1FFFFFFF; a spawn that cannot start a thread returns -1.
//
// All threads share one WasiCtx (fd table, args, environment), which is
// safe to use from several threads (wasi_ctx.h: a locked table of
// reference-counted entries, atomic rights, fd_readdir under a lock);
// calls are not serialized otherwise (one thread blocked in fd_read does
// not hold up the others). A trap or proc_exit in any thread ends the whole process
// through `exit_process` (wasi-threads semantics); when the main thread's
// _start returns while threads still run, the embedder ends the process
// too (see Running()).
#ifndef KILN_WASI_THREADS_H_
#define KILN_WASI_THREADS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/wasi_ctx.h"

namespace kiln::wasi {

class WasiThreads : public std::enable_shared_from_this<WasiThreads> {
 public:
  // What the embedder does to each new store (fuel, epoch deadline).
  using ConfigureStore = std::function<absl::Status(Store<>&)>;
  // Ends the process with `code` (never returns).
  using ExitProcess = std::function<void(int code)>;

  // Whether `module` imports wasi::thread-spawn.
  static bool Wanted(const Module& module);

  // Creates the SharedMemory the module imports (its memory import must be
  // shared, with its declared limits). `ctx` outlives every thread.
  static absl::StatusOr<std::shared_ptr<WasiThreads>> Create(
      const Engine& engine, const Module& module, WasiCtx* ctx,
      ConfigureStore configure, ExitProcess exit_process);

  // Defines wasi::thread-spawn and the shared memory import into `linker`
  // (the memory as `store`'s).
  absl::Status AddToLinker(Linker<>& linker, Store<>& store);

  // Spawned threads that have not finished.
  int Running() const { return running_.load(std::memory_order_acquire); }

  const SharedMemory& memory() const { return memory_; }

 private:
  WasiThreads(const Engine& engine, const Module& module, WasiCtx* ctx,
              SharedMemory memory, const wasm::Import& memory_import,
              ConfigureStore configure, ExitProcess exit_process);

  // thread-spawn: the new thread's id, or -1.
  int32_t Spawn(int32_t start_arg);
  // The body of thread `tid`.
  void RunThread(int32_t tid, int32_t start_arg);
  // A trap or proc_exit in a thread: ends the process.
  [[noreturn]] void Exit(const Trap& trap);

  Engine engine_;
  Module module_;
  WasiCtx* ctx_;
  SharedMemory memory_;
  std::string memory_module_, memory_name_;
  ConfigureStore configure_;
  ExitProcess exit_process_;
  std::atomic<int32_t> next_tid_{1};
  std::atomic<int> running_{0};
};

}  // namespace kiln::wasi

#endif  // KILN_WASI_THREADS_H_
