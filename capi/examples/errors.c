/* errors: bad input gets NULL or a trap with a message, never a crash:
 * malformed modules, wrong import counts and types, calls with the wrong
 * arguments, and objects used with another store. */
#include "example.h"

static wasm_trap_t* Nop(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  return NULL;
}

static void CheckTrapContains(wasm_trap_t* trap, const char* text) {
  CHECK(trap != NULL);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  if (strstr(msg.data, text) == NULL) {
    fprintf(stderr, "trap \"%s\" lacks \"%s\"\n", msg.data, text);
    exit(1);
  }
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);

  /* Malformed bytes. */
  const char* junk[] = {"", "\0asm", "\0asm\x01\0\0\0\x01\xff", "hello"};
  const size_t sizes[] = {0, 4, 10, 5};
  for (int i = 0; i < 4; ++i) {
    wasm_byte_vec_t bytes;
    wasm_byte_vec_new(&bytes, sizes[i], junk[i]);
    CHECK(!wasm_module_validate(store, &bytes));
    CHECK(wasm_module_new(store, &bytes) == NULL);
    wasm_byte_vec_delete(&bytes);
  }

  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"f\" (func (param i32)))"
      "  (func (export \"add\") (param i32 i32) (result i32)"
      "    (i32.add (local.get 0) (local.get 1))))");

  /* Wrong number of imports. */
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_trap_t* trap = NULL;
  CHECK(wasm_instance_new(store, module, &none_imports, &trap) == NULL);
  CheckTrapContains(trap, "imports");

  /* Wrong import type. */
  wasm_functype_t* wrong = wasm_functype_new_0_0();
  wasm_func_t* nop = wasm_func_new(store, wrong, Nop);
  wasm_functype_delete(wrong);
  wasm_extern_t* externs[] = {wasm_func_as_extern(nop)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  CHECK(wasm_instance_new(store, module, &imports, &trap) == NULL);
  CheckTrapContains(trap, "incompatible import type");
  wasm_limits_t lim = {1, 1};
  wasm_memorytype_t* mt = wasm_memorytype_new(&lim);
  wasm_memory_t* mem = wasm_memory_new(store, mt);
  wasm_memorytype_delete(mt);
  wasm_extern_t* mem_externs[] = {wasm_memory_as_extern(mem)};
  wasm_extern_vec_t mem_imports = WASM_ARRAY_VEC(mem_externs);
  CHECK(wasm_instance_new(store, module, &mem_imports, &trap) == NULL);
  CheckTrapContains(trap, "incompatible import type");

  /* The right import, then calls with wrong arguments. */
  wasm_functype_t* right = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t* f = wasm_func_new(store, right, Nop);
  wasm_functype_delete(right);
  wasm_extern_t* good[] = {wasm_func_as_extern(f)};
  wasm_extern_vec_t good_imports = WASM_ARRAY_VEC(good);
  wasm_instance_t* instance =
      wasm_instance_new(store, module, &good_imports, &trap);
  CHECK(instance != NULL && trap == NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  const wasm_func_t* add = wasm_extern_as_func(e.data[0]);
  wasm_val_t one[1] = {WASM_I32_VAL(1)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t one_arg = WASM_ARRAY_VEC(one);
  wasm_val_vec_t res = WASM_ARRAY_VEC(r);
  CheckTrapContains(wasm_func_call(add, &one_arg, &res), "takes 2 arguments");
  wasm_val_t mixed[2] = {WASM_I32_VAL(1), WASM_F64_VAL(2.0)};
  wasm_val_vec_t mixed_args = WASM_ARRAY_VEC(mixed);
  CheckTrapContains(wasm_func_call(add, &mixed_args, &res), "argument 1");
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_val_t two[2] = {WASM_I32_VAL(1), WASM_I32_VAL(2)};
  wasm_val_vec_t two_args = WASM_ARRAY_VEC(two);
  CheckTrapContains(wasm_func_call(add, &two_args, &none), "results");
  CHECK(wasm_func_call(add, &two_args, &res) == NULL && r[0].of.i32 == 3);

  /* Objects of another store. */
  wasm_store_t* other = wasm_store_new(engine);
  CHECK(wasm_instance_new(other, module, &good_imports, &trap) == NULL);
  CheckTrapContains(trap, "wrong store");
  wasm_functype_t* f_type = wasm_func_type(f);
  wasm_func_t* other_f = wasm_func_new(other, f_type, Nop);
  wasm_functype_delete(f_type);
  wasm_extern_t* other_externs[] = {wasm_func_as_extern(other_f)};
  wasm_extern_vec_t other_imports = WASM_ARRAY_VEC(other_externs);
  CHECK(wasm_instance_new(store, module, &other_imports, &trap) == NULL);
  CheckTrapContains(trap, "wrong store");
  /* A funcref of another store refused by a table. */
  wasm_limits_t tl = {1, 1};
  wasm_tabletype_t* tt = wasm_tabletype_new(wasm_valtype_new_funcref(), &tl);
  wasm_table_t* table = wasm_table_new(store, tt, NULL);
  wasm_tabletype_delete(tt);
  CHECK(!wasm_table_set(table, 0, wasm_func_as_ref(other_f)));
  CHECK(wasm_table_set(table, 0, wasm_func_as_ref(f)));
  wasm_table_delete(table);
  wasm_func_delete(other_f);
  wasm_store_delete(other);

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(f);
  wasm_func_delete(nop);
  wasm_memory_delete(mem);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
