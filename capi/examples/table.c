/* table: funcref tables read, written and grown from the host; functions
 * come back as the same function; call_indirect sees the host's writes. */
#include "example.h"

static wasm_trap_t* Neg(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = -args->data[0].of.i32;
  return NULL;
}

static wasm_trap_t* CallIndirect(const wasm_extern_t* f, int32_t arg,
                                 int32_t index, int32_t* out) {
  wasm_val_t a[2] = {WASM_I32_VAL(arg), WASM_I32_VAL(index)};
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
      "(module (table (export \"tab\") 2 10 funcref)"
      "  (func $id (export \"id\") (param i32) (result i32) (local.get 0))"
      "  (func (export \"call\") (param i32 i32) (result i32)"
      "    (call_indirect (param i32) (result i32) (local.get 0) (local.get 1)))"
      "  (elem (i32.const 1) $id))");
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t* instance =
      wasm_instance_new(store, module, &none_imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_table_t* tab = wasm_extern_as_table(e.data[0]);
  CHECK(tab != NULL && wasm_table_size(tab) == 2);

  CHECK(wasm_table_get(tab, 0) == NULL);
  wasm_ref_t* r = wasm_table_get(tab, 1);
  CHECK(r != NULL && wasm_ref_as_func(r) != NULL);
  CHECK(wasm_func_same(wasm_ref_as_func(r), wasm_extern_as_func(e.data[1])));
  int32_t v;
  CHECK(CallIndirect(e.data[2], 7, 1, &v) == NULL && v == 7);
  wasm_trap_t* trap = CallIndirect(e.data[2], 7, 0, &v); /* null slot */
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  /* A host function in the table. */
  wasm_functype_t* type =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* neg = wasm_func_new(store, type, Neg);
  wasm_functype_delete(type);
  CHECK(wasm_table_set(tab, 0, wasm_func_as_ref(neg)));
  CHECK(CallIndirect(e.data[2], 7, 0, &v) == NULL && v == -7);

  CHECK(!wasm_table_set(tab, 2, r)); /* out of bounds */
  CHECK(wasm_table_grow(tab, 3, r));
  CHECK(wasm_table_size(tab) == 5);
  CHECK(CallIndirect(e.data[2], 8, 4, &v) == NULL && v == 8);
  CHECK(!wasm_table_grow(tab, 6, NULL)); /* past the maximum */
  wasm_tabletype_t* tt = wasm_table_type(tab);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
  CHECK(wasm_tabletype_limits(tt)->min == 5);
  CHECK(wasm_tabletype_limits(tt)->max == 10);
  wasm_tabletype_delete(tt);

  wasm_limits_t limits = {1, wasm_limits_max_default};
  wasm_tabletype_t* htt = wasm_tabletype_new(wasm_valtype_new_funcref(), &limits);
  wasm_table_t* host = wasm_table_new(store, htt, wasm_func_as_ref(neg));
  wasm_tabletype_delete(htt);
  CHECK(host != NULL);
  wasm_ref_t* slot = wasm_table_get(host, 0);
  CHECK(slot != NULL && wasm_ref_same(slot, wasm_func_as_ref(neg)));
  wasm_ref_delete(slot);
  wasm_table_delete(host);

  wasm_ref_delete(r);
  wasm_func_delete(neg);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
