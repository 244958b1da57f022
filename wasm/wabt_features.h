// wasm::Features as wabt 1.0.32's parser / writer features: WebAssembly 2.0
// (mutable globals, saturating float-to-int, sign extension, multi-value,
// bulk memory, reference types, SIMD) plus every proposal that is on.
// Header-only so that it adds nothing to users that do not link wabt.
#ifndef KILN_WASM_WABT_FEATURES_H_
#define KILN_WASM_WABT_FEATURES_H_

#include "wabt/feature.h"
#include "wasm/features.h"

namespace kiln::wasm {

inline wabt::Features ToWabtFeatures(const Features& features) {
  wabt::Features w;  // wabt 1.0.32's defaults are already 2.0 ...
  w.enable_mutable_globals();  // ... but say so explicitly.
  w.enable_sat_float_to_int();
  w.enable_sign_extension();
  w.enable_multi_value();
  w.enable_bulk_memory();
  w.enable_reference_types();
  w.enable_simd();
  // features.def's field names are wabt's.
#define KILN_WASM_FEATURE(field, name, bit) \
  w.set_##field##_enabled(features.field);
#include "wasm/features.def"
  return w;
}

}  // namespace kiln::wasm

#endif  // KILN_WASM_WABT_FEATURES_H_
