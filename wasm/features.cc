#include "wasm/features.h"

#include "absl/strings/str_cat.h"

namespace kiln::wasm {

Features Features::None() {
  Features f;
#define KILN_WASM_FEATURE(field, name, bit) f.field = false;
#include "wasm/features.def"
  return f;
}

bool Features::Has(Feature f) const {
  switch (f) {
    case Feature::kNone:
      return true;
#define KILN_WASM_FEATURE(field, name, bit) \
  case Feature::k_##field:                  \
    return field;
#include "wasm/features.def"
  }
  return false;
}

void Features::Set(Feature f, bool on) {
  switch (f) {
    case Feature::kNone:
      return;
#define KILN_WASM_FEATURE(field, name, bit) \
  case Feature::k_##field:                  \
    field = on;                             \
    return;
#include "wasm/features.def"
  }
}

uint32_t Features::Bits() const {
  uint32_t bits = 0;
#define KILN_WASM_FEATURE(field, name, bit) \
  if (field) bits |= 1u << (bit);
#include "wasm/features.def"
  return bits;
}

Features Features::FromBits(uint32_t bits) {
  Features f;
#define KILN_WASM_FEATURE(field, name, bit) f.field = (bits >> (bit)) & 1u;
#include "wasm/features.def"
  return f;
}

uint32_t AllFeatureBits() { return Features::All().Bits(); }

std::string Features::ToString() const {
  std::string out;
#define KILN_WASM_FEATURE(field, name, bit) \
  if (field) absl::StrAppend(&out, out.empty() ? "" : " ", name);
#include "wasm/features.def"
  return out.empty() ? "none" : out;
}

const char* FeatureName(Feature f) {
  switch (f) {
    case Feature::kNone:
      return "core";
#define KILN_WASM_FEATURE(field, name, bit) \
  case Feature::k_##field:                  \
    return name;
#include "wasm/features.def"
  }
  return "?";
}

std::optional<Feature> FeatureFromName(std::string_view n) {
#define KILN_WASM_FEATURE(field, name, bit) \
  if (n == name) return Feature::k_##field;
#include "wasm/features.def"
  return std::nullopt;
}

namespace {
const char* FieldName(Feature f) {
  switch (f) {
    case Feature::kNone:
      return "";
#define KILN_WASM_FEATURE(field, name, bit) \
  case Feature::k_##field:                  \
    return #field;
#include "wasm/features.def"
  }
  return "";
}
}  // namespace

std::string FeatureDisabledMessage(Feature f, std::string_view what) {
  return absl::StrCat(std::string(what), " requires the ", FeatureName(f),
                      " feature, which is disabled (Config::wasm_features.",
                      FieldName(f), ")");
}

}  // namespace kiln::wasm
