// HostFunc: a host function that belongs to the engine, not to a store.
//
// A Linker holds HostFuncs once; every store that instantiates through it
// gets a Func for each HostFunc the first time it needs it (materialized on
// demand, cached per store: engine/internal.h StoreImpl::host_func_contexts).
// The materialized function's "VMContext" is a HostFuncCtx: {store,
// callable, funcref}, so the same code serves every store.
//
// Three kinds, by how wasm reaches them:
//
//  * Wrap (FuncWrap): any C++ callable whose parameters and results are wasm
//    types (int32_t, uint32_t, int64_t, uint64_t, float, double, ExternRef,
//    FuncRef; several results as std::tuple), optionally taking
//    `Caller<T>&` (the store's data typed) or the untyped `Caller<>&` first, optionally returning absl::Status / absl::StatusOr<R> (an error
//    traps). Compiled wasm calls `WrapEntry<...>::Entry`, a
//    template-instantiated function with the wasm calling convention
//    itself -- (void* callee_vmctx, void* caller_vmctx, A... args) -> R,
//    more than one result through a trailing return-area pointer
//    (codegen/isa/x64/abi.h) -- whose callee_vmctx is the HostFuncCtx: one
//    indirect call, no Val boxing, no trampoline.
//  * New (FuncNew): fn(Caller<>&, span<const Val>, span<Val>) -> Status,
//    reached through the per-signature wasm-to-host trampoline
//    (codegen/trampolines) that ends in HostArrayDispatch, cached in the
//    engine by signature id.
//  * NewUnchecked (FuncNewUnchecked): fn(Caller<>&, span<ValRaw>) -> Status
//    over the same trampolines, without boxing or type checks.
//
// Traps: a host function that fails (error status, or a C++ exception,
// which is caught at the boundary) records the Trap in its store and
// returns to a boundary function with no live C++ objects, which then calls
// runtime::RaiseTrap (unwinds to the innermost EnterWasm).
#ifndef KILN_ENGINE_HOST_FUNC_H_
#define KILN_ENGINE_HOST_FUNC_H_

#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/engine.h"
#include "engine/extern.h"
#include "engine/func.h"
#include "engine/store.h"
#include "engine/trap.h"
#include "engine/val.h"
#include "runtime/abi/vm_offsets.h"

