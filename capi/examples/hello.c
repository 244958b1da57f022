/* hello: a host function imported and called from wasm. */
#include "example.h"

static int calls = 0;

static wasm_trap_t* Hello(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  printf("Calling back...\n> Hello World!\n");
  ++calls;
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (func $hello (import \"\" \"hello\"))"
      "  (func (export \"run\") (call $hello)))");
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* hello = wasm_func_new(store, type, Hello);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(hello)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 1);
  const wasm_func_t* run = wasm_extern_as_func_const(exports.data[0]);
  CHECK(run != NULL);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(run, &none, &none) == NULL);
  CHECK(calls == 1);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
