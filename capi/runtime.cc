// The runtime objects of wasm.h: configuration, engine, store, modules,
// functions, globals, tables, memories, externs, instances, traps, frames
// and foreign objects, over Kiln's C++ API.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "capi/internal.h"

using kiln::capi::FromVal;
using kiln::capi::NewExtern;
using kiln::capi::NewTrap;
using kiln::capi::NewTrapFromStatus;
using kiln::capi::RefKind;
using kiln::capi::ToVal;

wasm_store_t::wasm_store_t(const kiln::Engine& e)
    : engine(e), store(e, kiln::capi::StoreData{}) {
  store.data().c_store = this;
}

wasm_store_t::~wasm_store_t() {
  for (auto& [identity, info] : host_info) info.Finalize();
  for (kiln::capi::HostInfo& env : env_finalizers) env.Finalize();
}

const void* wasm_instance_t::Identity() const { return instance.identity(); }

namespace {

// The handles' store, for the accessors that take none in wasm.h.
kiln::Store<kiln::capi::StoreData>& StoreOf(const wasm_ref_t* r) {
  return r->store->store;
}

}  // namespace

extern "C" {

// --- Configuration, engine, store
wasm_config_t* wasm_config_new(void) { return new wasm_config_t; }
void wasm_config_delete(wasm_config_t* c) { delete c; }

wasm_engine_t* wasm_engine_new(void) {
  return new wasm_engine_t{kiln::Engine()};
}
wasm_engine_t* wasm_engine_new_with_config(wasm_config_t* config) {
  auto* e = new wasm_engine_t{kiln::Engine(config->config)};
  delete config;
  return e;
}
void wasm_engine_delete(wasm_engine_t* e) { delete e; }

wasm_store_t* wasm_store_new(wasm_engine_t* engine) {
  return new wasm_store_t(engine->engine);
}
void wasm_store_delete(wasm_store_t* s) { delete s; }

// --- Modules
wasm_module_t* wasm_module_new(wasm_store_t* store,
                               const wasm_byte_vec_t* binary) {
  absl::StatusOr<kiln::Module> m = kiln::Module::FromBinary(
      store->engine, absl::MakeConstSpan(
                         reinterpret_cast<const uint8_t*>(binary->data),
                         binary->size));
  if (!m.ok()) return nullptr;
  return new wasm_module_t(store, *std::move(m));
}

bool wasm_module_validate(wasm_store_t* store, const wasm_byte_vec_t* binary) {
  return kiln::Module::FromBinary(
             store->engine,
             absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(binary->data),
                                 binary->size))
      .ok();
}

void wasm_module_imports(const wasm_module_t* m, wasm_importtype_vec_t* out) {
  const kiln::wasm::ModuleInfo& info = m->module.info();
  wasm_importtype_vec_new_uninitialized(out, info.imports.size());
  // Index spaces count imports first, in order.
  uint32_t funcs = 0, tables = 0, memories = 0, globals = 0;
  for (size_t i = 0; i < info.imports.size(); ++i) {
    const kiln::wasm::Import& imp = info.imports[i];
    uint32_t index = 0;
    switch (imp.kind) {
      case kiln::wasm::ExternKind::kFunction: index = funcs++; break;
      case kiln::wasm::ExternKind::kTable: index = tables++; break;
      case kiln::wasm::ExternKind::kMemory: index = memories++; break;
      case kiln::wasm::ExternKind::kGlobal: index = globals++; break;
    }
    auto* t = new wasm_importtype_t;
    kiln::capi::SetName(&t->module, imp.module);
    kiln::capi::SetName(&t->name, imp.name);
    t->type = kiln::capi::NewExternType(info, imp.kind, index,
                                        m->module.engine());
    out->data[i] = t;
  }
}

void wasm_module_exports(const wasm_module_t* m, wasm_exporttype_vec_t* out) {
  const kiln::wasm::ModuleInfo& info = m->module.info();
  wasm_exporttype_vec_new_uninitialized(out, info.exports.size());
  for (size_t i = 0; i < info.exports.size(); ++i) {
    const kiln::wasm::Export& e = info.exports[i];
    auto* t = new wasm_exporttype_t;
    kiln::capi::SetName(&t->name, e.name);
    t->type = kiln::capi::NewExternType(info, e.kind, e.index,
                                        m->module.engine());
    out->data[i] = t;
  }
}

