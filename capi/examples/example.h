/* Shared by the C API examples: a check that stays on in release builds
 * and a module from the text format (kiln_wat2wasm). */
#ifndef KILN_CAPI_EXAMPLES_EXAMPLE_H_
#define KILN_CAPI_EXAMPLES_EXAMPLE_H_

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kiln_c.h>
#include <wasm.h>

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
              #cond);                                                  \
      exit(1);                                                         \
    }                                                                  \
  } while (0)

static inline wasm_module_t* CompileWat(wasm_store_t* store, const char* wat) {
  wasm_byte_vec_t binary;
  kiln_error_t* err = kiln_wat2wasm(wat, strlen(wat), &binary);
  if (err != NULL) {
    wasm_name_t msg;
    kiln_error_message(err, &msg);
    fprintf(stderr, "wat2wasm: %.*s\n", (int)msg.size, msg.data);
    exit(1);
  }
  wasm_module_t* m = wasm_module_new(store, &binary);
  wasm_byte_vec_delete(&binary);
  CHECK(m != NULL);
  return m;
}

/* The message of `trap` equals `expected`; deletes the trap. */
static inline void CheckTrapMessage(wasm_trap_t* trap, const char* expected) {
  CHECK(trap != NULL);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  if (strcmp(msg.data, expected) != 0) {
    fprintf(stderr, "trap message \"%s\", expected \"%s\"\n", msg.data,
            expected);
    exit(1);
  }
  wasm_name_delete(&msg);
  wasm_trap_delete(trap);
}

#endif /* KILN_CAPI_EXAMPLES_EXAMPLE_H_ */
