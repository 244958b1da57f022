// Func: a wasm or host function in a store; TypedFunc<R(A...)>: a Func
// whose type was checked once, called without boxing.
#ifndef KILN_ENGINE_FUNC_H_
#define KILN_ENGINE_FUNC_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/async_call.h"
#include "engine/store.h"
#include "engine/store_id.h"
#include "engine/trap.h"
#include "engine/val.h"
#include "runtime/abi/vm_offsets.h"
#include "runtime/traps/entry.h"

namespace kiln {

class Extern;

// What a host function sees of its caller: the store (and its data) and,
// when called from wasm, the calling instance's exports (e.g. its memory).
//
// Caller<T> is the typed view a host function of a Store<T> / Linker<T>
// takes (wasmtime's Caller<T>): data() is the store's T. Caller<> (=
// Caller<void>, also spelled CallerBase) is the untyped form, with
// data<T>(); a Caller<T> is a Caller<>, and one can be made from the other.
template <typename T = void>
class Caller;

template <>
class Caller<void> {
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
  // The calling instance's VMContext (null when called from C++).
  void* caller_vmctx() const { return caller_vmctx_; }

 private:
  StoreOpaque* store_;
  void* caller_vmctx_;
};

using CallerBase = Caller<void>;

template <typename T>
class Caller : public Caller<void> {
 public:
  Caller(Store<T>& store, void* caller_vmctx)
      : Caller<void>(store, caller_vmctx) {}
  // The untyped caller of a host function of a Store<T> (the store must be
  // a Store<T>).
  Caller(StoreOpaque& store, void* caller_vmctx)
      : Caller<void>(store, caller_vmctx) {}
  explicit Caller(const Caller<void>& untyped) : Caller<void>(untyped) {}

  Store<T>& store() { return static_cast<Store<T>&>(Caller<void>::store()); }
  T& data() { return store().data(); }
};

template <typename X>
struct IsCaller : std::false_type {};
template <typename T>
struct IsCaller<Caller<T>> : std::true_type {};

// A host function body: reads params, writes results (already sized and
// typed with zero values). Return a Trap to trap; exceptions are caught
// and become traps.
using HostCallback = std::function<std::optional<Trap>(
    Caller<>& caller, absl::Span<const Val> params, absl::Span<Val> results)>;

class Func {
 public:
  // A host function of `type` (v128 params/results are not supported).
  static absl::StatusOr<Func> New(StoreOpaque& store, const FuncType& type,
                                  HostCallback callback);

  // Every method that takes a store checks it first (WrongStoreError()).
  // The signature.
  absl::StatusOr<FuncType> type(const StoreOpaque& store) const;
  // The engine-wide signature id (SignatureRegistry).
  absl::StatusOr<uint32_t> type_id(const StoreOpaque& store) const;
  absl::StatusOr<bool> is_host(const StoreOpaque& store) const;

  // Checks the argument types, calls, and writes `results` (which must have
  // exactly type().results.size() elements).
  Result<void> Call(StoreOpaque& store, absl::Span<const Val> params,
                    absl::Span<Val> results) const;
  // Convenience: returns the results.
  Result<std::vector<Val>> Call(StoreOpaque& store,
                                absl::Span<const Val> params) const;
  // Untyped: `values` holds the params in and the results out
  // (max(#params, #results) slots). No type check; funcref values are not
  // checked either (as for ValRaw everywhere).
  Result<void> CallRaw(StoreOpaque& store, ValRaw* values) const;
  // Async stores (engine/async_call.h): Call run on the store's fiber when
  // polled; the parameters are copied.
  AsyncCall<std::vector<Val>> CallAsync(StoreOpaque& store,
                                        absl::Span<const Val> params) const;

  StoreId store_id() const { return store_; }
  bool OwnedBy(const StoreOpaque& store) const { return store.id() == store_; }
  // The VMFuncRef wasm uses for this function. Unchecked: valid only while
  // the store `store_id()` names lives.
  const abi::VMFuncRef* raw() const { return ref_; }
  static Func FromRaw(StoreId store, const abi::VMFuncRef* ref) {
    return Func(store, ref);
  }

  friend bool operator==(const Func& a, const Func& b) {
    return a.store_ == b.store_ && a.ref_ == b.ref_;
  }