void wasm_module_serialize(const wasm_module_t* m, wasm_byte_vec_t* out) {
  absl::StatusOr<std::vector<uint8_t>> bytes = m->module.Serialize();
  if (!bytes.ok()) {
    wasm_byte_vec_new_empty(out);
    return;
  }
  wasm_byte_vec_new(out, bytes->size(),
                    reinterpret_cast<const wasm_byte_t*>(bytes->data()));
}

wasm_module_t* wasm_module_deserialize(wasm_store_t* store,
                                       const wasm_byte_vec_t* bytes) {
  absl::StatusOr<kiln::Module> m = kiln::Module::Deserialize(
      store->engine,
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(bytes->data),
                          bytes->size));
  if (!m.ok()) return nullptr;
  return new wasm_module_t(store, *std::move(m));
}

wasm_shared_module_t* wasm_module_share(const wasm_module_t* m) {
  return new wasm_shared_module_t{m->module};
}
void wasm_shared_module_delete(wasm_shared_module_t* m) { delete m; }
wasm_module_t* wasm_module_obtain(wasm_store_t* store,
                                  const wasm_shared_module_t* shared) {
  if (!(shared->module.engine() == store->engine)) return nullptr;
  return new wasm_module_t(store, shared->module);
}

// --- Functions
wasm_func_t* wasm_func_new(wasm_store_t* store, const wasm_functype_t* type,
                           wasm_func_callback_t callback) {
  absl::StatusOr<kiln::Func> f = kiln::capi::NewCFunc(
      store, kiln::capi::ToFuncType(*type),
      kiln::capi::CCallback{callback, nullptr, nullptr});
  if (!f.ok()) return nullptr;
  return new wasm_func_t(RefKind::kFunc, store, kiln::Extern(*f));
}

wasm_func_t* wasm_func_new_with_env(wasm_store_t* store,
                                    const wasm_functype_t* type,
                                    wasm_func_callback_with_env_t callback,
                                    void* env, void (*finalizer)(void*)) {
  absl::StatusOr<kiln::Func> f = kiln::capi::NewCFunc(
      store, kiln::capi::ToFuncType(*type),
      kiln::capi::CCallback{nullptr, callback, env});
  if (!f.ok()) return nullptr;
  // The environment lives as long as the function: as long as the store.
  store->env_finalizers.push_back(kiln::capi::HostInfo{env, finalizer});
  return new wasm_func_t(RefKind::kFunc, store, kiln::Extern(*f));
}

wasm_functype_t* wasm_func_type(const wasm_func_t* f) {
  absl::StatusOr<kiln::FuncType> type = f->func().type(StoreOf(f));
  return kiln::capi::NewFuncType(type.ok() ? *type : kiln::FuncType{});
}

size_t wasm_func_param_arity(const wasm_func_t* f) {
  absl::StatusOr<kiln::FuncType> type = f->func().type(StoreOf(f));
  return type.ok() ? type->params.size() : 0;
}

size_t wasm_func_result_arity(const wasm_func_t* f) {
  absl::StatusOr<kiln::FuncType> type = f->func().type(StoreOf(f));
  return type.ok() ? type->results.size() : 0;
}

wasm_trap_t* wasm_func_call(const wasm_func_t* f, const wasm_val_vec_t* args,
                            wasm_val_vec_t* results) {
  wasm_store_t* store = f->store;
  absl::StatusOr<uint32_t> type_id = f->func().type_id(store->store);
  if (!type_id.ok()) return NewTrapFromStatus(store, type_id.status());
  // A reference into the engine's registry: no copy per call.
  const kiln::FuncType& type = store->engine.signatures().Lookup(*type_id);
  const size_t np = type.params.size();
  const size_t nr = type.results.size();
  const size_t nargs = args == nullptr ? 0 : args->size;
  const size_t nresults = results == nullptr ? 0 : results->size;
  if (nargs != np || nresults != nr) {
    return NewTrapFromStatus(
        store, absl::InvalidArgumentError(absl::StrCat(
                   "wasm_func_call: the function ", type.ToString(), " takes ",
                   np, " arguments and ", nr, " results, got ", nargs, " and ",
                   nresults)));
  }
  absl::InlinedVector<kiln::ValRaw, 8> values(std::max<size_t>({np, nr, 1}));
  for (size_t i = 0; i < np; ++i) {
    absl::Status s = kiln::capi::ToRaw(store, type.params[i], args->data[i],
                                       &values[i]);
    if (!s.ok()) {
      return NewTrapFromStatus(
          store, absl::InvalidArgumentError(
                     absl::StrCat("argument ", i, ": ", s.message())));
    }
  }
  kiln::Result<void> r = f->func().CallRaw(store->store, values.data());
  if (r.is_trap()) return NewTrap(store, r.trap());
  if (!r.ok()) return NewTrapFromStatus(store, r.status());
  for (size_t k = 0; k < nr; ++k) {
    kiln::capi::FromRaw(store, type.results[k], values[k], &results->data[k]);
  }
  return nullptr;
}

