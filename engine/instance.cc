#include "engine/instance.h"

#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/internal.h"

namespace kiln {
namespace {

std::string LimitsString(const wasm::Limits& l) {
  return l.max.has_value() ? absl::StrCat("{min ", l.min, ", max ", *l.max, "}")
                           : absl::StrCat("{min ", l.min, "}");
}

// Extern subtyping of limits (WebAssembly 2.0 import matching).
bool LimitsMatch(const wasm::Limits& actual, const wasm::Limits& expected) {
  if (actual.min < expected.min) return false;
  if (expected.max.has_value()) {
    if (!actual.max.has_value() || *actual.max > *expected.max) return false;
  }
  return true;
}

absl::Status Incompatible(const wasm::Import& imp, const std::string& detail) {
  return absl::InvalidArgumentError(
      absl::StrCat("incompatible import type for \"", imp.module, "\" \"",
                   imp.name, "\": ", detail));
}

std::string GlobalTypeString(const wasm::GlobalType& t) {
  return absl::StrCat(t.mutable_ ? "mut " : "", wasm::ValTypeName(t.type));
}

}  // namespace

Result<Instance> Instance::Create(StoreOpaque& store, const Module& module,
                                  absl::Span<const Extern> imports) {
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
  // Inline: instantiation allocates nothing for a few imports.
  absl::InlinedVector<runtime::ImportedFunction, 8> funcs;
  absl::InlinedVector<runtime::ImportedTable, 1> tables;
  absl::InlinedVector<runtime::ImportedMemory, 1> memories;
  absl::InlinedVector<runtime::ImportedGlobal, 4> globals;
  SignatureRegistry& sigs = store.engine().signatures();
  for (size_t i = 0; i < imports.size(); ++i) {
    const wasm::Import& imp = info.imports[i];
    const Extern& ext = imports[i];
    if (ext.kind() != imp.kind) {
      return Incompatible(
          imp, absl::StrCat("expected a ", wasm::ExternKindName(imp.kind),
                            ", got a ", wasm::ExternKindName(ext.kind())));
    }
    switch (imp.kind) {
      case wasm::ExternKind::kFunction: {
        const Func& f = *ext.func();
        const uint32_t want = module.type_id(imp.func_type_index);
        if (f.type_id() != want) {
          return Incompatible(
              imp, absl::StrCat("expected function ", sigs.Lookup(want).ToString(),
                                ", got ", f.type(store).ToString()));
        }
        funcs.push_back({f.raw()->code, f.raw()->vmctx, f.type_id()});
        break;
      }
      case wasm::ExternKind::kTable: {
        const Table& t = *ext.table();
        TableType actual = t.type(store);
        if (actual.elem_type != imp.table.elem_type ||
            !LimitsMatch(actual.limits, imp.table.limits)) {
          return Incompatible(
              imp, absl::StrCat("expected table ",
                                wasm::ValTypeName(imp.table.elem_type), " ",
                                LimitsString(imp.table.limits), ", got ",
                                wasm::ValTypeName(actual.elem_type), " ",
                                LimitsString(actual.limits)));
        }
        tables.push_back({t.raw(), nullptr});
        break;
      }
      case wasm::ExternKind::kMemory: {
        const Memory& m = *ext.memory();
        MemoryType actual = m.type(store);
        if (!LimitsMatch(actual.limits, imp.memory.limits)) {
          return Incompatible(
              imp, absl::StrCat("expected memory ",
                                LimitsString(imp.memory.limits), ", got ",
                                LimitsString(actual.limits)));
        }
        memories.push_back({m.raw(), nullptr});
        break;
      }
      case wasm::ExternKind::kGlobal: {
        const Global& g = *ext.global();
        if (!(g.type() == imp.global)) {
          return Incompatible(
              imp, absl::StrCat("expected global ", GlobalTypeString(imp.global),
                                ", got ", GlobalTypeString(g.type())));
        }
        globals.push_back({g.raw()});
        break;
      }
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
  config.memory_image = internal::MemoryImageFor(*m);  // built on first use
  config.limiter = store.limiter_hook();
  config.table_images = m->table_images.get();
  config.offsets = m->offsets.has_value() ? &*m->offsets : nullptr;
  if (store.engine().config().allocation_strategy ==
      InstanceAllocationStrategy::kPooling) {
    internal::EngineImpl* engine = store.engine().impl();
    if (engine->pool == nullptr) return engine->pool_status;
    config.allocator = engine->pool.get();
    config.module_id = m->id;  // also names its (one) memory image
  }
  absl::StatusOr<std::unique_ptr<runtime::Instance>> rt =
      runtime::Instance::Create(config);
  if (!rt.ok()) return rt.status();

  auto data = std::make_unique<internal::InstanceData>(
      internal::InstanceData{module, *std::move(rt)});
  internal::InstanceData* raw = data.get();
  store.impl().instances.push_back(std::move(data));
  raw->instance->set_host_data(raw);  // for Caller::GetExport

  if (std::optional<TrapCode> trap = raw->instance->Initialize()) {
    return Trap(*trap);
  }
  if (info.start.has_value()) {
    Func start = Func::FromRaw(raw->instance->func_ref(*info.start));
    ValRaw values[1] = {};
    Result<void> r = start.CallRaw(store, values);
    if (r.is_trap()) return std::move(r.trap());
    if (!r.ok()) return r.status();
  }
  return Instance(raw);
}

namespace internal {
std::optional<Extern> InstanceExport(InstanceData& data,
                                     std::string_view name) {
  std::optional<uint32_t> index = data.module.FindExport(name);
  if (!index.has_value()) return std::nullopt;
  const wasm::Export& e = data.module.info().exports[*index];
  runtime::Instance& rt = *data.instance;
  switch (e.kind) {
    case wasm::ExternKind::kFunction:
      return Extern(Func::FromRaw(rt.func_ref(e.index)));
    case wasm::ExternKind::kTable:
      return Extern(Table::FromRaw(rt.table(e.index)));
    case wasm::ExternKind::kMemory:
      return Extern(Memory::FromRaw(rt.memory(e.index)));
    case wasm::ExternKind::kGlobal:
      return Extern(Global::FromRaw(rt.global(e.index),
                                    data.module.info().globals[e.index].type));
  }
  return std::nullopt;
}
}  // namespace internal

std::optional<Extern> Instance::GetExport(StoreOpaque&,
                                          std::string_view name) const {
  return internal::InstanceExport(*data_, name);
}

std::optional<Func> Instance::GetFunc(StoreOpaque& store,
                                      std::string_view name) const {
  std::optional<Extern> e = GetExport(store, name);
  if (!e.has_value() || e->func() == nullptr) return std::nullopt;
  return *e->func();
}
std::optional<Memory> Instance::GetMemory(StoreOpaque& store,
                                          std::string_view name) const {
  std::optional<Extern> e = GetExport(store, name);
  if (!e.has_value() || e->memory() == nullptr) return std::nullopt;
  return *e->memory();
}
std::optional<Table> Instance::GetTable(StoreOpaque& store,
                                        std::string_view name) const {
  std::optional<Extern> e = GetExport(store, name);
  if (!e.has_value() || e->table() == nullptr) return std::nullopt;
  return *e->table();
}
std::optional<Global> Instance::GetGlobal(StoreOpaque& store,
                                          std::string_view name) const {
  std::optional<Extern> e = GetExport(store, name);
  if (!e.has_value() || e->global() == nullptr) return std::nullopt;
  return *e->global();
}

std::vector<std::pair<std::string, Extern>> Instance::Exports(
    StoreOpaque& store) const {
  std::vector<std::pair<std::string, Extern>> out;
  for (const wasm::Export& e : data_->module.info().exports) {
    out.emplace_back(e.name, *GetExport(store, e.name));
  }
  return out;
}

const Module& Instance::module() const { return data_->module; }

}  // namespace kiln
