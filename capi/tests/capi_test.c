/* The C API from C: every part of wasm.h a host uses, then kiln_c.h.
 * Compiled as C11, so it also checks that the headers are valid C. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln_c.h>
#include <wasm.h>

static int failures = 0;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,   \
              #cond);                                                    \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

/* A module from the text format, through kiln_wat2wasm. */
static wasm_module_t* Compile(wasm_store_t* store, const char* wat) {
  wasm_byte_vec_t binary;
  kiln_error_t* err = kiln_wat2wasm(wat, strlen(wat), &binary);
  if (err != NULL) {
    wasm_name_t msg;
    kiln_error_message(err, &msg);
    fprintf(stderr, "wat2wasm: %.*s\n", (int)msg.size, msg.data);
    wasm_name_delete(&msg);
    kiln_error_delete(err);
    return NULL;
  }
  wasm_module_t* m = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  return m;
}

static int calls = 0;
static wasm_trap_t* Hello(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  ++calls;
  return NULL;
}

static wasm_trap_t* AddWithEnv(void* env, const wasm_val_vec_t* args,
                               wasm_val_vec_t* results) {
  int32_t bias = *(int32_t*)env;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32 + bias;
  return NULL;
}

static int finalized = 0;
static void Finalize(void* p) { finalized += *(int*)p; }

static wasm_store_t* g_store;  /* for the trapping callback */
static wasm_trap_t* Fail(const wasm_val_vec_t* args, wasm_val_vec_t* results) {
  (void)args;
  (void)results;
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "callback failed");
  wasm_trap_t* trap = wasm_trap_new(g_store, &msg);
  wasm_name_delete(&msg);
  return trap;
}

static void TestHelloAndCalls(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = Compile(store,
      "(module (import \"\" \"hello\" (func $h))"
      "  (import \"\" \"add\" (func $add (param i32 i32) (result i32)))"
      "  (func (export \"run\") (call $h))"
      "  (func (export \"sum\") (param i32 i32) (result i32)"
      "    (call $add (local.get 0) (local.get 1)))"
      "  (func (export \"pair\") (param i64) (result i64 f64)"
      "    (local.get 0) (f64.const 2.5)))");
  CHECK(module != NULL);

  wasm_functype_t* hello_type = wasm_functype_new_0_0();
  wasm_func_t* hello = wasm_func_new(store, hello_type, Hello);
  wasm_functype_delete(hello_type);
  wasm_functype_t* add_type = wasm_functype_new_2_1(
      wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  static int32_t bias = 100;
  static int add_token = 1;
  wasm_func_t* add =
      wasm_func_new_with_env(store, add_type, AddWithEnv, &bias, NULL);
  wasm_func_set_host_info_with_finalizer(add, &add_token, Finalize);
  CHECK(wasm_func_get_host_info(add) == &add_token);
  CHECK(wasm_func_param_arity(add) == 2);
  CHECK(wasm_func_result_arity(add) == 1);
  wasm_functype_delete(add_type);

  wasm_extern_t* externs[] = {wasm_func_as_extern(hello),
                              wasm_func_as_extern(add)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_trap_t* trap = NULL;
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, &trap);
  CHECK(instance != NULL && trap == NULL);

  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 3);
  wasm_func_t* run = wasm_extern_as_func(exports.data[0]);
  CHECK(run != NULL);
  CHECK(wasm_extern_as_memory(exports.data[0]) == NULL);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(run, &none, &none) == NULL);
  CHECK(wasm_func_call(run, &none, &none) == NULL);
  CHECK(calls == 2);

  wasm_val_t args_arr[2] = {WASM_I32_VAL(2), WASM_I32_VAL(3)};
  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(args_arr);
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  CHECK(wasm_func_call(wasm_extern_as_func(exports.data[1]), &args, &out) ==
        NULL);
  CHECK(out_arr[0].kind == WASM_I32 && out_arr[0].of.i32 == 105);

  /* Multi-value. */
  wasm_val_t p_arr[1] = {WASM_I64_VAL(-7)};
  wasm_val_t r_arr[2] = {WASM_INIT_VAL, WASM_INIT_VAL};
  wasm_val_vec_t p = WASM_ARRAY_VEC(p_arr);
  wasm_val_vec_t r = WASM_ARRAY_VEC(r_arr);
  CHECK(wasm_func_call(wasm_extern_as_func(exports.data[2]), &p, &r) == NULL);
  CHECK(r_arr[0].kind == WASM_I64 && r_arr[0].of.i64 == -7);
  CHECK(r_arr[1].kind == WASM_F64 && r_arr[1].of.f64 == 2.5);

  /* Wrong argument count: a trap, not a crash. */
  wasm_trap_t* bad = wasm_func_call(wasm_extern_as_func(exports.data[1]),
                                    &none, &out);
  CHECK(bad != NULL);
  wasm_trap_delete(bad);

  /* Type reflection. */
  wasm_functype_t* ft = wasm_func_type(wasm_extern_as_func(exports.data[2]));
  CHECK(wasm_functype_params(ft)->size == 1);
  CHECK(wasm_valtype_kind(wasm_functype_params(ft)->data[0]) == WASM_I64);
  CHECK(wasm_functype_results(ft)->size == 2);
  CHECK(wasm_valtype_kind(wasm_functype_results(ft)->data[1]) == WASM_F64);
  wasm_functype_delete(ft);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello);
  wasm_func_delete(add);
  wasm_module_delete(module);
  CHECK(finalized == 0);
  wasm_store_delete(store);
  CHECK(finalized == 1); /* host info finalizers run with the store */
}