namespace kiln {

// An externref in a FuncWrap signature (null is ptr == nullptr). Passed in
// one integer register like a pointer.
struct ExternRef {
  void* ptr = nullptr;
};
// A funcref in a FuncWrap signature (null is ref == nullptr).
struct FuncRef {
  const abi::VMFuncRef* ref = nullptr;
  // As a Func of `store`: a FuncRef that wasm passed a host function is
  // always of the caller's store. (FuncRef is the raw, unchecked layer,
  // like ValRaw.)
  std::optional<Func> func(const StoreOpaque& store) const {
    if (ref == nullptr) return std::nullopt;
    return Func::FromRaw(store.id(), ref);
  }
};
static_assert(sizeof(ExternRef) == 8 && std::is_trivially_copyable_v<ExternRef>);
static_assert(sizeof(FuncRef) == 8 && std::is_trivially_copyable_v<FuncRef>);

// fn(Caller<>&, params, results) for FuncNew (Linker<T>::FuncNew also takes
// fn(Caller<T>&, ...)); results come sized and zeroed
// with the right types. An error status traps with its message.
using HostFuncNewFn = std::function<absl::Status(
    Caller<>& caller, absl::Span<const Val> params, absl::Span<Val> results)>;
// fn(Caller<>&, values) for FuncNewUnchecked: values[i] holds param i on
// entry and must hold result i on return (max(#params, #results) slots).
using HostFuncUncheckedFn =
    std::function<absl::Status(Caller<>& caller, absl::Span<ValRaw> values)>;

namespace internal {

// First word of a HostFuncCtx: distinct from kVMContextMagic and from the
// store-owned host functions' kHostFuncMagic ("HOS2").
inline constexpr uint32_t kHostFuncCtxMagic = 0x32534f48;

struct HostFuncState;
// Runs a FuncNew / FuncNewUnchecked body on raw values; the trap code when
// it failed (the Trap is then pending in the store).
using HostArrayFn = std::optional<TrapCode> (*)(const HostFuncState& state,
                                                StoreOpaque& store,
                                                void* caller_vmctx,
                                                ValRaw* values);

// The engine-owned part, shared by every store.
struct HostFuncState {
  // (Engine has no cheap default: its default constructor makes an engine.)
  explicit HostFuncState(const Engine& e) : engine(e) {}
  Engine engine;
  FuncType type;
  uint32_t type_id = 0;
  const void* code = nullptr;  // wasm calling convention
  std::shared_ptr<void> callable;
  HostArrayFn array_fn = nullptr;  // New / NewUnchecked only
  // internal::StoreDataTag<T>() when the callable takes Caller<T> with a
  // non-void T: only a Store<T> may run it. Null: any store.
  const void* data_tag = nullptr;
};

// The per-store part: the "VMContext" the code receives as callee.
struct HostFuncCtx {
  uint32_t magic = kHostFuncCtxMagic;
  uint32_t reserved = 0;
  StoreOpaque* store = nullptr;
  void* callable = nullptr;
  const HostFuncState* state = nullptr;
  abi::VMFuncRef funcref{};
  std::shared_ptr<const HostFuncState> keep_alive;
};

// Records the store's pending trap; returns its code. Out of line (cold).
TrapCode SetHostTrap(StoreOpaque& store, std::string message);
TrapCode SetHostTrapFromStatus(StoreOpaque& store, const absl::Status& status);
TrapCode SetHostTrapFromException(StoreOpaque& store, const char* what);
// For a host function body that ran wasm which trapped (a Command's export,
// linker/): records `trap` itself as the store's pending trap and returns
// the status that makes the host-function boundary raise it unchanged
// (code and message intact) instead of wrapping it as a host error.
absl::Status PropagateTrap(StoreOpaque& store, Trap trap);
// Unwinds to the innermost EnterWasm; `wasm_fp`/`wasm_pc` describe the frame
// that called the host function (recorded as VMRuntimeLimits::last_wasm_exit_*
// so the backtrace starts there).
[[noreturn]] void RaiseHostTrap(StoreOpaque& store, TrapCode code,
                                uintptr_t wasm_fp, uintptr_t wasm_pc);
// The trampoline dispatcher of New / NewUnchecked host functions.
void HostArrayDispatch(void* host_ctx, void* caller_vmctx, uint8_t* values);
// The engine's cached wasm-to-host trampoline of `sig` ending in
// HostArrayDispatch.
absl::StatusOr<const void*> HostArrayTrampoline(const Engine& engine,
                                                uint32_t sig);
absl::Status UnsupportedV128(const FuncType& type);

// --- FuncWrap type plumbing.

template <typename T>
struct WrapType;
template <> struct WrapType<int32_t> { static constexpr ValType kType = ValType::kI32; };
template <> struct WrapType<uint32_t> { static constexpr ValType kType = ValType::kI32; };
template <> struct WrapType<int64_t> { static constexpr ValType kType = ValType::kI64; };
template <> struct WrapType<uint64_t> { static constexpr ValType kType = ValType::kI64; };
template <> struct WrapType<float> { static constexpr ValType kType = ValType::kF32; };
template <> struct WrapType<double> { static constexpr ValType kType = ValType::kF64; };
template <> struct WrapType<ExternRef> { static constexpr ValType kType = ValType::kExternRef; };
template <> struct WrapType<FuncRef> { static constexpr ValType kType = ValType::kFuncRef; };

template <typename T>
inline constexpr bool kIsWrapType = requires { WrapType<T>::kType; };

// Signature of a callable.
template <typename F>
struct CallableTraits : CallableTraits<decltype(&F::operator())> {};
template <typename R, typename... A>
struct CallableTraits<R (*)(A...)> {
  using Ret = R;
  using Args = std::tuple<A...>;
};
template <typename R, typename... A>
struct CallableTraits<R (*)(A...) noexcept> : CallableTraits<R (*)(A...)> {};
template <typename R, typename... A>
struct CallableTraits<R(A...)> : CallableTraits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...)> : CallableTraits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...) const> : CallableTraits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...) noexcept> : CallableTraits<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct CallableTraits<R (C::*)(A...) const noexcept>
    : CallableTraits<R (*)(A...)> {};

