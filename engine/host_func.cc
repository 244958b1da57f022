#include "engine/host_func.h"

#include <algorithm>
#include <new>
#include <type_traits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "runtime/traps/entry.h"

namespace kiln {
namespace internal {

TrapCode SetHostTrap(StoreOpaque& store, std::string message) {
  store.impl().pending_trap = Trap::Host(std::move(message));
  return TrapCode::kHostError;
}

namespace {
// The payload PropagateTrap's status carries, so that the boundary knows
// the pending trap is already the one to raise.
constexpr char kPropagatedTrapUrl[] = "kiln/propagated-trap";
}  // namespace

absl::Status PropagateTrap(StoreOpaque& store, Trap trap) {
  absl::Status status = absl::AbortedError(trap.ToString());
  status.SetPayload(kPropagatedTrapUrl, absl::Cord());
  store.impl().pending_trap = std::move(trap);
  return status;
}

TrapCode SetHostTrapFromStatus(StoreOpaque& store, const absl::Status& status) {
  std::optional<Trap>& pending = store.impl().pending_trap;
  if (pending.has_value() && status.GetPayload(kPropagatedTrapUrl)) {
    return pending->code();
  }
  return SetHostTrap(store, std::string(status.message()));
}

TrapCode SetHostTrapFromException(StoreOpaque& store, const char* what) {
  return SetHostTrap(store, what != nullptr
                                ? absl::StrCat("host function threw: ", what)
                                : "host function threw an exception");
}

void RaiseHostTrap(StoreOpaque& store, TrapCode code, uintptr_t wasm_fp,
                   uintptr_t wasm_pc) {
  abi::VMRuntimeLimits* limits = store.runtime_limits();
  // EnterWasm restores these when it returns.
  limits->last_wasm_exit_fp = wasm_fp;
  limits->last_wasm_exit_pc = wasm_pc;
  runtime::RaiseTrap(code);
}

namespace {
std::optional<TrapCode> DispatchArray(HostFuncCtx* ctx, void* caller_vmctx,
                                      ValRaw* values) {
  return ctx->state->array_fn(*ctx->state, *ctx->store, caller_vmctx, values);
}
}  // namespace

void HostArrayDispatch(void* host_ctx, void* caller_vmctx, uint8_t* values) {
  std::optional<TrapCode> code =
      DispatchArray(static_cast<HostFuncCtx*>(host_ctx), caller_vmctx,
                    reinterpret_cast<ValRaw*>(values));
  if (ABSL_PREDICT_FALSE(code.has_value())) runtime::RaiseTrap(*code);
}

absl::StatusOr<const void*> HostArrayTrampoline(const Engine& engine,
                                                uint32_t sig) {
  EngineImpl* impl = engine.impl();
  const FuncType& type = impl->signatures.Lookup(sig);
  absl::MutexLock lock(&impl->mu);
  auto it = impl->host_array_calls.find(sig);
  if (it == impl->host_array_calls.end()) {
    absl::StatusOr<trampolines::Trampoline> t =
        trampolines::CompileWasmToHost(type, &HostArrayDispatch);
    if (!t.ok()) return t.status();
    it = impl->host_array_calls.emplace(sig, *std::move(t)).first;
  }
  return it->second.entry;
}

absl::Status UnsupportedV128(const FuncType& type) {
  for (ValType t : type.params) {
    if (t == ValType::kV128) {
      return absl::UnimplementedError(absl::StrCat(
          "host function ", type.ToString(), ": v128 is not supported"));
    }
  }
  for (ValType t : type.results) {
    if (t == ValType::kV128) {
      return absl::UnimplementedError(absl::StrCat(
          "host function ", type.ToString(), ": v128 is not supported"));
    }
  }
  return absl::OkStatus();
}

namespace {
// Everything with a destructor lives in here; the trap code goes back to
// HostArrayDispatch, which raises it.
inline Val ParamFromRaw(ValType t, const ValRaw& raw, StoreId store) {
  switch (t) {
    case ValType::kI32: return Val::I32(raw.i32);
    case ValType::kI64: return Val::I64(raw.i64);
    case ValType::kF32: return Val::F32Bits(raw.f32);
    case ValType::kF64: return Val::F64Bits(raw.f64);
    default: return Val::FromRaw(t, raw, store);
  }
}

inline void ResultToRaw(const Val& v, ValRaw* out) {
  switch (v.type()) {
    case ValType::kI32: out->i64 = static_cast<uint32_t>(v.i32()); break;
    case ValType::kI64: out->i64 = v.i64(); break;
    case ValType::kF32: out->i64 = v.f32_bits(); break;
    case ValType::kF64: out->f64 = v.f64_bits(); break;
    default: *out = v.ToRaw(); break;
  }
}

// Everything with a destructor lives in here; the trap code goes back to
// HostArrayDispatch, which raises it.
std::optional<TrapCode> RunFuncNew(const HostFuncState& state,
                                   StoreOpaque& store, void* caller_vmctx,
                                   ValRaw* values) {
  const FuncType& type = state.type;
  const size_t np = type.params.size();
  const size_t nr = type.results.size();
  // Small signatures use uninitialized stack storage (no allocation); Vals
  // are built in place (a Val built elsewhere and copied in costs a
  // store-forwarding stall per value).
  static_assert(std::is_trivially_destructible_v<Val>);
  constexpr size_t kInline = 8;
  alignas(Val) unsigned char inline_params[kInline * sizeof(Val)];
  alignas(Val) unsigned char inline_results[kInline * sizeof(Val)];
  std::vector<Val> heap_params, heap_results;
  Val* params = reinterpret_cast<Val*>(inline_params);
  Val* results = reinterpret_cast<Val*>(inline_results);
  if (ABSL_PREDICT_FALSE(np > kInline)) {
    heap_params.resize(np);
    params = heap_params.data();
  }
  if (ABSL_PREDICT_FALSE(nr > kInline)) {
    heap_results.resize(nr);
    results = heap_results.data();
  }
  for (size_t i = 0; i < np; ++i) {
    ::new (&params[i]) Val(ParamFromRaw(type.params[i], values[i], store.id()));
  }
  for (size_t k = 0; k < nr; ++k) {
    ::new (&results[k]) Val(Val::Default(type.results[k]));
  }
  auto& fn = *static_cast<HostFuncNewFn*>(state.callable.get());
  absl::Status status;
  try {
    Caller<> caller(store, caller_vmctx);
    status = fn(caller, absl::Span<const Val>(params, np),
                absl::Span<Val>(results, nr));
  } catch (const std::exception& e) {
    return SetHostTrapFromException(store, e.what());
  } catch (...) {
    return SetHostTrapFromException(store, nullptr);
  }
  if (ABSL_PREDICT_FALSE(!status.ok())) {
    return SetHostTrapFromStatus(store, status);
  }
  for (size_t k = 0; k < nr; ++k) {
    if (ABSL_PREDICT_FALSE(results[k].type() != type.results[k])) {
      return SetHostTrap(
          store, absl::StrCat("host function result ", k, " has type ",
                              wasm::ValTypeName(results[k].type()),
                              ", expected ", wasm::ValTypeName(type.results[k])));
    }
    if (ABSL_PREDICT_FALSE(!CheckValStore(store, results[k]).ok())) {
      return SetHostTrap(store, absl::StrCat("host function result ", k,
                                             ": funcref of another store"));
    }
    ResultToRaw(results[k], &values[k]);
  }
  return std::nullopt;
}
}  // namespace

std::optional<TrapCode> InvokeFuncNew(const HostFuncState& state,
                                      StoreOpaque& store, void* caller_vmctx,
                                      ValRaw* values) {
  return RunFuncNew(state, store, caller_vmctx, values);
}

std::optional<TrapCode> InvokeFuncNewUnchecked(const HostFuncState& state,
                                               StoreOpaque& store,
                                               void* caller_vmctx,
                                               ValRaw* values) {
  auto& fn = *static_cast<HostFuncUncheckedFn*>(state.callable.get());
  const size_t n = std::max<size_t>(
      {state.type.params.size(), state.type.results.size(), 1});
  absl::Status status;
  try {
    Caller<> caller(store, caller_vmctx);
    status = fn(caller, absl::MakeSpan(values, n));
  } catch (const std::exception& e) {
    return SetHostTrapFromException(store, e.what());
  } catch (...) {
    return SetHostTrapFromException(store, nullptr);
  }
  if (ABSL_PREDICT_FALSE(!status.ok())) {
    return SetHostTrapFromStatus(store, status);
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<const HostFuncState>> MakeArrayHostFunc(
    const Engine& engine, const FuncType& type, std::shared_ptr<void> callable,
    HostArrayFn fn, const void* data_tag) {
  if (absl::Status s = UnsupportedV128(type); !s.ok()) return s;
  auto state = std::make_shared<HostFuncState>(engine);
  state->type = type;
  state->type_id = engine.signatures().Intern(type);
  absl::StatusOr<const void*> code = HostArrayTrampoline(engine, state->type_id);
  if (!code.ok()) return code.status();
  state->code = *code;
  state->callable = std::move(callable);
  state->array_fn = fn;
  state->data_tag = data_tag;
  return std::shared_ptr<const HostFuncState>(std::move(state));
}

absl::StatusOr<std::shared_ptr<const HostFuncState>> MakeWrapHostFunc(
    const Engine& engine, FuncType type, std::shared_ptr<void> callable,
    const void* code, const void* data_tag) {
  auto state = std::make_shared<HostFuncState>(engine);
  state->type_id = engine.signatures().Intern(type);
  state->type = std::move(type);
  state->code = code;
  state->callable = std::move(callable);
  state->data_tag = data_tag;
  return std::shared_ptr<const HostFuncState>(std::move(state));
}

}  // namespace internal

absl::StatusOr<HostFunc> HostFunc::New(const Engine& engine,
                                       const FuncType& type, HostFuncNewFn fn,
                                       const void* data_tag) {
  absl::StatusOr<std::shared_ptr<const internal::HostFuncState>> s =
      internal::MakeArrayHostFunc(
          engine, type, std::make_shared<HostFuncNewFn>(std::move(fn)),
          &internal::InvokeFuncNew, data_tag);
  if (!s.ok()) return s.status();
  return HostFunc(*std::move(s));
}

absl::StatusOr<HostFunc> HostFunc::NewUnchecked(const Engine& engine,
                                                const FuncType& type,
                                                HostFuncUncheckedFn fn,
                                                const void* data_tag) {
  absl::StatusOr<std::shared_ptr<const internal::HostFuncState>> s =
      internal::MakeArrayHostFunc(
          engine, type, std::make_shared<HostFuncUncheckedFn>(std::move(fn)),
          &internal::InvokeFuncNewUnchecked, data_tag);
  if (!s.ok()) return s.status();
  return HostFunc(*std::move(s));
}

absl::StatusOr<Func> HostFunc::IntoFunc(StoreOpaque& store) const {
  if (!(store.engine() == state_->engine)) {
    return absl::InvalidArgumentError(
        "the host function and the store belong to different engines");
  }
  if (state_->data_tag != nullptr && state_->data_tag != store.data_tag()) {
    return absl::InvalidArgumentError(
        "the host function takes Caller<T> of a store data type other than "
        "this store's");
  }
  internal::StoreImpl& impl = store.impl();
  auto& contexts = impl.host_func_contexts;
  if (contexts.size() <= internal::StoreImpl::kHostFuncScan) {
    for (const std::unique_ptr<internal::HostFuncCtx>& ctx : contexts) {
      if (ctx->state == state_.get()) {
        return Func::FromRaw(store.id(), &ctx->funcref);
      }
    }
  } else {
    if (impl.host_func_index.empty()) {
      for (const std::unique_ptr<internal::HostFuncCtx>& ctx : contexts) {
        impl.host_func_index[ctx->state] = ctx.get();
      }
    }
    auto it = impl.host_func_index.find(state_.get());
    if (it != impl.host_func_index.end()) {
      return Func::FromRaw(store.id(), &it->second->funcref);
    }
  }
  auto ctx = std::make_unique<internal::HostFuncCtx>();
  ctx->store = &store;
  ctx->callable = state_->callable.get();
  ctx->state = state_.get();
  ctx->funcref.code = state_->code;
  ctx->funcref.vmctx = ctx.get();
  ctx->funcref.type_id = state_->type_id;
  ctx->keep_alive = state_;
  const abi::VMFuncRef* ref = &ctx->funcref;
  if (!impl.host_func_index.empty()) impl.host_func_index[ctx->state] = ctx.get();
  contexts.push_back(std::move(ctx));
  return Func::FromRaw(store.id(), ref);
}

}  // namespace kiln