static void TestTraps(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  g_store = store;
  wasm_module_t* module = Compile(store,
      "(module $m (import \"\" \"fail\" (func $fail))"
      "  (func $inner (export \"div\") (param i32) (result i32)"
      "    (i32.div_s (i32.const 1) (local.get 0)))"
      "  (func (export \"outer\") (result i32) (call $inner (i32.const 0)))"
      "  (func (export \"host\") (call $fail)))");
  CHECK(module != NULL);
  wasm_functype_t* t = wasm_functype_new_0_0();
  wasm_func_t* fail = wasm_func_new(store, t, Fail);
  wasm_functype_delete(t);
  wasm_extern_t* externs[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);

  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(exports.data[1]), &none, &out);
  CHECK(trap != NULL);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  CHECK(strcmp(msg.data, "integer divide by zero") == 0);
  wasm_name_delete(&msg);
  kiln_trap_code_t code;
  CHECK(kiln_trap_code(trap, &code));
  wasm_frame_vec_t trace;
  wasm_trap_trace(trap, &trace);
  CHECK(trace.size == 2); /* inner, then outer */
  CHECK(trace.size == 2 && wasm_frame_func_index(trace.data[0]) == 1);
  CHECK(trace.size == 2 && wasm_frame_func_index(trace.data[1]) == 2);
  wasm_frame_t* origin = wasm_trap_origin(trap);
  CHECK(origin != NULL && wasm_frame_func_index(origin) == 1);
  wasm_frame_delete(origin);
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);

  /* A host callback's trap keeps its message. */
  trap = wasm_func_call(wasm_extern_as_func(exports.data[2]), &none, &none);
  CHECK(trap != NULL);
  wasm_trap_message(trap, &msg);
  CHECK(strcmp(msg.data, "callback failed") == 0);
  CHECK(!kiln_trap_code(trap, &code));
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(fail);
  wasm_module_delete(module);
  wasm_store_delete(store);
}

