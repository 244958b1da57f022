// Linker<T>: name-based import resolution over the two-level namespace
// (module, name), with store-independent host functions.
//
// Definitions are keyed by interned strings,
// absl::flat_hash_map<ImportKey{module_id, name_id}, Definition>, where a
// Definition is an Extern owned by a store or an engine-owned HostFunc
// (engine/host_func.h). One Linker, built once, instantiates modules into
// many stores on many threads: the const members (InstantiatePre,
// Instantiate, Get...) only read the Linker; host functions are
// materialized into each store on first use.
//
// The API and semantics follow wasmtime's Linker (2022): shadowing,
// unknown imports as traps, Command / Reactor modules (WASI), aliases,
// default exports, InstancePre. Misuse that wasmtime answers with a panic
// (a store or an instance from another engine or store) is an error status.
//
// Store safety: Linker<T>'s methods take Store<T>& (a Linker<int> with a
// Store<std::string> does not compile); every definition of a store-owned
// item carries its store's StoreId, checked before the item is read, so an
// item of a freed store is an error, never a read of freed memory.
#ifndef KILN_LINKER_LINKER_H_
#define KILN_LINKER_LINKER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "engine/async_call.h"
#include "engine/async_host_func.h"
#include "engine/engine.h"
#include "engine/extern.h"
#include "engine/func.h"
#include "engine/host_func.h"
#include "engine/instance.h"
#include "engine/module.h"
#include "engine/store.h"
#include "engine/trap.h"
#include "wasm/module_info.h"

namespace kiln {

// A (module, name) pair of interned string ids. One-level names
// (DefineName) use kOneLevel as the name.
struct ImportKey {
  static constexpr uint32_t kOneLevel = ~uint32_t{0};
  uint32_t module_id = 0;
  uint32_t name_id = 0;

  friend bool operator==(const ImportKey& a, const ImportKey& b) {
    return a.module_id == b.module_id && a.name_id == b.name_id;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ImportKey& k) {
    return H::combine(std::move(h), k.module_id, k.name_id);
  }
};

// What a name is bound to.
struct Definition {
  std::variant<Extern, HostFunc> item;
  // The store an Extern belongs to; invalid for HostFuncs (any store of the
  // engine).
  StoreId store;

  wasm::ExternKind kind() const;
};

// One definition as iteration reports it.
struct LinkerItem {
  std::string module;
  std::string name;
  Extern item;
};

// Imports resolved and type-checked once, up front (functions by signature,
// tables and memories by limits, globals by type and mutability);
// Instantiate many times, into any store of the engine when no import
// belongs to a store, without checking types again.
class InstancePreBase {
 public:
  const Module& module() const { return state_->module; }

 protected:
  // A handle counted on the calling thread (engine/shared_ref.h): an async
  // instantiation holds one, so instantiations on several threads write
  // no shared reference count.
  InstancePreBase LocalHandle() const {
    return InstancePreBase(state_.Local());
  }
  // Instantiates into `store`. Errors: another engine, an import owned by
  // another store; traps of segments or the start function.
  Result<Instance> Instantiate(StoreOpaque& store) const;

 private:
  friend class LinkerBase;
  struct Item {
    Definition def;
    std::string module;
    std::string name;
  };
  struct State {
    Module module;
    std::vector<Item> items;  // in the module's import order
  };
  explicit InstancePreBase(internal::SharedRef<State> s)
      : state_(std::move(s)) {}
  // Never written after InstantiatePre (shared by copies on any thread).
  internal::SharedRef<State> state_;
};

template <typename T = void>
class InstancePre : public InstancePreBase {
 public:
  explicit InstancePre(InstancePreBase base)
      : InstancePreBase(std::move(base)) {}
  // No type checks here: InstantiatePre did them.
  Result<Instance> Instantiate(Store<T>& store) const {
    return InstancePreBase::Instantiate(store);
  }
  // Async stores (engine/async_call.h): Instantiate (segments, the start
  // function) on the store's fiber when polled. The InstancePre is copied
  // into the call (a shared handle).
  AsyncCall<Instance> InstantiateAsync(Store<T>& store) const {
    return InstantiateAsyncAt(store, "InstancePre::InstantiateAsync");
  }

 private:
  template <typename U>
  friend class Linker;
  AsyncCall<Instance> InstantiateAsyncAt(Store<T>& store,
                                         std::string_view where) const {
    return internal::StartAsync<Instance>(store, where, [&] {
      return [pre = InstancePre(LocalHandle()), s = &store]()
                 -> Result<Instance> { return pre.Instantiate(*s); };
    });
  }
};

// The part of Linker<T> that does not depend on T.
class LinkerBase {
 public:
  explicit LinkerBase(const Engine& engine);

  const Engine& engine() const { return engine_; }

