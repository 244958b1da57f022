/* callback: host functions with an environment, several parameters,
 * results checked by kind, and a callback that traps. */
#include "example.h"

static wasm_trap_t* AddWithBias(void* env, const wasm_val_vec_t* args,
                                wasm_val_vec_t* results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 =
      args->data[0].of.i32 + args->data[1].of.i32 + *(int32_t*)env;
  return NULL;
}

static wasm_store_t* g_store;
static wasm_trap_t* Fail(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "callback failed");
  wasm_trap_t* trap = wasm_trap_new(g_store, &msg);
  wasm_name_delete(&msg);
  return trap;
}

/* Returns an f64 where an i32 is due. */
static wasm_trap_t* WrongKind(const wasm_val_vec_t* args,
                              wasm_val_vec_t* results) {
  (void)args;
  results->data[0].kind = WASM_F64;
  results->data[0].of.f64 = 1.0;
  return NULL;
}

static int finalized = 0;
static void Finalize(void* env) {
  (void)env;
  ++finalized;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  g_store = store;
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"add\" (func $add (param i32 i32) (result i32)))"
      "  (import \"\" \"fail\" (func $fail))"
      "  (import \"\" \"wrong\" (func $wrong (result i32)))"
      "  (func (export \"sum\") (param i32 i32) (result i32)"
      "    (call $add (local.get 0) (local.get 1)))"
      "  (func (export \"fail\") (call $fail))"
      "  (func (export \"wrong\") (result i32) (call $wrong)))");
  static int32_t bias = 100;
  wasm_functype_t* add_type = wasm_functype_new_2_1(
      wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t* add =
      wasm_func_new_with_env(store, add_type, AddWithBias, &bias, Finalize);
  wasm_functype_delete(add_type);
  CHECK(wasm_func_param_arity(add) == 2 && wasm_func_result_arity(add) == 1);
  wasm_functype_t* void_type = wasm_functype_new_0_0();
  wasm_func_t* fail = wasm_func_new(store, void_type, Fail);
  wasm_functype_delete(void_type);
  wasm_functype_t* i32_type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* wrong = wasm_func_new(store, i32_type, WrongKind);
  wasm_functype_delete(i32_type);

  wasm_extern_t* externs[] = {wasm_func_as_extern(add),
                              wasm_func_as_extern(fail),
                              wasm_func_as_extern(wrong)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  wasm_val_t args_arr[2] = {WASM_I32_VAL(2), WASM_I32_VAL(3)};
  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(args_arr);
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  CHECK(wasm_func_call(wasm_extern_as_func(exports.data[0]), &args, &out) ==
        NULL);
  CHECK(out_arr[0].kind == WASM_I32 && out_arr[0].of.i32 == 105);
  /* Calling the host function directly works too. */
  CHECK(wasm_func_call(add, &args, &out) == NULL && out_arr[0].of.i32 == 105);

  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CheckTrapMessage(
      wasm_func_call(wasm_extern_as_func(exports.data[1]), &none, &none),
      "callback failed");
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(exports.data[2]), &none, &out);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(add);
  wasm_func_delete(fail);
  wasm_func_delete(wrong);
  wasm_module_delete(module);
  CHECK(finalized == 0);
  wasm_store_delete(store);
  CHECK(finalized == 1); /* the environment's finalizer, once */
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
