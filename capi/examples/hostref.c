/* hostref: host objects (wasm_foreign_t) as externref through function
 * parameters and results, globals and tables; identity and host info
 * survive the round trip. */
#include "example.h"

static wasm_trap_t* Echo(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"echo\" (func $echo (param externref) (result externref)))"
      "  (global $g (export \"g\") (mut externref) (ref.null extern))"
      "  (table $t (export \"t\") 2 externref)"
      "  (func (export \"through\") (param externref) (result externref)"
      "    (call $echo (local.get 0)))"
      "  (func (export \"stash\") (param externref)"
      "    (global.set $g (local.get 0)) (table.set $t (i32.const 1) (local.get 0)))"
      "  (func (export \"is_null\") (param externref) (result i32)"
      "    (ref.is_null (local.get 0))))");
  wasm_valtype_t* p = wasm_valtype_new_externref();
  wasm_valtype_t* r = wasm_valtype_new_externref();
  wasm_functype_t* type = wasm_functype_new_1_1(p, r);
  wasm_func_t* echo = wasm_func_new(store, type, Echo);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(echo)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);

  wasm_foreign_t* host = wasm_foreign_new(store);
  static int marker = 7;
  wasm_foreign_set_host_info(host, &marker);

  /* Through a wasm function and the host function it calls. */
  wasm_val_t a[1] = {WASM_REF_VAL(wasm_foreign_as_ref(host))};
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a);
  wasm_val_vec_t results = WASM_ARRAY_VEC(res);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[2]), &args, &results) == NULL);
  CHECK(res[0].kind == WASM_EXTERNREF && res[0].of.ref != NULL);
  CHECK(wasm_ref_same(res[0].of.ref, wasm_foreign_as_ref(host)));
  CHECK(wasm_ref_get_host_info(res[0].of.ref) == &marker);
  CHECK(wasm_ref_as_foreign(res[0].of.ref) != NULL);
  wasm_val_delete(&res[0]);

  /* Into a global and a table from wasm, read back from the host. */
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[3]), &args, &none) == NULL);
  wasm_val_t g;
  wasm_global_get(wasm_extern_as_global(e.data[0]), &g);
  CHECK(g.kind == WASM_EXTERNREF && wasm_ref_same(g.of.ref, wasm_foreign_as_ref(host)));
  wasm_val_delete(&g);
  wasm_ref_t* slot = wasm_table_get(wasm_extern_as_table(e.data[1]), 1);
  CHECK(slot != NULL && wasm_ref_get_host_info(slot) == &marker);
  wasm_ref_delete(slot);
  CHECK(wasm_table_get(wasm_extern_as_table(e.data[1]), 0) == NULL);

  /* Null stays null. */
  wasm_val_t n[1] = {WASM_REF_VAL(NULL)};
  wasm_val_vec_t nargs = WASM_ARRAY_VEC(n);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[4]), &nargs, &results) == NULL);
  CHECK(res[0].of.i32 == 1);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[4]), &args, &results) == NULL);
  CHECK(res[0].of.i32 == 0);

  /* Host-side: a global created with a foreign value. */
  wasm_globaltype_t* gt =
      wasm_globaltype_new(wasm_valtype_new_externref(), WASM_VAR);
  wasm_global_t* hg = wasm_global_new(store, gt, &a[0]);
  wasm_globaltype_delete(gt);
  CHECK(hg != NULL);
  wasm_global_get(hg, &g);
  CHECK(wasm_ref_same(g.of.ref, wasm_foreign_as_ref(host)));
  wasm_val_delete(&g);
  wasm_global_delete(hg);

  wasm_foreign_delete(host);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(echo);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
