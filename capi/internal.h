// The C API's objects: what each opaque wasm.h / kiln_c.h type is in C++.
// Not installed; capi/*.cc only.
//
// Every runtime object a C program holds is a heap handle deriving from
// wasm_ref_t (so wasm_xxx_as_ref is a cast); wasm_func_t, wasm_global_t,
// wasm_table_t and wasm_memory_t derive from wasm_extern_t and wrap a
// kiln::Extern (a StoreId-checked handle). Copies are new handles to the
// same object. Host info is attached to the object, not the handle: it is
// kept by the store, keyed by the object's identity, and finalizers run
// when the store is deleted (modules and traps, which outlive stores, keep
// theirs per handle).
#ifndef KILN_CAPI_INTERNAL_H_
#define KILN_CAPI_INTERNAL_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "capi/include/kiln_c.h"
#include "capi/include/wasm.h"
#include "engine/kiln.h"
#include "linker/linker.h"
#include "wasi/wasi_ctx.h"

namespace kiln::capi {

struct HostInfo {
  void* info = nullptr;
  void (*finalizer)(void*) = nullptr;
  void Finalize() {
    if (finalizer != nullptr) finalizer(info);
    finalizer = nullptr;
  }
};

// The store's data: what host functions of the C API reach through
// Caller<StoreData>.
struct StoreData {
  wasm_store_t* c_store = nullptr;
  std::unique_ptr<wasi::WasiCtx> wasi;
  std::unique_ptr<StoreLimits> limits;
};

// An externref value made by the C API: the boxed reference (usually a
// wasm_foreign_t), owned by the store. The box's address is the value
// wasm sees.
struct ExternRefBox;

enum class RefKind {
  kFunc,
  kGlobal,
  kTable,
  kMemory,
  kInstance,
  kModule,
  kForeign,
  kTrap,
};

}  // namespace kiln::capi

struct wasm_config_t {
  kiln::Config config;
};

struct wasm_engine_t {
  kiln::Engine engine;
};

struct wasm_store_t {
  explicit wasm_store_t(const kiln::Engine& e);
  ~wasm_store_t();
  kiln::Engine engine;
  kiln::Store<kiln::capi::StoreData> store;
  // Host info by object identity (see the file comment).
  absl::flat_hash_map<const void*, kiln::capi::HostInfo> host_info;
  std::deque<std::unique_ptr<kiln::capi::ExternRefBox>> externrefs;
  // Finalizers of wasm_func_new_with_env environments.
  std::vector<kiln::capi::HostInfo> env_finalizers;
};

struct wasm_ref_t {
  wasm_ref_t(kiln::capi::RefKind k, wasm_store_t* s) : kind(k), store(s) {}
  virtual ~wasm_ref_t() = default;
  virtual wasm_ref_t* Copy() const = 0;
  // The object's identity (same() and host info); null: the handle's own.
  virtual const void* Identity() const = 0;
  kiln::capi::RefKind kind;
  wasm_store_t* store;
  kiln::capi::HostInfo own_info;  // modules, traps
};

struct wasm_extern_t : wasm_ref_t {
  wasm_extern_t(kiln::capi::RefKind k, wasm_store_t* s, kiln::Extern e)
      : wasm_ref_t(k, s), ext(e) {}
  wasm_ref_t* Copy() const override;
  const void* Identity() const override;
  kiln::Extern ext;
};

struct wasm_func_t : wasm_extern_t {
  using wasm_extern_t::wasm_extern_t;
  const kiln::Func& func() const { return *ext.func(); }
};
struct wasm_global_t : wasm_extern_t {
  using wasm_extern_t::wasm_extern_t;
  const kiln::Global& global() const { return *ext.global(); }
};
struct wasm_table_t : wasm_extern_t {
  using wasm_extern_t::wasm_extern_t;
  const kiln::Table& table() const { return *ext.table(); }
};
struct wasm_memory_t : wasm_extern_t {
  using wasm_extern_t::wasm_extern_t;
  const kiln::Memory& memory() const { return *ext.memory(); }
};

