#include "tests/filetests/filetest.h"

#include <map>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kiln::filetest {
namespace {

std::map<std::string, TestKindFn>& Registry() {
  static auto* r = new std::map<std::string, TestKindFn>;
  return *r;
}

// Position of the marker line, or npos.
size_t FindMarker(absl::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == absl::string_view::npos) eol = text.size();
    absl::string_view line = absl::StripTrailingAsciiWhitespace(
        text.substr(pos, eol - pos));
    if (line == kExpectedMarker) return pos;
    pos = eol + 1;
  }
  return absl::string_view::npos;
}

}  // namespace

bool RegisterTestKind(absl::string_view name, TestKindFn fn) {
  Registry()[std::string(name)] = std::move(fn);
  return true;
}

const TestKindFn* FindTestKind(absl::string_view name) {
  auto it = Registry().find(std::string(name));
  return it == Registry().end() ? nullptr : &it->second;
}

std::vector<std::string> TestKindNames() {
  std::vector<std::string> out;
  for (const auto& [k, v] : Registry()) out.push_back(k);
  return out;
}

std::string Normalize(absl::string_view text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  while (absl::EndsWith(out, "\n\n")) out.pop_back();
  if (out == "\n") out.clear();
  return out;
}

absl::StatusOr<TestFile> ParseTestFile(absl::string_view text) {
  TestFile f;
  // Header: the first line that is neither blank nor a comment.
  size_t pos = 0;
  int line_no = 0;
  absl::string_view header;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == absl::string_view::npos) eol = text.size();
    absl::string_view line =
        absl::StripAsciiWhitespace(text.substr(pos, eol - pos));
    ++line_no;
    pos = eol + 1;
    if (line.empty() || absl::StartsWith(line, ";")) continue;
    header = line;
    break;
  }
  if (!absl::ConsumePrefix(&header, "test ")) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line_no, ": expected a 'test <kind>' header"));
  }
  header = absl::StripAsciiWhitespace(header);
  size_t sp = header.find(' ');
  f.kind = std::string(header.substr(0, sp));
  if (sp != absl::string_view::npos) {
    f.options = std::string(absl::StripAsciiWhitespace(header.substr(sp)));
  }
  f.input_first_line = line_no + 1;
  pos = std::min(pos, text.size());
  size_t marker = FindMarker(text);
  if (marker == absl::string_view::npos || marker < pos) {
    f.input = std::string(text.substr(pos));
    return f;
  }
  f.input = std::string(text.substr(pos, marker - pos));
  std::string expected;
  size_t eol = text.find('\n', marker);
  absl::string_view rest =
      eol == absl::string_view::npos ? "" : text.substr(eol + 1);
  for (absl::string_view line : absl::StrSplit(rest, '\n')) {
    absl::string_view l = line;
    if (!absl::ConsumePrefix(&l, "; ")) {
      l = line;
      if (!absl::ConsumePrefix(&l, ";")) l = line;
    }
    absl::StrAppend(&expected, l, "\n");
  }
  f.expected = Normalize(expected);
  return f;
}

absl::StatusOr<std::string> RunTestFile(const TestFile& file) {
  const TestKindFn* fn = FindTestKind(file.kind);
  if (!fn) {
    std::string known;
    for (const std::string& k : TestKindNames()) absl::StrAppend(&known, " ", k);
    return absl::NotFoundError(
        absl::StrCat("unknown test kind '", file.kind, "' (known:", known, ")"));
  }
  // Pad so parser line numbers match the file's.
  std::string input(file.input_first_line - 1, '\n');
  input += file.input;
  absl::StatusOr<std::string> out = (*fn)(file.options, input);
  if (!out.ok()) return Normalize(absl::StrCat("error: ", out.status().message()));
  return Normalize(*out);
}

std::string WithExpectation(absl::string_view text, absl::string_view actual) {
  size_t marker = FindMarker(text);
  std::string out(text.substr(0, marker));
  if (marker == absl::string_view::npos) {
    out = std::string(text);
    if (!absl::EndsWith(out, "\n")) out.push_back('\n');
    if (!absl::EndsWith(out, "\n\n")) out.push_back('\n');
  }
  absl::StrAppend(&out, kExpectedMarker, "\n");
  std::string norm = Normalize(actual);
  if (!norm.empty()) norm.pop_back();  // The final "\n".
  if (norm.empty()) return out;
  for (absl::string_view line : absl::StrSplit(norm, '\n')) {
    absl::StrAppend(&out, line.empty() ? ";" : "; ", line, "\n");
  }
  return out;
}

}  // namespace kiln::filetest