// --- Globals
wasm_global_t* wasm_global_new(wasm_store_t* store,
                               const wasm_globaltype_t* type,
                               const wasm_val_t* val) {
  std::optional<kiln::ValType> t = kiln::capi::ToValType(type->content.kind);
  absl::StatusOr<kiln::Val> v = ToVal(store, *val);
  if (!t.has_value() || !v.ok()) return nullptr;
  absl::StatusOr<kiln::Global> g = kiln::Global::New(
      store->store, kiln::GlobalType{*t, type->mutability == WASM_VAR}, *v);
  if (!g.ok()) return nullptr;
  return new wasm_global_t(RefKind::kGlobal, store, kiln::Extern(*g));
}

wasm_globaltype_t* wasm_global_type(const wasm_global_t* g) {
  auto* t = new wasm_globaltype_t;
  t->content.kind = kiln::capi::ToValKind(g->global().type().type);
  t->mutability = g->global().type().mutable_ ? WASM_VAR : WASM_CONST;
  return t;
}

void wasm_global_get(const wasm_global_t* g, wasm_val_t* out) {
  absl::StatusOr<kiln::Val> v = g->global().Get(StoreOf(g));
  if (!v.ok()) {
    out->kind = WASM_I32;
    out->of.i64 = 0;
    return;
  }
  FromVal(g->store, *v, out);
}

void wasm_global_set(wasm_global_t* g, const wasm_val_t* val) {
  absl::StatusOr<kiln::Val> v = ToVal(g->store, *val);
  if (v.ok()) (void)g->global().Set(StoreOf(g), *v);
}

// --- Tables
wasm_table_t* wasm_table_new(wasm_store_t* store, const wasm_tabletype_t* type,
                             wasm_ref_t* init) {
  std::optional<kiln::ValType> elem = kiln::capi::ToValType(type->element.kind);
  if (!elem.has_value()) return nullptr;
  absl::StatusOr<kiln::Val> v = kiln::capi::RefToVal(store, init, *elem);
  if (!v.ok()) return nullptr;
  absl::StatusOr<kiln::Table> t = kiln::Table::New(
      store->store,
      kiln::TableType{*elem, kiln::capi::ToLimits(type->limits)}, *v);
  if (!t.ok()) return nullptr;
  return new wasm_table_t(RefKind::kTable, store, kiln::Extern(*t));
}

wasm_tabletype_t* wasm_table_type(const wasm_table_t* t) {
  auto* out = new wasm_tabletype_t;
  absl::StatusOr<kiln::TableType> type = t->table().type(StoreOf(t));
  if (type.ok()) {
    out->element.kind = kiln::capi::ToValKind(type->elem_type);
    out->limits = kiln::capi::FromLimits(type->limits);
  }
  return out;
}

wasm_ref_t* wasm_table_get(const wasm_table_t* t, wasm_table_size_t index) {
  absl::StatusOr<kiln::Val> v = t->table().Get(StoreOf(t), index);
  if (!v.ok()) return nullptr;
  return kiln::capi::ValToRef(t->store, *v);
}

bool wasm_table_set(wasm_table_t* t, wasm_table_size_t index, wasm_ref_t* r) {
  absl::StatusOr<kiln::TableType> type = t->table().type(StoreOf(t));
  if (!type.ok()) return false;
  absl::StatusOr<kiln::Val> v = kiln::capi::RefToVal(t->store, r, type->elem_type);
  return v.ok() && t->table().Set(StoreOf(t), index, *v).ok();
}

wasm_table_size_t wasm_table_size(const wasm_table_t* t) {
  return t->table().size(StoreOf(t)).value_or(0);
}