 private:
  Func(StoreId store, const abi::VMFuncRef* ref) : store_(store), ref_(ref) {}
  StoreId store_;
  const abi::VMFuncRef* ref_;
};

namespace internal {
// Runs `ref` through the array-call trampoline `tramp` (entered by the
// typed entry trampoline); converts a trap. `values` as in Func::CallRaw.
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
  // Arrays, not vectors: TypedFunc::Create (once per call site, often per
  // instance) allocates nothing to check a signature.
  static std::array<ValType, 1> Get() { return {WasmTypeOf<R>::kType}; }
  static constexpr size_t kCount = 1;
  static R Read(const ValRaw* v) { return FromRaw<R>(v[0]); }
};
template <>
struct ResultTypes<void> {
  static std::array<ValType, 0> Get() { return {}; }
  static constexpr size_t kCount = 0;
};
template <typename... Rs>
struct ResultTypes<std::tuple<Rs...>> {
  static std::array<ValType, sizeof...(Rs)> Get() {
    return {WasmTypeOf<Rs>::kType...};
  }
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

// Unchecked (the caller has checked func.OwnedBy(store)): the signature,
// and whether it is a store-owned host function made by Func::New.
const FuncType& FuncTypeOf(const StoreOpaque& store, const Func& func);
bool IsHostFunc(const Func& func);

absl::Status CheckTypedSignature(const FuncType& actual,
                                 absl::Span<const ValType> params,
                                 absl::Span<const ValType> results);
}  // namespace internal

// A function with static type R(A...). A is int32_t, uint32_t, int64_t,
// uint64_t, float or double; R is one of those, void, or a std::tuple of
// them (multi-value). The type is checked once, in Create; a call then goes
// through the per-arity-class entry trampoline (runtime::EntryTrampoline)
// with the exact C signature (vmctx, EntryFrame*, A...) -> R, so the
// arguments travel in registers from the caller to the compiled code (no
// boxing, no allocation, no array of values); several results come back
// through a return area on the stack. Host functions made by Func::New run
// their callback directly.
template <typename Sig>
class TypedFunc;

namespace internal {
// The register form of a wasm argument: i32 zero-extended to 64 bits (the
// upper half of a 32-bit argument register is otherwise unspecified).
template <typename T>
struct RegArg {
  using type = T;
  static T Get(T v) { return v; }
};
template <>
struct RegArg<int32_t> {
  using type = uint64_t;
  static uint64_t Get(int32_t v) { return static_cast<uint32_t>(v); }
};
template <>
struct RegArg<uint32_t> {
  using type = uint64_t;
  static uint64_t Get(uint32_t v) { return v; }
};
template <>
struct RegArg<int64_t> {
  using type = uint64_t;
  static uint64_t Get(int64_t v) { return static_cast<uint64_t>(v); }
};
template <typename T>
using RegArgT = typename RegArg<T>::type;

// A multi-value result read from the return area (8 bytes per result).
template <typename T>
T FromSlot(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}
}  // namespace internal

template <typename R, typename... A>
class TypedFunc<R(A...)> {
  static constexpr bool kMulti = internal::IsTuple<R>::value;
  static constexpr size_t kNumResults = internal::ResultTypes<R>::kCount;
  // Stack slots of (A..., [return area]) after the two hidden integer
  // arguments, by abi::ArgPlacer over the host CallConv.
  static constexpr uint32_t kStackSlots =
      kMulti ? runtime::StackSlotsFor<internal::RegArgT<A>..., uint64_t*>()
             : runtime::StackSlotsFor<internal::RegArgT<A>...>();

 public:
  static absl::StatusOr<TypedFunc> Create(StoreOpaque& store, Func func) {
    if (!func.OwnedBy(store)) return WrongStoreError();
    const FuncType& type = internal::FuncTypeOf(store, func);
    absl::Status status = internal::CheckTypedSignature(
        type, {internal::WasmTypeOf<A>::kType...},
        internal::ResultTypes<R>::Get());
    if (!status.ok()) return status;
    const void* entry = nullptr;
    if (!internal::IsHostFunc(func)) {
      absl::StatusOr<const void*> e = runtime::EntryTrampoline(kStackSlots);
      if (!e.ok()) return e.status();
      entry = *e;
    }
    return TypedFunc(func, entry, store.engine().config().max_wasm_stack);
  }

  // Inlined into the caller: the Result is built in place and the entry
  // frame lives in the caller's frame.
  // Checks the store first (WrongStoreError()).
  ABSL_ATTRIBUTE_ALWAYS_INLINE Result<R> Call(StoreOpaque& store,
                                              A... args) const {
    if (ABSL_PREDICT_FALSE(!func_.OwnedBy(store) ||
                           store.sync_call_refused())) {
      return Refused(store);
    }
    return CallOwned(store, args...);
  }

