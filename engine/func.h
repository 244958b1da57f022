// Func: a wasm or host function in a store; TypedFunc<R(A...)>: a Func
// whose type was checked once, called without boxing.
#ifndef KILN_ENGINE_FUNC_H_
#define KILN_ENGINE_FUNC_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/store.h"
#include "engine/trap.h"
#include "engine/val.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/entry.h"

namespace kiln {

class Extern;

// What a host function sees of its caller: the store (and its data) and,
// when called from wasm, the calling instance's exports (e.g. its memory).
class Caller {
 public:
  Caller(StoreOpaque& store, void* caller_vmctx)
      : store_(&store), caller_vmctx_(caller_vmctx) {}
  StoreOpaque& store() { return *store_; }
  // The data of a Store<T> (T must be the store's type).
  template <typename T>
  T& data() { return static_cast<Store<T>&>(*store_).data(); }
  // Export `name` of the calling wasm instance; nullopt when there is no
  // such export or the host function was called from C++.
  std::optional<Extern> GetExport(std::string_view name) const;

 private:
  StoreOpaque* store_;
  void* caller_vmctx_;
};

// A host function body: reads params, writes results (already sized and
// typed with zero values). Return a Trap to trap; exceptions are caught
// and become traps.
using HostCallback = std::function<std::optional<Trap>(
    Caller& caller, absl::Span<const Val> params, absl::Span<Val> results)>;

class Func {
 public:
  // A host function of `type` (v128 params/results are not supported).
  static absl::StatusOr<Func> New(StoreOpaque& store, const FuncType& type,
                                  HostCallback callback);

  // The signature (stable reference into the engine's registry).
  const FuncType& type(const StoreOpaque& store) const;
  uint32_t type_id() const { return ref_->type_id; }
  bool is_host() const;

  // Checks the argument types, calls, and writes `results` (which must have
  // exactly type().results.size() elements).
  Result<void> Call(StoreOpaque& store, absl::Span<const Val> params,
                    absl::Span<Val> results) const;
  // Convenience: returns the results.
  Result<std::vector<Val>> Call(StoreOpaque& store,
                                absl::Span<const Val> params) const;
  // Untyped: `values` holds the params in and the results out
  // (max(#params, #results) slots). No type check.
  Result<void> CallRaw(StoreOpaque& store, ValRaw* values) const;

  // The VMFuncRef wasm uses for this function.
  const abi::VMFuncRef* raw() const { return ref_; }
  static Func FromRaw(const abi::VMFuncRef* ref) { return Func(ref); }

  friend bool operator==(const Func& a, const Func& b) { return a.ref_ == b.ref_; }

