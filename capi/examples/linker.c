/* linker (kiln_c.h): engine-owned host functions in a Linker used by two
 * stores, WASI with arguments and proc_exit, fuel, epochs, InstancePre,
 * store limits, errors with messages. */
#include "example.h"

static wasm_trap_t* Twice(void* env, const wasm_val_vec_t* args,
                          wasm_val_vec_t* results) {
  ++*(int*)env;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = 2 * args->data[0].of.i32;
  return NULL;
}

static int finalized = 0;
static void Finalize(void* env) {
  (void)env;
  ++finalized;
}

static void CheckErrorContains(kiln_error_t* err, const char* text) {
  CHECK(err != NULL);
  wasm_name_t msg;
  kiln_error_message(err, &msg);
  if (strstr(msg.data, text) == NULL) {
    fprintf(stderr, "error \"%.*s\" lacks \"%s\"\n", (int)msg.size, msg.data,
            text);
    exit(1);
  }
  wasm_name_delete(&msg);
  kiln_error_delete(err);
}

static const char kWat[] =
    "(module"
    "  (import \"host\" \"twice\" (func $twice (param i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\""
    "    (func $sizes (param i32 i32) (result i32)))"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))"
    "  (memory (export \"memory\") 1)"
    "  (func (export \"double\") (param i32) (result i32)"
    "    (call $twice (local.get 0)))"
    "  (func (export \"argc\") (result i32)"
    "    (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))"
    "  (func (export \"spin\") (loop (br 0)))"
    "  (func (export \"_start\") (call $exit (i32.const 3))))";

static wasm_func_t* Export(wasm_instance_t* instance, const char* name) {
  wasm_extern_t* e = kiln_instance_export_get(instance, name, strlen(name));
  CHECK(e != NULL);
  return wasm_extern_as_func(e);
}

int main(void) {
  wasm_config_t* config = wasm_config_new();
  kiln_config_consume_fuel_set(config, true);
  kiln_config_epoch_interruption_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  kiln_linker_t* linker = kiln_linker_new(engine);
  static int calls = 0;
  wasm_functype_t* t =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  CHECK(kiln_linker_define_func(linker, "host", "twice", t, Twice, &calls,
                                Finalize) == NULL);
  wasm_functype_delete(t);
  CHECK(kiln_linker_define_wasi(linker) == NULL);
  wasm_module_t* module = NULL;
  CHECK(kiln_module_new(engine, (const uint8_t*)kWat, strlen(kWat), &module) ==
        NULL);

  for (int s = 0; s < 2; ++s) {
    wasm_store_t* store = wasm_store_new(engine);
    kiln_wasi_config_t* wasi = kiln_wasi_config_new();
    const char* argv[] = {"prog", "a", "b"};
    kiln_wasi_config_set_argv(wasi, (size_t)(1 + s), argv);
    CHECK(kiln_store_set_wasi(store, wasi) == NULL);
    CHECK(kiln_store_set_fuel(store, 1000000) == NULL);
    kiln_store_set_epoch_deadline(store, 100);

    kiln_instance_pre_t* pre = NULL;
    CHECK(kiln_linker_instantiate_pre(linker, store, module, &pre) == NULL);
    wasm_instance_t* instance = NULL;
    wasm_trap_t* trap = NULL;
    CHECK(kiln_instance_pre_instantiate(pre, store, &instance, &trap) == NULL);
    CHECK(instance != NULL && trap == NULL);

    wasm_val_t a[1] = {WASM_I32_VAL(21)};
    wasm_val_t r[1] = {WASM_INIT_VAL};
    wasm_val_vec_t args = WASM_ARRAY_VEC(a);
    wasm_val_vec_t res = WASM_ARRAY_VEC(r);
    wasm_val_vec_t none = WASM_EMPTY_VEC;
    wasm_func_t* dbl = Export(instance, "double");
    CHECK(wasm_func_call(dbl, &args, &res) == NULL && r[0].of.i32 == 42);
    wasm_func_t* argc = Export(instance, "argc");
    CHECK(wasm_func_call(argc, &none, &res) == NULL && r[0].of.i32 == 1 + s);

    wasm_func_t* start = Export(instance, "_start");
    trap = wasm_func_call(start, &none, &none);
    int status = -1;
    CHECK(trap != NULL && kiln_trap_exit_status(store, trap, &status) &&
          status == 3);
    wasm_trap_delete(trap);

    /* Out of fuel: a trap; more fuel and the store goes on. */
    CHECK(kiln_store_set_fuel(store, 5000) == NULL);
    wasm_func_t* spin = Export(instance, "spin");
    trap = wasm_func_call(spin, &none, &none);
    CHECK(trap != NULL);
    wasm_trap_delete(trap);
    CHECK(kiln_store_set_fuel(store, 1000000) == NULL);
    /* The epoch passes the deadline: the spinning call is interrupted. */
    kiln_store_set_epoch_deadline(store, 1);
    kiln_engine_increment_epoch(engine);
    trap = wasm_func_call(spin, &none, &none);
    CHECK(trap != NULL);
    wasm_trap_delete(trap);

    wasm_extern_t* item = NULL;
    CHECK(kiln_linker_get(linker, store, "host", "twice", &item) == NULL);
    CHECK(item != NULL && wasm_extern_kind(item) == WASM_EXTERN_FUNC);
    wasm_extern_delete(item);
    CHECK(kiln_linker_get(linker, store, "host", "nope", &item) == NULL);
    CHECK(item == NULL);

    wasm_func_delete(dbl);
    wasm_func_delete(argc);
    wasm_func_delete(start);
    wasm_func_delete(spin);
    wasm_instance_delete(instance);
    kiln_instance_pre_delete(pre);
    wasm_store_delete(store);
  }
  CHECK(calls == 2);

  /* Store limits: a second memory is refused, with a message. */
  wasm_store_t* store = wasm_store_new(engine);
  kiln_store_limiter(store, -1, -1, -1, -1, 0);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  CheckErrorContains(
      kiln_linker_instantiate(linker, store, module, &instance, &trap),
      "memor");
  CHECK(instance == NULL);

  /* Unknown imports name themselves. */
  const char* bad = "(module (import \"host\" \"nope\" (func)))";
  wasm_module_t* bad_module = NULL;
  CHECK(kiln_module_new(engine, (const uint8_t*)bad, strlen(bad),
                        &bad_module) == NULL);
  CheckErrorContains(
      kiln_linker_instantiate(linker, store, bad_module, &instance, &trap),
      "host::nope");
  wasm_module_delete(bad_module);
  CheckErrorContains(kiln_module_new(engine, (const uint8_t*)"(module", 7,
                                     &bad_module),
                     "");
  wasm_store_delete(store);

  wasm_module_delete(module);
  CHECK(finalized == 0);
  kiln_linker_delete(linker);
  CHECK(finalized == 1);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
