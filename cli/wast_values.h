// Conversion between wabt's script constants and WastValue, and matching of
// results against assert_return expectations (NaN patterns included).
#ifndef KILN_CLI_WAST_VALUES_H_
#define KILN_CLI_WAST_VALUES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "cli/wast_engine.h"
#include "wabt/ir.h"

namespace kiln::cli {

// An argument constant of an (invoke ...) as a WastValue.
absl::StatusOr<WastValue> ValueFromConst(const wabt::Const& constant);

// True when `actual` satisfies the expected constant: equal bits, or a NaN
// of the required kind for nan:canonical / nan:arithmetic (per lane for
// v128), or any non-null reference for `(ref.func)` / `(ref.extern)` without
// an id.
bool MatchesConst(const wabt::Const& expected, const WastValue& actual);

// True when `results` satisfy an assert_return expectation.
bool MatchesExpectation(const wabt::Expectation& expected,
                        absl::Span<const WastValue> results);

std::string FormatValue(const WastValue& value);
std::string FormatValues(absl::Span<const WastValue> values);
std::string FormatExpectation(const wabt::Expectation& expected);

}  // namespace kiln::cli

#endif  // KILN_CLI_WAST_VALUES_H_
