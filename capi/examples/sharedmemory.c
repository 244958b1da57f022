/* Shared memories and the proposal switches through the C API: a shared
 * memory type, kiln_sharedmemory_* (grow, data, clone), an instance that
 * imports it and adds atomically, the embedder seeing the result; an
 * engine with threads off refuses shared memories; memory64 types; the
 * relaxed-SIMD deterministic switch. */
#include "example.h"

static const char* kWat =
    "(module (import \"env\" \"mem\" (memory 1 4 shared))"
    "  (func (export \"add\") (param i32) (result i32)"
    "    (i32.atomic.rmw.add (i32.const 16) (local.get 0))))";

int main(void) {
  wasm_config_t* config = wasm_config_new();
  kiln_config_wasm_relaxed_simd_deterministic_set(config, true);
  kiln_config_wasm_threads_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);

  wasm_memorytype_t* type = kiln_memorytype_new(1, true, 4, false, true);
  CHECK(kiln_memorytype_isshared(type) && !kiln_memorytype_is64(type));
  CHECK(kiln_memorytype_minimum(type) == 1);
  uint64_t max = 0;
  CHECK(kiln_memorytype_maximum(type, &max) && max == 4);
  CHECK(wasm_memorytype_limits(type)->max == 4);

  kiln_sharedmemory_t* shared = NULL;
  CHECK(kiln_sharedmemory_new(engine, type, &shared) == NULL);
  CHECK(kiln_sharedmemory_size(shared) == 1);
  CHECK(kiln_sharedmemory_data_size(shared) == 65536);
  uint64_t prev = 0;
  CHECK(kiln_sharedmemory_grow(shared, 1, &prev) == NULL && prev == 1);
  CHECK(kiln_sharedmemory_size(shared) == 2);
  kiln_error_t* err = kiln_sharedmemory_grow(shared, 3, &prev);  /* > max */
  CHECK(err != NULL);
  kiln_error_delete(err);
  wasm_memorytype_t* got = kiln_sharedmemory_type(shared);
  CHECK(kiln_memorytype_isshared(got) && kiln_memorytype_minimum(got) == 2);
  wasm_memorytype_delete(got);

  /* Two stores import the one memory; both add to the same word. */
  kiln_sharedmemory_t* clone = kiln_sharedmemory_clone(shared);
  for (int i = 0; i < 2; ++i) {
    wasm_store_t* store = wasm_store_new(engine);
    wasm_module_t* module = CompileWat(store, kWat);
    wasm_extern_t* mem =
        kiln_sharedmemory_into_extern(i == 0 ? shared : clone, store);
    CHECK(mem != NULL);
    wasm_memorytype_t* mt = wasm_memory_type(wasm_extern_as_memory(mem));
    CHECK(kiln_memorytype_isshared(mt));
    wasm_memorytype_delete(mt);
    wasm_extern_vec_t imports;
    wasm_extern_vec_new(&imports, 1, &mem);
    wasm_trap_t* trap = NULL;
    wasm_instance_t* instance =
        wasm_instance_new(store, module, &imports, &trap);
    CHECK(instance != NULL && trap == NULL);
    wasm_extern_vec_t exports;
    wasm_instance_exports(instance, &exports);
    wasm_func_t* add = wasm_extern_as_func(exports.data[0]);
    wasm_val_t args[1] = {WASM_I32_VAL(5 + i)};
    wasm_val_t results[1] = {WASM_INIT_VAL};
    wasm_val_vec_t a = WASM_ARRAY_VEC(args);
    wasm_val_vec_t r = WASM_ARRAY_VEC(results);
    CHECK(wasm_func_call(add, &a, &r) == NULL);
    CHECK(results[0].of.i32 == (i == 0 ? 0 : 5));  /* the old value */
    wasm_extern_vec_delete(&exports);
    wasm_instance_delete(instance);
    wasm_extern_vec_delete(&imports);
    wasm_module_delete(module);
    wasm_store_delete(store);
  }
  int32_t word;
  memcpy(&word, kiln_sharedmemory_data(clone) + 16, 4);
  CHECK(word == 11);
  kiln_sharedmemory_delete(clone);
  kiln_sharedmemory_delete(shared);

  /* A host memory of a 64-bit type; wasm.h's limits view saturates. */
  wasm_memorytype_t* t64 =
      kiln_memorytype_new(1, true, 0x100000000ull, true, false);
  CHECK(wasm_memorytype_limits(t64)->max == wasm_limits_max_default);
  wasm_store_t* store = wasm_store_new(engine);
  wasm_memory_t* m64 = wasm_memory_new(store, t64);
  CHECK(m64 != NULL);
  wasm_memorytype_t* back = wasm_memory_type(m64);
  CHECK(kiln_memorytype_is64(back) &&
        kiln_memorytype_maximum(back, &max) && max == 0x100000000ull);
  wasm_memorytype_delete(back);
  wasm_memory_delete(m64);
  wasm_memorytype_delete(t64);
  /* wasm_memory_new of a shared type works with threads on. */
  wasm_memory_t* sm = wasm_memory_new(store, type);
  CHECK(sm != NULL);
  wasm_memory_delete(sm);
  wasm_store_delete(store);
  wasm_engine_delete(engine);

  /* Threads off: no shared memory, from either constructor. */
  config = wasm_config_new();
  kiln_config_wasm_threads_set(config, false);
  engine = wasm_engine_new_with_config(config);
  err = kiln_sharedmemory_new(engine, type, &shared);
  CHECK(err != NULL && shared == NULL);
  wasm_name_t msg;
  kiln_error_message(err, &msg);  /* not NUL-terminated */
  char text[256] = {0};
  memcpy(text, msg.data, msg.size < sizeof(text) - 1 ? msg.size : sizeof(text) - 1);
  CHECK(strstr(text, "threads") != NULL);
  wasm_name_delete(&msg);
  kiln_error_delete(err);
  store = wasm_store_new(engine);
  CHECK(wasm_memory_new(store, type) == NULL);
  wasm_store_delete(store);
  wasm_memorytype_delete(type);
  wasm_engine_delete(engine);
  puts("Done.");
  return 0;
}
