// The spec suite on precompiled modules: every module a script instantiates
// is compiled, serialized, deserialized and only then instantiated and
// called; the results must be those of the compiled modules (no failure
// the compiled modules do not have, and the same number of passed commands).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cli/kiln_wast_engine.h"
#include "cli/wast_runner.h"
#include "gtest/gtest.h"
#include "wasm/decoder.h"

namespace kiln::cli {
namespace {

absl::Status Validate(absl::Span<const uint8_t> bytes) {
  return wasm::DecodeModule(bytes).status();
}

std::vector<std::string> SuiteFiles() {
  const char* env = std::getenv("KILN_TESTSUITE");
  const std::string dir = env != nullptr ? env : "/work/shared/testsuite";
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".wast") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(SpecRoundTripTest, WholeSuiteOnPrecompiledModules) {
  const std::vector<std::string> files = SuiteFiles();
  if (files.empty()) GTEST_SKIP() << "no spec suite (set KILN_TESTSUITE)";
  KilnWastEngine plain;
  KilnWastEngine precompiled;
  precompiled.set_round_trip_precompiled(true);
  WastRunner plain_runner(&Validate, &plain);
  WastRunner runner(&Validate, &precompiled);
  int passed = 0, plain_passed = 0;
  for (const std::string& file : files) {
    WastFileReport report = runner.RunFile(file);
    WastFileReport plain_report = plain_runner.RunFile(file);
    // Failures the compiled modules also have (work in progress elsewhere
    // in the compiler) are not the round trip's.
    std::set<std::pair<int, std::string>> plain_failures;
    for (const WastFailure& f : plain_report.failures) {
      plain_failures.insert({f.line, f.message});
    }
    for (const WastFailure& f : report.failures) {
      if (plain_failures.count({f.line, f.message}) != 0) continue;
      ADD_FAILURE() << file << ":" << f.line << ": " << f.command << ": "
                    << f.message;
    }
    EXPECT_EQ(report.passed, plain_report.passed) << file;
    EXPECT_EQ(report.skipped, plain_report.skipped) << file;
    passed += report.passed;
    plain_passed += plain_report.passed;
  }
  EXPECT_EQ(passed, plain_passed);
  EXPECT_GT(passed, 10000);
  std::printf("%zu scripts, %d commands passed on precompiled modules\n",
              files.size(), passed);
}

}  // namespace
}  // namespace kiln::cli
