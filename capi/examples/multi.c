/* multi: several parameters and results of every numeric type, through a
 * host function and back. */
#include "example.h"

/* (i32, i64, i64, i32) -> (i32, i64, i64, i32), reversed. */
static wasm_trap_t* Reverse(const wasm_val_vec_t* args,
                            wasm_val_vec_t* results) {
  for (size_t i = 0; i < 4; ++i) {
    results->data[i] = args->data[3 - i];
  }
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"rev\" (func $rev (param i32 i64 i64 i32)"
      "    (result i32 i64 i64 i32)))"
      "  (func (export \"g\") (param i32 i64 i64 i32) (result i32 i64 i64 i32)"
      "    (call $rev (local.get 0) (local.get 1) (local.get 2) (local.get 3)))"
      "  (func (export \"floats\") (param f32 f64) (result f64 f32)"
      "    (local.get 1) (local.get 0)))");
  wasm_valtype_t* ps[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                           wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_t* rs[4] = {wasm_valtype_new_i32(), wasm_valtype_new_i64(),
                           wasm_valtype_new_i64(), wasm_valtype_new_i32()};
  wasm_valtype_vec_t params, results_t;
  wasm_valtype_vec_new(&params, 4, ps);
  wasm_valtype_vec_new(&results_t, 4, rs);
  wasm_functype_t* type = wasm_functype_new(&params, &results_t);
  wasm_func_t* rev = wasm_func_new(store, type, Reverse);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(rev)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);

  wasm_val_t a[4] = {WASM_I32_VAL(1), WASM_I64_VAL(2), WASM_I64_VAL(3),
                     WASM_I32_VAL(4)};
  wasm_val_t r[4] = {WASM_INIT_VAL, WASM_INIT_VAL, WASM_INIT_VAL,
                     WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a);
  wasm_val_vec_t res = WASM_ARRAY_VEC(r);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[0]), &args, &res) == NULL);
  CHECK(r[0].kind == WASM_I32 && r[0].of.i32 == 4);
  CHECK(r[1].kind == WASM_I64 && r[1].of.i64 == 3);
  CHECK(r[2].kind == WASM_I64 && r[2].of.i64 == 2);
  CHECK(r[3].kind == WASM_I32 && r[3].of.i32 == 1);

  wasm_val_t fa[2] = {WASM_F32_VAL(1.5f), WASM_F64_VAL(-2.25)};
  wasm_val_t fr[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t fargs = WASM_ARRAY_VEC(fa);
  wasm_val_vec_t fres = WASM_ARRAY_VEC(fr);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[1]), &fargs, &fres) == NULL);
  CHECK(fr[0].kind == WASM_F64 && fr[0].of.f64 == -2.25);
  CHECK(fr[1].kind == WASM_F32 && fr[1].of.f32 == 1.5f);

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(rev);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