static void TestGlobalsTablesMemories(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = Compile(store,
      "(module (import \"\" \"g\" (global $g (mut i32)))"
      "  (memory (export \"mem\") 1 3)"
      "  (table (export \"tab\") 2 funcref)"
      "  (global (export \"c\") f64 (f64.const 1.5))"
      "  (func $f (export \"get\") (result i32) (global.get $g))"
      "  (func (export \"set\") (param i32) (global.set $g (local.get 0)))"
      "  (func (export \"load\") (param i32) (result i32)"
      "    (i32.load8_u (local.get 0)))"
      "  (elem (i32.const 1) $f))");
  CHECK(module != NULL);
  wasm_globaltype_t* gt =
      wasm_globaltype_new(wasm_valtype_new_i32(), WASM_VAR);
  wasm_val_t init = WASM_I32_VAL(7);
  wasm_global_t* g = wasm_global_new(store, gt, &init);
  wasm_globaltype_delete(gt);
  CHECK(g != NULL);
  wasm_extern_t* externs[] = {wasm_global_as_extern(g)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  CHECK(e.size == 6);

  /* Globals: host and wasm see each other's writes. */
  wasm_val_t out_arr[1] = {WASM_INIT_VAL};
  wasm_val_vec_t out = WASM_ARRAY_VEC(out_arr);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[3]), &none, &out) == NULL);
  CHECK(out_arr[0].of.i32 == 7);
  wasm_val_t v = WASM_I32_VAL(42);
  wasm_global_set(g, &v);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[3]), &none, &out) == NULL);
  CHECK(out_arr[0].of.i32 == 42);
  wasm_val_t arg_arr[1] = {WASM_I32_VAL(9)};
  wasm_val_vec_t arg = WASM_ARRAY_VEC(arg_arr);
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[4]), &arg, &none) == NULL);
  wasm_global_get(g, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 9);
  wasm_global_t* c = wasm_extern_as_global(e.data[2]);
  wasm_global_get(c, &v);
  CHECK(v.kind == WASM_F64 && v.of.f64 == 1.5);
  wasm_globaltype_t* ct = wasm_global_type(c);
  CHECK(wasm_globaltype_mutability(ct) == WASM_CONST);
  CHECK(wasm_valtype_kind(wasm_globaltype_content(ct)) == WASM_F64);
  wasm_globaltype_delete(ct);

  /* Memory. */
  wasm_memory_t* mem = wasm_extern_as_memory(e.data[0]);
  CHECK(wasm_memory_size(mem) == 1);
  CHECK(wasm_memory_data_size(mem) == MEMORY_PAGE_SIZE);
  wasm_memory_data(mem)[5] = 77;
  arg_arr[0].of.i32 = 5;
  CHECK(wasm_func_call(wasm_extern_as_func(e.data[5]), &arg, &out) == NULL);
  CHECK(out_arr[0].of.i32 == 77);
  CHECK(wasm_memory_grow(mem, 2));
  CHECK(wasm_memory_size(mem) == 3);
  CHECK(!wasm_memory_grow(mem, 1)); /* past the maximum */
  wasm_memorytype_t* mt = wasm_memory_type(mem);
  CHECK(wasm_memorytype_limits(mt)->min == 3);
  CHECK(wasm_memorytype_limits(mt)->max == 3);
  wasm_memorytype_delete(mt);
  /* Out of bounds access traps. */
  arg_arr[0].of.i32 = 3 * 65536;
  wasm_trap_t* trap =
      wasm_func_call(wasm_extern_as_func(e.data[5]), &arg, &out);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  /* Tables: funcrefs come back as the same function. */
  wasm_table_t* tab = wasm_extern_as_table(e.data[1]);
  CHECK(wasm_table_size(tab) == 2);
  CHECK(wasm_table_get(tab, 0) == NULL);
  wasm_ref_t* r = wasm_table_get(tab, 1);
  CHECK(r != NULL);
  wasm_func_t* f = wasm_ref_as_func(r);
  CHECK(f != NULL && wasm_func_same(f, wasm_extern_as_func(e.data[3])));
  CHECK(wasm_table_set(tab, 0, r));
  CHECK(wasm_table_get(tab, 5) == NULL); /* out of bounds */
  CHECK(!wasm_table_set(tab, 5, r));
  CHECK(wasm_table_grow(tab, 3, r));
  CHECK(wasm_table_size(tab) == 5);
  wasm_ref_t* r4 = wasm_table_get(tab, 4);
  CHECK(r4 != NULL && wasm_ref_same(r4, r));
  wasm_ref_delete(r4);
  wasm_ref_delete(r);
  wasm_tabletype_t* tt = wasm_table_type(tab);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(tt)) == WASM_FUNCREF);
  CHECK(wasm_tabletype_limits(tt)->min == 5);
  CHECK(wasm_tabletype_limits(tt)->max == wasm_limits_max_default);
  wasm_tabletype_delete(tt);

  /* Host-created table and memory. */
  wasm_limits_t lim = {1, 4};
  wasm_tabletype_t* htt =
      wasm_tabletype_new(wasm_valtype_new_externref(), &lim);
  wasm_table_t* ht = wasm_table_new(store, htt, NULL);
  wasm_tabletype_delete(htt);
  CHECK(ht != NULL && wasm_table_size(ht) == 1);
  wasm_memorytype_t* hmt = wasm_memorytype_new(&lim);
  wasm_memory_t* hm = wasm_memory_new(store, hmt);
  wasm_memorytype_delete(hmt);
  CHECK(hm != NULL && wasm_memory_size(hm) == 1);

  /* Foreign objects through an externref table, host info kept. */
  wasm_foreign_t* foreign = wasm_foreign_new(store);
  static int marker = 5;
  wasm_foreign_set_host_info(foreign, &marker);
  CHECK(wasm_table_set(ht, 0, wasm_foreign_as_ref(foreign)));
  wasm_ref_t* back = wasm_table_get(ht, 0);
  CHECK(back != NULL && wasm_ref_get_host_info(back) == &marker);
  CHECK(wasm_ref_as_foreign(back) != NULL);
  CHECK(wasm_ref_same(back, wasm_foreign_as_ref(foreign)));
  wasm_ref_delete(back);
  wasm_foreign_delete(foreign);

  wasm_table_delete(ht);
  wasm_memory_delete(hm);
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_global_delete(g);
  wasm_module_delete(module);
  wasm_store_delete(store);
}

