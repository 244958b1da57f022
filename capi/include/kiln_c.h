/* Kiln's extensions to the standard C API (wasm.h), as wasmtime.h is to
 * wasm.h for wasmtime: errors with messages, the Linker and InstancePre,
 * WASI, epoch interruption and fuel, store limits, the pooling allocator,
 * precompiled (.cwasm) modules and the text format.
 *
 * Functions that can fail return an own kiln_error_t* (NULL on success);
 * those that run wasm also return a trap through an own wasm_trap_t** out
 * parameter (NULL when none). */
#ifndef KILN_C_H
#define KILN_C_H

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define own

/* ---- Errors */
typedef struct kiln_error_t kiln_error_t;
WASM_API_EXTERN void kiln_error_delete(own kiln_error_t*);
WASM_API_EXTERN void kiln_error_message(const kiln_error_t*,
                                        own wasm_name_t* out);

/* ---- Configuration (before wasm_engine_new_with_config) */
WASM_API_EXTERN void kiln_config_optimize_set(wasm_config_t*, bool);
WASM_API_EXTERN void kiln_config_max_wasm_stack_set(wasm_config_t*, size_t);
WASM_API_EXTERN void kiln_config_consume_fuel_set(wasm_config_t*, bool);
WASM_API_EXTERN void kiln_config_epoch_interruption_set(wasm_config_t*, bool);
/* Proposals (Config::wasm_features; as wasmtime_config_wasm_*_set), on by
 * default. */
WASM_API_EXTERN void kiln_config_wasm_threads_set(wasm_config_t*, bool);
WASM_API_EXTERN void kiln_config_wasm_memory64_set(wasm_config_t*, bool);
WASM_API_EXTERN void kiln_config_wasm_relaxed_simd_set(wasm_config_t*, bool);
/* Relaxed SIMD gives the deterministic profile's results on every machine
 * (Config::relaxed_simd_deterministic; off by default: the fastest the CPU
 * has). As wasmtime_config_wasm_relaxed_simd_deterministic_set. */
WASM_API_EXTERN void kiln_config_wasm_relaxed_simd_deterministic_set(
    wasm_config_t*, bool);

/* The pooling allocator: instances, memories and tables come from slots
 * reserved once per engine. */
typedef struct kiln_pooling_config_t {
  uint32_t total_instances;
  uint32_t max_memories_per_instance;
  uint32_t max_tables_per_instance;
  uint64_t max_memory_size; /* bytes */
  uint32_t max_table_elements;
} kiln_pooling_config_t;
/* Kiln's defaults. */
WASM_API_EXTERN void kiln_pooling_config_default(kiln_pooling_config_t* out);
WASM_API_EXTERN void kiln_config_pooling_allocation_set(
    wasm_config_t*, const kiln_pooling_config_t*);

/* ---- Memory types beyond wasm.h (as wasmtime_memorytype_*): u64 limits,
 * 64-bit (memory64) and shared (threads) memories. wasm_memorytype_limits
 * shows a u32 view (saturated). */
WASM_API_EXTERN own wasm_memorytype_t* kiln_memorytype_new(uint64_t min,
                                                           bool max_present,
                                                           uint64_t max,
                                                           bool is_64,
                                                           bool shared);
WASM_API_EXTERN uint64_t kiln_memorytype_minimum(const wasm_memorytype_t*);
/* False when there is no maximum. */
WASM_API_EXTERN bool kiln_memorytype_maximum(const wasm_memorytype_t*,
                                             uint64_t* max);
WASM_API_EXTERN bool kiln_memorytype_is64(const wasm_memorytype_t*);
WASM_API_EXTERN bool kiln_memorytype_isshared(const wasm_memorytype_t*);

/* ---- Shared memories (threads; as wasmtime_sharedmemory_*): owned by the
 * engine's side, not a store; usable from several stores and threads at
 * once. The type must be shared with a maximum, and the engine's threads
 * feature on. */
typedef struct kiln_sharedmemory_t kiln_sharedmemory_t;
WASM_API_EXTERN own kiln_error_t* kiln_sharedmemory_new(
    const wasm_engine_t*, const wasm_memorytype_t*,
    own kiln_sharedmemory_t** out);
