/* trap: wasm traps with their message, origin and trace; a host trap. */
#include "example.h"

static wasm_store_t* g_store;
static wasm_trap_t* Fail(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "callback abort");
  wasm_trap_t* trap = wasm_trap_new(g_store, &msg);
  wasm_name_delete(&msg);
  return trap;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  g_store = store;
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"fail\" (func $fail))"
      "  (func $inner (param i32) (result i32)"
      "    (i32.div_s (i32.const 1) (local.get 0)))"
      "  (func (export \"outer\") (result i32) (call $inner (i32.const 0)))"
      "  (func (export \"host\") (call $fail))"
      "  (func (export \"unreachable\") (unreachable)))");
  wasm_functype_t* type = wasm_functype_new_0_0();
  wasm_func_t* fail = wasm_func_new(store, type, Fail);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);

  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(e.data[0]), &none, &out);
  CHECK(trap != NULL);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL && wasm_frame_func_index(origin) == 1);
  wasm_frame_delete(origin);
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 2);
  CHECK(wasm_frame_func_index(trace.data[0]) == 1); /* $inner */
  CHECK(wasm_frame_func_index(trace.data[1]) == 2); /* outer */
  wasm_frame_t* copy = wasm_frame_copy(trace.data[1]);
  CHECK(wasm_frame_func_index(copy) == 2);
  wasm_frame_delete(copy);
  wasm_frame_vec_delete(&trace);
  kiln_trap_code_t code;
  CHECK(kiln_trap_code(trap, &code));
  CheckTrapMessage(trap, "integer divide by zero");

  CheckTrapMessage(wasm_func_call(wasm_extern_as_func(e.data[1]), &none, &none),
                   "callback abort");
  CheckTrapMessage(wasm_func_call(wasm_extern_as_func(e.data[2]), &none, &none),
                   "unreachable");

  /* A trap made by the host carries its message. */
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "made here");
  trap = wasm_trap_new(store, &msg);
  wasm_name_delete(&msg);
  CHECK(!kiln_trap_code(trap, &code));
  wasm_trap_t* same = wasm_trap_copy(trap);
  wasm_trap_delete(trap);
  CheckTrapMessage(same, "made here");

  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(fail);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
