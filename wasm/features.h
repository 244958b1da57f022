// wasm::Features: which WebAssembly proposals beyond 2.0 the decoder and
// validator accept (rows of wasm/features.def). Engines take it from
// Config::wasm_features; everything is on by default, as wasmtime does for
// standardised features. A module that uses a feature that is off is
// invalid, with an error naming the feature.
#ifndef KILN_WASM_FEATURES_H_
#define KILN_WASM_FEATURES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace kiln::wasm {

// One enumerator per row of features.def, plus kNone for 2.0 (core) ones.
enum class Feature : uint8_t {
  kNone,
#define KILN_WASM_FEATURE(field, name, bit) k_##field,
#include "wasm/features.def"
};

struct Features {
#define KILN_WASM_FEATURE(field, name, bit) bool field = true;
#include "wasm/features.def"

  // Every feature on (the default) / only WebAssembly 2.0.
  static Features All() { return Features(); }
  static Features None();

  bool Has(Feature f) const;
  void Set(Feature f, bool on);

  // Bit `bit` (features.def) per feature that is on: the .cwasm encoding.
  uint32_t Bits() const;
  static Features FromBits(uint32_t bits);
  // Whether every feature on in `*this` is on in `other`.
  bool SubsetOf(const Features& other) const {
    return (Bits() & ~other.Bits()) == 0;
  }

  // "tail-call extended-const ..." (the names of the features that are on),
  // "none" when none is.
  std::string ToString() const;

  bool operator==(const Features&) const = default;
};

// The proposal's name of `f` ("tail-call"), "core" for kNone.
const char* FeatureName(Feature f);
// The feature named `name` (a features.def name), or nullopt.
std::optional<Feature> FeatureFromName(std::string_view name);
// Bits of every feature features.def defines.
uint32_t AllFeatureBits();

// The validator's error for `what` (an instruction or construct) when `f`
// is off: "<what> requires the <name> feature, which is disabled
// (Config::wasm_features.<field>)". The caller prefixes the byte offset.
std::string FeatureDisabledMessage(Feature f, std::string_view what);

}  // namespace kiln::wasm

#endif  // KILN_WASM_FEATURES_H_
