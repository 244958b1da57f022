#include "engine/instance.h"

#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/internal.h"

namespace kiln {

Result<Instance> Instance::Create(StoreOpaque& store, const Module& module,
                                  absl::Span<const Extern> imports) {
  if (store.sync_call_refused()) {
    return internal::SyncCallRefusedError("Instance::Create");
  }
  if (!(module.engine() == store.engine())) {
    return absl::InvalidArgumentError(
        "the module and the store belong to different engines");
  }
  const wasm::ModuleInfo& info = module.info();
  if (imports.size() != info.imports.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the module has ", info.imports.size(), " imports, got ",
                     imports.size()));
  }
  for (size_t i = 0; i < imports.size(); ++i) {
    // The store first: only then may the handle be read.
    if (!imports[i].OwnedBy(store)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "import `", info.imports[i].module, "::", info.imports[i].name,
          "`: object used with the wrong store"));
    }
    if (absl::Status s =
            internal::CheckImportType(store, module, info.imports[i], imports[i]);
        !s.ok()) {
      return s;
    }
  }
  return internal::InstantiateChecked(store, module, imports);
}

namespace internal {

Result<Instance> InstantiateChecked(StoreOpaque& store, const Module& module,
                                    absl::Span<const Extern> imports) {
  const wasm::ModuleInfo& info = module.info();
  // Inline: instantiation allocates nothing for a few imports.
  absl::InlinedVector<runtime::ImportedFunction, 8> funcs;
  absl::InlinedVector<runtime::ImportedTable, 1> tables;
  absl::InlinedVector<runtime::ImportedMemory, 1> memories;
  absl::InlinedVector<runtime::ImportedGlobal, 4> globals;
  for (const Extern& ext : imports) {
    switch (ext.kind()) {
      case wasm::ExternKind::kFunction: {
        const abi::VMFuncRef* ref = ext.func()->raw();
        funcs.push_back({ref->code, ref->vmctx, ref->type_id});
        break;
      }
      case wasm::ExternKind::kTable:
        tables.push_back({ext.table()->raw(), nullptr});
        break;
      case wasm::ExternKind::kMemory:
        memories.push_back({ext.memory()->raw(), nullptr});
        break;
      case wasm::ExternKind::kGlobal:
        globals.push_back({ext.global()->raw()});
        break;
    }
  }

  internal::ModuleImpl* m = module.impl();
  // Resource limits (engine/limits.h): the store's instance / memory /
  // table counts; sizes are checked by the runtime through config.limiter.
  if (absl::Status s = internal::AdmitInstance(
          store, info.memories.size() - info.num_imported_memories,
          info.tables.size() - info.num_imported_tables);
      !s.ok()) {
    return s;
  }
  runtime::InstanceConfig config;
  config.module = m->info.get();
  config.type_ids = m->type_ids;
  config.function_code = m->function_code;
  config.imported_functions = funcs;
  config.imported_tables = tables;
  config.imported_memories = memories;
  config.imported_globals = globals;
  config.limits = store.runtime_limits();
  config.store = &store;
  config.funcref_table_init_bit = internal::kFuncRefTableInitBit;
  config.memory_images = internal::MemoryImageFor(*m);  // built on first use
  config.limiter = store.limiter_hook();
  config.memory_options.max_bytes64 = store.engine().config().memory64_max_bytes;
  config.table_images = m->table_images.get();
  config.offsets = m->offsets.has_value() ? &*m->offsets : nullptr;
  internal::EngineImpl* engine = store.engine().impl();
  if (engine->allocator == nullptr) return engine->allocator_status;
  config.allocator = engine->allocator.get();
  config.module_id = m->id;  // also names its memory images (one a memory)
  absl::StatusOr<std::unique_ptr<runtime::Instance>> rt =
      runtime::Instance::Create(config);
  if (!rt.ok()) return rt.status();

  auto data = std::make_unique<internal::InstanceData>(
      internal::InstanceData{module.LocalHandle(), *std::move(rt)});
  internal::InstanceData* raw = data.get();
  store.impl().instances.push_back(std::move(data));
  raw->instance->set_host_data(raw);  // for Caller::GetExport

  if (std::optional<TrapCode> trap = raw->instance->Initialize()) {
    return Trap(*trap);
  }
  if (info.start.has_value()) {
    Func start =
        Func::FromRaw(store.id(), raw->instance->func_ref(*info.start));
    ValRaw values[1] = {};
    Result<void> r = start.CallRaw(store, values);
    if (r.is_trap()) return std::move(r.trap());
    if (!r.ok()) return r.status();
  }
  return Instance(store.id(), raw);
}

std::optional<Extern> InstanceExport(StoreId store, InstanceData& data,
                                     std::string_view name) {
  std::optional<uint32_t> index = data.module.FindExport(name);
  if (!index.has_value()) return std::nullopt;
  const wasm::Export& e = data.module.info().exports[*index];
  runtime::Instance& rt = *data.instance;
  switch (e.kind) {
    case wasm::ExternKind::kFunction:
      return Extern(Func::FromRaw(store, rt.func_ref(e.index)));
    case wasm::ExternKind::kTable:
      return Extern(Table::FromRaw(store, rt.table(e.index)));
    case wasm::ExternKind::kMemory:
      return Extern(Memory::FromRaw(store, rt.memory(e.index)));
    case wasm::ExternKind::kGlobal:
      return Extern(Global::FromRaw(store, rt.global(e.index),
                                    data.module.info().globals[e.index].type));
  }
  return std::nullopt;
}
}  // namespace internal

