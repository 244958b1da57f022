// Kiln from another Bazel workspace, in C++: a FuncWrap host function
// called from wasm through a Linker.
#include <cstdint>
#include <cstdio>

#include "kiln.h"

int main() {
  kiln::Engine engine;
  kiln::Store<int> store(engine, 0);
  kiln::Linker<int> linker(engine);
  if (!linker
           .FuncWrap("", "hello",
                     [](kiln::Caller<int>& caller, int32_t x) {
                       caller.data() += x;
                     })
           .ok()) {
    return 1;
  }
  absl::StatusOr<kiln::Module> module = kiln::Module::FromWat(
      engine,
      "(module (import \"\" \"hello\" (func $h (param i32)))"
      "  (func (export \"run\") (call $h (i32.const 42))))");
  if (!module.ok()) return 1;
  kiln::Result<kiln::Instance> instance = linker.Instantiate(store, *module);
  if (!instance.ok()) return 1;
  auto run = instance->GetTypedFunc<void()>(store, "run");
  if (!run.ok() || !run->Call(store).ok() || store.data() != 42) return 1;
  std::printf("hello from wasm: %d\nDone.\n", store.data());
  return 0;
}
