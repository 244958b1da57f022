// The type representations of wasm.h: value, function, global, table,
// memory, tag, extern, import and export types.
#include "capi/internal.h"

using kiln::capi::RefKind;

wasm_functype_t::~wasm_functype_t() {
  wasm_valtype_vec_delete(&params);
  wasm_valtype_vec_delete(&results);
}

wasm_externtype_t* wasm_functype_t::Copy() const {
  auto* t = new wasm_functype_t;
  wasm_valtype_vec_copy(&t->params, &params);
  wasm_valtype_vec_copy(&t->results, &results);
  return t;
}

wasm_tagtype_t::~wasm_tagtype_t() { delete functype; }

wasm_externtype_t* wasm_tagtype_t::Copy() const {
  auto* t = new wasm_tagtype_t;
  t->functype = static_cast<wasm_functype_t*>(functype->Copy());
  return t;
}

extern "C" {

// --- Value types
wasm_valtype_t* wasm_valtype_new(wasm_valkind_t kind) {
  return new wasm_valtype_t{kind};
}
wasm_valtype_t* wasm_valtype_copy(const wasm_valtype_t* t) {
  return new wasm_valtype_t(*t);
}
void wasm_valtype_delete(wasm_valtype_t* t) { delete t; }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t* t) { return t->kind; }

// --- Function types
wasm_functype_t* wasm_functype_new(wasm_valtype_vec_t* params,
                                   wasm_valtype_vec_t* results) {
  auto* t = new wasm_functype_t;
  t->params = *params;    // takes the vectors
  t->results = *results;
  return t;
}
wasm_functype_t* wasm_functype_copy(const wasm_functype_t* t) {
  return static_cast<wasm_functype_t*>(t->Copy());
}
void wasm_functype_delete(wasm_functype_t* t) { delete t; }
const wasm_valtype_vec_t* wasm_functype_params(const wasm_functype_t* t) {
  return &t->params;
}
const wasm_valtype_vec_t* wasm_functype_results(const wasm_functype_t* t) {
  return &t->results;
}

// --- Global types
wasm_globaltype_t* wasm_globaltype_new(wasm_valtype_t* content,
                                       wasm_mutability_t mutability) {
  auto* t = new wasm_globaltype_t;
  t->content = *content;
  t->mutability = mutability;
  delete content;
  return t;
}
wasm_globaltype_t* wasm_globaltype_copy(const wasm_globaltype_t* t) {
  return new wasm_globaltype_t(*t);
}
void wasm_globaltype_delete(wasm_globaltype_t* t) { delete t; }
const wasm_valtype_t* wasm_globaltype_content(const wasm_globaltype_t* t) {
  return &t->content;
}
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t* t) {
  return t->mutability;
}

// --- Table types
wasm_tabletype_t* wasm_tabletype_new(wasm_valtype_t* element,
                                     const wasm_limits_t* limits) {
  auto* t = new wasm_tabletype_t;
  t->element = *element;
  t->limits = *limits;
  delete element;
  return t;
}
wasm_tabletype_t* wasm_tabletype_copy(const wasm_tabletype_t* t) {
  return new wasm_tabletype_t(*t);
}
void wasm_tabletype_delete(wasm_tabletype_t* t) { delete t; }
const wasm_valtype_t* wasm_tabletype_element(const wasm_tabletype_t* t) {
  return &t->element;
}
const wasm_limits_t* wasm_tabletype_limits(const wasm_tabletype_t* t) {
  return &t->limits;
}

// --- Memory types
wasm_memorytype_t* wasm_memorytype_new(const wasm_limits_t* limits) {
  auto* t = new wasm_memorytype_t;
  t->limits = *limits;
  t->type.limits = kiln::capi::ToLimits(*limits);
  return t;
}
wasm_memorytype_t* wasm_memorytype_copy(const wasm_memorytype_t* t) {
  return new wasm_memorytype_t(*t);
}
void wasm_memorytype_delete(wasm_memorytype_t* t) { delete t; }
const wasm_limits_t* wasm_memorytype_limits(const wasm_memorytype_t* t) {
  return &t->limits;
}

