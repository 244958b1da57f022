// Values and references: wasm_val_t <-> kiln::Val, the reference base
// functions every wasm.h reference type shares (copy, same, host info,
// as_ref casts), extern handles and traps.
#include <algorithm>
#include <cstring>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "capi/internal.h"

namespace kiln::capi {

std::optional<ValType> ToValType(wasm_valkind_t kind) {
  switch (kind) {
    case WASM_I32: return ValType::kI32;
    case WASM_I64: return ValType::kI64;
    case WASM_F32: return ValType::kF32;
    case WASM_F64: return ValType::kF64;
    case WASM_EXTERNREF: return ValType::kExternRef;
    case WASM_FUNCREF: return ValType::kFuncRef;
    default: return std::nullopt;
  }
}

wasm_valkind_t ToValKind(ValType type) {
  switch (type) {
    case ValType::kI32: return WASM_I32;
    case ValType::kI64: return WASM_I64;
    case ValType::kF32: return WASM_F32;
    case ValType::kF64: return WASM_F64;
    case ValType::kExternRef: return WASM_EXTERNREF;
    case ValType::kFuncRef: return WASM_FUNCREF;
    case ValType::kV128: break;
  }
  // wasm.h has no v128: such functions cannot be described or called.
  return WASM_I64;
}

namespace {
void FillValTypes(wasm_valtype_vec_t* out, const std::vector<ValType>& types) {
  wasm_valtype_vec_new_uninitialized(out, types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    out->data[i] = wasm_valtype_new(ToValKind(types[i]));
  }
}
std::vector<ValType> FromValTypes(const wasm_valtype_vec_t& v) {
  std::vector<ValType> out;
  out.reserve(v.size);
  for (size_t i = 0; i < v.size; ++i) {
    out.push_back(ToValType(v.data[i]->kind).value_or(ValType::kI32));
  }
  return out;
}
}  // namespace

wasm_functype_t* NewFuncType(const FuncType& type) {
  auto* t = new wasm_functype_t;
  FillValTypes(&t->params, type.params);
  FillValTypes(&t->results, type.results);
  return t;
}

FuncType ToFuncType(const wasm_functype_t& type) {
  return FuncType{FromValTypes(type.params), FromValTypes(type.results)};
}

Limits ToLimits(const wasm_limits_t& limits) {
  Limits l;
  l.min = limits.min;
  if (limits.max != wasm_limits_max_default) l.max = limits.max;
  return l;
}

wasm_limits_t FromLimits(const Limits& limits) {
  // wasm_limits_t is u32: a 64-bit memory's larger limits saturate (a max
  // above u32 reads as wasm_limits_max_default, no maximum).
  auto u32 = [](uint64_t v) {
    return static_cast<uint32_t>(std::min<uint64_t>(v, UINT32_MAX));
  };
  return wasm_limits_t{u32(limits.min),
                       u32(limits.max.value_or(wasm_limits_max_default))};
}

wasm_memorytype_t* NewMemoryType(const MemoryType& type) {
  auto* t = new wasm_memorytype_t;
  t->limits = FromLimits(type.limits);
  t->type = type;
  return t;
}

wasm_externtype_t* NewExternType(const wasm::ModuleInfo& info,
                                 wasm::ExternKind kind, uint32_t index,
                                 const Engine&) {
  switch (kind) {
    case wasm::ExternKind::kFunction:
      return NewFuncType(info.types[info.functions[index].type_index]);
    case wasm::ExternKind::kGlobal: {
      auto* t = new wasm_globaltype_t;
      t->content.kind = ToValKind(info.globals[index].type.type);
      t->mutability = info.globals[index].type.mutable_ ? WASM_VAR : WASM_CONST;
      return t;
    }
    case wasm::ExternKind::kTable: {
      auto* t = new wasm_tabletype_t;
      t->element.kind = ToValKind(info.tables[index].type.elem_type);
      t->limits = FromLimits(info.tables[index].type.limits);
      return t;
    }
    case wasm::ExternKind::kMemory: {
      return NewMemoryType(info.memories[index].type);
    }
  }
  return nullptr;
}

namespace {
// The externref value for `ref`: a foreign object's box, or a new box that
// keeps a copy of any other reference.
void* ExternRefValue(wasm_store_t* store, const wasm_ref_t* ref) {
  if (ref == nullptr) return nullptr;
  if (ref->kind == RefKind::kForeign) {
    return static_cast<const wasm_foreign_t*>(ref)->box;
  }
  auto box = std::make_unique<ExternRefBox>();
  box->ref.reset(ref->Copy());
  ExternRefBox* raw = box.get();
  store->externrefs.push_back(std::move(box));
  return raw;
}
}  // namespace

absl::StatusOr<Val> RefToVal(wasm_store_t* store, const wasm_ref_t* ref,
                             ValType type) {
  if (type == ValType::kExternRef) {
    return Val::ExternRef(ExternRefValue(store, ref));
  }
  if (type != ValType::kFuncRef) {
    return absl::InvalidArgumentError("a reference for a non-reference type");
  }
  if (ref == nullptr) return Val::NullFuncRef();
  if (ref->kind != RefKind::kFunc) {
    return absl::InvalidArgumentError("funcref value is not a function");
  }
  return Val::FuncRef(static_cast<const wasm_func_t*>(ref)->func());
}

absl::StatusOr<Val> ToVal(wasm_store_t* store, const wasm_val_t& v) {
  switch (v.kind) {
    case WASM_I32: return Val::I32(v.of.i32);
    case WASM_I64: return Val::I64(v.of.i64);
    case WASM_F32: return Val::F32(v.of.f32);
    case WASM_F64: return Val::F64(v.of.f64);
    case WASM_EXTERNREF: return RefToVal(store, v.of.ref, ValType::kExternRef);
    case WASM_FUNCREF: return RefToVal(store, v.of.ref, ValType::kFuncRef);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown value kind ", static_cast<int>(v.kind)));
  }
}

wasm_ref_t* ValToRef(wasm_store_t* store, const Val& v) {
  if (v.is_null_ref()) return nullptr;
  if (v.type() == ValType::kFuncRef) {
    return new wasm_func_t(RefKind::kFunc, store, Extern(*v.funcref()));
  }
  auto* box = static_cast<ExternRefBox*>(v.externref());
  if (box->ref != nullptr) return box->ref->Copy();
  return new wasm_foreign_t(store, box);
}

void FromVal(wasm_store_t* store, const Val& v, wasm_val_t* out) {
  out->kind = ToValKind(v.type());
  switch (v.type()) {
    case ValType::kI32: out->of.i32 = v.i32(); break;
    case ValType::kI64: out->of.i64 = v.i64(); break;
    case ValType::kF32: out->of.f32 = v.f32(); break;
    case ValType::kF64: out->of.f64 = v.f64(); break;
    case ValType::kFuncRef:
    case ValType::kExternRef: out->of.ref = ValToRef(store, v); break;
    case ValType::kV128: out->of.i64 = static_cast<int64_t>(v.v128_lo()); break;
  }
}

wasm_extern_t* NewExtern(wasm_store_t* store, const Extern& e) {
  switch (e.kind()) {
    case wasm::ExternKind::kFunction:
      return new wasm_func_t(RefKind::kFunc, store, e);
    case wasm::ExternKind::kGlobal:
      return new wasm_global_t(RefKind::kGlobal, store, e);
    case wasm::ExternKind::kTable:
      return new wasm_table_t(RefKind::kTable, store, e);
    case wasm::ExternKind::kMemory:
      return new wasm_memory_t(RefKind::kMemory, store, e);
  }
  return nullptr;
}

wasm_trap_t* NewTrap(wasm_store_t* store, const Trap& trap) {
  return new wasm_trap_t(store, trap);
}

wasm_trap_t* NewTrapFromStatus(wasm_store_t* store, const absl::Status& s) {
  return new wasm_trap_t(store, Trap::Host(std::string(s.message())));
}

void SetName(wasm_name_t* out, std::string_view s) {
  wasm_byte_vec_new(out, s.size(), s.data());
}

absl::Status ToRaw(wasm_store_t* store, ValType type, const wasm_val_t& v,
                   ValRaw* out) {
  if (v.kind != ToValKind(type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a value of type ", wasm::ValTypeName(type),
                     ", got kind ", static_cast<int>(v.kind)));
  }
  switch (type) {
    case ValType::kI32: *out = ValRaw::I32(v.of.i32); return absl::OkStatus();
    case ValType::kI64: *out = ValRaw::I64(v.of.i64); return absl::OkStatus();
    case ValType::kF32: {
      uint32_t bits;
      std::memcpy(&bits, &v.of.f32, 4);
      *out = ValRaw::F32Bits(bits);
      return absl::OkStatus();
    }
    case ValType::kF64: {
      uint64_t bits;
      std::memcpy(&bits, &v.of.f64, 8);
      *out = ValRaw::F64Bits(bits);
      return absl::OkStatus();
    }
    default: {
      absl::StatusOr<Val> val = RefToVal(store, v.of.ref, type);
      if (!val.ok()) return val.status();
      if (val->type() == ValType::kFuncRef && !val->is_null_ref() &&
          val->funcref_store() != store->store.id()) {
        return absl::InvalidArgumentError(
            "funcref: object used with the wrong store");
      }
      *out = val->ToRaw();
      return absl::OkStatus();
    }
  }
}