 private:
  explicit Func(const abi::VMFuncRef* ref) : ref_(ref) {}
  const abi::VMFuncRef* ref_;
};

namespace internal {
// Runs `code` through the array-call trampoline `tramp` under EnterWasm;
// converts a trap. `values` as in Func::CallRaw.
Result<void> CallWasmRaw(StoreOpaque& store, trampolines::ArrayCallFn tramp,
                         const abi::VMFuncRef* ref, ValRaw* values);

template <typename T>
struct WasmTypeOf;
template <> struct WasmTypeOf<int32_t> { static constexpr ValType kType = ValType::kI32; };
template <> struct WasmTypeOf<uint32_t> { static constexpr ValType kType = ValType::kI32; };
template <> struct WasmTypeOf<int64_t> { static constexpr ValType kType = ValType::kI64; };
template <> struct WasmTypeOf<uint64_t> { static constexpr ValType kType = ValType::kI64; };
template <> struct WasmTypeOf<float> { static constexpr ValType kType = ValType::kF32; };
template <> struct WasmTypeOf<double> { static constexpr ValType kType = ValType::kF64; };

template <typename T>
ValRaw ToRaw(T v) {
  ValRaw r{};
  std::memcpy(&r, &v, sizeof(T));
  return r;
}
template <typename T>
T FromRaw(const ValRaw& r) {
  T v;
  std::memcpy(&v, &r, sizeof(T));
  return v;
}
template <typename R>
struct ResultTypes {
  static std::vector<ValType> Get() { return {WasmTypeOf<R>::kType}; }
  static constexpr size_t kCount = 1;
  static R Read(const ValRaw* v) { return FromRaw<R>(v[0]); }
};
template <>
struct ResultTypes<void> {
  static std::vector<ValType> Get() { return {}; }
  static constexpr size_t kCount = 0;
};
template <typename... Rs>
struct ResultTypes<std::tuple<Rs...>> {
  static std::vector<ValType> Get() { return {WasmTypeOf<Rs>::kType...}; }
  static constexpr size_t kCount = sizeof...(Rs);
  static std::tuple<Rs...> Read(const ValRaw* v) {
    return ReadImpl(v, std::index_sequence_for<Rs...>());
  }
  template <size_t... I>
  static std::tuple<Rs...> ReadImpl(const ValRaw* v, std::index_sequence<I...>) {
    return std::tuple<Rs...>(FromRaw<Rs>(v[I])...);
  }
};
// The Trap for a runtime trap of a call on `store` (a pending host trap
// wins, with the wasm backtrace).
Trap TakeTrap(StoreOpaque& store, const runtime::Trap& trap);

template <typename T>
struct IsTuple : std::false_type {};
template <typename... T>
struct IsTuple<std::tuple<T...>> : std::true_type {};

absl::Status CheckTypedSignature(const FuncType& actual,
                                 const std::vector<ValType>& params,
                                 const std::vector<ValType>& results);
}  // namespace internal

// A function with static type R(A...). A is int32_t, uint32_t, int64_t,
// uint64_t, float or double; R is one of those, void, or a std::tuple of
// them (multi-value). With zero or one result a call enters the compiled
// code directly (EnterWasm places the arguments in registers / stack slots
// per the System V convention): no trampoline, no boxing, no allocation.
// Multi-value calls go through the signature's array-call trampoline with
// the values on the stack; host functions run their callback directly.
template <typename Sig>
class TypedFunc;

template <typename R, typename... A>
class TypedFunc<R(A...)> {
 public:
  static absl::StatusOr<TypedFunc> Create(StoreOpaque& store, Func func) {
    const FuncType& type = func.type(store);
    absl::Status status = internal::CheckTypedSignature(
        type, {internal::WasmTypeOf<A>::kType...},
        internal::ResultTypes<R>::Get());
    if (!status.ok()) return status;
    trampolines::ArrayCallFn tramp = nullptr;
    if (!func.is_host()) {
      absl::StatusOr<trampolines::ArrayCallFn> t =
          store.engine().ArrayCallTrampoline(func.type_id());
      if (!t.ok()) return t.status();
      tramp = *t;
    }
    return TypedFunc(func, tramp);
  }

  Result<R> Call(StoreOpaque& store, A... args) const {
    if constexpr (!internal::IsTuple<R>::value) {
      if (tramp_ != nullptr) return CallDirect(store, args...);
    }
    constexpr size_t kSlots =
        std::max<size_t>({sizeof...(A), internal::ResultTypes<R>::kCount, 1});
    ValRaw values[kSlots] = {};
    size_t i = 0;
    ((values[i++] = internal::ToRaw(args)), ...);
    (void)i;
    Result<void> r = tramp_ != nullptr
                         ? internal::CallWasmRaw(store, tramp_, func_.raw(), values)
                         : func_.CallRaw(store, values);
    if (r.is_trap()) return std::move(r.trap());
    if (!r.ok()) return r.status();
    if constexpr (std::is_void_v<R>) {
      return Result<void>();
    } else {
      return internal::ResultTypes<R>::Read(values);
    }
  }

  const Func& func() const { return func_; }

 private:
  Result<R> CallDirect(StoreOpaque& store, A... args) const {
    const abi::VMFuncRef* ref = func_.raw();
    runtime::WasmCall call;
    call.fn = ref->code;
    call.limits = store.runtime_limits();
    call.max_wasm_stack = store.engine().config().max_wasm_stack;
    runtime::internal::ArgPacker<sizeof...(A) + 2> packer{&call, {}};
    packer.Add(ref->vmctx);
    packer.Add(ref->vmctx);
    (packer.Add(args), ...);
    call.stack_args = packer.stack;
    std::optional<runtime::Trap> trap = runtime::EnterWasm(call);
    if (trap.has_value()) return internal::TakeTrap(store, *trap);
    if constexpr (std::is_void_v<R>) {
      return Result<void>();
    } else if constexpr (std::is_floating_point_v<R>) {
      R r;
      std::memcpy(&r, call.ret_xmm0, sizeof(R));
      return r;
    } else {
      return static_cast<R>(call.ret_rax);
    }
  }

  TypedFunc(Func func, trampolines::ArrayCallFn tramp)
      : func_(func), tramp_(tramp) {}
  Func func_;
  trampolines::ArrayCallFn tramp_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_FUNC_H_
