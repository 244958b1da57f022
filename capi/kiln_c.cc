// kiln_c.h: Kiln's extensions to wasm.h (errors, Linker, InstancePre,
// WASI, fuel and epochs, store limits, pooling, .cwasm, text format).
#include "capi/include/kiln_c.h"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "capi/internal.h"
#include "wasi/add_to_linker.h"
#include "wasi/host.h"

using kiln::capi::NewExtern;
using kiln::capi::NewTrap;
using kiln::capi::StoreData;

struct kiln_error_t {
  absl::Status status;
};

struct kiln_linker_t {
  explicit kiln_linker_t(const kiln::Engine& e) : linker(e) {}
  kiln::Linker<StoreData> linker;
};

struct kiln_instance_pre_t {
  kiln::InstancePre<StoreData> pre;
};

struct kiln_wasi_config_t {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  bool inherit_stdio = false;
  int stdio[3] = {-1, -1, -1};  // owned host fds
  std::vector<std::pair<std::string, std::string>> preopens;
  ~kiln_wasi_config_t() {
    for (int fd : stdio) {
      if (fd >= 0) close(fd);
    }
  }
};

struct kiln_sharedmemory_t {
  kiln::SharedMemory memory;
};

namespace {

kiln_error_t* Error(absl::Status s) {
  if (s.ok()) return nullptr;
  return new kiln_error_t{std::move(s)};
}

// Result<T> of instantiation into the out parameters.
kiln_error_t* InstanceOut(wasm_store_t* store,
                          kiln::Result<kiln::Instance> inst,
                          wasm_instance_t** instance, wasm_trap_t** trap) {
  *instance = nullptr;
  if (trap != nullptr) *trap = nullptr;
  if (inst.ok()) {
    *instance = new wasm_instance_t(store, *inst);
    return nullptr;
  }
  if (inst.is_trap()) {
    if (trap != nullptr) {
      *trap = NewTrap(store, inst.trap());
      return nullptr;
    }
    return Error(inst.status());
  }
  return Error(inst.status());
}

// The WASI context of a store that never set one: no args, no files.
kiln::wasi::WasiCtx& WasiOf(StoreData& data) {
  if (data.wasi == nullptr) data.wasi = std::make_unique<kiln::wasi::WasiCtx>();
  return *data.wasi;
}

kiln_error_t* OpenStdio(kiln_wasi_config_t* c, int guest_fd, const char* path,
                        int flags) {
  const int fd = open(path, flags | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Error(absl::NotFoundError(
        absl::StrCat("cannot open \"", path, "\" for fd ", guest_fd)));
  }
  if (c->stdio[guest_fd] >= 0) close(c->stdio[guest_fd]);
  c->stdio[guest_fd] = fd;
  return nullptr;
}

}  // namespace

