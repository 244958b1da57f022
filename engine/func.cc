#include "engine/func.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>
#include <memory>
#include <optional>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/optimization.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/internal.h"
#include "runtime/traps/backtrace.h"

namespace kiln {
namespace internal {

namespace {

// The function whose code the compiler inlined (codegen/opt/inline.h) at
// `func_offset` of function `func_index`, if any: the wasm offset the
// source map gives there lies in another function's body. `exact` for a
// faulting pc, else a return address (looked up one byte before, in the
// call). Inlining is one level deep, so there is at most one such frame.
std::optional<uint32_t> InlinedFunctionAt(const ModuleImpl& module,
                                          uint32_t func_index,
                                          uint32_t func_offset, bool exact) {
  const compiler::CompiledModule* cm = module.compiled.get();
  const wasm::ModuleInfo& info = *module.info;
  const uint32_t first = info.num_imported_functions;
  if (cm == nullptr || func_index < first ||
      func_index - first >= cm->functions.size()) {
    return std::nullopt;
  }
  const compiler::CompiledFunctionInfo& f = cm->functions[func_index - first];
  uint32_t at = f.code_offset + func_offset;
  if (!exact) {
    if (func_offset == 0) return std::nullopt;
    --at;
  }
  const auto begin = cm->source_map.begin() + f.source_map_begin;
  const auto end = cm->source_map.begin() + f.source_map_end;
  auto it = std::upper_bound(begin, end, at,
                             [](uint32_t pc, const compiler::SourceMapEntry& e) {
                               return pc < e.code_offset;
                             });
  if (it == begin) return std::nullopt;
  const uint32_t wasm_offset = std::prev(it)->wasm_offset;
  const wasm::Function& own = info.functions[func_index];
  if (wasm_offset >= own.body_offset &&
      wasm_offset - own.body_offset < own.body_size) {
    return std::nullopt;
  }
  // Bodies lie in function order in the code section.
  const auto defined = info.functions.begin() + first;
  auto g = std::upper_bound(defined, info.functions.end(), wasm_offset,
                            [](uint32_t off, const wasm::Function& fn) {
                              return off < fn.body_offset;
                            });
  if (g == defined) return std::nullopt;
  --g;
  if (wasm_offset - g->body_offset >= g->body_size) return std::nullopt;
  return static_cast<uint32_t>(g - info.functions.begin());
}

bool IsTrapSite(const ModuleImpl& module, uint32_t func_index,
                uint32_t func_offset) {
  const compiler::CompiledModule* cm = module.compiled.get();
  const uint32_t first = module.info->num_imported_functions;
  if (cm == nullptr || func_index < first ||
      func_index - first >= cm->functions.size()) {
    return false;
  }
  const uint32_t at = cm->functions[func_index - first].code_offset +
                      func_offset;
  return std::binary_search(cm->traps.begin(), cm->traps.end(),
                            compiler::TrapEntry{at, {}},
                            [](const compiler::TrapEntry& a,
                               const compiler::TrapEntry& b) {
                              return a.code_offset < b.code_offset;
                            });
}

FrameInfo MakeFrame(const ModuleImpl* module, uint32_t func_index,
                    uint32_t func_offset) {
  FrameInfo info;
  info.func_index = func_index;
  info.func_offset = func_offset;
  if (module != nullptr) {
    if (const std::string* name = module->info->FunctionName(func_index)) {
      info.func_name = *name;
    }
    if (module->info->module_name.has_value()) {
      info.module_name = *module->info->module_name;
    }
  }
  return info;
}

}  // namespace

Trap ConvertTrap(const runtime::Trap& trap) {
  std::vector<FrameInfo> frames;
  frames.reserve(trap.backtrace.size());
  for (size_t k = 0; k < trap.backtrace.size(); ++k) {
    const runtime::WasmFrame& f = trap.backtrace[k];
    const auto* module = static_cast<const ModuleImpl*>(f.owner);
    if (module != nullptr) {
      // Code inlined from another function shows as that function's frame
      // (its offset is the caller's code offset), then the caller's.
      const bool exact =
          k == 0 && IsTrapSite(*module, f.func_index, f.func_offset);
      // A stack overflow is raised by the prologue, never inlined code (its
      // island has no location of its own).
      const bool prologue = k == 0 && trap.code == abi::TrapCode::kStackOverflow;
      std::optional<uint32_t> callee;
      if (!prologue) {
        callee = InlinedFunctionAt(*module, f.func_index, f.func_offset, exact);
      }
      if (callee.has_value()) {
        frames.push_back(MakeFrame(module, *callee, f.func_offset));
      }
    }
    frames.push_back(MakeFrame(module, f.func_index, f.func_offset));
  }
  return Trap(trap.code, std::move(frames));
}

std::optional<Trap> InvokeHost(HostFuncData& data, void* caller_vmctx,
                               ValRaw* values) {
  StoreOpaque& store = *data.store;
  const FuncType& type =
      store.engine().signatures().Lookup(data.funcref.type_id);
  absl::InlinedVector<Val, 8> params;
  params.reserve(type.params.size());
  for (size_t i = 0; i < type.params.size(); ++i) {
    params.push_back(Val::FromRaw(type.params[i], values[i], store.id()));
  }
  absl::InlinedVector<Val, 4> results;
  for (ValType t : type.results) results.push_back(Val::Default(t));
  std::optional<Trap> trap;
  try {
    Caller<> caller(store, caller_vmctx);
    trap = data.callback(caller, params, absl::MakeSpan(results));
  } catch (const std::exception& e) {
    return Trap::Host(absl::StrCat("host function threw: ", e.what()));
  } catch (...) {
    return Trap::Host("host function threw an exception");
  }
  if (trap.has_value()) return trap;
  for (size_t k = 0; k < type.results.size(); ++k) {
    if (results[k].type() != type.results[k]) {
      return Trap::Host(absl::StrCat("host function result ", k, " has type ",
                                     wasm::ValTypeName(results[k].type()),
                                     ", expected ",
                                     wasm::ValTypeName(type.results[k])));
    }
    if (!internal::CheckValStore(store, results[k]).ok()) {
      return Trap::Host(absl::StrCat(
          "host function result ", k, ": funcref of another store"));
    }
    values[k] = results[k].ToRaw();
  }
  return std::nullopt;
}

namespace {
// Everything with a destructor lives and dies in here, so that
// HostDispatch can RaiseTrap afterwards.
std::optional<TrapCode> DispatchImpl(HostFuncData* data, void* caller_vmctx,
                                     ValRaw* values) {
  std::optional<Trap> trap = InvokeHost(*data, caller_vmctx, values);
  if (!trap.has_value()) return std::nullopt;
  TrapCode code = trap->code();
  data->store->impl().pending_trap = std::move(trap);
  return code;
}
}  // namespace

void HostDispatch(void* host_ctx, void* caller_vmctx, uint8_t* values) {
  // A host function calling another directly passes its own context.
  if (caller_vmctx != nullptr && IsHostContext(caller_vmctx)) {
    caller_vmctx = nullptr;
  }
  std::optional<TrapCode> code =
      DispatchImpl(static_cast<HostFuncData*>(host_ctx), caller_vmctx,
                   reinterpret_cast<ValRaw*>(values));
  if (code.has_value()) runtime::RaiseTrap(*code);
}

namespace {
ABSL_ATTRIBUTE_NOINLINE Result<void> TrappedRaw(StoreOpaque& store,
                                                const runtime::EntryFrame& frame) {
  return TakeTrap(store, runtime::FrameTrap(frame));
}
}  // namespace

ABSL_ATTRIBUTE_ALWAYS_INLINE inline Result<void> CallWasmRawInline(
    StoreOpaque& store, trampolines::ArrayCallFn tramp,
    const abi::VMFuncRef* ref, ValRaw* values) {
  const void* entry = runtime::internal::g_typed_entry0;
  if (ABSL_PREDICT_FALSE(entry == nullptr)) {
    absl::StatusOr<const void*> e = runtime::EntryTrampoline(0);
    if (!e.ok()) return e.status();
    entry = *e;
  }
  // The array-call trampoline's (code, callee_vmctx, caller_vmctx, values)
  // through the typed entry: rdi = code, rsi = frame.arg1 = callee vmctx.
  runtime::EntryFrame frame;
  frame.code = reinterpret_cast<const void*>(tramp);
  frame.arg1 = ref->vmctx;
  runtime::BeginEntry(frame, store.runtime_limits(),
                      store.engine().impl()->config.max_wasm_stack);
  using Fn = void (*)(const void*, runtime::EntryFrame*, void*, ValRaw*);
  reinterpret_cast<Fn>(const_cast<void*>(entry))(ref->code, &frame,
                                                 ref->vmctx, values);
  runtime::EndEntry(frame);
  if (ABSL_PREDICT_FALSE(frame.trap.trapped)) return TrappedRaw(store, frame);
  return Result<void>();
}

Result<void> CallWasmRaw(StoreOpaque& store, trampolines::ArrayCallFn tramp,
                         const abi::VMFuncRef* ref, ValRaw* values) {
  return CallWasmRawInline(store, tramp, ref, values);
}

Trap TakeTrap(StoreOpaque& store, const runtime::Trap& trap) {
  Trap converted = ConvertTrap(trap);
  std::optional<Trap>& pending = store.impl().pending_trap;
  if (pending.has_value()) {
    Trap host = std::move(*pending);
    pending.reset();
    host.set_backtrace(converted.backtrace());
    return host;
  }
  return converted;
}

absl::Status CheckTypedSignature(const FuncType& actual,
                                 absl::Span<const ValType> params,
                                 absl::Span<const ValType> results) {
  if (absl::Span<const ValType>(actual.params) != params ||
      absl::Span<const ValType>(actual.results) != results) {
    FuncType expected{{params.begin(), params.end()},
                      {results.begin(), results.end()}};
    return absl::InvalidArgumentError(
        absl::StrCat("function type mismatch: the function is ",
                     actual.ToString(), ", the typed signature is ",
                     expected.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace internal

std::optional<Extern> Caller<void>::GetExport(std::string_view name) const {
  if (caller_vmctx_ == nullptr || internal::IsHostContext(caller_vmctx_)) {
    return std::nullopt;
  }
  // caller_vmctx_ is the calling wasm instance's VMContext (in this store).
  auto* data = static_cast<internal::InstanceData*>(
      runtime::Instance::FromVMContext(caller_vmctx_)->host_data());
  if (data == nullptr) return std::nullopt;
  return internal::InstanceExport(store_->id(), *data, name);
}

absl::StatusOr<Func> Func::New(StoreOpaque& store, const FuncType& type,
                               HostCallback callback) {
  const uint32_t id = store.engine().signatures().Intern(type);
  absl::StatusOr<const void*> code = store.engine().WasmToHostTrampoline(id);
  if (!code.ok()) return code.status();
  internal::HostFuncData& data = store.impl().host_funcs.emplace_back();
  data.store = &store;
  data.callback = std::move(callback);
  data.funcref.code = *code;
  data.funcref.vmctx = &data;
  data.funcref.type_id = id;
  return Func(store.id(), &data.funcref);
}

namespace internal {
const FuncType& FuncTypeOf(const StoreOpaque& store, const Func& func) {
  return store.engine().signatures().Lookup(func.raw()->type_id);
}
bool IsHostFunc(const Func& func) { return IsHostContext(func.raw()->vmctx); }
}  // namespace internal

absl::StatusOr<FuncType> Func::type(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return internal::FuncTypeOf(store, *this);
}

absl::StatusOr<uint32_t> Func::type_id(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return ref_->type_id;
}

absl::StatusOr<bool> Func::is_host(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return internal::IsHostFunc(*this);
}

namespace {

ABSL_ATTRIBUTE_NOINLINE Result<void> CallHostRaw(const abi::VMFuncRef* ref,
                                                 StoreOpaque& store,
                                                 ValRaw* values) {
  auto* data = static_cast<internal::HostFuncData*>(ref->vmctx);
  std::optional<Trap> trap = internal::InvokeHost(*data, nullptr, values);
  if (trap.has_value()) return *std::move(trap);
  return Result<void>();
}

inline ValRaw ToRawFast(const Val& v) {
  ValRaw r;
  switch (v.type()) {
    case ValType::kI32:
    case ValType::kF32:
    case ValType::kI64:
    case ValType::kF64:
      r.i64 = static_cast<int64_t>(v.f64_bits());  // the raw bits
      std::memset(&r.v128[8], 0, 8);
      return r;
    default:
      return v.ToRaw();
  }
}

inline Val FromRawFast(ValType type, const ValRaw& raw, StoreId store) {
  switch (type) {
    case ValType::kI32: return Val::I32(raw.i32);
    case ValType::kI64: return Val::I64(raw.i64);
    case ValType::kF32: return Val::F32Bits(raw.f32);
    case ValType::kF64: return Val::F64Bits(raw.f64);
    default: return Val::FromRaw(type, raw, store);
  }
}

ABSL_ATTRIBUTE_NOINLINE Result<void> CallRawSlow(const abi::VMFuncRef* ref,
                                                 StoreOpaque& store,
                                                 ValRaw* values) {
  if (internal::IsHostContext(ref->vmctx)) {
    return CallHostRaw(ref, store, values);
  }
  absl::StatusOr<trampolines::ArrayCallFn> tramp =
      store.engine().ArrayCallTrampoline(ref->type_id);
  if (!tramp.ok()) return tramp.status();
  return internal::CallWasmRaw(store, *tramp, ref, values);
}

// Host check and the cached array-call trampoline, then the entry.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline Result<void> CallRawInline(
    const abi::VMFuncRef* ref, StoreOpaque& store, ValRaw* values) {
  const void* tramp =
      store.engine().impl()->array_call_table.Get(ref->type_id);
  if (ABSL_PREDICT_FALSE(tramp == nullptr ||
                         internal::IsHostContext(ref->vmctx))) {
    return CallRawSlow(ref, store, values);
  }
  return internal::CallWasmRawInline(
      store,
      reinterpret_cast<trampolines::ArrayCallFn>(const_cast<void*>(tramp)),
      ref, values);
}

}  // namespace

Result<void> Func::CallRaw(StoreOpaque& store, ValRaw* values) const {
  if (ABSL_PREDICT_FALSE(!OwnedBy(store))) return WrongStoreError();
  if (ABSL_PREDICT_FALSE(store.sync_call_refused())) {
    return internal::SyncCallRefusedError("Func::CallRaw");
  }
  return CallRawInline(ref_, store, values);
}

namespace {
ABSL_ATTRIBUTE_NOINLINE absl::Status ArgumentError(const FuncType& type,
                                                   absl::Span<const Val> params,
                                                   size_t num_results) {
  if (params.size() != type.params.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("function ", type.ToString(), " takes ",
                     type.params.size(), " arguments, got ", params.size()));
  }
  if (num_results != type.results.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("function ", type.ToString(), " returns ",
                     type.results.size(), " results, space for ",
                     num_results));
  }
  for (size_t i = 0; i < params.size(); ++i) {
    if (params[i].type() != type.params[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument ", i, " has type ", wasm::ValTypeName(params[i].type()),
          ", expected ", wasm::ValTypeName(type.params[i])));
    }
  }
  return absl::InternalError("Func::Call: no argument error");
}
}  // namespace

namespace {
// Func::Call after the count checks, with `values` holding enough slots.
ABSL_ATTRIBUTE_ALWAYS_INLINE inline Result<void> CallVals(
    const abi::VMFuncRef* ref, StoreOpaque& store, const FuncType& type,
    absl::Span<const Val> params, absl::Span<Val> results, ValRaw* values) {
  const size_t np = params.size();
  for (size_t i = 0; i < np; ++i) {
    if (ABSL_PREDICT_FALSE(params[i].type() != type.params[i])) {
      return ArgumentError(type, params, results.size());
    }
    if (ABSL_PREDICT_FALSE(params[i].type() == ValType::kFuncRef) &&
        !internal::CheckValStore(store, params[i]).ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "argument ", i, " (funcref): object used with the wrong store"));
    }
    values[i] = ToRawFast(params[i]);
  }
  Result<void> r = CallRawInline(ref, store, values);
  if (ABSL_PREDICT_FALSE(!r.ok())) return r;
  for (size_t k = 0; k < results.size(); ++k) {
    results[k] = FromRawFast(type.results[k], values[k], store.id());
  }
  return r;
}

ABSL_ATTRIBUTE_NOINLINE Result<void> CallValsBig(
    const abi::VMFuncRef* ref, StoreOpaque& store, const FuncType& type,
    absl::Span<const Val> params, absl::Span<Val> results, size_t slots) {
  std::unique_ptr<ValRaw[]> values = std::make_unique<ValRaw[]>(slots);
  return CallVals(ref, store, type, params, results, values.get());
}
}  // namespace