struct wasm_instance_t : wasm_ref_t {
  wasm_instance_t(wasm_store_t* s, kiln::Instance i)
      : wasm_ref_t(kiln::capi::RefKind::kInstance, s), instance(i) {}
  wasm_ref_t* Copy() const override { return new wasm_instance_t(*this); }
  const void* Identity() const override;
  kiln::Instance instance;
};

struct wasm_module_t : wasm_ref_t {
  wasm_module_t(wasm_store_t* s, kiln::Module m)
      : wasm_ref_t(kiln::capi::RefKind::kModule, s), module(std::move(m)) {}
  ~wasm_module_t() override { own_info.Finalize(); }
  wasm_ref_t* Copy() const override {
    return new wasm_module_t(store, module);
  }
  const void* Identity() const override { return module.impl(); }
  kiln::Module module;
};

struct wasm_shared_module_t {
  kiln::Module module;
};

struct wasm_foreign_t : wasm_ref_t {
  wasm_foreign_t(wasm_store_t* s, kiln::capi::ExternRefBox* b)
      : wasm_ref_t(kiln::capi::RefKind::kForeign, s), box(b) {}
  wasm_ref_t* Copy() const override { return new wasm_foreign_t(*this); }
  const void* Identity() const override { return box; }
  kiln::capi::ExternRefBox* box;
};

struct wasm_trap_t : wasm_ref_t {
  wasm_trap_t(wasm_store_t* s, kiln::Trap t)
      : wasm_ref_t(kiln::capi::RefKind::kTrap, s), trap(std::move(t)) {}
  ~wasm_trap_t() override { own_info.Finalize(); }
  wasm_ref_t* Copy() const override { return new wasm_trap_t(store, trap); }
  const void* Identity() const override { return this; }
  kiln::Trap trap;
};

struct wasm_frame_t {
  kiln::FrameInfo info;
};

// Types. Extern types share one base so wasm_xxx_as_externtype is a cast.
struct wasm_valtype_t {
  wasm_valkind_t kind;
};
struct wasm_externtype_t {
  explicit wasm_externtype_t(wasm_externkind_t k) : kind(k) {}
  virtual ~wasm_externtype_t() = default;
  virtual wasm_externtype_t* Copy() const = 0;
  wasm_externkind_t kind;
};
struct wasm_functype_t : wasm_externtype_t {
  wasm_functype_t() : wasm_externtype_t(WASM_EXTERN_FUNC) {}
  ~wasm_functype_t() override;
  wasm_externtype_t* Copy() const override;
  wasm_valtype_vec_t params{0, nullptr};
  wasm_valtype_vec_t results{0, nullptr};
};
struct wasm_globaltype_t : wasm_externtype_t {
  wasm_globaltype_t() : wasm_externtype_t(WASM_EXTERN_GLOBAL) {}
  wasm_externtype_t* Copy() const override {
    return new wasm_globaltype_t(*this);
  }
  wasm_valtype_t content;
  wasm_mutability_t mutability = WASM_CONST;
};
struct wasm_tabletype_t : wasm_externtype_t {
  wasm_tabletype_t() : wasm_externtype_t(WASM_EXTERN_TABLE) {}
  wasm_externtype_t* Copy() const override {
    return new wasm_tabletype_t(*this);
  }
  wasm_valtype_t element;
  wasm_limits_t limits;
};
struct wasm_memorytype_t : wasm_externtype_t {
  wasm_memorytype_t() : wasm_externtype_t(WASM_EXTERN_MEMORY) {}
  wasm_externtype_t* Copy() const override {
    return new wasm_memorytype_t(*this);
  }
  // wasm.h's u32 view of `type`'s limits (saturated), and the whole type
  // (u64 limits, is64, shared) that kiln_memorytype_* read and set.
  wasm_limits_t limits;
  kiln::MemoryType type;
};
struct wasm_tagtype_t : wasm_externtype_t {
  wasm_tagtype_t() : wasm_externtype_t(WASM_EXTERN_TAG) {}
  ~wasm_tagtype_t() override;
  wasm_externtype_t* Copy() const override;
  wasm_functype_t* functype = nullptr;
};
struct wasm_importtype_t {
  wasm_name_t module;
  wasm_name_t name;
  wasm_externtype_t* type;
};
struct wasm_exporttype_t {
  wasm_name_t name;
  wasm_externtype_t* type;
};