bool wasm_table_grow(wasm_table_t* t, wasm_table_size_t delta,
                     wasm_ref_t* init) {
  absl::StatusOr<kiln::TableType> type = t->table().type(StoreOf(t));
  if (!type.ok()) return false;
  absl::StatusOr<kiln::Val> v =
      kiln::capi::RefToVal(t->store, init, type->elem_type);
  return v.ok() && t->table().Grow(StoreOf(t), delta, *v).ok();
}

// --- Memories
wasm_memory_t* wasm_memory_new(wasm_store_t* store,
                               const wasm_memorytype_t* type) {
  // The whole type: kiln_memorytype_new may have made it 64-bit or shared.
  absl::StatusOr<kiln::Memory> m = kiln::Memory::New(store->store, type->type);
  if (!m.ok()) return nullptr;
  return new wasm_memory_t(RefKind::kMemory, store, kiln::Extern(*m));
}

wasm_memorytype_t* wasm_memory_type(const wasm_memory_t* m) {
  absl::StatusOr<kiln::MemoryType> type = m->memory().type(StoreOf(m));
  return kiln::capi::NewMemoryType(type.ok() ? *type : kiln::MemoryType{});
}

byte_t* wasm_memory_data(wasm_memory_t* m) {
  absl::StatusOr<uint8_t*> data = m->memory().data(StoreOf(m));
  return data.ok() ? reinterpret_cast<byte_t*>(*data) : nullptr;
}

size_t wasm_memory_data_size(const wasm_memory_t* m) {
  return m->memory().data_size(StoreOf(m)).value_or(0);
}

wasm_memory_pages_t wasm_memory_size(const wasm_memory_t* m) {
  // wasm_memory_pages_t is u32: a 64-bit memory above 2^32 pages saturates.
  return static_cast<wasm_memory_pages_t>(std::min<uint64_t>(
      m->memory().size(StoreOf(m)).value_or(0), UINT32_MAX));
}

bool wasm_memory_grow(wasm_memory_t* m, wasm_memory_pages_t delta) {
  return m->memory().Grow(StoreOf(m), delta).ok();
}

// --- Externs
wasm_externkind_t wasm_extern_kind(const wasm_extern_t* e) {
  switch (e->ext.kind()) {
    case kiln::wasm::ExternKind::kFunction: return WASM_EXTERN_FUNC;
    case kiln::wasm::ExternKind::kGlobal: return WASM_EXTERN_GLOBAL;
    case kiln::wasm::ExternKind::kTable: return WASM_EXTERN_TABLE;
    case kiln::wasm::ExternKind::kMemory: return WASM_EXTERN_MEMORY;
  }
  return WASM_EXTERN_FUNC;
}

wasm_externtype_t* wasm_extern_type(const wasm_extern_t* e) {
  switch (e->ext.kind()) {
    case kiln::wasm::ExternKind::kFunction:
      return wasm_func_type(static_cast<const wasm_func_t*>(e));
    case kiln::wasm::ExternKind::kGlobal:
      return wasm_global_type(static_cast<const wasm_global_t*>(e));
    case kiln::wasm::ExternKind::kTable:
      return wasm_table_type(static_cast<const wasm_table_t*>(e));
    case kiln::wasm::ExternKind::kMemory:
      return wasm_memory_type(static_cast<const wasm_memory_t*>(e));
  }
  return nullptr;
}

}  // extern "C"

#define KILN_CAPI_EXTERN_CASTS(name, KIND)                                    \
  extern "C" wasm_extern_t* wasm_##name##_as_extern(wasm_##name##_t* x) {     \
    return x;                                                                 \
  }                                                                           \
  extern "C" const wasm_extern_t* wasm_##name##_as_extern_const(              \
      const wasm_##name##_t* x) {                                             \
    return x;                                                                 \
  }                                                                           \
  extern "C" wasm_##name##_t* wasm_extern_as_##name(wasm_extern_t* e) {       \
    return e != nullptr && e->kind == KIND ? static_cast<wasm_##name##_t*>(e) \
                                           : nullptr;                         \
  }                                                                           \
  extern "C" const wasm_##name##_t* wasm_extern_as_##name##_const(            \
      const wasm_extern_t* e) {                                               \
    return e != nullptr && e->kind == KIND                                    \
               ? static_cast<const wasm_##name##_t*>(e)                       \
               : nullptr;                                                     \
  }

