/* start: a start function that traps makes wasm_instance_new fail with
 * the trap. */
#include "example.h"

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (func $start (unreachable)) (start $start))");
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, &trap);
  CHECK(instance == NULL);
  CHECK(trap != NULL);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL && wasm_frame_func_index(origin) == 0);
  wasm_frame_delete(origin);
  CheckTrapMessage(trap, "unreachable");

  /* A start function that runs sets state the exports see. */
  wasm_module_t* ok = CompileWat(store,
      "(module (global $g (mut i32) (i32.const 0))"
      "  (func $start (global.set $g (i32.const 5))) (start $start)"
      "  (func (export \"get\") (result i32) (global.get $g)))");
  instance = wasm_instance_new(store, ok, &imports, &trap);
  CHECK(instance != NULL && trap == NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t results = WASM_ARRAY_VEC(r);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[0]), &none, &results) == NULL);
  CHECK(r[0].of.i32 == 5);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_module_delete(ok);

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