// Ret (what the callable returns) -> R (the wasm results: void, a scalar
// or a tuple) and whether it can fail.
template <typename Ret>
struct UnwrapRet {
  using R = Ret;
  static constexpr bool kStatus = false;
  static constexpr bool kStatusOr = false;
};
template <>
struct UnwrapRet<absl::Status> {
  using R = void;
  static constexpr bool kStatus = true;
  static constexpr bool kStatusOr = false;
};
template <typename X>
struct UnwrapRet<absl::StatusOr<X>> {
  using R = X;
  static constexpr bool kStatus = false;
  static constexpr bool kStatusOr = true;
};

template <typename R>
struct WrapResults {  // one scalar
  static constexpr size_t kCount = 1;
  static std::vector<ValType> Types() { return {WrapType<R>::kType}; }
  static_assert(kIsWrapType<R>, "FuncWrap: result is not a wasm type");
};
template <>
struct WrapResults<void> {
  static constexpr size_t kCount = 0;
  static std::vector<ValType> Types() { return {}; }
};
template <typename... Rs>
struct WrapResults<std::tuple<Rs...>> {
  static constexpr size_t kCount = sizeof...(Rs);
  static std::vector<ValType> Types() { return {WrapType<Rs>::kType...}; }
  static_assert((kIsWrapType<Rs> && ...), "FuncWrap: result is not a wasm type");
};

// What a one-result entry returns in a register.
template <typename R>
struct RegRet {
  using type = R;
  static R Get(const R& r) { return r; }
};
template <>
struct RegRet<void> {
  using type = void;
};
template <typename X>
struct RegRet<std::tuple<X>> {
  using type = X;
  static X Get(const std::tuple<X>& r) { return std::get<0>(r); }
};

template <typename X>
inline uint64_t SlotBits(X v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(X));
  return bits;
}

template <bool kCaller, typename Args>
struct DropCaller;
template <typename... A>
struct DropCaller<false, std::tuple<A...>> {
  using type = std::tuple<A...>;
};
template <typename C, typename... A>
struct DropCaller<true, std::tuple<C, A...>> {
  using type = std::tuple<A...>;
};

// Whether the callable's first parameter is a Caller<T>& (any T, or the
// untyped Caller<>&), and that Caller type (void when there is none).
template <typename Args>
struct FirstIsCaller : std::false_type {
  using type = void;
};
template <typename C, typename... A>
struct FirstIsCaller<std::tuple<C, A...>>
    : IsCaller<std::remove_cvref_t<C>> {
  using type = std::conditional_t<IsCaller<std::remove_cvref_t<C>>::value,
                                  std::remove_cvref_t<C>, void>;
};

// The code compiled wasm calls for a FuncWrap of callable F.
// C: the Caller<T> type the callable takes first, or void.
template <typename F, typename C, typename Ret, typename WasmArgs>
struct WrapEntry;

template <typename F, typename C, typename Ret, typename... A>
struct WrapEntry<F, C, Ret, std::tuple<A...>> {
  static constexpr bool kCaller = !std::is_void_v<C>;
  using U = UnwrapRet<Ret>;
  using R = typename U::R;
  // Results; default-constructed when R is void.
  using Out = std::conditional_t<std::is_void_v<R>, char, R>;
  static constexpr size_t kNumResults = WrapResults<R>::kCount;

