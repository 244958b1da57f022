/* global: imported, exported and host-created globals, read and written
 * from both sides. */
#include "example.h"

static int32_t CallI32(const wasm_extern_t* f) {
  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func_const(f), &none, &out) == NULL);
  return out_arr[0].of.i32;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"g\" (global $g (mut i32)))"
      "  (global (export \"c\") f64 (f64.const 1.5))"
      "  (global (export \"v\") (mut i64) (i64.const -1))"
      "  (func (export \"get\") (result i32) (global.get $g))"
      "  (func (export \"set\") (param i32) (global.set $g (local.get 0))))");
  wasm_globaltype_t* type = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t init = WASM_I32_VAL(7);
  wasm_global_t* g = wasm_global_new(store, type, &init);
  wasm_globaltype_delete(type);
  CHECK(g != NULL);
  wasm_extern_t* externs[] = {wasm_global_as_extern(g)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  CHECK(e.size == 4);

  CHECK(CallI32(e.data[2]) == 7);
  wasm_val_t v = WASM_I32_VAL(42);
  wasm_global_set(g, &v);
  CHECK(CallI32(e.data[2]) == 42);
  wasm_val_t arg_arr[1] = {WASM_I32_VAL(9)};
  wasm_val_vec_t arg = WASM_ARRAY_VEC(arg_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[3]), &arg, &none) == NULL);
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 9);

  wasm_global_t* c = wasm_extern_as_global(e.data[0]);
  wasm_global_get(c, &v);
  CHECK(v.kind == WASM_F64 && v.of.f64 == 1.5);
  wasm_globaltype_t* ct = wasm_global_type(c);
  CHECK(wasm_globaltype_mutability(ct) == WASM_CONST);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(ct)) == WASM_F64);
  wasm_globaltype_delete(ct);
  /* An immutable global keeps its value. */
  wasm_val_t other = WASM_F64_VAL(3.0);
  wasm_global_set(c, &other);
  wasm_global_get(c, &v);
  CHECK(v.of.f64 == 1.5);

  wasm_global_t* var = wasm_extern_as_global(e.data[1]);
  wasm_val_t big = WASM_I64_VAL(INT64_C(1) << 40);
  wasm_global_set(var, &big);
  wasm_global_get(var, &v);
  CHECK(v.kind == WASM_I64 && v.of.i64 == (INT64_C(1) << 40));

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_global_delete(g);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
