// wasm_decode: decodes and validates each .wasm file given on the command
// line (or listed one per line on stdin with "-") and prints one line per
// file: "<path>\tok" or "<path>\terror\t<message>". Exit status is 0.
// Used to check the decoder against the spec suite (via wast2json).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "wasm/decoder.h"

namespace {

void Check(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::printf("%s\terror\tcannot open\n", path.c_str());
    return;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  // The spec suite it checks is WebAssembly 2.0's: proposals off (with
  // them, e.g. two memories or memory.size's nonzero byte are valid).
  kiln::wasm::DecodeOptions options;
  options.features = kiln::wasm::Features::None();
  auto m = kiln::wasm::DecodeModule(bytes, options);
  if (m.ok()) {
    std::printf("%s\tok\n", path.c_str());
  } else {
    std::printf("%s\terror\t%s\n", path.c_str(),
                std::string(m.status().message()).c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-") {
      std::string line;
      while (std::getline(std::cin, line)) {
        if (!line.empty()) Check(line);
      }
    } else {
      Check(a);
    }
  }
  return 0;
}
