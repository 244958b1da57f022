#include "linker/linker.h"

#include <cstdio>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "engine/import_type.h"

namespace kiln {
namespace {

// StrCat over std::string_view (Debian's abseil has its own string_view).
inline std::string_view Piece(std::string_view s) { return s; }
inline std::string_view Piece(const std::string& s) { return s; }
inline std::string_view Piece(const char* s) { return s; }
template <typename... A>
std::string Cat(const A&... a) {
  std::string out;
  (out.append(Piece(a)), ...);
  return out;
}

std::string Name(std::string_view module, std::string_view name) {
  return Cat("`", module, "::", name, "`");
}

absl::Status OtherStore(std::string_view what) {
  return absl::InvalidArgumentError(
      Cat(what, ": object used with the wrong store"));
}

}  // namespace

// --- Definition

wasm::ExternKind Definition::kind() const {
  if (std::holds_alternative<HostFunc>(item)) return wasm::ExternKind::kFunction;
  return std::get<Extern>(item).kind();
}

// --- InstancePreBase

Result<Instance> InstancePreBase::Instantiate(StoreOpaque& store) const {
  if (store.sync_call_refused()) {
    return internal::SyncCallRefusedError("InstancePre::Instantiate");
  }
  const State& s = *state_;
  if (!(store.engine() == s.module.engine())) {
    return absl::InvalidArgumentError(
        "InstancePre::Instantiate: the store belongs to a different engine "
        "than the module");
  }
  absl::InlinedVector<Extern, 16> imports;
  imports.reserve(s.items.size());
  for (const Item& item : s.items) {
    if (const HostFunc* h = std::get_if<HostFunc>(&item.def.item)) {
      absl::StatusOr<Func> f = h->IntoFunc(store);
      if (!f.ok()) return f.status();
      imports.push_back(*f);
      continue;
    }
    // Types were checked by InstantiatePre; the store must be the one the
    // item belongs to (it may have been freed since).
    if (item.def.store != store.id()) {
      return OtherStore(Cat("import ", Name(item.module, item.name)));
    }
    imports.push_back(std::get<Extern>(item.def.item));
  }
  return internal::InstantiateChecked(store, s.module, imports);
}

// --- LinkerBase: names

LinkerBase::LinkerBase(const Engine& engine) : engine_(engine) {
  absl::StatusOr<HostFunc> nop = HostFunc::Wrap(engine_, [] {});
  if (nop.ok()) nop_ = *std::move(nop);
}

uint32_t LinkerBase::Intern(std::string_view s) {
  auto it = string_ids_.find(absl::string_view(s.data(), s.size()));
  if (it != string_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(strings_.size());
  strings_.emplace_back(s);
  string_ids_.emplace(std::string(s), id);
  return id;
}

std::optional<uint32_t> LinkerBase::FindId(std::string_view s) const {
  auto it = string_ids_.find(absl::string_view(s.data(), s.size()));
  if (it == string_ids_.end()) return std::nullopt;
  return it->second;
}

std::optional<ImportKey> LinkerBase::FindKey(std::string_view module,
                                             std::string_view name) const {
  std::optional<uint32_t> m = FindId(module);
  if (!m.has_value()) return std::nullopt;
  std::optional<uint32_t> n = FindId(name);
  if (!n.has_value()) return std::nullopt;
  return ImportKey{*m, *n};
}

const Definition* LinkerBase::Find(std::string_view module,
                                   std::string_view name) const {
  std::optional<ImportKey> key = FindKey(module, name);
  if (!key.has_value()) return nullptr;
  auto it = map_.find(*key);
  return it == map_.end() ? nullptr : &it->second;
}

std::string LinkerBase::KeyName(ImportKey key) const {
  if (key.name_id == ImportKey::kOneLevel) {
    return Cat("`", strings_[key.module_id], "`");
  }
  return Name(strings_[key.module_id], strings_[key.name_id]);
}

absl::Status LinkerBase::InsertKey(ImportKey key, Definition def) {
  auto [it, inserted] = map_.try_emplace(key, def);
  if (!inserted) {
    if (!allow_shadowing_) {
      return absl::AlreadyExistsError(
          Cat("import of ", KeyName(key), " defined twice"));
    }
    it->second = std::move(def);
  }
  return absl::OkStatus();
}

absl::Status LinkerBase::Insert(std::string_view module, std::string_view name,
                                Definition def) {
  const uint32_t m = Intern(module);
  const uint32_t n = Intern(name);
  return InsertKey(ImportKey{m, n}, std::move(def));
}

// --- LinkerBase: defining

absl::Status LinkerBase::Define(StoreOpaque& store, std::string_view module,
                                std::string_view name, const Extern& item) {
  if (!(store.engine() == engine_)) {
    return absl::InvalidArgumentError(Cat(
        "define ", Name(module, name),
        ": the store belongs to a different engine than the linker"));
  }
  if (!item.OwnedBy(store)) {
    return OtherStore(Cat("define ", Name(module, name)));
  }
  return Insert(module, name, Definition{item, store.id()});
}

absl::Status LinkerBase::Define(std::string_view module, std::string_view name,
                                const Extern& item) {
  // Nothing of the item is read here: its store may be gone already. The
  // instantiating store is checked against item.store_id() when used.
  return Insert(module, name, Definition{item, item.store_id()});
}

absl::Status LinkerBase::Define(std::string_view module, std::string_view name,
                                const HostFunc& func) {
  if (!(func.engine() == engine_)) {
    return absl::InvalidArgumentError(Cat(
        "define ", Name(module, name),
        ": the host function belongs to a different engine than the linker"));
  }
  return Insert(module, name, Definition{func, StoreId()});
}

absl::Status LinkerBase::DefineName(StoreOpaque& store, std::string_view name,
                                    const Extern& item) {
  if (!(store.engine() == engine_)) {
    return absl::InvalidArgumentError(Cat(
        "define `", name,
        "`: the store belongs to a different engine than the linker"));
  }
  if (!item.OwnedBy(store)) {
    return OtherStore(Cat("define `", name, "`"));
  }
  return InsertKey(ImportKey{Intern(name), ImportKey::kOneLevel},
                   Definition{item, store.id()});
}

absl::Status LinkerBase::DefineName(std::string_view name, const Extern& item) {
  return InsertKey(ImportKey{Intern(name), ImportKey::kOneLevel},
                   Definition{item, item.store_id()});
}

absl::Status LinkerBase::FuncNew(std::string_view module, std::string_view name,
                                 const FuncType& type, HostFuncNewFn fn,
                                 const void* data_tag) {
  absl::StatusOr<HostFunc> h =
      HostFunc::New(engine_, type, std::move(fn), data_tag);
  if (!h.ok()) return h.status();
  return Define(module, name, *h);
}

absl::Status LinkerBase::FuncNewUnchecked(std::string_view module,
                                          std::string_view name,
                                          const FuncType& type,
                                          HostFuncUncheckedFn fn,
                                          const void* data_tag) {
  absl::StatusOr<HostFunc> h =
      HostFunc::NewUnchecked(engine_, type, std::move(fn), data_tag);
  if (!h.ok()) return h.status();
  return Define(module, name, *h);
}

absl::Status LinkerBase::DefineUnknownImportsAsTraps(
    const kiln::Module& module) {
  if (!(module.engine() == engine_)) {
    return absl::InvalidArgumentError(
        "DefineUnknownImportsAsTraps: the module belongs to a different "
        "engine than the linker");
  }
  for (const wasm::Import& imp : module.info().imports) {
    if (imp.kind != wasm::ExternKind::kFunction) continue;
    if (Find(imp.module, imp.name) != nullptr) continue;
    const FuncType& type =
        engine_.signatures().Lookup(module.type_id(imp.func_type_index));
    std::string message = Cat(
        "unknown import: ", Name(imp.module, imp.name), " has not been defined");
    absl::Status s = FuncNew(
        imp.module, imp.name, type,
        [message](Caller<>&, absl::Span<const Val>, absl::Span<Val>) {
          return absl::NotFoundError(message);
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LinkerBase::Instance(StoreOpaque& store,
                                  std::string_view module_name,
                                  const kiln::Instance& instance) {
  // The store first: only then may the instance be read.
  if (!instance.OwnedBy(store)) {
    return OtherStore(Cat("instance `", module_name, "`"));
  }
  if (!(store.engine() == engine_)) {
    return absl::InvalidArgumentError(Cat(
        "instance `", module_name,
        "`: the store or the instance belongs to a different engine than the "
        "linker"));
  }
  absl::StatusOr<std::vector<std::pair<std::string, Extern>>> all =
      instance.Exports(store);
  if (!all.ok()) return all.status();
  const std::vector<std::pair<std::string, Extern>>& exports = *all;
  if (!allow_shadowing_) {
    for (const auto& [name, ext] : exports) {
      if (Find(module_name, name) != nullptr) {
        return absl::AlreadyExistsError(Cat(
            "import of ", Name(module_name, name), " defined twice"));
      }
    }
  }
  for (const auto& [name, ext] : exports) {
    absl::Status s = Insert(module_name, name, Definition{ext, store.id()});
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// A module exporting `_start` is a Command: each call of one of its
// exported functions instantiates it afresh (imports resolved once, here).
// A module exporting `_initialize` is a Reactor: instantiated once,
// `_initialize` called, its exports defined. Neither: a Reactor without
// initialization.
absl::Status LinkerBase::Module(StoreOpaque& store,
                                std::string_view module_name,
                                const kiln::Module& module) {
  if (!(store.engine() == engine_) || !(module.engine() == engine_)) {
    return absl::InvalidArgumentError(Cat(
        "module `", module_name,
        "`: the store or the module belongs to a different engine than the "
        "linker"));
  }
  const wasm::ModuleInfo& info = module.info();
  std::optional<uint32_t> start = module.FindExport("_start");
  std::optional<uint32_t> init = module.FindExport("_initialize");
  if (start.has_value() && init.has_value()) {
    return absl::InvalidArgumentError(
        "Program cannot be both a Command and a Reactor");
  }
  if (start.has_value() &&
      info.exports[*start].kind != wasm::ExternKind::kFunction) {
    return absl::InvalidArgumentError("`_start` must be a function");
  }
  if (init.has_value()) {
    const wasm::Export& e = info.exports[*init];
    if (e.kind != wasm::ExternKind::kFunction) {
      return absl::InvalidArgumentError("`_initialize` must be a function");
    }
    const FuncType& type = engine_.signatures().Lookup(
        module.type_id(info.functions[e.index].type_index));
    if (!type.params.empty() || !type.results.empty()) {
      return absl::InvalidArgumentError(Cat(
          "`_initialize` must have type () -> (), found ", type.ToString()));
    }
  }
  if (start.has_value()) return CommandModule(store, module_name, module);

  Result<kiln::Instance> instance = Instantiate(store, module);
  if (!instance.ok()) return instance.status();
  if (init.has_value()) {
    absl::StatusOr<Func> f = instance->GetFunc(store, "_initialize");
    if (!f.ok()) return f.status();
    Result<std::vector<Val>> r = f->Call(store, {});
    if (!r.ok()) {
      return absl::Status(
          r.is_trap() ? absl::StatusCode::kAborted : r.status().code(),
          Cat("calling the Reactor initialization function: ",
                       r.is_trap() ? r.trap().ToString()
                                   : std::string(r.status().message())));
    }
  }
  return Instance(store, module_name, *instance);
}

absl::Status LinkerBase::CommandModule(StoreOpaque& store,
                                       std::string_view module_name,
                                       const kiln::Module& module) {
  const wasm::ModuleInfo& info = module.info();
  absl::StatusOr<InstancePreBase> pre = InstantiatePreBase(store, module);
  if (!pre.ok()) return pre.status();
  for (const wasm::Export& e : info.exports) {
    if (e.kind == wasm::ExternKind::kFunction) continue;
    if (e.name == "memory" || e.name == "table" ||
        e.name == "__indirect_function_table") {
      continue;
    }
    if (e.kind == wasm::ExternKind::kGlobal &&
        (e.name == "__data_end" || e.name == "__heap_base" ||
         e.name == "__dso_handle" || e.name == "__rtti_base")) {
      std::fprintf(stderr,
                   "warning: command module exporting '%s' is deprecated\n",
                   e.name.c_str());
      continue;
    }
    if (!allow_unknown_exports_) {
      return absl::InvalidArgumentError(
          Cat("command export '", e.name, "' is not a function"));
    }
  }
  if (!allow_shadowing_) {
    for (const wasm::Export& e : info.exports) {
      if (e.kind == wasm::ExternKind::kFunction &&
          Find(module_name, e.name) != nullptr) {
        return absl::AlreadyExistsError(Cat(
            "import of ", Name(module_name, e.name), " defined twice"));
      }
    }
  }
  for (const wasm::Export& e : info.exports) {
    if (e.kind != wasm::ExternKind::kFunction) continue;
    const FuncType& type = engine_.signatures().Lookup(
        module.type_id(info.functions[e.index].type_index));
    InstancePreBase command = *pre;
    std::string export_name = e.name;
    absl::Status s = FuncNew(
        module_name, e.name, type,
        [command, export_name](Caller<>& caller, absl::Span<const Val> params,
                               absl::Span<Val> results) -> absl::Status {
          // A fresh instance for each call.
          Result<kiln::Instance> instance =
              command.Instantiate(caller.store());
          // A trap of the start function or of the export reaches the
          // caller as itself (wasi::ExitCode must see proc_exit).
          if (instance.is_trap()) {
            return internal::PropagateTrap(caller.store(),
                                           std::move(instance.trap()));
          }
          if (!instance.ok()) return instance.status();
          absl::StatusOr<Func> f =
              instance->GetFunc(caller.store(), export_name);
          if (!f.ok()) return f.status();
          Result<void> r = f->Call(caller.store(), params, results);
          if (r.is_trap()) {
            return internal::PropagateTrap(caller.store(), std::move(r.trap()));
          }
          return r.status();
        });
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status LinkerBase::Alias(std::string_view module, std::string_view name,
                               std::string_view as_module,
                               std::string_view as_name) {
  const Definition* def = Find(module, name);
  if (def == nullptr) {
    return absl::NotFoundError(
        Cat("no item named ", Name(module, name), " defined"));
  }
  Definition copy = *def;
  return Insert(as_module, as_name, std::move(copy));
}

absl::Status LinkerBase::AliasModule(std::string_view module,
                                     std::string_view as_module) {
  std::optional<uint32_t> m = FindId(module);
  std::vector<std::pair<uint32_t, Definition>> items;
  if (m.has_value()) {
    for (const auto& [key, def] : map_) {
      if (key.module_id == *m && key.name_id != ImportKey::kOneLevel) {
        items.emplace_back(key.name_id, def);
      }
    }
  }
  const uint32_t as = Intern(as_module);
  if (!allow_shadowing_) {
    for (const auto& [name_id, def] : items) {
      if (map_.contains(ImportKey{as, name_id})) {
        return absl::AlreadyExistsError(Cat(
            "import of ", KeyName(ImportKey{as, name_id}), " defined twice"));
      }
    }
  }
  for (auto& [name_id, def] : items) {
    absl::Status s = InsertKey(ImportKey{as, name_id}, std::move(def));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

// --- LinkerBase: instantiating and looking up

absl::StatusOr<InstancePreBase> LinkerBase::InstantiatePreBase(
    StoreOpaque& store, const kiln::Module& module) const {
  if (!(module.engine() == engine_) || !(store.engine() == engine_)) {
    return absl::InvalidArgumentError(
        "instantiate: the store or the module belongs to a different engine "
        "than the linker");
  }
  const wasm::ModuleInfo& info = module.info();
  auto state = internal::SharedRef<InstancePreBase::State>::Make(
      InstancePreBase::State{module, {}});
  state->items.reserve(info.imports.size());
  const SignatureRegistry& sigs = engine_.signatures();
  for (const wasm::Import& imp : info.imports) {
    const Definition* def = Find(imp.module, imp.name);
    if (def == nullptr) {
      return absl::NotFoundError(Cat(
          "unknown import: ", Name(imp.module, imp.name), " has not been defined"));
    }
    if (const HostFunc* h = std::get_if<HostFunc>(&def->item)) {
      if (imp.kind != wasm::ExternKind::kFunction) {
        return internal::IncompatibleImport(
            imp, wasm::ExternKindName(imp.kind), "func");
      }
      const uint32_t want = module.type_id(imp.func_type_index);
      if (h->type_id() != want) {
        return internal::IncompatibleImport(
            imp, Cat("function ", sigs.Lookup(want).ToString()),
            Cat("function ", sigs.Lookup(h->type_id()).ToString()));
      }
    } else {
      // The store first: only then may the item be read.
      if (def->store != store.id()) {
        return OtherStore(Cat("import ", Name(imp.module, imp.name)));
      }
      if (absl::Status st = internal::CheckImportType(
              store, module, imp, std::get<Extern>(def->item));
          !st.ok()) {
        return st;
      }
    }
    state->items.push_back(InstancePreBase::Item{*def, imp.module, imp.name});
  }
  return InstancePreBase(std::move(state));
}

Result<kiln::Instance> LinkerBase::Instantiate(
    StoreOpaque& store, const kiln::Module& module) const {
  absl::StatusOr<InstancePreBase> pre = InstantiatePreBase(store, module);
  if (!pre.ok()) return pre.status();
  return pre->Instantiate(store);
}

absl::StatusOr<Extern> LinkerBase::Materialize(StoreOpaque& store,
                                               const Definition& def,
                                               std::string_view what) const {
  if (const HostFunc* h = std::get_if<HostFunc>(&def.item)) {
    absl::StatusOr<Func> f = h->IntoFunc(store);
    if (!f.ok()) return f.status();
    return Extern(*f);
  }
  if (def.store != store.id()) return OtherStore(what);
  return std::get<Extern>(def.item);
}

absl::StatusOr<Extern> LinkerBase::Get(StoreOpaque& store,
                                       std::string_view module,
                                       std::string_view name) const {
  const Definition* def = Find(module, name);
  if (def == nullptr) {
    return absl::NotFoundError(
        Cat("no item named ", Name(module, name), " defined"));
  }
  return Materialize(store, *def, Name(module, name));
}

absl::StatusOr<Extern> LinkerBase::GetByImport(
    StoreOpaque& store, const wasm::Import& import) const {
  return Get(store, import.module, import.name);
}

absl::StatusOr<Extern> LinkerBase::GetName(StoreOpaque& store,
                                           std::string_view name) const {
  std::optional<uint32_t> id = FindId(name);
  auto it = id.has_value() ? map_.find(ImportKey{*id, ImportKey::kOneLevel})
                           : map_.end();
  if (it == map_.end()) {
    return absl::NotFoundError(Cat("no item named `", name, "` defined"));
  }
  return Materialize(store, it->second, Cat("`", name, "`"));
}

absl::StatusOr<Func> LinkerBase::GetDefault(StoreOpaque& store,
                                            std::string_view module) const {
  for (std::string_view name : {std::string_view(""), std::string_view("_start")}) {
    const Definition* def = Find(module, name);
    if (def == nullptr) continue;
    if (def->kind() != wasm::ExternKind::kFunction) {
      return absl::InvalidArgumentError(
          name.empty()
              ? Cat("default export in '", module, "' is not a function")
              : Cat("`_start` in '", module, "' is not a function"));
    }
    absl::StatusOr<Extern> e = Materialize(store, *def, Name(module, name));
    if (!e.ok()) return e.status();
    return *e->func();
  }
  // No default export: a function that does nothing.
  if (!nop_.has_value()) return absl::InternalError("no no-op function");
  return nop_->IntoFunc(store);
}

std::vector<LinkerItem> LinkerBase::Iter(StoreOpaque& store) const {
  std::vector<LinkerItem> out;
  out.reserve(map_.size());
  for (const auto& [key, def] : map_) {
    absl::StatusOr<Extern> e = Materialize(store, def, "");
    if (!e.ok()) continue;
    out.push_back(LinkerItem{
        strings_[key.module_id],
        key.name_id == ImportKey::kOneLevel ? std::string()
                                            : strings_[key.name_id],
        *e});
  }
  return out;
}

void LinkerBase::ForEachDefinition(
    const std::function<void(std::string_view, std::string_view,
                             const Definition&)>& fn) const {
  for (const auto& [key, def] : map_) {
    fn(strings_[key.module_id],
       key.name_id == ImportKey::kOneLevel ? std::string_view()
                                           : std::string_view(strings_[key.name_id]),
       def);
  }
}

}  // namespace kiln