absl::StatusOr<Extern> Instance::GetExport(StoreOpaque& store,
                                           std::string_view name) const {
  if (!OwnedBy(store)) return WrongStoreError();
  std::optional<Extern> e = internal::InstanceExport(store_, *data_, name);
  if (!e.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "no export named \"", absl::string_view(name.data(), name.size()),
        "\""));
  }
  return *e;
}

namespace {
// An export of one kind, or NotFound naming the kind.
template <typename H>
absl::StatusOr<H> ExportOfKind(absl::StatusOr<Extern> e, std::string_view name,
                               const H* (Extern::*get)() const,
                               const char* kind) {
  if (!e.ok()) {
    if (e.status().code() != absl::StatusCode::kNotFound) return e.status();
  } else if (const H* h = ((*e).*get)()) {
    return *h;
  }
  return absl::NotFoundError(
      absl::StrCat("no ", kind, " export named \"",
                   absl::string_view(name.data(), name.size()), "\""));
}
}  // namespace

absl::StatusOr<Func> Instance::GetFunc(StoreOpaque& store,
                                       std::string_view name) const {
  return ExportOfKind<Func>(GetExport(store, name), name, &Extern::func,
                            "function");
}
absl::StatusOr<Memory> Instance::GetMemory(StoreOpaque& store,
                                           std::string_view name) const {
  return ExportOfKind<Memory>(GetExport(store, name), name, &Extern::memory,
                              "memory");
}
absl::StatusOr<Table> Instance::GetTable(StoreOpaque& store,
                                         std::string_view name) const {
  return ExportOfKind<Table>(GetExport(store, name), name, &Extern::table,
                             "table");
}
absl::StatusOr<Global> Instance::GetGlobal(StoreOpaque& store,
                                           std::string_view name) const {
  return ExportOfKind<Global>(GetExport(store, name), name, &Extern::global,
                              "global");
}

absl::StatusOr<std::vector<std::pair<std::string, Extern>>> Instance::Exports(
    StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  std::vector<std::pair<std::string, Extern>> out;
  for (const wasm::Export& e : data_->module.info().exports) {
    out.emplace_back(e.name,
                     *internal::InstanceExport(store_, *data_, e.name));
  }
  return out;
}

absl::StatusOr<Module> Instance::module(const StoreOpaque& store) const {
  if (!OwnedBy(store)) return WrongStoreError();
  return data_->module;
}

}  // namespace kiln
