// Test helper: parse, run passes with verification, print.
#ifndef KILN_CODEGEN_OPT_TEST_UTIL_H_
#define KILN_CODEGEN_OPT_TEST_UTIL_H_

#include <string>

#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/opt/pass.h"

namespace kiln::opt {

inline std::string RunPasses(const char* passes, const char* text) {
  auto f = ir::ParseFunction(text);
  if (!f.ok()) return "parse error: " + std::string(f.status().message());
  PassManager pm(/*verify_each=*/true);
  if (auto s = pm.AddByNames(passes); !s.ok()) return std::string(s.message());
  if (auto s = pm.Run(*f); !s.ok()) return std::string(s.message());
  return ir::PrintFunction(*f);
}

}  // namespace kiln::opt

#endif  // KILN_CODEGEN_OPT_TEST_UTIL_H_
