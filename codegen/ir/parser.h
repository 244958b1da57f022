// Parser for the IR text format printed by printer.h.
//
// Value and block numbers in the text become the ids in the Function, so
// printing the result reproduces the input (modulo whitespace/comments).
// Forward references to values are allowed (result types that depend on
// them are resolved after the whole function is read). Comments run from
// ';' to the end of the line. Errors read "line:col: message".
#ifndef KILN_CODEGEN_IR_PARSER_H_
#define KILN_CODEGEN_IR_PARSER_H_

#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "codegen/ir/function.h"

namespace kiln::ir {

// Parses zero or more functions.
absl::StatusOr<std::vector<Function>> ParseFunctions(absl::string_view text);
// Parses exactly one function.
absl::StatusOr<Function> ParseFunction(absl::string_view text);

}  // namespace kiln::ir

#endif  // KILN_CODEGEN_IR_PARSER_H_
