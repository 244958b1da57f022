/* threads: one engine and one shared module, instantiated and called on
 * several threads, each with its own store. */
#include <pthread.h>

#include "example.h"

enum { kThreads = 4, kCalls = 1000 };

typedef struct {
  wasm_engine_t* engine;
  wasm_shared_module_t* shared;
  int32_t id;
  int64_t sum;
} Worker;

static wasm_trap_t* Id(void* env, const wasm_val_vec_t* args,
                       wasm_val_vec_t* results) {
  (void)args;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = ((Worker*)env)->id;
  return NULL;
}

static void* Run(void* p) {
  Worker* w = (Worker*)p;
  wasm_store_t* store = wasm_store_new(w->engine);
  wasm_module_t* module = wasm_module_obtain(store, w->shared);
  CHECK(module != NULL);
  wasm_functype_t* type = wasm_functype_new_0_1(wasm_valtype_new_i32());
  wasm_func_t* id = wasm_func_new_with_env(store, type, Id, w, NULL);
  wasm_functype_delete(type);
  wasm_extern_t* externs[] = {wasm_func_as_extern(id)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_instance_t* instance = wasm_instance_new(store, module, &imports, NULL);
  CHECK(instance != NULL);
  wasm_extern_vec_t e;
  wasm_instance_exports(instance, &e);
  wasm_val_t r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t results = WASM_ARRAY_VEC(r);
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  for (int i = 0; i < kCalls; ++i) {
    CHECK(wasm_func_call(wasm_extern_as_func(e.data[0]), &none, &results) ==
          NULL);
    w->sum += r[0].of.i32;
  }
  wasm_extern_vec_delete(&e);
  wasm_instance_delete(instance);
  wasm_func_delete(id);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return NULL;
}

int main(void) {
  wasm_engine_t* engine = wasm_engine_new();
  wasm_store_t* store = wasm_store_new(engine);
  wasm_module_t* module = CompileWat(store,
      "(module (import \"\" \"id\" (func $id (result i32)))"
      "  (func (export \"next\") (result i32)"
      "    (i32.add (call $id) (i32.const 1))))");
  wasm_shared_module_t* shared = wasm_module_share(module);
  pthread_t threads[kThreads];
  Worker workers[kThreads];
  for (int i = 0; i < kThreads; ++i) {
    workers[i] = (Worker){engine, shared, i, 0};
    CHECK(pthread_create(&threads[i], NULL, Run, &workers[i]) == 0);
  }
  for (int i = 0; i < kThreads; ++i) {
    CHECK(pthread_join(threads[i], NULL) == 0);
    CHECK(workers[i].sum == (int64_t)kCalls * (i + 1));
  }
  wasm_shared_module_delete(shared);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  printf("Done.\n");
  return 0;
}