WASM_API_EXTERN void kiln_sharedmemory_delete(own kiln_sharedmemory_t*);
/* Another handle to the same memory. */
WASM_API_EXTERN own kiln_sharedmemory_t* kiln_sharedmemory_clone(
    const kiln_sharedmemory_t*);
WASM_API_EXTERN own wasm_memorytype_t* kiln_sharedmemory_type(
    const kiln_sharedmemory_t*);
/* The bytes (never moved: the whole maximum is reserved up front). */
WASM_API_EXTERN uint8_t* kiln_sharedmemory_data(const kiln_sharedmemory_t*);
WASM_API_EXTERN size_t kiln_sharedmemory_data_size(const kiln_sharedmemory_t*);
/* Pages. */
WASM_API_EXTERN uint64_t kiln_sharedmemory_size(const kiln_sharedmemory_t*);
WASM_API_EXTERN own kiln_error_t* kiln_sharedmemory_grow(
    const kiln_sharedmemory_t*, uint64_t delta, uint64_t* prev_size);
/* The memory as an extern of `store` (a wasm_memory_t), to pass as an
 * import or define in a linker; the store keeps the memory alive. */
WASM_API_EXTERN own wasm_extern_t* kiln_sharedmemory_into_extern(
    const kiln_sharedmemory_t*, wasm_store_t*);

/* ---- Engine-wide */
WASM_API_EXTERN void kiln_engine_increment_epoch(wasm_engine_t*);

/* ---- Store: fuel, epochs, limits, WASI */
WASM_API_EXTERN own kiln_error_t* kiln_store_set_fuel(wasm_store_t*,
                                                      uint64_t fuel);
WASM_API_EXTERN own kiln_error_t* kiln_store_get_fuel(const wasm_store_t*,
                                                      uint64_t* fuel);
/* Wasm traps ("interrupt") once the engine's epoch passes the current one
 * plus `ticks`. */
WASM_API_EXTERN void kiln_store_set_epoch_deadline(wasm_store_t*,
                                                   uint64_t ticks);
/* Limits for everything the store creates from now on (-1: no limit). */
WASM_API_EXTERN void kiln_store_limiter(wasm_store_t*, int64_t memory_size,
                                        int64_t table_elements,
                                        int64_t instances, int64_t tables,
                                        int64_t memories);

typedef struct kiln_wasi_config_t kiln_wasi_config_t;
WASM_API_EXTERN own kiln_wasi_config_t* kiln_wasi_config_new(void);
WASM_API_EXTERN void kiln_wasi_config_delete(own kiln_wasi_config_t*);
WASM_API_EXTERN void kiln_wasi_config_set_argv(kiln_wasi_config_t*, size_t argc,
                                               const char* const argv[]);
/* Each entry "NAME=VALUE". */
WASM_API_EXTERN void kiln_wasi_config_set_env(kiln_wasi_config_t*, size_t n,
                                              const char* const env[]);
WASM_API_EXTERN void kiln_wasi_config_inherit_stdio(kiln_wasi_config_t*);
/* Files opened now (stdin for reading; stdout/stderr created, truncated). */
WASM_API_EXTERN own kiln_error_t* kiln_wasi_config_set_stdin_file(
    kiln_wasi_config_t*, const char* path);
WASM_API_EXTERN own kiln_error_t* kiln_wasi_config_set_stdout_file(
    kiln_wasi_config_t*, const char* path);
WASM_API_EXTERN own kiln_error_t* kiln_wasi_config_set_stderr_file(
    kiln_wasi_config_t*, const char* path);
WASM_API_EXTERN own kiln_error_t* kiln_wasi_config_preopen_dir(
    kiln_wasi_config_t*, const char* host_path, const char* guest_path);
/* The store's WASI context (takes the configuration). */
WASM_API_EXTERN own kiln_error_t* kiln_store_set_wasi(
    wasm_store_t*, own kiln_wasi_config_t*);
/* After a trap: true and the code when it was WASI's proc_exit. */
WASM_API_EXTERN bool kiln_trap_exit_status(const wasm_store_t*,
                                           const wasm_trap_t*, int* status);

/* ---- Traps */
typedef uint8_t kiln_trap_code_t;
/* The trap's code (Kiln's abi::TrapCode), false for a host trap. */
WASM_API_EXTERN bool kiln_trap_code(const wasm_trap_t*, kiln_trap_code_t* out);