  // Calls the callable; false (the trap recorded, code in *code) when it
  // failed. Every C++ object with a destructor lives and dies in here.
  static ABSL_ATTRIBUTE_ALWAYS_INLINE inline bool Invoke(HostFuncCtx* ctx,
                                                         void* caller_vmctx,
                                                         Out* out,
                                                         TrapCode* code,
                                                         A... args) {
    F& f = *static_cast<F*>(ctx->callable);
    try {
      auto call = [&]() -> decltype(auto) {
        if constexpr (kCaller) {
          C caller(*ctx->store, caller_vmctx);
          return f(caller, args...);
        } else {
          (void)caller_vmctx;
          return f(args...);
        }
      };
      if constexpr (U::kStatus) {
        absl::Status s = call();
        if (ABSL_PREDICT_FALSE(!s.ok())) {
          *code = SetHostTrapFromStatus(*ctx->store, s);
          return false;
        }
      } else if constexpr (U::kStatusOr) {
        absl::StatusOr<R> s = call();
        if (ABSL_PREDICT_FALSE(!s.ok())) {
          *code = SetHostTrapFromStatus(*ctx->store, s.status());
          return false;
        }
        *out = *std::move(s);
      } else if constexpr (std::is_void_v<R>) {
        call();
      } else {
        *out = call();
      }
    } catch (const std::exception& e) {
      *code = SetHostTrapFromException(*ctx->store, e.what());
      return false;
    } catch (...) {
      *code = SetHostTrapFromException(*ctx->store, nullptr);
      return false;
    }
    return true;
  }

  [[noreturn]] static ABSL_ATTRIBUTE_NOINLINE void Raise(HostFuncCtx* ctx,
                                                         TrapCode code,
                                                         uintptr_t fp,
                                                         uintptr_t pc) {
    RaiseHostTrap(*ctx->store, code, fp, pc);
  }

  // Zero or one result: returned in the first integer / float result
  // register (abi::HostCallConv).
  static typename RegRet<R>::type Entry(void* callee_vmctx, void* caller_vmctx,
                                        A... args) {
    auto* ctx = static_cast<HostFuncCtx*>(callee_vmctx);
    Out out{};
    TrapCode code;
    if (ABSL_PREDICT_FALSE(
            !Invoke(ctx, caller_vmctx, &out, &code, args...))) {
      Raise(ctx, code,
            *static_cast<const uintptr_t*>(__builtin_frame_address(0)),
            reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
    }
    if constexpr (!std::is_void_v<R>) return RegRet<R>::Get(out);
  }

  // Several results: stored at ret_area[k] (8 bytes each).
  static void EntryMulti(void* callee_vmctx, void* caller_vmctx, A... args,
                         uint64_t* ret_area) {
    auto* ctx = static_cast<HostFuncCtx*>(callee_vmctx);
    Out out{};
    TrapCode code;
    if (ABSL_PREDICT_FALSE(
            !Invoke(ctx, caller_vmctx, &out, &code, args...))) {
      Raise(ctx, code,
            *static_cast<const uintptr_t*>(__builtin_frame_address(0)),
            reinterpret_cast<uintptr_t>(__builtin_return_address(0)));
    }
    if constexpr (kNumResults >= 2) {
      std::apply(
          [&](auto... r) {
            size_t k = 0;
            ((ret_area[k++] = SlotBits(r)), ...);
          },
          out);
    }
  }

  static const void* Code() {
    if constexpr (kNumResults >= 2) {
      return reinterpret_cast<const void*>(&EntryMulti);
    } else {
      return reinterpret_cast<const void*>(&Entry);
    }
  }
};

// FuncNew / FuncNewUnchecked bodies behind HostArrayFn.
std::optional<TrapCode> InvokeFuncNew(const HostFuncState& state,
                                      StoreOpaque& store, void* caller_vmctx,
                                      ValRaw* values);
std::optional<TrapCode> InvokeFuncNewUnchecked(const HostFuncState& state,
                                               StoreOpaque& store,
                                               void* caller_vmctx,
                                               ValRaw* values);

absl::StatusOr<std::shared_ptr<const HostFuncState>> MakeArrayHostFunc(
    const Engine& engine, const FuncType& type, std::shared_ptr<void> callable,
    HostArrayFn fn, const void* data_tag);
absl::StatusOr<std::shared_ptr<const HostFuncState>> MakeWrapHostFunc(
    const Engine& engine, FuncType type, std::shared_ptr<void> callable,
    const void* code, const void* data_tag);

// StoreDataTag<T>() for a Caller<T> with non-void T, else null.
template <typename C>
struct CallerData {
  using type = void;
};
template <typename T>
struct CallerData<Caller<T>> {
  using type = T;
};
template <typename C>
const void* CallerDataTag() {
  using T = typename CallerData<C>::type;
  if constexpr (std::is_void_v<T>) {
    return nullptr;
  } else {
    return StoreDataTag<T>();
  }
}

}  // namespace internal