  // Async stores (engine/async_call.h): the call, run on the store's fiber
  // when polled. The TypedFunc and the arguments are copied into it; the
  // store must outlive it (a store destroyed first cancels it).
  AsyncCall<R> CallAsync(StoreOpaque& store, A... args) const {
    return internal::StartAsync<R>(store, "TypedFunc::CallAsync", [&] {
      // Inlined into the job's Run: one call from the fiber's loop to the
      // entry trampoline. Poll allowed synchronous calls on the store.
      return [f = *this, s = &store, args...]() ABSL_ATTRIBUTE_ALWAYS_INLINE
             -> Result<R> {
        if (ABSL_PREDICT_FALSE(!f.func_.OwnedBy(*s))) return f.Refused(*s);
        return f.CallOwned(*s, args...);
      };
    });
  }

  const Func& func() const { return func_; }

 private:
  // Call once the store is known to be func_'s and to allow the call.
  ABSL_ATTRIBUTE_ALWAYS_INLINE Result<R> CallOwned(StoreOpaque& store,
                                                   A... args) const {
    if (ABSL_PREDICT_FALSE(entry_ == nullptr)) return CallHost(store, args...);
    const abi::VMFuncRef* ref = func_.raw();
    runtime::EntryFrame frame;
    frame.code = ref->code;
    frame.arg1 = ref->vmctx;
    runtime::BeginEntry(frame, store.runtime_limits(), max_wasm_stack_);
    if constexpr (kMulti) {
      uint64_t ret[kNumResults];
      using Fn = void (*)(void*, runtime::EntryFrame*, internal::RegArgT<A>...,
                          uint64_t*);
      const Fn fn = reinterpret_cast<Fn>(const_cast<void*>(entry_));
      fn(ref->vmctx, &frame, internal::RegArg<A>::Get(args)..., ret);
      runtime::EndEntry(frame);
      if (ABSL_PREDICT_FALSE(frame.trap.trapped)) return Trapped(store, frame);
      return ReadMulti(ret, std::make_index_sequence<kNumResults>());
    } else if constexpr (std::is_void_v<R>) {
      using Fn = void (*)(void*, runtime::EntryFrame*, internal::RegArgT<A>...);
      const Fn fn = reinterpret_cast<Fn>(const_cast<void*>(entry_));
      fn(ref->vmctx, &frame, internal::RegArg<A>::Get(args)...);
      runtime::EndEntry(frame);
      if (ABSL_PREDICT_FALSE(frame.trap.trapped)) return Trapped(store, frame);
      return Result<void>();
    } else {
      using Fn = R (*)(void*, runtime::EntryFrame*, internal::RegArgT<A>...);
      const R r = reinterpret_cast<Fn>(const_cast<void*>(entry_))(
          ref->vmctx, &frame, internal::RegArg<A>::Get(args)...);
      runtime::EndEntry(frame);
      if (ABSL_PREDICT_FALSE(frame.trap.trapped)) return Trapped(store, frame);
      return r;
    }
  }

  template <size_t... I>
  static R ReadMulti(const uint64_t* ret, std::index_sequence<I...>) {
    return R(internal::FromSlot<std::tuple_element_t<I, R>>(ret[I])...);
  }

  ABSL_ATTRIBUTE_NOINLINE Result<R> Refused(StoreOpaque& store) const {
    if (!func_.OwnedBy(store)) return WrongStoreError();
    return internal::SyncCallRefusedError("TypedFunc::Call");
  }

  ABSL_ATTRIBUTE_NOINLINE static Result<R> Trapped(
      StoreOpaque& store, const runtime::EntryFrame& frame) {
    return internal::TakeTrap(store, runtime::FrameTrap(frame));
  }

  // A host function made by Func::New: runs its callback on ValRaw slots.
  ABSL_ATTRIBUTE_NOINLINE Result<R> CallHost(StoreOpaque& store,
                                             A... args) const {
    constexpr size_t kSlots = std::max<size_t>({sizeof...(A), kNumResults, 1});
    ValRaw values[kSlots] = {};
    size_t i = 0;
    ((values[i++] = internal::ToRaw(args)), ...);
    (void)i;
    Result<void> r = func_.CallRaw(store, values);
    if (r.is_trap()) return std::move(r.trap());
    if (!r.ok()) return r.status();
    if constexpr (std::is_void_v<R>) {
      return Result<void>();
    } else {
      return internal::ResultTypes<R>::Read(values);
    }
  }

  TypedFunc(Func func, const void* entry, size_t max_wasm_stack)
      : func_(func), entry_(entry), max_wasm_stack_(max_wasm_stack) {}
  Func func_;
  const void* entry_;  // null for Func::New host functions
  size_t max_wasm_stack_;
};

}  // namespace kiln

#endif  // KILN_ENGINE_FUNC_H_