KILN_CAPI_EXTERN_CASTS(func, RefKind::kFunc)
KILN_CAPI_EXTERN_CASTS(global, RefKind::kGlobal)
KILN_CAPI_EXTERN_CASTS(table, RefKind::kTable)
KILN_CAPI_EXTERN_CASTS(memory, RefKind::kMemory)

extern "C" {

// --- Instances
wasm_instance_t* wasm_instance_new(wasm_store_t* store,
                                   const wasm_module_t* module,
                                   const wasm_extern_vec_t* imports,
                                   wasm_trap_t** trap) {
  if (trap != nullptr) *trap = nullptr;
  absl::InlinedVector<kiln::Extern, 8> externs;
  const size_t n = imports == nullptr ? 0 : imports->size;
  for (size_t i = 0; i < n; ++i) {
    if (imports->data[i] == nullptr) {
      if (trap != nullptr) {
        *trap = NewTrapFromStatus(store, absl::InvalidArgumentError(
                                             absl::StrCat("import ", i,
                                                          " is null")));
      }
      return nullptr;
    }
    externs.push_back(imports->data[i]->ext);
  }
  kiln::Result<kiln::Instance> inst =
      kiln::Instance::Create(store->store, module->module, externs);
  if (inst.ok()) return new wasm_instance_t(store, *inst);
  if (trap != nullptr) {
    *trap = inst.is_trap() ? NewTrap(store, inst.trap())
                           : NewTrapFromStatus(store, inst.status());
  }
  return nullptr;
}

void wasm_instance_exports(const wasm_instance_t* inst, wasm_extern_vec_t* out) {
  absl::StatusOr<std::vector<std::pair<std::string, kiln::Extern>>> exports =
      inst->instance.Exports(inst->store->store);
  if (!exports.ok()) {
    wasm_extern_vec_new_empty(out);
    return;
  }
  wasm_extern_vec_new_uninitialized(out, exports->size());
  for (size_t i = 0; i < exports->size(); ++i) {
    out->data[i] = NewExtern(inst->store, (*exports)[i].second);
  }
}

// --- Traps and frames
wasm_trap_t* wasm_trap_new(wasm_store_t* store, const wasm_message_t* message) {
  std::string text(message->data, message->size);
  // The message is NUL-terminated; the text is what precedes the NUL.
  if (!text.empty() && text.back() == '\0') text.pop_back();
  return new wasm_trap_t(store, kiln::Trap::Host(std::move(text)));
}

void wasm_trap_message(const wasm_trap_t* trap, wasm_message_t* out) {
  const std::string& m = trap->trap.message();
  wasm_byte_vec_new_uninitialized(out, m.size() + 1);
  std::memcpy(out->data, m.data(), m.size());
  out->data[m.size()] = '\0';
}

wasm_frame_t* wasm_trap_origin(const wasm_trap_t* trap) {
  const std::vector<kiln::FrameInfo>& frames = trap->trap.backtrace();
  if (frames.empty()) return nullptr;
  return new wasm_frame_t{frames.front()};
}

void wasm_trap_trace(const wasm_trap_t* trap, wasm_frame_vec_t* out) {
  const std::vector<kiln::FrameInfo>& frames = trap->trap.backtrace();
  wasm_frame_vec_new_uninitialized(out, frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    out->data[i] = new wasm_frame_t{frames[i]};
  }
}

void wasm_frame_delete(wasm_frame_t* f) { delete f; }
wasm_frame_t* wasm_frame_copy(const wasm_frame_t* f) {
  return new wasm_frame_t(*f);
}
// Kiln's frames name the function, not the instance.
wasm_instance_t* wasm_frame_instance(const wasm_frame_t*) { return nullptr; }
uint32_t wasm_frame_func_index(const wasm_frame_t* f) {
  return f->info.func_index;
}
// Offsets of the trapping instruction within the function's code.
size_t wasm_frame_func_offset(const wasm_frame_t* f) {
  return f->info.func_offset;
}
size_t wasm_frame_module_offset(const wasm_frame_t*) { return 0; }

// --- Foreign objects
wasm_foreign_t* wasm_foreign_new(wasm_store_t* store) {
  auto box = std::make_unique<kiln::capi::ExternRefBox>();
  kiln::capi::ExternRefBox* raw = box.get();
  store->externrefs.push_back(std::move(box));
  return new wasm_foreign_t(store, raw);
}

}  // extern "C"
