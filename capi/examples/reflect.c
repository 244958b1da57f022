/* reflect: import and export types of a module, and extern types of an
 * instance's exports. */
#include "example.h"

static void CheckName(const wasm_name_t* name, const char* expected) {
  CHECK(name->size == strlen(expected));
  CHECK(memcmp(name->data, expected, name->size) == 0);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (import \"env\" \"f\" (func (param i32 f32) (result i64)))"
      "  (import \"env\" \"m\" (memory 1 2))"
      "  (import \"env\" \"g\" (global (mut f64)))"
      "  (import \"env\" \"t\" (table 3 externref))"
      "  (func (export \"func\") (param i64) (result i32 i32)"
      "    (i32.const 1) (i32.const 2))"
      "  (global (export \"global\") i32 (i32.const 0))"
      "  (table (export \"table\") 1 5 funcref)"
      "  (export \"memory\" (memory 0)))");

  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 4);
  CheckName(wasm_importtype_module(imports.data[0]), "env");
  CheckName(wasm_importtype_name(imports.data[0]), "f");
  const wasm_functype_t* ft =
      wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[0]));
  CHECK(ft != NULL);
  CHECK(wasm_functype_params(ft)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_params(ft)->data[1]) == WASM_F32);
  CHECK(wasm_valtype_kind(wasm_functype_results(ft)->data[0]) == WASM_I64);
  const wasm_memorytype_t* mt = wasm_externtype_as_memorytype_const(
      wasm_importtype_type(imports.data[1]));
  CHECK(mt != NULL && wasm_memorytype_limits(mt)->min == 1 &&
        wasm_memorytype_limits(mt)->max == 2);
  const wasm_globaltype_t* gt = wasm_externtype_as_globaltype_const(
      wasm_importtype_type(imports.data[2]));
  CHECK(gt != NULL && wasm_globaltype_mutability(gt) == WASM_VAR);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_F64);
  const wasm_tabletype_t* tt = wasm_externtype_as_tabletype_const(
      wasm_importtype_type(imports.data[3]));
  CHECK(tt != NULL);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_EXTERNREF);
  CHECK(wasm_tabletype_limits(tt)->max == wasm_limits_max_default);
  CHECK(wasm_externtype_as_functype_const(
            wasm_importtype_type(imports.data[3])) == NULL);
  wasm_importtype_vec_t copy;
  wasm_importtype_vec_copy(&copy, &imports);
  CHECK(copy.size == 4);
  CheckName(wasm_importtype_name(copy.data[2]), "g");
  wasm_importtype_vec_delete(&copy);
  wasm_importtype_vec_delete(&imports);

  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 4);
  const wasm_externkind_t kinds[] = {WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL,
                                     WASM_EXTERN_TABLE, WASM_EXTERN_MEMORY};
  const char* names[] = {"func", "global", "table", "memory"};
  for (size_t i = 0; i < 4; ++i) {
    CheckName(wasm_exporttype_name(exports.data[i]), names[i]);
    CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[i])) ==
          kinds[i]);
  }
  ft = wasm_externtype_as_functype_const(wasm_exporttype_type(exports.data[0]));
  CHECK(wasm_functype_results(ft)->size == 2);
  wasm_exporttype_vec_delete(&exports);

  /* Types built by hand, copied, deleted. */
  wasm_valtype_t* ps[2] = {wasm_valtype_new_i32(), wasm_valtype_new_funcref()};
  wasm_valtype_vec_t params, results;
  wasm_valtype_vec_new(&params, 2, ps);
  wasm_valtype_vec_new_empty(&results);
  wasm_functype_t* built = wasm_functype_new(&params, &results);
  wasm_externtype_t* as_extern = wasm_functype_as_externtype(built);
  CHECK(wasm_externtype_kind(as_extern) == WASM_EXTERN_FUNC);
  wasm_externtype_t* ext_copy = wasm_externtype_copy(as_extern);
  CHECK(wasm_valtype_kind(
            wasm_functype_params(wasm_externtype_as_functype(ext_copy))->data[1]) ==
        WASM_FUNCREF);
  wasm_externtype_delete(ext_copy);
  wasm_functype_delete(built);
  wasm_tagtype_t* tag = wasm_tagtype_new(wasm_functype_new_0_0());
  CHECK(wasm_externtype_kind(wasm_tagtype_as_externtype(tag)) == WASM_EXTERN_TAG);
  wasm_tagtype_delete(tag);

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