static void TestModuleReflectionAndSerialize(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = Compile(store,
      "(module (import \"env\" \"f\" (func (param i32)))"
      "  (import \"env\" \"m\" (memory 1 2))"
      "  (import \"env\" \"g\" (global (mut i64)))"
      "  (import \"env\" \"t\" (table 3 externref))"
      "  (func (export \"answer\") (result i32) (i32.const 42)))");
  CHECK(module != NULL);
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 4);
  const wasm_name_t* n = wasm_importtype_name(imports.data[1]);
  CHECK(n->size == 1 && n->data[0] == 'm');
  const wasm_externtype_t* et = wasm_importtype_type(imports.data[1]);
  CHECK(wasm_externtype_kind(et) == WASM_EXTERN_MEMORY);
  CHECK(wasm_memorytype_limits(wasm_externtype_as_memorytype_const(et))->max ==
        2);
  et = wasm_importtype_type(imports.data[2]);
  CHECK(wasm_globaltype_mutability(wasm_externtype_as_globaltype_const(et)) ==
        WASM_VAR);
  et = wasm_importtype_type(imports.data[3]);
  CHECK(wasm_valtype_kind(wasm_tabletype_element(
            wasm_externtype_as_tabletype_const(et))) == WASM_EXTERNREF);
  wasm_importtype_vec_t copy;
  wasm_importtype_vec_copy(&copy, &imports);
  CHECK(copy.size == 4);
  wasm_importtype_vec_delete(&copy);
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 1);
  CHECK(wasm_externtype_kind(wasm_exporttype_type(exports.data[0])) ==
        WASM_EXTERN_FUNC);
  wasm_exporttype_vec_delete(&exports);

  /* Serialize / deserialize, share / obtain. */
  wasm_byte_vec_t bytes;
  wasm_module_serialize(module, &bytes);
  CHECK(bytes.size > 0);
  wasm_module_t* again = wasm_module_deserialize(store, &bytes);
  CHECK(again != NULL);
  wasm_byte_vec_delete(&bytes);
  wasm_shared_module_t* shared = wasm_module_share(again);
  wasm_store_t* other = wasm_store_new(engine);
  wasm_module_t* obtained = wasm_module_obtain(other, shared);
  CHECK(obtained != NULL);
  wasm_exporttype_vec_t e2;
  wasm_module_exports(obtained, &e2);
  CHECK(e2.size == 1);
  wasm_exporttype_vec_delete(&e2);
  wasm_module_delete(obtained);
  wasm_shared_module_delete(shared);
  wasm_module_delete(again);
  wasm_store_delete(other);

  /* Bad input: NULL, nothing else. */
  wasm_byte_vec_t junk;
  wasm_byte_vec_new(&junk, 5, "\0asmX");
  CHECK(!wasm_module_validate(store, &junk));
  CHECK(wasm_module_new(store, &junk) == NULL);
  wasm_byte_vec_delete(&junk);

  wasm_module_delete(module);
  wasm_store_delete(store);
}

