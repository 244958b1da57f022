/* memory: an exported memory read, written, grown from the host; a
 * host-created memory; out-of-bounds access traps. */
#include "example.h"

static wasm_trap_t* Call(const wasm_extern_t* f, int32_t arg, int32_t* out) {
  wasm_val_t a[1] = {WASM_I32_VAL(arg)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a);
  wasm_val_vec_t results = WASM_ARRAY_VEC(r);
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func_const(f), &args, &results);
  *out = r[0].of.i32;
  return trap;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (memory (export \"mem\") 2 3)"
      "  (func (export \"load\") (param i32) (result i32)"
      "    (i32.load8_s (local.get 0)))"
      "  (func (export \"size\") (param i32) (result i32) (memory.size))"
      "  (data (i32.const 0x1000) \"\\01\\02\\03\\04\"))");
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance =
      wasm_instance_new(store, module, &none_imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_memory_t* mem = wasm_extern_as_memory(e.data[0]);
  CHECK(mem != NULL);

  CHECK(wasm_memory_size(mem) == 2);
  CHECK(wasm_memory_data_size(mem) == 2 * MEMORY_PAGE_SIZE);
  CHECK(wasm_memory_data(mem)[0x1002] == 3);
  int32_t v;
  CHECK(Call(e.data[1], 0x1003, &v) == NULL && v == 4);
  wasm_memory_data(mem)[0x1003] = 5;
  CHECK(Call(e.data[1], 0x1003, &v) == NULL && v == 5);

  wasm_trap_t* trap = Call(e.data[1], 2 * 65536, &v);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  CHECK(wasm_memory_grow(mem, 1));
  CHECK(wasm_memory_size(mem) == 3);
  CHECK(Call(e.data[2], 0, &v) == NULL && v == 3);
  CHECK(Call(e.data[1], 2 * 65536, &v) == NULL && v == 0);
  CHECK(!wasm_memory_grow(mem, 1)); /* past the maximum */
  wasm_memorytype_t* mt = wasm_memory_type(mem);
  CHECK(wasm_memorytype_limits(mt)->min == 3);
  CHECK(wasm_memorytype_limits(mt)->max == 3);
  wasm_memorytype_delete(mt);

  wasm_limits_t limits = {5, 5};
  wasm_memorytype_t* type = wasm_memorytype_new(&limits);
  wasm_memory_t* host = wasm_memory_new(store, type);
  wasm_memorytype_delete(type);
  CHECK(host != NULL && wasm_memory_size(host) == 5);
  CHECK(!wasm_memory_grow(host, 1));
  wasm_memory_delete(host);

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