extern "C" {

// --- Errors
void kiln_error_delete(kiln_error_t* e) { delete e; }
void kiln_error_message(const kiln_error_t* e, wasm_name_t* out) {
  kiln::capi::SetName(out, std::string(e->status.message()));
}

// --- Configuration
void kiln_config_optimize_set(wasm_config_t* c, bool on) {
  c->config.optimize = on;
}
void kiln_config_max_wasm_stack_set(wasm_config_t* c, size_t bytes) {
  c->config.max_wasm_stack = bytes;
}
void kiln_config_consume_fuel_set(wasm_config_t* c, bool on) {
  c->config.consume_fuel = on;
}
void kiln_config_epoch_interruption_set(wasm_config_t* c, bool on) {
  c->config.epoch_interruption = on;
}
void kiln_config_wasm_threads_set(wasm_config_t* c, bool on) {
  c->config.wasm_features.threads = on;
}
void kiln_config_wasm_memory64_set(wasm_config_t* c, bool on) {
  c->config.wasm_features.memory64 = on;
}
void kiln_config_wasm_relaxed_simd_set(wasm_config_t* c, bool on) {
  c->config.wasm_features.relaxed_simd = on;
}
void kiln_config_wasm_relaxed_simd_deterministic_set(wasm_config_t* c,
                                                     bool on) {
  c->config.relaxed_simd_deterministic = on;
}
void kiln_pooling_config_default(kiln_pooling_config_t* out) {
  kiln::PoolingAllocationConfig d;
  out->total_instances = d.total_instances;
  out->max_memories_per_instance = d.max_memories_per_instance;
  out->max_tables_per_instance = d.max_tables_per_instance;
  out->max_memory_size = d.max_memory_size;
  out->max_table_elements = d.max_table_elements;
}
void kiln_config_pooling_allocation_set(wasm_config_t* c,
                                        const kiln_pooling_config_t* p) {
  c->config.allocation_strategy = kiln::InstanceAllocationStrategy::kPooling;
  c->config.pooling.total_instances = p->total_instances;
  c->config.pooling.max_memories_per_instance = p->max_memories_per_instance;
  c->config.pooling.max_tables_per_instance = p->max_tables_per_instance;
  c->config.pooling.max_memory_size = p->max_memory_size;
  c->config.pooling.max_table_elements = p->max_table_elements;
}

// --- Memory types
wasm_memorytype_t* kiln_memorytype_new(uint64_t min, bool max_present,
                                       uint64_t max, bool is_64, bool shared) {
  kiln::MemoryType type;
  type.limits.min = min;
  if (max_present) type.limits.max = max;
  type.is64 = is_64;
  type.shared = shared;
  return kiln::capi::NewMemoryType(type);
}
uint64_t kiln_memorytype_minimum(const wasm_memorytype_t* t) {
  return t->type.limits.min;
}
bool kiln_memorytype_maximum(const wasm_memorytype_t* t, uint64_t* max) {
  if (!t->type.limits.max.has_value()) return false;
  *max = *t->type.limits.max;
  return true;
}
bool kiln_memorytype_is64(const wasm_memorytype_t* t) { return t->type.is64; }
bool kiln_memorytype_isshared(const wasm_memorytype_t* t) {
  return t->type.shared;
}

// --- Shared memories
kiln_error_t* kiln_sharedmemory_new(const wasm_engine_t* engine,
                                    const wasm_memorytype_t* type,
                                    kiln_sharedmemory_t** out) {
  *out = nullptr;
  absl::StatusOr<kiln::SharedMemory> m =
      kiln::SharedMemory::New(engine->engine, type->type);
  if (!m.ok()) return Error(m.status());
  *out = new kiln_sharedmemory_t{*std::move(m)};
  return nullptr;
}
void kiln_sharedmemory_delete(kiln_sharedmemory_t* m) { delete m; }
kiln_sharedmemory_t* kiln_sharedmemory_clone(const kiln_sharedmemory_t* m) {
  return new kiln_sharedmemory_t{m->memory};
}
wasm_memorytype_t* kiln_sharedmemory_type(const kiln_sharedmemory_t* m) {
  return kiln::capi::NewMemoryType(m->memory.type());
}
uint8_t* kiln_sharedmemory_data(const kiln_sharedmemory_t* m) {
  return m->memory.data();
}
size_t kiln_sharedmemory_data_size(const kiln_sharedmemory_t* m) {
  return m->memory.data_size();
}
uint64_t kiln_sharedmemory_size(const kiln_sharedmemory_t* m) {
  return m->memory.size();
}
kiln_error_t* kiln_sharedmemory_grow(const kiln_sharedmemory_t* m,
                                     uint64_t delta, uint64_t* prev_size) {
  // SharedMemory counts u32 pages (shared memories are 32-bit here).
  if (delta > UINT32_MAX) {
    return Error(absl::ResourceExhaustedError(absl::StrCat(
        "kiln_sharedmemory_grow: cannot grow by ", delta, " pages")));
  }
  absl::StatusOr<uint32_t> old = m->memory.Grow(static_cast<uint32_t>(delta));
  if (!old.ok()) return Error(old.status());
  if (prev_size != nullptr) *prev_size = *old;
  return nullptr;
}
wasm_extern_t* kiln_sharedmemory_into_extern(const kiln_sharedmemory_t* m,
                                             wasm_store_t* store) {
  absl::StatusOr<kiln::Memory> mem = m->memory.ToMemory(store->store);
  if (!mem.ok()) return nullptr;
  return new wasm_memory_t(kiln::capi::RefKind::kMemory, store,
                           kiln::Extern(*mem));
}

void kiln_engine_increment_epoch(wasm_engine_t* e) {
  e->engine.IncrementEpoch();
}

// --- Store
kiln_error_t* kiln_store_set_fuel(wasm_store_t* s, uint64_t fuel) {
  return Error(s->store.SetFuel(fuel));
}
kiln_error_t* kiln_store_get_fuel(const wasm_store_t* s, uint64_t* fuel) {
  absl::StatusOr<uint64_t> f = s->store.GetFuel();
  if (!f.ok()) return Error(f.status());
  *fuel = *f;
  return nullptr;
}
void kiln_store_set_epoch_deadline(wasm_store_t* s, uint64_t ticks) {
  s->store.SetEpochDeadline(ticks);
}
void kiln_store_limiter(wasm_store_t* s, int64_t memory_size,
                        int64_t table_elements, int64_t instances,
                        int64_t tables, int64_t memories) {
  kiln::StoreLimitsBuilder b;
  if (memory_size >= 0) b.MemorySize(static_cast<size_t>(memory_size));
  if (table_elements >= 0) b.TableElements(static_cast<size_t>(table_elements));
  if (instances >= 0) b.Instances(static_cast<size_t>(instances));
  if (tables >= 0) b.Tables(static_cast<size_t>(tables));
  if (memories >= 0) b.Memories(static_cast<size_t>(memories));
  StoreData& data = s->store.data();
  data.limits = std::make_unique<kiln::StoreLimits>(b.Build());
  s->store.SetLimiter(data.limits.get());
}

// --- WASI
kiln_wasi_config_t* kiln_wasi_config_new(void) { return new kiln_wasi_config_t; }
void kiln_wasi_config_delete(kiln_wasi_config_t* c) { delete c; }
void kiln_wasi_config_set_argv(kiln_wasi_config_t* c, size_t argc,
                               const char* const argv[]) {
  c->argv.assign(argv, argv + argc);
}
void kiln_wasi_config_set_env(kiln_wasi_config_t* c, size_t n,
                              const char* const env[]) {
  c->env.assign(env, env + n);
}
void kiln_wasi_config_inherit_stdio(kiln_wasi_config_t* c) {
  c->inherit_stdio = true;
}
kiln_error_t* kiln_wasi_config_set_stdin_file(kiln_wasi_config_t* c,
                                              const char* path) {
  return OpenStdio(c, 0, path, O_RDONLY);
}
kiln_error_t* kiln_wasi_config_set_stdout_file(kiln_wasi_config_t* c,
                                               const char* path) {
  return OpenStdio(c, 1, path, O_WRONLY | O_CREAT | O_TRUNC);
}
kiln_error_t* kiln_wasi_config_set_stderr_file(kiln_wasi_config_t* c,
                                               const char* path) {
  return OpenStdio(c, 2, path, O_WRONLY | O_CREAT | O_TRUNC);
}
kiln_error_t* kiln_wasi_config_preopen_dir(kiln_wasi_config_t* c,
                                           const char* host_path,
                                           const char* guest_path) {
  c->preopens.emplace_back(host_path, guest_path);
  return nullptr;
}

kiln_error_t* kiln_store_set_wasi(wasm_store_t* s, kiln_wasi_config_t* c) {
  std::unique_ptr<kiln_wasi_config_t> config(c);
  auto ctx = std::make_unique<kiln::wasi::WasiCtx>();
  ctx->set_args(config->argv);
  ctx->set_env(config->env);
  if (config->inherit_stdio) ctx->InheritStdio();
  for (int fd = 0; fd < 3; ++fd) {
    if (config->stdio[fd] < 0) continue;
    absl::Status st = ctx->SetStdio(fd, config->stdio[fd], /*owned=*/true);
    if (!st.ok()) return Error(st);
    config->stdio[fd] = -1;  // the context owns it now
  }
  for (const auto& [host, guest] : config->preopens) {
    absl::Status st = ctx->PreopenDir(host, guest);
    if (!st.ok()) return Error(st);
  }
  s->store.data().wasi = std::move(ctx);
  return nullptr;
}

bool kiln_trap_exit_status(const wasm_store_t* s, const wasm_trap_t* trap,
                           int* status) {
  const StoreData& data = s->store.data();
  if (data.wasi == nullptr) return false;
  std::optional<uint32_t> code = kiln::wasi::ExitCode(trap->trap, *data.wasi);
  if (!code.has_value()) return false;
  *status = static_cast<int>(*code);
  return true;
}

bool kiln_trap_code(const wasm_trap_t* trap, kiln_trap_code_t* out) {
  if (trap->trap.code() == kiln::TrapCode::kHostError) return false;
  *out = static_cast<kiln_trap_code_t>(trap->trap.code());
  return true;
}

// --- Modules
kiln_error_t* kiln_wat2wasm(const char* wat, size_t len, wasm_byte_vec_t* out) {
  absl::StatusOr<std::vector<uint8_t>> bytes =
      kiln::Module::WatToBinary(std::string_view(wat, len));
  if (!bytes.ok()) return Error(bytes.status());
  wasm_byte_vec_new(out, bytes->size(),
                    reinterpret_cast<const wasm_byte_t*>(bytes->data()));
  return nullptr;
}

kiln_error_t* kiln_module_new(wasm_engine_t* e, const uint8_t* bytes,
                              size_t len, wasm_module_t** out) {
  *out = nullptr;
  absl::StatusOr<kiln::Module> m =
      len >= 4 && std::memcmp(bytes, "\0asm", 4) == 0
          ? kiln::Module::FromBinary(e->engine, absl::MakeConstSpan(bytes, len))
          : kiln::Module::FromWat(
                e->engine,
                std::string_view(reinterpret_cast<const char*>(bytes), len));
  if (!m.ok()) return Error(m.status());
  *out = new wasm_module_t(nullptr, *std::move(m));
  return nullptr;
}

kiln_error_t* kiln_module_serialize(const wasm_module_t* m,
                                    wasm_byte_vec_t* out) {
  absl::StatusOr<std::vector<uint8_t>> bytes = m->module.Serialize();
  if (!bytes.ok()) return Error(bytes.status());
  wasm_byte_vec_new(out, bytes->size(),
                    reinterpret_cast<const wasm_byte_t*>(bytes->data()));
  return nullptr;
}

kiln_error_t* kiln_module_deserialize(wasm_engine_t* e, const uint8_t* bytes,
                                      size_t len, wasm_module_t** out) {
  *out = nullptr;
  absl::StatusOr<kiln::Module> m =
      kiln::Module::Deserialize(e->engine, absl::MakeConstSpan(bytes, len));
  if (!m.ok()) return Error(m.status());
  *out = new wasm_module_t(nullptr, *std::move(m));
  return nullptr;
}

kiln_error_t* kiln_module_deserialize_file(wasm_engine_t* e, const char* path,
                                           wasm_module_t** out) {
  *out = nullptr;
  absl::StatusOr<kiln::Module> m =
      kiln::Module::DeserializeFile(e->engine, path);
  if (!m.ok()) return Error(m.status());
  *out = new wasm_module_t(nullptr, *std::move(m));
  return nullptr;
}

// --- Linker
kiln_linker_t* kiln_linker_new(wasm_engine_t* e) {
  return new kiln_linker_t(e->engine);
}
void kiln_linker_delete(kiln_linker_t* l) { delete l; }
void kiln_linker_allow_shadowing(kiln_linker_t* l, bool allow) {
  l->linker.AllowShadowing(allow);
}

kiln_error_t* kiln_linker_define(kiln_linker_t* l, wasm_store_t* s,
                                 const char* module, const char* name,
                                 const wasm_extern_t* item) {
  return Error(l->linker.Define(s->store, module, name, item->ext));
}

kiln_error_t* kiln_linker_define_func(kiln_linker_t* l, const char* module,
                                      const char* name,
                                      const wasm_functype_t* type,
                                      wasm_func_callback_with_env_t callback,
                                      void* env, void (*finalizer)(void*)) {
  // The environment lives as long as the host function (the linker and
  // every store that used it): the finalizer runs with the last copy.
  std::shared_ptr<void> holder(env, [finalizer](void* p) {
    if (finalizer != nullptr) finalizer(p);
  });
  kiln::FuncType ftype = kiln::capi::ToFuncType(*type);
  return Error(l->linker.FuncNewUnchecked(
      module, name, ftype,
      kiln::capi::CUncheckedFn(nullptr, ftype,
                               kiln::capi::CCallback{nullptr, callback, env},
                               std::move(holder))));
}

kiln_error_t* kiln_linker_define_wasi(kiln_linker_t* l) {
  return Error(kiln::wasi::AddToLinker(l->linker, &WasiOf));
}

kiln_error_t* kiln_linker_define_instance(kiln_linker_t* l, wasm_store_t* s,
                                          const char* name,
                                          const wasm_instance_t* instance) {
  return Error(l->linker.Instance(s->store, name, instance->instance));
}

kiln_error_t* kiln_linker_module(kiln_linker_t* l, wasm_store_t* s,
                                 const char* name, const wasm_module_t* m) {
  return Error(l->linker.Module(s->store, name, m->module));
}

kiln_error_t* kiln_linker_instantiate(const kiln_linker_t* l, wasm_store_t* s,
                                      const wasm_module_t* m,
                                      wasm_instance_t** instance,
                                      wasm_trap_t** trap) {
  return InstanceOut(s, l->linker.Instantiate(s->store, m->module), instance,
                     trap);
}

kiln_error_t* kiln_linker_get(const kiln_linker_t* l, wasm_store_t* s,
                              const char* module, const char* name,
                              wasm_extern_t** item) {
  *item = nullptr;
  absl::StatusOr<kiln::Extern> e = l->linker.Get(s->store, module, name);
  if (!e.ok()) {
    if (e.status().code() == absl::StatusCode::kNotFound) return nullptr;
    return Error(e.status());
  }
  *item = NewExtern(s, *e);
  return nullptr;
}

kiln_error_t* kiln_linker_get_default(const kiln_linker_t* l, wasm_store_t* s,
                                      const char* module, wasm_func_t** func) {
  *func = nullptr;
  absl::StatusOr<kiln::Func> f = l->linker.GetDefault(s->store, module);
  if (!f.ok()) return Error(f.status());
  *func = static_cast<wasm_func_t*>(NewExtern(s, kiln::Extern(*f)));
  return nullptr;
}

kiln_error_t* kiln_linker_instantiate_pre(const kiln_linker_t* l,
                                          wasm_store_t* s,
                                          const wasm_module_t* m,
                                          kiln_instance_pre_t** out) {
  *out = nullptr;
  absl::StatusOr<kiln::InstancePre<StoreData>> pre =
      l->linker.InstantiatePre(s->store, m->module);
  if (!pre.ok()) return Error(pre.status());
  *out = new kiln_instance_pre_t{*std::move(pre)};
  return nullptr;
}
void kiln_instance_pre_delete(kiln_instance_pre_t* p) { delete p; }
kiln_error_t* kiln_instance_pre_instantiate(const kiln_instance_pre_t* p,
                                            wasm_store_t* s,
                                            wasm_instance_t** instance,
                                            wasm_trap_t** trap) {
  return InstanceOut(s, p->pre.Instantiate(s->store), instance, trap);
}

wasm_extern_t* kiln_instance_export_get(const wasm_instance_t* inst,
                                        const char* name, size_t len) {
  absl::StatusOr<kiln::Extern> e = inst->instance.GetExport(
      inst->store->store, std::string_view(name, len));
  if (!e.ok()) return nullptr;
  return NewExtern(inst->store, *e);
}

}  // extern "C"