/* Kiln's extensions: linker, engine host functions, WASI, fuel, epochs,
 * limits, InstancePre. */
static wasm_trap_t* Twice(void* env, const wasm_val_vec_t* args,
                          wasm_val_vec_t* results) {
  (void)env;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = 2 * args->data[0].of.i32;
  return NULL;
}

static void TestLinkerWasiFuel(void) {
  wasm_config_t* config = wasm_config_new();
  kiln_config_consume_fuel_set(config, true);
  wasm_engine_t* engine = wasm_engine_new_with_config(config);
  kiln_linker_t* linker = kiln_linker_new(engine);
  wasm_functype_t* t =
      wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
  static int env_token = 10;
  CHECK(kiln_linker_define_func(linker, "host", "twice", t, Twice, &env_token,
                                Finalize) == NULL);
  wasm_functype_delete(t);
  CHECK(kiln_linker_define_wasi(linker) == NULL);

  const char* wat =
      "(module"
      "  (import \"host\" \"twice\" (func $twice (param i32) (result i32)))"
      "  (import \"wasi_snapshot_preview1\" \"proc_exit\""
      "    (func $exit (param i32)))"
      "  (memory (export \"memory\") 1)"
      "  (func (export \"double\") (param i32) (result i32)"
      "    (call $twice (local.get 0)))"
      "  (func (export \"spin\") (loop (br 0)))"
      "  (func (export \"_start\") (call $exit (i32.const 3))))";
  wasm_module_t* module = NULL;
  kiln_error_t* err = kiln_module_new(engine, (const uint8_t*)wat, strlen(wat),
                                      &module);
  CHECK(err == NULL && module != NULL);

  wasm_store_t* store = wasm_store_new(engine);
  kiln_wasi_config_t* wasi = kiln_wasi_config_new();
  const char* argv[] = {"prog", "a"};
  kiln_wasi_config_set_argv(wasi, 2, argv);
  CHECK(kiln_store_set_wasi(store, wasi) == NULL);
  CHECK(kiln_store_set_fuel(store, 1000000) == NULL);

  kiln_instance_pre_t* pre = NULL;
  CHECK(kiln_linker_instantiate_pre(linker, store, module, &pre) == NULL);
  wasm_instance_t* instance = NULL;
  wasm_trap_t* trap = NULL;
  CHECK(kiln_instance_pre_instantiate(pre, store, &instance, &trap) == NULL);
  CHECK(instance != NULL && trap == NULL);

  wasm_extern_t* dbl = kiln_instance_export_get(instance, "double", 6);
  CHECK(dbl != NULL);
  wasm_val_t a[1] = {WASM_I32_VAL(21)};
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a);
  wasm_val_vec_t res = WASM_ARRAY_VEC(r);
  CHECK(wasm_func_call(wasm_extern_as_func(dbl), &args, &res) == NULL);
  CHECK(r[0].of.i32 == 42);
  CHECK(kiln_instance_export_get(instance, "nope", 4) == NULL);

  /* proc_exit is recognised. */
  wasm_extern_t* start = kiln_instance_export_get(instance, "_start", 6);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  trap = wasm_func_call(wasm_extern_as_func(start), &none, &none);
  int status = -1;
  CHECK(trap != NULL && kiln_trap_exit_status(store, trap, &status) &&
        status == 3);
  if (trap != NULL) wasm_trap_delete(trap);

  /* Fuel runs out in an endless loop: a trap, and the store goes on. */
  uint64_t fuel = 0;
  CHECK(kiln_store_get_fuel(store, &fuel) == NULL && fuel > 0);
  CHECK(kiln_store_set_fuel(store, 10000) == NULL);
  wasm_extern_t* spin = kiln_instance_export_get(instance, "spin", 4);
  trap = wasm_func_call(wasm_extern_as_func(spin), &none, &none);
  CHECK(trap != NULL);
  if (trap != NULL) wasm_trap_delete(trap);
  CHECK(kiln_store_set_fuel(store, 1000) == NULL);
  CHECK(wasm_func_call(wasm_extern_as_func(dbl), &args, &res) == NULL);

  /* Linker lookups. */
  wasm_extern_t* item = NULL;
  CHECK(kiln_linker_get(linker, store, "host", "twice", &item) == NULL);
  CHECK(item != NULL && wasm_extern_kind(item) == WASM_EXTERN_FUNC);
  wasm_extern_delete(item);
  CHECK(kiln_linker_get(linker, store, "host", "missing", &item) == NULL);
  CHECK(item == NULL);

  /* An unknown import: an error naming it. */
  const char* bad = "(module (import \"host\" \"nope\" (func)))";
  wasm_module_t* bad_module = NULL;
  CHECK(kiln_module_new(engine, (const uint8_t*)bad, strlen(bad),
                        &bad_module) == NULL);
  wasm_instance_t* none_inst = NULL;
  err = kiln_linker_instantiate(linker, store, bad_module, &none_inst, &trap);
  CHECK(err != NULL && none_inst == NULL);
  if (err != NULL) {
    wasm_name_t msg;
    kiln_error_message(err, &msg);
    CHECK(strstr(msg.data, "host::nope") != NULL);
    wasm_name_delete(&msg);
    kiln_error_delete(err);
  }
  wasm_module_delete(bad_module);

  wasm_extern_delete(dbl);
  wasm_extern_delete(start);
  wasm_extern_delete(spin);
  wasm_instance_delete(instance);
  kiln_instance_pre_delete(pre);
  wasm_store_delete(store);
  wasm_module_delete(module);
  const int before = finalized;
  kiln_linker_delete(linker);
  CHECK(finalized == before + 10); /* the env's finalizer ran */
  wasm_engine_delete(engine);
}