class HostFunc {
 public:
  // FuncWrap: see the file comment. `data_tag` (see New) defaults to the
  // callable's Caller<T>.
  template <typename F>
  static absl::StatusOr<HostFunc> Wrap(const Engine& engine, F&& f,
                                       const void* data_tag = nullptr) {
    using D = std::decay_t<F>;
    using Traits = internal::CallableTraits<D>;
    using Args = typename Traits::Args;
    constexpr bool kCaller = internal::FirstIsCaller<Args>::value;
    using WasmArgs = typename internal::DropCaller<kCaller, Args>::type;
    using Entry = internal::WrapEntry<
        D, typename internal::FirstIsCaller<Args>::type, typename Traits::Ret,
        WasmArgs>;
    FuncType type;
    std::apply(
        [&](auto... a) {
          static_assert((internal::kIsWrapType<decltype(a)> && ...),
                        "FuncWrap: parameter is not a wasm type (int32_t, "
                        "uint32_t, int64_t, uint64_t, float, double, "
                        "ExternRef, FuncRef)");
          type.params = {internal::WrapType<decltype(a)>::kType...};
        },
        WasmArgs{});
    type.results = internal::WrapResults<typename Entry::R>::Types();
    std::shared_ptr<void> callable = std::make_shared<D>(std::forward<F>(f));
    absl::StatusOr<std::shared_ptr<const internal::HostFuncState>> s =
        internal::MakeWrapHostFunc(
            engine, std::move(type), std::move(callable), Entry::Code(),
            data_tag != nullptr
                ? data_tag
                : internal::CallerDataTag<
                      typename internal::FirstIsCaller<Args>::type>());
    if (!s.ok()) return s.status();
    return HostFunc(*std::move(s));
  }

  // `data_tag`: internal::StoreDataTag<T>() when `fn` may only run in a
  // Store<T> (Linker<T>::FuncNew with a Caller<T> body), else null.
  static absl::StatusOr<HostFunc> New(const Engine& engine,
                                      const FuncType& type, HostFuncNewFn fn,
                                      const void* data_tag = nullptr);
  static absl::StatusOr<HostFunc> NewUnchecked(const Engine& engine,
                                               const FuncType& type,
                                               HostFuncUncheckedFn fn,
                                               const void* data_tag = nullptr);

  const Engine& engine() const { return state_->engine; }
  const FuncType& type() const { return state_->type; }
  uint32_t type_id() const { return state_->type_id; }

  // This function in `store` (made on first use, then cached in the store).
  // An error when the store belongs to another engine, or is not a Store<T>
  // while the function takes Caller<T>.
  absl::StatusOr<Func> IntoFunc(StoreOpaque& store) const;

  friend bool operator==(const HostFunc& a, const HostFunc& b) {
    return a.state_ == b.state_;
  }

 private:
  explicit HostFunc(std::shared_ptr<const internal::HostFuncState> s)
      : state_(std::move(s)) {}
  std::shared_ptr<const internal::HostFuncState> state_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_HOST_FUNC_H_