// --- Tag types
wasm_tagtype_t* wasm_tagtype_new(wasm_functype_t* functype) {
  auto* t = new wasm_tagtype_t;
  t->functype = functype;
  return t;
}
wasm_tagtype_t* wasm_tagtype_copy(const wasm_tagtype_t* t) {
  return static_cast<wasm_tagtype_t*>(t->Copy());
}
void wasm_tagtype_delete(wasm_tagtype_t* t) { delete t; }
const wasm_functype_t* wasm_tagtype_functype(const wasm_tagtype_t* t) {
  return t->functype;
}

// --- Extern types
wasm_externtype_t* wasm_externtype_copy(const wasm_externtype_t* t) {
  return t->Copy();
}
void wasm_externtype_delete(wasm_externtype_t* t) { delete t; }
wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t* t) {
  return t->kind;
}

}  // extern "C"

#define KILN_CAPI_EXTERNTYPE_CASTS(name, KIND)                                \
  extern "C" wasm_externtype_t* wasm_##name##_as_externtype(                  \
      wasm_##name##_t* t) {                                                   \
    return t;                                                                 \
  }                                                                           \
  extern "C" const wasm_externtype_t* wasm_##name##_as_externtype_const(      \
      const wasm_##name##_t* t) {                                             \
    return t;                                                                 \
  }                                                                           \
  extern "C" wasm_##name##_t* wasm_externtype_as_##name(                      \
      wasm_externtype_t* t) {                                                 \
    return t != nullptr && t->kind == KIND ? static_cast<wasm_##name##_t*>(t) \
                                           : nullptr;                         \
  }                                                                           \
  extern "C" const wasm_##name##_t* wasm_externtype_as_##name##_const(        \
      const wasm_externtype_t* t) {                                           \
    return t != nullptr && t->kind == KIND                                    \
               ? static_cast<const wasm_##name##_t*>(t)                       \
               : nullptr;                                                     \
  }

KILN_CAPI_EXTERNTYPE_CASTS(functype, WASM_EXTERN_FUNC)
KILN_CAPI_EXTERNTYPE_CASTS(globaltype, WASM_EXTERN_GLOBAL)
KILN_CAPI_EXTERNTYPE_CASTS(tabletype, WASM_EXTERN_TABLE)
KILN_CAPI_EXTERNTYPE_CASTS(memorytype, WASM_EXTERN_MEMORY)
KILN_CAPI_EXTERNTYPE_CASTS(tagtype, WASM_EXTERN_TAG)

extern "C" {

// --- Import and export types
wasm_importtype_t* wasm_importtype_new(wasm_name_t* module, wasm_name_t* name,
                                       wasm_externtype_t* type) {
  return new wasm_importtype_t{*module, *name, type};
}
wasm_importtype_t* wasm_importtype_copy(const wasm_importtype_t* t) {
  auto* c = new wasm_importtype_t;
  wasm_byte_vec_copy(&c->module, &t->module);
  wasm_byte_vec_copy(&c->name, &t->name);
  c->type = t->type->Copy();
  return c;
}
void wasm_importtype_delete(wasm_importtype_t* t) {
  wasm_byte_vec_delete(&t->module);
  wasm_byte_vec_delete(&t->name);
  delete t->type;
  delete t;
}
const wasm_name_t* wasm_importtype_module(const wasm_importtype_t* t) {
  return &t->module;
}
const wasm_name_t* wasm_importtype_name(const wasm_importtype_t* t) {
  return &t->name;
}
const wasm_externtype_t* wasm_importtype_type(const wasm_importtype_t* t) {
  return t->type;
}

wasm_exporttype_t* wasm_exporttype_new(wasm_name_t* name,
                                       wasm_externtype_t* type) {
  return new wasm_exporttype_t{*name, type};
}
wasm_exporttype_t* wasm_exporttype_copy(const wasm_exporttype_t* t) {
  auto* c = new wasm_exporttype_t;
  wasm_byte_vec_copy(&c->name, &t->name);
  c->type = t->type->Copy();
  return c;
}
void wasm_exporttype_delete(wasm_exporttype_t* t) {
  wasm_byte_vec_delete(&t->name);
  delete t->type;
  delete t;
}
const wasm_name_t* wasm_exporttype_name(const wasm_exporttype_t* t) {
  return &t->name;
}
const wasm_externtype_t* wasm_exporttype_type(const wasm_exporttype_t* t) {
  return t->type;
}

}  // extern "C"