/* A shared module instantiated on several threads, one store each. */
typedef struct {
  wasm_engine_t* engine;
  wasm_shared_module_t* shared;
  int result;
} ThreadArgs;

static void* RunThread(void* p) {
  ThreadArgs* t = (ThreadArgs*)p;
  wasm_store_t* store = wasm_store_new(t->engine);
  wasm_module_t* m = wasm_module_obtain(store, t->shared);
  wasm_extern_vec_t none_imports = WASM_EMPTY_VEC;
  wasm_instance_t* inst = wasm_instance_new(store, m, &none_imports, NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(inst, &e);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t res = WASM_ARRAY_VEC(r);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  for (int i = 0; i < 1000; ++i) {
    if (wasm_func_call(wasm_extern_as_func(e.data[0]), &none, &res) != NULL) {
      t->result = -1;
      break;
    }
    t->result += r[0].of.i32;
  }
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_store_delete(store);
  return NULL;
}

static void TestThreads(wasm_engine_t* engine) {
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module =
      Compile(store, "(module (func (export \"one\") (result i32) (i32.const 1)))");
  wasm_shared_module_t* shared = wasm_module_share(module);
  pthread_t threads[4];
  ThreadArgs args[4];
  for (int i = 0; i < 4; ++i) {
    args[i].engine = engine;
    args[i].shared = shared;
    args[i].result = 0;
    pthread_create(&threads[i], NULL, RunThread, &args[i]);
  }
  for (int i = 0; i < 4; ++i) {
    pthread_join(threads[i], NULL);
    CHECK(args[i].result == 1000);
  }
  wasm_shared_module_delete(shared);
  wasm_module_delete(module);
  wasm_store_delete(store);
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  TestHelloAndCalls(engine);
  TestTraps(engine);
  TestGlobalsTablesMemories(engine);
  TestModuleReflectionAndSerialize(engine);
  TestThreads(engine);
  wasm_engine_delete(engine);
  TestLinkerWasiFuel();
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("capi_test: all checks passed\n");
  return 0;
}
