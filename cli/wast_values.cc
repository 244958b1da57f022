#include "cli/wast_values.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "wabt/cast.h"

namespace kiln::cli {
namespace {

std::array<uint64_t, 2> V128Bits(const wabt::Const& c) {
  ::v128 v = c.vec128();
  std::array<uint64_t, 2> bits;
  static_assert(sizeof(v) == sizeof(bits));
  std::memcpy(bits.data(), &v, sizeof(bits));
  return bits;
}

bool IsCanonicalNan32(uint32_t bits) {
  return (bits & 0x7fffffffu) == 0x7fc00000u;
}
bool IsArithmeticNan32(uint32_t bits) {
  return (bits & 0x7fc00000u) == 0x7fc00000u;
}
bool IsCanonicalNan64(uint64_t bits) {
  return (bits & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
}
bool IsArithmeticNan64(uint64_t bits) {
  return (bits & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
}

bool MatchNan32(wabt::ExpectedNan nan, uint32_t bits) {
  return nan == wabt::ExpectedNan::Canonical ? IsCanonicalNan32(bits)
                                             : IsArithmeticNan32(bits);
}
bool MatchNan64(wabt::ExpectedNan nan, uint64_t bits) {
  return nan == wabt::ExpectedNan::Canonical ? IsCanonicalNan64(bits)
                                             : IsArithmeticNan64(bits);
}

bool MatchesV128(const wabt::Const& expected, const WastValue& actual) {
  std::array<uint64_t, 2> want = V128Bits(expected);
  wabt::Type lane = expected.lane_type();
  if (lane == wabt::Type::F32) {
    for (int i = 0; i < 4; ++i) {
      uint32_t got = static_cast<uint32_t>(actual.bits[i / 2] >> (32 * (i % 2)));
      uint32_t exp = static_cast<uint32_t>(want[i / 2] >> (32 * (i % 2)));
      bool ok = expected.is_expected_nan(i)
                    ? MatchNan32(expected.expected_nan(i), got)
                    : got == exp;
      if (!ok) return false;
    }
    return true;
  }
  if (lane == wabt::Type::F64) {
    for (int i = 0; i < 2; ++i) {
      bool ok = expected.is_expected_nan(i)
                    ? MatchNan64(expected.expected_nan(i), actual.bits[i])
                    : actual.bits[i] == want[i];
      if (!ok) return false;
    }
    return true;
  }
  return actual.bits == want;
}

std::string FormatConst(const wabt::Const& c) {
  if (c.type() == wabt::Type::F32 && c.is_expected_nan(0)) {
    return c.expected_nan(0) == wabt::ExpectedNan::Canonical
               ? "f32:nan:canonical"
               : "f32:nan:arithmetic";
  }
  if (c.type() == wabt::Type::F64 && c.is_expected_nan(0)) {
    return c.expected_nan(0) == wabt::ExpectedNan::Canonical
               ? "f64:nan:canonical"
               : "f64:nan:arithmetic";
  }
  absl::StatusOr<WastValue> value = ValueFromConst(c);
  if (!value.ok()) return "?";
  std::string text = FormatValue(*value);
  if (c.type() == wabt::Type::V128) {
    // Only float lanes carry NaN patterns (wabt leaves the flags of lanes
    // beyond an f64x2's two uninitialized).
    int lanes = c.lane_type() == wabt::Type::F32   ? 4
                : c.lane_type() == wabt::Type::F64 ? 2
                                                   : 0;
    for (int i = 0; i < lanes; ++i) {
      if (c.is_expected_nan(i)) {
        absl::StrAppend(&text, " (lane ", i, " nan:",
                        c.expected_nan(i) == wabt::ExpectedNan::Canonical
                            ? "canonical"
                            : "arithmetic",
                        ")");
      }
    }
  }
  return text;
}

}  // namespace

absl::StatusOr<WastValue> ValueFromConst(const wabt::Const& c) {
  WastValue value;
  switch (c.type()) {
    case wabt::Type::I32:
      value.type = WastValueType::kI32;
      value.bits[0] = c.u32();
      return value;
    case wabt::Type::I64:
      value.type = WastValueType::kI64;
      value.bits[0] = c.u64();
      return value;
    case wabt::Type::F32:
      value.type = WastValueType::kF32;
      value.bits[0] = c.f32_bits();
      return value;
    case wabt::Type::F64:
      value.type = WastValueType::kF64;
      value.bits[0] = c.f64_bits();
      return value;
    case wabt::Type::V128:
      value.type = WastValueType::kV128;
      value.bits = V128Bits(c);
      return value;
    case wabt::Type::FuncRef:
    case wabt::Type::ExternRef:
      value.type = c.type() == wabt::Type::FuncRef ? WastValueType::kFuncRef
                                                   : WastValueType::kExternRef;
      value.is_null = c.ref_bits() == wabt::Const::kRefNullBits;
      if (!value.is_null) value.bits[0] = c.ref_bits();
      return value;
    default:
      return absl::UnimplementedError(
          absl::StrCat("unsupported constant type ", c.type().GetName()));
  }
}

bool MatchesConst(const wabt::Const& expected, const WastValue& actual) {
  absl::StatusOr<WastValue> want = ValueFromConst(expected);
  if (!want.ok() || want->type != actual.type) return false;
  switch (actual.type) {
    case WastValueType::kF32:
      if (expected.is_expected_nan(0)) {
        return MatchNan32(expected.expected_nan(0),
                          static_cast<uint32_t>(actual.bits[0]));
      }
      return actual.bits[0] == want->bits[0];
    case WastValueType::kF64:
      if (expected.is_expected_nan(0)) {
        return MatchNan64(expected.expected_nan(0), actual.bits[0]);
      }
      return actual.bits[0] == want->bits[0];
    case WastValueType::kV128:
      return MatchesV128(expected, actual);
    case WastValueType::kFuncRef:
      // `(ref.func)` in an expectation: any non-null function reference.
      return want->is_null == actual.is_null;
    case WastValueType::kExternRef:
      if (want->is_null || actual.is_null) return want->is_null == actual.is_null;
      return want->bits[0] == actual.bits[0];
    default:
      return actual.bits[0] == want->bits[0];
  }
}

bool MatchesExpectation(const wabt::Expectation& expected,
                        absl::Span<const WastValue> results) {
  if (expected.type() == wabt::ExpectationType::Either) {
    if (results.size() != 1) return false;
    for (const wabt::Const& alternative : expected.expected) {
      if (MatchesConst(alternative, results[0])) return true;
    }
    return false;
  }
  if (results.size() != expected.expected.size()) return false;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!MatchesConst(expected.expected[i], results[i])) return false;
  }
  return true;
}

std::string FormatValue(const WastValue& value) {
  switch (value.type) {
    case WastValueType::kI32:
      return absl::StrFormat("i32:0x%08x", value.bits[0]);
    case WastValueType::kI64:
      return absl::StrFormat("i64:0x%016x", value.bits[0]);
    case WastValueType::kF32: {
      uint32_t bits = static_cast<uint32_t>(value.bits[0]);
      float f;
      std::memcpy(&f, &bits, sizeof(f));
      return absl::StrFormat("f32:0x%08x (%g)", bits, f);
    }
    case WastValueType::kF64: {
      double d;
      std::memcpy(&d, &value.bits[0], sizeof(d));
      return absl::StrFormat("f64:0x%016x (%g)", value.bits[0], d);
    }
    case WastValueType::kV128:
      return absl::StrFormat("v128:0x%016x%016x", value.bits[1], value.bits[0]);
    case WastValueType::kFuncRef:
      return value.is_null ? "funcref:null"
                           : absl::StrCat("funcref:", value.bits[0]);
    case WastValueType::kExternRef:
      return value.is_null ? "externref:null"
                           : absl::StrCat("externref:", value.bits[0]);
  }
  return "?";
}

std::string FormatValues(absl::Span<const WastValue> values) {
  return absl::StrCat(
      "(",
      absl::StrJoin(values, ", ",
                    [](std::string* out, const WastValue& v) {
                      out->append(FormatValue(v));
                    }),
      ")");
}

std::string FormatExpectation(const wabt::Expectation& expected) {
  std::string body = absl::StrJoin(
      expected.expected, ", ", [](std::string* out, const wabt::Const& c) {
        out->append(FormatConst(c));
      });
  if (expected.type() == wabt::ExpectationType::Either) {
    return absl::StrCat("either(", body, ")");
  }
  return absl::StrCat("(", body, ")");
}

}  // namespace kiln::cli