Result<void> Func::Call(StoreOpaque& store, absl::Span<const Val> params,
                        absl::Span<Val> results) const {
  if (ABSL_PREDICT_FALSE(!OwnedBy(store))) return WrongStoreError();
  if (ABSL_PREDICT_FALSE(store.sync_call_refused())) {
    return internal::SyncCallRefusedError("Func::Call");
  }
  const FuncType& type =
      store.engine().impl()->signatures.Lookup(ref_->type_id);
  const size_t np = type.params.size();
  const size_t nr = type.results.size();
  if (ABSL_PREDICT_FALSE(params.size() != np || results.size() != nr)) {
    return ArgumentError(type, params, results.size());
  }
  // No allocation up to 16 slots.
  constexpr size_t kInline = 16;
  if (ABSL_PREDICT_FALSE(np > kInline || nr > kInline)) {
    return CallValsBig(ref_, store, type, params, results, std::max(np, nr));
  }
  ValRaw values[kInline];
  return CallVals(ref_, store, type, params, results, values);
}

Result<std::vector<Val>> Func::Call(StoreOpaque& store,
                                    absl::Span<const Val> params) const {
  if (!OwnedBy(store)) return WrongStoreError();
  std::vector<Val> results(internal::FuncTypeOf(store, *this).results.size());
  Result<void> r = Call(store, params, absl::MakeSpan(results));
  if (r.is_trap()) return std::move(r.trap());
  if (!r.ok()) return r.status();
  return results;
}

AsyncCall<std::vector<Val>> Func::CallAsync(
    StoreOpaque& store, absl::Span<const Val> params) const {
  return internal::StartAsync<std::vector<Val>>(
      store, "Func::CallAsync", [&] {
        return [f = *this, s = &store,
                p = std::vector<Val>(params.begin(), params.end())]()
                   -> Result<std::vector<Val>> { return f.Call(*s, p); };
      });
}

}  // namespace kiln