  // A second definition of one module::name is an error unless shadowing
  // is allowed; then the latest wins.
  LinkerBase& AllowShadowing(bool allow) {
    allow_shadowing_ = allow;
    return *this;
  }
  // Command modules (Module()) may export non-functions.
  LinkerBase& AllowUnknownExports(bool allow) {
    allow_unknown_exports_ = allow;
    return *this;
  }

  // Every function import of `module` not yet defined becomes a host
  // function that traps with "unknown import: `m::n` has not been defined".
  absl::Status DefineUnknownImportsAsTraps(const kiln::Module& module);

  // Defines module::name. The item belongs to the store its handle names
  // (checked against the instantiating store when used).
  absl::Status Define(std::string_view module, std::string_view name,
                      const Extern& item);
  absl::Status Define(std::string_view module, std::string_view name,
                      const HostFunc& func);
  // One-level name (module-linking style).
  absl::Status DefineName(std::string_view name, const Extern& item);

  // FuncNew / FuncNewUnchecked: engine-owned host functions of `type`
  // reached through the engine's per-signature trampolines. `data_tag`:
  // see HostFunc::New.
  absl::Status FuncNew(std::string_view module, std::string_view name,
                       const FuncType& type, HostFuncNewFn fn,
                       const void* data_tag = nullptr);
  absl::Status FuncNewUnchecked(std::string_view module, std::string_view name,
                                const FuncType& type, HostFuncUncheckedFn fn,
                                const void* data_tag = nullptr);
  // FuncWrap: see engine/host_func.h. `data_tag`: see HostFunc::New.
  template <typename F>
  absl::Status FuncWrap(std::string_view module, std::string_view name,
                        F&& f, const void* data_tag = nullptr) {
    absl::StatusOr<HostFunc> h =
        HostFunc::Wrap(engine_, std::forward<F>(f), data_tag);
    if (!h.ok()) return h.status();
    return Define(module, name, *h);
  }

  // as_module::as_name names what module::name names.
  absl::Status Alias(std::string_view module, std::string_view name,
                     std::string_view as_module, std::string_view as_name);
  // Every module::x also as as_module::x.
  absl::Status AliasModule(std::string_view module,
                           std::string_view as_module);

  // Every definition, without a store.
  void ForEachDefinition(
      const std::function<void(std::string_view module, std::string_view name,
                               const Definition& def)>& fn) const;
  size_t size() const { return map_.size(); }

 protected:
  // The store-taking methods; Linker<T> exposes them for Store<T> only.
  absl::Status Define(StoreOpaque& store, std::string_view module,
                      std::string_view name, const Extern& item);
  absl::Status DefineName(StoreOpaque& store, std::string_view name,
                          const Extern& item);
  // Defines every export of `instance` under `module_name`.
  absl::Status Instance(StoreOpaque& store, std::string_view module_name,
                        const kiln::Instance& instance);
  // Commands and Reactors (WASI): see the .cc file.
  absl::Status Module(StoreOpaque& store, std::string_view module_name,
                      const kiln::Module& module);
  absl::StatusOr<InstancePreBase> InstantiatePreBase(
      StoreOpaque& store, const kiln::Module& module) const;
  Result<kiln::Instance> Instantiate(StoreOpaque& store,
                                     const kiln::Module& module) const;
  absl::StatusOr<Extern> Get(StoreOpaque& store, std::string_view module,
                             std::string_view name) const;
  absl::StatusOr<Extern> GetByImport(StoreOpaque& store,
                                     const wasm::Import& import) const;
  absl::StatusOr<Extern> GetName(StoreOpaque& store,
                                 std::string_view name) const;
  absl::StatusOr<Func> GetDefault(StoreOpaque& store,
                                  std::string_view module) const;
  std::vector<LinkerItem> Iter(StoreOpaque& store) const;

 private:
  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> FindId(std::string_view s) const;
  std::optional<ImportKey> FindKey(std::string_view module,
                                   std::string_view name) const;
  const Definition* Find(std::string_view module, std::string_view name) const;
  absl::Status Insert(std::string_view module, std::string_view name,
                      Definition def);
  absl::Status InsertKey(ImportKey key, Definition def);
  absl::StatusOr<Extern> Materialize(StoreOpaque& store, const Definition& def,
                                     std::string_view what) const;
  absl::Status CommandModule(StoreOpaque& store, std::string_view module_name,
                             const kiln::Module& module);
  std::string KeyName(ImportKey key) const;

