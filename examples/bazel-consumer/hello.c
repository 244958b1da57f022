/* Kiln from another Bazel workspace, in C: a host function called from
 * wasm. */
#include <stdio.h>
#include <string.h>

#include <kiln_c.h>
#include <wasm.h>

/* Checked in every build mode (Bazel's opt mode defines NDEBUG). */
#define CHECK(cond)                                  \
  do {                                               \
    if (!(cond)) {                                   \
      fprintf(stderr, "check failed: %s\n", #cond); \
      return 1;                                      \
    }                                                \
  } while (0)

static wasm_trap_t* Hello(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)results;
  printf("hello from wasm: %d\n", args->data[0].of.i32);
  return NULL;
}

int main(void) {
  const char* wat =
      "(module (import \"\" \"hello\" (func $h (param i32)))"
      "  (func (export \"run\") (call $h (i32.const 42))))";
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_byte_vec_t binary;
  kiln_error_t* err = kiln_wat2wasm(wat, strlen(wat), &binary);
  CHECK(err == NULL);
  wasm_module_t* module = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(module != NULL);
  wasm_functype_t* type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* hello = wasm_func_new(store, type, Hello);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(hello)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(exports.data[0]), &none, &none);
  CHECK(trap == NULL);
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