void FromRaw(wasm_store_t* store, ValType type, const ValRaw& raw,
             wasm_val_t* out) {
  out->kind = ToValKind(type);
  switch (type) {
    case ValType::kI32: out->of.i32 = raw.i32; return;
    case ValType::kI64: out->of.i64 = raw.i64; return;
    case ValType::kF32: std::memcpy(&out->of.f32, &raw.f32, 4); return;
    case ValType::kF64: std::memcpy(&out->of.f64, &raw.f64, 8); return;
    default:
      out->of.ref = ValToRef(store, Val::FromRaw(type, raw, store->store.id()));
      return;
  }
}

HostFuncUncheckedFn CUncheckedFn(wasm_store_t* fixed_store, FuncType type,
                                 CCallback call,
                                 std::shared_ptr<void> keep_alive) {
  return [fixed_store, type = std::move(type), call,
          keep_alive = std::move(keep_alive)](
             Caller<>& caller, absl::Span<ValRaw> values) -> absl::Status {
    wasm_store_t* store = fixed_store != nullptr
                              ? fixed_store
                              : caller.data<StoreData>().c_store;
    const size_t np = type.params.size();
    const size_t nr = type.results.size();
    absl::InlinedVector<wasm_val_t, 8> args(np);
    absl::InlinedVector<wasm_val_t, 8> outs(nr);
    for (size_t i = 0; i < np; ++i) {
      FromRaw(store, type.params[i], values[i], &args[i]);
    }
    for (size_t k = 0; k < nr; ++k) {
      outs[k].kind = ToValKind(type.results[k]);
      outs[k].of.i64 = 0;
    }
    wasm_val_vec_t args_vec{np, args.data()};
    wasm_val_vec_t outs_vec{nr, outs.data()};
    wasm_trap_t* trap = call(&args_vec, &outs_vec);
    for (wasm_val_t& a : args) wasm_val_delete(&a);
    absl::Status status;
    if (trap != nullptr) {
      // The callback's trap reaches the caller as itself.
      status = internal::PropagateTrap(caller.store(), trap->trap);
      wasm_trap_delete(trap);
    }
    for (size_t k = 0; status.ok() && k < nr; ++k) {
      absl::Status s = ToRaw(store, type.results[k], outs[k], &values[k]);
      if (!s.ok()) {
        status = absl::InvalidArgumentError(
            absl::StrCat("host function result ", k, ": ", s.message()));
      }
    }
    for (wasm_val_t& o : outs) wasm_val_delete(&o);
    return status;
  };
}