  Engine engine_;
  bool allow_shadowing_ = false;
  bool allow_unknown_exports_ = false;
  absl::flat_hash_map<std::string, uint32_t> string_ids_;
  std::vector<std::string> strings_;
  absl::flat_hash_map<ImportKey, Definition> map_;
  // GetDefault's function that does nothing.
  std::optional<HostFunc> nop_;
};

// Linker<T>: a LinkerBase whose stores are Store<T>. Copyable (copies share
// the HostFuncs). Its host functions run only in a Store<T> (they may read
// the store's T, typed or through Caller<>::data<T>()), even when reached
// through the untyped layer (Definition, HostFunc::IntoFunc).
template <typename T = void>
class Linker : public LinkerBase {
  static const void* DataTag() {
    if constexpr (std::is_void_v<T>) {
      return nullptr;
    } else {
      return internal::StoreDataTag<T>();
    }
  }

 public:
  explicit Linker(const Engine& engine) : LinkerBase(engine) {}

  Linker& AllowShadowing(bool allow) {
    LinkerBase::AllowShadowing(allow);
    return *this;
  }
  Linker& AllowUnknownExports(bool allow) {
    LinkerBase::AllowUnknownExports(allow);
    return *this;
  }

 private:
  static absl::Status AsyncNotEnabled(std::string_view method,
                                      std::string_view where) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(method), ": ", std::string(where),
                     ": the engine's Config::async_support is off"));
  }

 public:
  // FuncWrap: the callable may take `Caller<T>&` (or the untyped
  // `Caller<>&`) first; see engine/host_func.h.
  template <typename F>
  absl::Status FuncWrap(std::string_view module, std::string_view name,
                        F&& f) {
    using Args =
        typename internal::CallableTraits<std::decay_t<F>>::Args;
    using C = typename internal::FirstIsCaller<Args>::type;
    static_assert(std::is_void_v<C> || std::is_same_v<C, Caller<>> ||
                      std::is_same_v<C, Caller<T>>,
                  "FuncWrap: the callable's Caller<U>& must be the "
                  "Linker<T>'s Caller<T>& (or the untyped Caller<>&)");
    return LinkerBase::FuncWrap(module, name, std::forward<F>(f), DataTag());
  }

  // FuncNew: fn(Caller<T>&, span<const Val>, span<Val>) -> Status (or the
  // untyped Caller<>&).
  template <typename F>
  absl::Status FuncNew(std::string_view module, std::string_view name,
                       const FuncType& type, F fn) {
    if constexpr (std::is_invocable_v<F&, Caller<>&, absl::Span<const Val>,
                                      absl::Span<Val>>) {
      return LinkerBase::FuncNew(module, name, type,
                                 HostFuncNewFn(std::move(fn)), DataTag());
    } else {
      return LinkerBase::FuncNew(
          module, name, type,
          [fn = std::move(fn)](Caller<>& caller, absl::Span<const Val> params,
                               absl::Span<Val> results) mutable {
            Caller<T> typed(caller);
            return fn(typed, params, results);
          },
          DataTag());
    }
  }
  // FuncNewUnchecked: fn(Caller<T>&, span<ValRaw>) -> Status (or Caller<>&).
  template <typename F>
  absl::Status FuncNewUnchecked(std::string_view module, std::string_view name,
                                const FuncType& type, F fn) {
    if constexpr (std::is_invocable_v<F&, Caller<>&, absl::Span<ValRaw>>) {
      return LinkerBase::FuncNewUnchecked(module, name, type,
                                          HostFuncUncheckedFn(std::move(fn)),
                                          DataTag());
    } else {
      return LinkerBase::FuncNewUnchecked(
          module, name, type,
          [fn = std::move(fn)](Caller<>& caller,
                               absl::Span<ValRaw> values) mutable {
            Caller<T> typed(caller);
            return fn(typed, values);
          },
          DataTag());
    }
  }

  // FuncWrapAsync: as FuncWrap, but the callable returns a Future<R>
  // (engine/future.h; R void, a wasm scalar or a std::tuple of them): the
  // wasm caller waits for it on its fiber, its thread free for the event
  // loop (engine/async_call.h). The callable may take Caller<T>& first.
  // Needs Config::async_support; called outside an async call, the function
  // traps.
  template <typename F>
  absl::Status FuncWrapAsync(std::string_view module, std::string_view name,
                             F f) {
    const std::string where =
        absl::StrCat("async host function `", std::string(module), "::",
                     std::string(name), "`");
    if (!engine().config().async_support) {
      return AsyncNotEnabled("Linker::FuncWrapAsync", where);
    }
    return FuncWrap(module, name,
                    internal::MakeAsyncWrap<T>(std::move(f), where));
  }
  // FuncNewAsync: fn(Caller<T>&, span<const Val> params) ->
  // Future<std::vector<Val>> (the results, checked against `type`).
  template <typename F>
  absl::Status FuncNewAsync(std::string_view module, std::string_view name,
                            const FuncType& type, F fn) {
    std::string where =
        absl::StrCat("async host function `", std::string(module), "::",
                     std::string(name), "`");
    if (!engine().config().async_support) {
      return AsyncNotEnabled("Linker::FuncNewAsync", where);
    }
    return FuncNew(
        module, name, type,
        [fn = std::move(fn), type, where = std::move(where)](
            Caller<T>& caller, absl::Span<const Val> params,
            absl::Span<Val> results) mutable -> absl::Status {
          Future<std::vector<Val>> future = fn(caller, params);
          return internal::CopyAsyncResults(
              type, where, internal::Await(caller.store(), future, where),
              results);
        });
  }

  // Defines module::name; the item must belong to `store`.
  absl::Status Define(Store<T>& store, std::string_view module,
                      std::string_view name, const Extern& item) {
    return LinkerBase::Define(store, module, name, item);
  }
  // (Not `using LinkerBase::Define`: that would make the StoreOpaque&
  // overload public too.)
  absl::Status Define(std::string_view module, std::string_view name,
                      const Extern& item) {
    return LinkerBase::Define(module, name, item);
  }
  absl::Status Define(std::string_view module, std::string_view name,
                      const HostFunc& func) {
    return LinkerBase::Define(module, name, func);
  }
  absl::Status DefineName(Store<T>& store, std::string_view name,
                          const Extern& item) {
    return LinkerBase::DefineName(store, name, item);
  }
  absl::Status DefineName(std::string_view name, const Extern& item) {
    return LinkerBase::DefineName(name, item);
  }
  // Defines every export of `instance` (of `store`) under `module_name`.
  absl::Status Instance(Store<T>& store, std::string_view module_name,
                        const kiln::Instance& instance) {
    return LinkerBase::Instance(store, module_name, instance);
  }
  // A module exporting `_start` is a Command: each call of one of its
  // exported functions instantiates it afresh, in the caller's store, and
  // a trap there reaches the caller as the same trap. A module exporting
  // `_initialize` (type () -> ()) is a Reactor: instantiated once,
  // `_initialize` called, its exports defined.
  absl::Status Module(Store<T>& store, std::string_view module_name,
                      const kiln::Module& module) {
    return LinkerBase::Module(store, module_name, module);
  }
  // Async stores: Module on the store's fiber when polled (a Reactor's
  // instantiation and `_initialize` may wait on async host functions). The
  // Linker and the store must outlive the call.
  AsyncCall<void> ModuleAsync(Store<T>& store, std::string_view module_name,
                              const kiln::Module& module) {
    return internal::StartAsync<void>(store, "Linker::ModuleAsync", [&] {
      return [this, s = &store, name = std::string(module_name),
              module]() -> Result<void> {
        return Result<void>(LinkerBase::Module(*s, name, module));
      };
    });
  }

  // Resolves and type-checks every import of `module` now.
  absl::StatusOr<InstancePre<T>> InstantiatePre(
      Store<T>& store, const kiln::Module& module) const {
    absl::StatusOr<InstancePreBase> pre =
        LinkerBase::InstantiatePreBase(store, module);
    if (!pre.ok()) return pre.status();
    return InstancePre<T>(*std::move(pre));
  }
  Result<kiln::Instance> Instantiate(Store<T>& store,
                                     const kiln::Module& module) const {
    return LinkerBase::Instantiate(store, module);
  }
  // Async stores: resolves the imports now (InstantiatePre), instantiates
  // on the store's fiber when polled.
  AsyncCall<kiln::Instance> InstantiateAsync(Store<T>& store,
                                             const kiln::Module& module) const {
    absl::StatusOr<InstancePre<T>> pre = InstantiatePre(store, module);
    if (!pre.ok()) {
      return AsyncCall<kiln::Instance>(Result<kiln::Instance>(pre.status()));
    }
    return pre->InstantiateAsyncAt(store, "Linker::InstantiateAsync");
  }

  // module::name in `store` (host functions materialized). NotFound when
  // undefined; an error when it belongs to another store.
  absl::StatusOr<Extern> Get(Store<T>& store, std::string_view module,
                             std::string_view name) const {
    return LinkerBase::Get(store, module, name);
  }
  absl::StatusOr<Extern> GetByImport(Store<T>& store,
                                     const wasm::Import& import) const {
    return LinkerBase::GetByImport(store, import);
  }
  absl::StatusOr<Extern> GetName(Store<T>& store, std::string_view name) const {
    return LinkerBase::GetName(store, name);
  }
  // The export named "" of `module`, else "_start", else a function that
  // does nothing. An error when that export is not a function.
  absl::StatusOr<Func> GetDefault(Store<T>& store,
                                  std::string_view module) const {
    return LinkerBase::GetDefault(store, module);
  }
  // Every definition usable in `store` (host functions materialized there;
  // items of other stores left out).
  std::vector<LinkerItem> Iter(Store<T>& store) const {
    return LinkerBase::Iter(store);
  }
};

}  // namespace kiln

#endif  // KILN_LINKER_LINKER_H_