/* ---- Modules */
/* The text format (WebAssembly 2.0) to a binary. */
WASM_API_EXTERN own kiln_error_t* kiln_wat2wasm(const char* wat, size_t len,
                                               own wasm_byte_vec_t* out);
/* A module from binary or text, with the reason when it is refused. */
WASM_API_EXTERN own kiln_error_t* kiln_module_new(
    wasm_engine_t*, const uint8_t* bytes, size_t len, own wasm_module_t** out);
/* .cwasm artifacts: trusted input (load only what you produced). */
WASM_API_EXTERN own kiln_error_t* kiln_module_serialize(
    const wasm_module_t*, own wasm_byte_vec_t* out);
WASM_API_EXTERN own kiln_error_t* kiln_module_deserialize(
    wasm_engine_t*, const uint8_t* bytes, size_t len, own wasm_module_t** out);
WASM_API_EXTERN own kiln_error_t* kiln_module_deserialize_file(
    wasm_engine_t*, const char* path, own wasm_module_t** out);

/* ---- Linker: name-based instantiation, one per engine, many stores */
typedef struct kiln_linker_t kiln_linker_t;
WASM_API_EXTERN own kiln_linker_t* kiln_linker_new(wasm_engine_t*);
WASM_API_EXTERN void kiln_linker_delete(own kiln_linker_t*);
WASM_API_EXTERN void kiln_linker_allow_shadowing(kiln_linker_t*, bool);
WASM_API_EXTERN own kiln_error_t* kiln_linker_define(
    kiln_linker_t*, wasm_store_t*, const char* module, const char* name,
    const wasm_extern_t* item);
/* A host function of the engine (usable from every store of the linker). */
WASM_API_EXTERN own kiln_error_t* kiln_linker_define_func(
    kiln_linker_t*, const char* module, const char* name,
    const wasm_functype_t* type, wasm_func_callback_with_env_t callback,
    void* env, void (*finalizer)(void*));
/* wasi_snapshot_preview1, each store using its own kiln_store_set_wasi. */
WASM_API_EXTERN own kiln_error_t* kiln_linker_define_wasi(kiln_linker_t*);
WASM_API_EXTERN own kiln_error_t* kiln_linker_define_instance(
    kiln_linker_t*, wasm_store_t*, const char* name,
    const wasm_instance_t* instance);
/* A Command (_start) or Reactor (_initialize) module under `name`. */
WASM_API_EXTERN own kiln_error_t* kiln_linker_module(kiln_linker_t*,
                                                    wasm_store_t*,
                                                    const char* name,
                                                    const wasm_module_t*);
WASM_API_EXTERN own kiln_error_t* kiln_linker_instantiate(
    const kiln_linker_t*, wasm_store_t*, const wasm_module_t*,
    own wasm_instance_t** instance, own wasm_trap_t** trap);
/* NULL *item when module::name is not defined. */
WASM_API_EXTERN own kiln_error_t* kiln_linker_get(const kiln_linker_t*,
                                                 wasm_store_t*,
                                                 const char* module,
                                                 const char* name,
                                                 own wasm_extern_t** item);
WASM_API_EXTERN own kiln_error_t* kiln_linker_get_default(
    const kiln_linker_t*, wasm_store_t*, const char* module,
    own wasm_func_t** func);

/* Imports resolved and type-checked once; instantiate many times. */
typedef struct kiln_instance_pre_t kiln_instance_pre_t;
WASM_API_EXTERN own kiln_error_t* kiln_linker_instantiate_pre(
    const kiln_linker_t*, wasm_store_t*, const wasm_module_t*,
    own kiln_instance_pre_t** out);
WASM_API_EXTERN void kiln_instance_pre_delete(own kiln_instance_pre_t*);
WASM_API_EXTERN own kiln_error_t* kiln_instance_pre_instantiate(
    const kiln_instance_pre_t*, wasm_store_t*, own wasm_instance_t** instance,
    own wasm_trap_t** trap);

/* An export by name (NULL when there is none). */
WASM_API_EXTERN own wasm_extern_t* kiln_instance_export_get(
    const wasm_instance_t*, const char* name, size_t len);

#undef own

#ifdef __cplusplus
}  // extern "C"
#endif

#endif /* KILN_C_H */
