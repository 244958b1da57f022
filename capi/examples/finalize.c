/* finalize: host info with finalizers on every reference type; each
 * finalizer runs exactly once (store-owned objects when their store is
 * deleted, modules and traps when their handle is). */
#include "example.h"

static int counts[16];
static void Finalize(void* p) { ++counts[(int)(intptr_t)p]; }

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (func (export \"f\")) (memory (export \"m\") 1)"
      "  (table (export \"t\") 1 funcref) (global (export \"g\") i32 (i32.const 0)))");
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance =
      wasm_instance_new(store, module, &none_imports, NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);

  wasm_func_set_host_info_with_finalizer(wasm_extern_as_func(e.data[0]),
                                         (void*)1, Finalize);
  wasm_memory_set_host_info_with_finalizer(wasm_extern_as_memory(e.data[1]),
                                           (void*)2, Finalize);
  wasm_table_set_host_info_with_finalizer(wasm_extern_as_table(e.data[2]),
                                          (void*)3, Finalize);
  wasm_global_set_host_info_with_finalizer(wasm_extern_as_global(e.data[3]),
                                           (void*)4, Finalize);
  wasm_instance_set_host_info_with_finalizer(instance, (void*)5, Finalize);
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  wasm_foreign_set_host_info_with_finalizer(foreign, (void*)6, Finalize);
  wasm_module_set_host_info_with_finalizer(module, (void*)7, Finalize);
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "t");
  wasm_trap_t* trap = wasm_trap_new(store, &msg);
  wasm_name_delete(&msg);
  wasm_trap_set_host_info_with_finalizer(trap, (void*)8, Finalize);

  /* Host info belongs to the object: every handle sees it. */
  wasm_extern_vec_t again;
  wasm_instance_exports(instance, &again);
  CHECK(wasm_func_get_host_info(wasm_extern_as_func(again.data[0])) == (void*)1);
  CHECK(wasm_memory_get_host_info(wasm_extern_as_memory(again.data[1])) ==
        (void*)2);
  wasm_extern_vec_delete(&again);
  CHECK(wasm_instance_get_host_info(instance) == (void*)5);

  /* Deleting handles of store-owned objects finalizes nothing. */
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_foreign_delete(foreign);
  for (int i = 1; i <= 6; ++i) CHECK(counts[i] == 0);
  wasm_trap_delete(trap);
  CHECK(counts[8] == 1);
  wasm_store_delete(store);
  for (int i = 1; i <= 6; ++i) CHECK(counts[i] == 1);
  CHECK(counts[7] == 0);
  wasm_module_delete(module);
  CHECK(counts[7] == 1);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
