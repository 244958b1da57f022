// Runs IR filetests and compares with their golden output.
//
//   bazel test //tests/filetests             run every *.kir file
//   bazel run //tests/filetests:bless        rewrite the expectations
//   BLESS=1 bazel run //tests/filetests      same
//   bazel run //tests/filetests -- opt/gvn   only files whose path contains
//                                            one of the arguments
//
// Under `bazel test` the files come from the runfiles tree (read-only);
// blessing needs `bazel run`, which sets BUILD_WORKSPACE_DIRECTORY, so the
// files are read from and written to the source tree.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "tests/filetests/filetest.h"

namespace fs = std::filesystem;

namespace {

constexpr char kTestDir[] = "tests/filetests";

bool ReadFile(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  bool bless = false;
  if (const char* b = std::getenv("BLESS"); b && *b && std::string(b) != "0") {
    bless = true;
  }
  std::vector<std::string> filters;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--bless") {
      bless = true;
    } else {
      filters.push_back(a);
    }
  }
  fs::path root = kTestDir;
  if (const char* ws = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    root = fs::path(ws) / kTestDir;
  } else if (bless) {
    std::cerr << "BLESS needs the source tree: use `bazel run "
                 "//tests/filetests:bless` (bazel test runs in a read-only "
                 "runfiles tree)\n";
    return 2;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(
           root, fs::directory_options::follow_directory_symlink)) {
    if (e.path().extension() != ".kir") continue;
    std::string rel = e.path().lexically_relative(root).string();
    if (!filters.empty() &&
        std::none_of(filters.begin(), filters.end(), [&](const std::string& f) {
          return absl::StrContains(rel, f);
        })) {
      continue;
    }
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::cerr << "no .kir files under " << root << "\n";
    return 1;
  }
  int failed = 0, blessed = 0;
  for (const fs::path& p : files) {
    std::string rel = p.lexically_relative(root).string();
    std::string text;
    if (!ReadFile(p, &text)) {
      std::cerr << "FAIL " << rel << ": cannot read\n";
      ++failed;
      continue;
    }
    auto tf = kiln::filetest::ParseTestFile(text);
    if (!tf.ok()) {
      std::cerr << "FAIL " << rel << ": " << tf.status().message() << "\n";
      ++failed;
      continue;
    }
    auto actual = kiln::filetest::RunTestFile(*tf);
    if (!actual.ok()) {
      std::cerr << "FAIL " << rel << ": " << actual.status().message() << "\n";
      ++failed;
      continue;
    }
    if (tf->expected && *tf->expected == *actual) {
      std::cout << "PASS " << rel << "\n";
      continue;
    }
    if (bless) {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << kiln::filetest::WithExpectation(text, *actual);
      std::cout << "BLESSED " << rel << "\n";
      ++blessed;
      continue;
    }
    ++failed;
    std::cerr << "FAIL " << rel << "\n--- expected\n"
              << (tf->expected ? *tf->expected : "(no '; expected:' block)\n")
              << "--- actual\n"
              << *actual << "---\n";
  }
  std::cout << files.size() << " files, " << failed << " failed";
  if (bless) std::cout << ", " << blessed << " blessed";
  std::cout << "\n";
  if (failed) {
    std::cerr << "To accept the new output: bazel run //tests/filetests:bless\n";
  }
  return failed ? 1 : 0;
}
