// Async host functions (Linker<T>::FuncWrapAsync / FuncNewAsync): a
// callable that returns a Future is wrapped into an ordinary FuncWrap /
// FuncNew callable that waits for it (internal::Await: suspends the store's
// fiber until the Promise is set; no suspension when the future is ready
// at once). An error value, a wait outside an async call, or a cancelled
// call traps the guest with the error's message.
#ifndef KILN_ENGINE_ASYNC_HOST_FUNC_H_
#define KILN_ENGINE_ASYNC_HOST_FUNC_H_

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "engine/async_call.h"
#include "engine/func.h"
#include "engine/future.h"
#include "engine/host_func.h"
#include "engine/val.h"
#include "wasm/types.h"

namespace kiln::internal {

// F: (Caller<T>&, A...) -> Future<R>, or (A...) -> Future<R>.
template <typename T, typename F, typename Args>
struct AsyncWrap;
template <typename T, typename F, typename... A>
struct AsyncWrap<T, F, std::tuple<A...>> {
  static constexpr bool kCaller =
      !std::is_void_v<typename FirstIsCaller<
          typename CallableTraits<F>::Args>::type>;
  static auto Make(F f, std::string where) {
    return [f = std::move(f), where = std::move(where)](
               Caller<T>& caller, A... args) mutable {
      auto future = [&] {
        if constexpr (kCaller) {
          return f(caller, args...);
        } else {
          return f(args...);
        }
      }();
      return Await(caller.store(), future, where);
    };
  }
};

template <typename T, typename F>
auto MakeAsyncWrap(F f, std::string where) {
  using Args = typename CallableTraits<F>::Args;
  constexpr bool kCaller =
      !std::is_void_v<typename FirstIsCaller<Args>::type>;
  using WasmArgs = typename DropCaller<kCaller, Args>::type;
  return AsyncWrap<T, F, WasmArgs>::Make(std::move(f), std::move(where));
}

// The results of a FuncNewAsync future, checked against the type and copied
// into the wasm caller's result slots.
absl::Status CopyAsyncResults(const FuncType& type, std::string_view where,
                              absl::StatusOr<std::vector<Val>> values,
                              absl::Span<Val> results);

}  // namespace kiln::internal

#endif  // KILN_ENGINE_ASYNC_HOST_FUNC_H_