namespace kiln::capi {

struct ExternRefBox {
  std::unique_ptr<wasm_ref_t> ref;  // null for a bare foreign object
};

// wasm.h <-> kiln conversions (capi/values.cc).
std::optional<ValType> ToValType(wasm_valkind_t kind);
wasm_valkind_t ToValKind(ValType type);
wasm_functype_t* NewFuncType(const FuncType& type);
FuncType ToFuncType(const wasm_functype_t& type);
Limits ToLimits(const wasm_limits_t& limits);
wasm_limits_t FromLimits(const Limits& limits);
// A memory type with both views set (wasm_memorytype_t).
wasm_memorytype_t* NewMemoryType(const MemoryType& type);
wasm_externtype_t* NewExternType(const wasm::ModuleInfo& info,
                                 wasm::ExternKind kind, uint32_t index,
                                 const Engine& engine);
// A C value into a Kiln value (an error names what is wrong).
absl::StatusOr<Val> ToVal(wasm_store_t* store, const wasm_val_t& v);
// A Kiln value into a C value (references become new own handles).
void FromVal(wasm_store_t* store, const Val& v, wasm_val_t* out);
// A reference argument (table init, wasm_table_set) as a value of `type`.
absl::StatusOr<Val> RefToVal(wasm_store_t* store, const wasm_ref_t* ref,
                             ValType type);
wasm_ref_t* ValToRef(wasm_store_t* store, const Val& v);
// A new own handle to an extern of `store`.
wasm_extern_t* NewExtern(wasm_store_t* store, const Extern& e);
wasm_trap_t* NewTrap(wasm_store_t* store, const Trap& trap);
wasm_trap_t* NewTrapFromStatus(wasm_store_t* store, const absl::Status& s);
void SetName(wasm_name_t* out, std::string_view s);

// A C host callback: with an environment when `with_env` is set. A plain
// struct, not a std::function: one indirect call on every host call.
struct CCallback {
  wasm_func_callback_t plain = nullptr;
  wasm_func_callback_with_env_t with_env = nullptr;
  void* env = nullptr;
  wasm_trap_t* operator()(const wasm_val_vec_t* args,
                          wasm_val_vec_t* results) const {
    return with_env != nullptr ? with_env(env, args, results)
                               : plain(args, results);
  }
};

// wasm_val_t <-> ValRaw for a value of `type` (the call paths: no Val in
// between). ToRaw checks the C value's kind.
absl::Status ToRaw(wasm_store_t* store, ValType type, const wasm_val_t& v,
                   ValRaw* out);
void FromRaw(wasm_store_t* store, ValType type, const ValRaw& raw,
             wasm_val_t* out);

// The raw body of a C API host function: wasm_val_t in and out, the
// callback's trap propagated with its message. `fixed_store` is the
// function's store; null: the calling store (a linker's function).
// `keep_alive` lives as long as the function (a callback's environment).
HostFuncUncheckedFn CUncheckedFn(wasm_store_t* fixed_store, FuncType type,
                                 CCallback call,
                                 std::shared_ptr<void> keep_alive = nullptr);

// A store-owned function whose body is the C callback `call` (through the
// engine's per-signature wasm-to-host trampoline; arguments go from the
// raw slots to wasm_val_t once, with no allocation for up to 8 of each).
absl::StatusOr<Func> NewCFunc(wasm_store_t* store, const FuncType& type,
                              CCallback call);

}  // namespace kiln::capi

#endif  // KILN_CAPI_INTERNAL_H_