absl::StatusOr<Func> NewCFunc(wasm_store_t* store, const FuncType& type,
                              CCallback call) {
  absl::StatusOr<HostFunc> host = HostFunc::NewUnchecked(
      store->engine, type, CUncheckedFn(store, type, call));
  if (!host.ok()) return host.status();
  return host->IntoFunc(store->store);
}

}  // namespace kiln::capi

using kiln::capi::RefKind;

wasm_ref_t* wasm_extern_t::Copy() const {
  return kiln::capi::NewExtern(store, ext);
}

const void* wasm_extern_t::Identity() const {
  switch (ext.kind()) {
    case kiln::wasm::ExternKind::kFunction: return ext.func()->raw();
    case kiln::wasm::ExternKind::kGlobal: return ext.global()->raw();
    case kiln::wasm::ExternKind::kTable: return ext.table()->raw();
    case kiln::wasm::ExternKind::kMemory: return ext.memory()->raw();
  }
  return this;
}

namespace {
// Host info lives in the store for objects the store owns, in the handle
// for modules and traps.
kiln::capi::HostInfo* InfoOf(const wasm_ref_t* r, bool create) {
  if (r->kind == RefKind::kModule || r->kind == RefKind::kTrap ||
      r->store == nullptr) {
    return const_cast<kiln::capi::HostInfo*>(&r->own_info);
  }
  auto& map = r->store->host_info;
  if (create) return &map[r->Identity()];
  auto it = map.find(r->Identity());
  return it == map.end() ? nullptr : &it->second;
}
}  // namespace

