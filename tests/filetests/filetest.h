// IR filetests: a text file holding a test kind, IR input and the golden
// output, like Cranelift's filetests.
//
//   test opt const_fold,dce          <- header: "test <kind> [options]"
//   ; Any comment.
//   function %f(i32) -> i32 {        <- input: IR text (one or more functions)
//   ...
//   }
//
//   ; expected:                      <- marker line
//   ; function %f(i32) -> i32 {      <- golden output, each line prefixed
//   ; ...                               with "; " (or just ";" if empty)
//
// A kind is a function from (options, input text) to output text; a
// non-OK status becomes the output "error: <message>", so expected
// failures are golden text too. Kinds register by header word:
//
//   KILN_FILETEST_KIND(compile, RunCompileTest);
//
// in a cc_library with alwayslink = True that the runner targets depend on
// (see tests/filetests/BUILD.bazel).
#ifndef KILN_TESTS_FILETESTS_FILETEST_H_
#define KILN_TESTS_FILETESTS_FILETEST_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kiln::filetest {

using TestKindFn = std::function<absl::StatusOr<std::string>(
    absl::string_view options, absl::string_view input)>;

// Registers a kind; returns true so it can initialize a static.
bool RegisterTestKind(absl::string_view name, TestKindFn fn);
// nullptr if unknown.
const TestKindFn* FindTestKind(absl::string_view name);
std::vector<std::string> TestKindNames();

#define KILN_FILETEST_KIND(name, fn)                                  \
  [[maybe_unused]] static const bool kiln_filetest_kind_##name =      \
      ::kiln::filetest::RegisterTestKind(#name, fn)

struct TestFile {
  std::string kind;     // "opt"
  std::string options;  // "const_fold,dce"
  std::string input;    // Text between the header and the marker.
  std::optional<std::string> expected;  // Without the "; " prefixes.
  int input_first_line = 2;  // 1-based line of the input's first line.
};

inline constexpr absl::string_view kExpectedMarker = "; expected:";

absl::StatusOr<TestFile> ParseTestFile(absl::string_view text);

// Runs the file's kind; errors become "error: ..." output. Fails only if
// the file itself is malformed or the kind is unknown.
absl::StatusOr<std::string> RunTestFile(const TestFile& file);

// The file text with its expectation replaced by `actual`.
std::string WithExpectation(absl::string_view text, absl::string_view actual);

// Trailing whitespace on lines and trailing blank lines do not count.
std::string Normalize(absl::string_view text);

}  // namespace kiln::filetest

#endif  // KILN_TESTS_FILETESTS_FILETEST_H_
