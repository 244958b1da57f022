// wasm_xxx_vec_t for every element type of wasm.h. An own vector owns its
// elements: copy deep-copies them, delete deletes them.
#include <cstdlib>
#include <cstring>

#include "capi/internal.h"

namespace {

// Element ownership by kind: plain values, owned pointers, wasm_val_t.
template <typename Vec, typename T>
void NewUninitialized(Vec* out, size_t n) {
  out->size = n;
  out->data = n == 0 ? nullptr : new T[n]();
}

template <typename Vec, typename T>
void NewFrom(Vec* out, size_t n, T const xs[]) {
  NewUninitialized<Vec, T>(out, n);
  for (size_t i = 0; i < n; ++i) out->data[i] = xs[i];
}

template <typename Vec>
void FreeStorage(Vec* v) {
  delete[] v->data;
  v->data = nullptr;
  v->size = 0;
}

}  // namespace

extern "C" {

// Plain elements (bytes).
void wasm_byte_vec_new_empty(wasm_byte_vec_t* out) {
  out->size = 0;
  out->data = nullptr;
}
void wasm_byte_vec_new_uninitialized(wasm_byte_vec_t* out, size_t n) {
  NewUninitialized<wasm_byte_vec_t, wasm_byte_t>(out, n);
}
void wasm_byte_vec_new(wasm_byte_vec_t* out, size_t n, const wasm_byte_t xs[]) {
  NewFrom(out, n, xs);
}
void wasm_byte_vec_copy(wasm_byte_vec_t* out, const wasm_byte_vec_t* v) {
  NewFrom(out, v->size, v->data);
}
void wasm_byte_vec_delete(wasm_byte_vec_t* v) { FreeStorage(v); }

// Values: references inside are owned.
void wasm_val_vec_new_empty(wasm_val_vec_t* out) {
  out->size = 0;
  out->data = nullptr;
}
void wasm_val_vec_new_uninitialized(wasm_val_vec_t* out, size_t n) {
  NewUninitialized<wasm_val_vec_t, wasm_val_t>(out, n);
}
void wasm_val_vec_new(wasm_val_vec_t* out, size_t n, const wasm_val_t xs[]) {
  NewFrom(out, n, xs);
}
void wasm_val_vec_copy(wasm_val_vec_t* out, const wasm_val_vec_t* v) {
  NewUninitialized<wasm_val_vec_t, wasm_val_t>(out, v->size);
  for (size_t i = 0; i < v->size; ++i) wasm_val_copy(&out->data[i], &v->data[i]);
}
void wasm_val_vec_delete(wasm_val_vec_t* v) {
  for (size_t i = 0; i < v->size; ++i) wasm_val_delete(&v->data[i]);
  FreeStorage(v);
}

}  // extern "C"

// Owned pointers: copy with wasm_xxx_copy, delete with wasm_xxx_delete.
#define KILN_CAPI_PTR_VEC(name)                                              \
  extern "C" void wasm_##name##_vec_new_empty(wasm_##name##_vec_t* out) {    \
    out->size = 0;                                                           \
    out->data = nullptr;                                                     \
  }                                                                          \
  extern "C" void wasm_##name##_vec_new_uninitialized(                       \
      wasm_##name##_vec_t* out, size_t n) {                                  \
    NewUninitialized<wasm_##name##_vec_t, wasm_##name##_t*>(out, n);         \
  }                                                                          \
  extern "C" void wasm_##name##_vec_new(wasm_##name##_vec_t* out, size_t n,  \
                                        wasm_##name##_t* const xs[]) {       \
    NewFrom(out, n, xs);                                                     \
  }                                                                          \
  extern "C" void wasm_##name##_vec_copy(wasm_##name##_vec_t* out,           \
                                         const wasm_##name##_vec_t* v) {     \
    NewUninitialized<wasm_##name##_vec_t, wasm_##name##_t*>(out, v->size);   \
    for (size_t i = 0; i < v->size; ++i) {                                   \
      out->data[i] =                                                         \
          v->data[i] == nullptr ? nullptr : wasm_##name##_copy(v->data[i]);  \
    }                                                                        \
  }                                                                          \
  extern "C" void wasm_##name##_vec_delete(wasm_##name##_vec_t* v) {         \
    for (size_t i = 0; i < v->size; ++i) {                                   \
      if (v->data[i] != nullptr) wasm_##name##_delete(v->data[i]);           \
    }                                                                        \
    FreeStorage(v);                                                          \
  }

KILN_CAPI_PTR_VEC(valtype)
KILN_CAPI_PTR_VEC(functype)
KILN_CAPI_PTR_VEC(globaltype)
KILN_CAPI_PTR_VEC(tabletype)
KILN_CAPI_PTR_VEC(memorytype)
KILN_CAPI_PTR_VEC(tagtype)
KILN_CAPI_PTR_VEC(externtype)
KILN_CAPI_PTR_VEC(importtype)
KILN_CAPI_PTR_VEC(exporttype)
KILN_CAPI_PTR_VEC(frame)
KILN_CAPI_PTR_VEC(extern)
