// The `test translate` filetest kind: WebAssembly text in, IR out.
//
//   test translate            the translator's IR (verified)
//   test translate opt        after the default pipeline (const_fold, gvn,
//                             dce, ...)
//
// The input is a whole module in WebAssembly text; every defined function
// is printed in order. Source locations ("@00a1") are the byte offsets in
// the binary wabt writes for the text.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "codegen/ir/function.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/pass.h"
#include "codegen/translate/test_util.h"
#include "codegen/translate/translator.h"
#include "tests/filetests/filetest.h"

namespace kiln::translate {
namespace {

absl::StatusOr<std::string> RunTranslateTest(absl::string_view options,
                                             absl::string_view input) {
  const bool optimize = options == "opt";
  if (!optimize && !options.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown translate option '", options, "' (want: opt)"));
  }
  auto module = testing::WatToModule(std::string_view(input.data(), input.size()));
  if (!module.ok()) return module.status();
  FunctionTranslator t(**module, TranslateOptions());
  opt::PassManager pm(/*verify_each=*/true);
  if (optimize) opt::AddDefaultPipeline(pm);
  std::string out;
  for (uint32_t i = (*module)->num_imported_functions;
       i < (*module)->functions.size(); ++i) {
    ir::Function f;
    absl::Status s = t.Translate(i, &f);
    if (!s.ok()) return s;
    s = ir::VerifyFunction(f);
    if (!s.ok()) {
      return absl::InternalError(absl::StrCat(
          "translated IR does not verify: ", s.message(), "\n",
          ir::PrintFunction(f)));
    }
    s = pm.Run(f);
    if (!s.ok()) return s;
    absl::StrAppend(&out, ir::PrintFunction(f));
  }
  return out;
}

KILN_FILETEST_KIND(translate, RunTranslateTest);

}  // namespace
}  // namespace kiln::translate
