// kiln_diff_runner: runs wasm modules in Kiln the way binaryen's fuzz-exec
// does and prints the canonical trace of each configuration.
//
//   kiln_diff_runner [--configs=default,noopt,...|all] [--protocol=binaryen|plain]
//                    [--tmp=DIR] FILE.wasm...
//
// Output per file and configuration: "== config NAME", then the trace
// (fuzz/README.md). Exit status 0 unless a harness error occurred.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "fuzz/diff/kiln_runner.h"

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in),
              std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using kiln::fuzz_diff::Protocol;
  using kiln::fuzz_diff::RunConfig;
  std::vector<RunConfig> all = kiln::fuzz_diff::AllConfigs();
  std::vector<RunConfig> configs = all;
  Protocol protocol = Protocol::kBinaryen;
  std::string tmp_dir = "/tmp";
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--configs=")) {
      const std::string list = arg.substr(10);
      if (list == "all") continue;
      configs.clear();
      for (absl::string_view name : absl::StrSplit(list, ',')) {
        bool found = false;
        for (const RunConfig& c : all) {
          if (c.name == name) {
            configs.push_back(c);
            found = true;
          }
        }
        if (!found) {
          std::fprintf(stderr, "kiln_diff_runner: unknown config %s\n",
                       std::string(name).c_str());
          return 2;
        }
      }
    } else if (arg == "--protocol=binaryen") {
      protocol = Protocol::kBinaryen;
    } else if (arg == "--protocol=plain") {
      protocol = Protocol::kPlain;
    } else if (absl::StartsWith(arg, "--tmp=")) {
      tmp_dir = arg.substr(6);
    } else if (absl::StartsWith(arg, "--")) {
      std::fprintf(stderr, "kiln_diff_runner: unknown flag %s\n", arg.c_str());
      return 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr,
                 "usage: kiln_diff_runner [--configs=LIST|all] "
                 "[--protocol=binaryen|plain] [--tmp=DIR] FILE.wasm...\n");
    return 2;
  }
  int status = 0;
  for (const std::string& file : files) {
    std::vector<uint8_t> bytes;
    if (!ReadFile(file, &bytes)) {
      std::fprintf(stderr, "kiln_diff_runner: cannot read %s\n", file.c_str());
      return 2;
    }
    if (files.size() > 1) std::printf("== file %s\n", file.c_str());
    for (const RunConfig& config : configs) {
      std::printf("== config %s\n", config.name.c_str());
      // Flushed before each run so that a crash still shows which
      // configuration it happened in.
      std::fflush(stdout);
      absl::StatusOr<std::string> trace =
          kiln::fuzz_diff::RunModule(bytes, config, protocol, tmp_dir);
      if (!trace.ok()) {
        std::printf("harness-error %s\n", trace.status().ToString().c_str());
        status = 1;
        continue;
      }
      std::fputs(trace->c_str(), stdout);
    }
  }
  std::fflush(stdout);
  return status;
}