extern "C" {

void wasm_val_delete(wasm_val_t* v) {
  if (wasm_valkind_is_ref(v->kind) && v->of.ref != nullptr) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = nullptr;
  }
}

void wasm_val_copy(wasm_val_t* out, const wasm_val_t* v) {
  *out = *v;
  if (wasm_valkind_is_ref(v->kind) && v->of.ref != nullptr) {
    out->of.ref = v->of.ref->Copy();
  }
}

// --- wasm_ref_t itself
void wasm_ref_delete(wasm_ref_t* r) { delete r; }
wasm_ref_t* wasm_ref_copy(const wasm_ref_t* r) {
  return r == nullptr ? nullptr : r->Copy();
}
bool wasm_ref_same(const wasm_ref_t* a, const wasm_ref_t* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return a->kind == b->kind && a->Identity() == b->Identity();
}
void* wasm_ref_get_host_info(const wasm_ref_t* r) {
  kiln::capi::HostInfo* info = InfoOf(r, false);
  return info == nullptr ? nullptr : info->info;
}
void wasm_ref_set_host_info(wasm_ref_t* r, void* info) {
  kiln::capi::HostInfo* h = InfoOf(r, true);
  h->info = info;
  h->finalizer = nullptr;
}
void wasm_ref_set_host_info_with_finalizer(wasm_ref_t* r, void* info,
                                           void (*finalizer)(void*)) {
  kiln::capi::HostInfo* h = InfoOf(r, true);
  h->info = info;
  h->finalizer = finalizer;
}

}  // extern "C"

// Every other reference type: the same operations, typed, and the casts.
#define KILN_CAPI_REF(name, KIND)                                             \
  extern "C" void wasm_##name##_delete(wasm_##name##_t* r) { delete r; }      \
  extern "C" wasm_##name##_t* wasm_##name##_copy(const wasm_##name##_t* r) {  \
    return static_cast<wasm_##name##_t*>(r->Copy());                          \
  }                                                                           \
  extern "C" bool wasm_##name##_same(const wasm_##name##_t* a,                \
                                     const wasm_##name##_t* b) {              \
    return wasm_ref_same(a, b);                                               \
  }                                                                           \
  extern "C" void* wasm_##name##_get_host_info(const wasm_##name##_t* r) {    \
    return wasm_ref_get_host_info(r);                                         \
  }                                                                           \
  extern "C" void wasm_##name##_set_host_info(wasm_##name##_t* r,             \
                                              void* info) {                   \
    wasm_ref_set_host_info(r, info);                                          \
  }                                                                           \
  extern "C" void wasm_##name##_set_host_info_with_finalizer(                 \
      wasm_##name##_t* r, void* info, void (*finalizer)(void*)) {             \
    wasm_ref_set_host_info_with_finalizer(r, info, finalizer);                \
  }                                                                           \
  extern "C" wasm_ref_t* wasm_##name##_as_ref(wasm_##name##_t* r) {           \
    return r;                                                                 \
  }                                                                           \
  extern "C" const wasm_ref_t* wasm_##name##_as_ref_const(                    \
      const wasm_##name##_t* r) {                                             \
    return r;                                                                 \
  }                                                                           \
  extern "C" wasm_##name##_t* wasm_ref_as_##name(wasm_ref_t* r) {             \
    return r != nullptr && (KIND) ? static_cast<wasm_##name##_t*>(r)          \
                                  : nullptr;                                  \
  }                                                                           \
  extern "C" const wasm_##name##_t* wasm_ref_as_##name##_const(               \
      const wasm_ref_t* r) {                                                  \
    return r != nullptr && (KIND) ? static_cast<const wasm_##name##_t*>(r)    \
                                  : nullptr;                                  \
  }

KILN_CAPI_REF(func, r->kind == RefKind::kFunc)
KILN_CAPI_REF(global, r->kind == RefKind::kGlobal)
KILN_CAPI_REF(table, r->kind == RefKind::kTable)
KILN_CAPI_REF(memory, r->kind == RefKind::kMemory)
KILN_CAPI_REF(extern, r->kind == RefKind::kFunc || r->kind == RefKind::kGlobal ||
                          r->kind == RefKind::kTable ||
                          r->kind == RefKind::kMemory)
KILN_CAPI_REF(instance, r->kind == RefKind::kInstance)
KILN_CAPI_REF(module, r->kind == RefKind::kModule)
KILN_CAPI_REF(foreign, r->kind == RefKind::kForeign)
KILN_CAPI_REF(trap, r->kind == RefKind::kTrap)
