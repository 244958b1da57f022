/* serialize: a compiled module to bytes and back (also into another
 * store), and Kiln's .cwasm functions with their errors. */
#include "example.h"

static int32_t RunAnswer(wasm_store_t* store, wasm_module_t* module) {
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t results = WASM_ARRAY_VEC(r);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[0]), &none, &results) == NULL);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  return r[0].of.i32;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (func (export \"answer\") (result i32) (i32.const 42)))");
  wasm_byte_vec_t bytes;
  wasm_module_serialize(module, &bytes);
  CHECK(bytes.size > 0);
  wasm_module_delete(module);

  wasm_module_t* again = wasm_module_deserialize(store, &bytes);
  CHECK(again != NULL);
  CHECK(RunAnswer(store, again) == 42);
  wasm_store_t* other = wasm_store_new(engine);
  wasm_module_t* in_other = wasm_module_deserialize(other, &bytes);
  CHECK(in_other != NULL && RunAnswer(other, in_other) == 42);
  wasm_module_delete(in_other);
  wasm_store_delete(other);

  /* The same through kiln_c.h, with errors that say why. */
  wasm_module_t* k = NULL;
  CHECK(kiln_module_deserialize(engine, (const uint8_t*)bytes.data, bytes.size,
                                &k) == NULL);
  CHECK(k != NULL);
  wasm_module_delete(k);
  kiln_error_t* err =
      kiln_module_deserialize(engine, (const uint8_t*)"junk", 4, &k);
  CHECK(err != NULL && k == NULL);
  wasm_name_t msg;
  kiln_error_message(err, &msg);
  CHECK(msg.size > 0);
  wasm_name_delete(&msg);
  kiln_error_delete(err);

  /* Corrupt bytes: NULL, nothing else. */
  bytes.data[bytes.size / 2] ^= 0x5a;
  bytes.data[8] ^= 0x5a;
  wasm_module_t* bad = wasm_module_deserialize(store, &bytes);
  if (bad != NULL) wasm_module_delete(bad);
  wasm_byte_vec_delete(&bytes);

  wasm_module_delete(again);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
