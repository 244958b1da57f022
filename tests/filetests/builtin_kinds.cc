// The filetest kinds for the IR and the optimizer:
//   test verifier     "%name: ok" or "%name: <verifier message>" per function
//   test print        the printed functions (also checks parse(print) round trip)
//   test opt P1,P2    the functions after the passes (verified after each)
//   test domtree      per block: preds, succs and immediate dominator
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/pass.h"
#include "tests/filetests/filetest.h"

namespace kiln::filetest {
namespace {

absl::StatusOr<std::string> RunVerifier(absl::string_view options,
                                        absl::string_view input) {
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::string out;
  for (const ir::Function& f : *fs) {
    absl::Status s = ir::VerifyFunction(f);
    absl::StrAppend(&out, "%", f.name(), ": ", s.ok() ? "ok" : s.message(),
                    "\n");
  }
  return out;
}

absl::StatusOr<std::string> RunPrint(absl::string_view options,
                                     absl::string_view input) {
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::string out;
  for (const ir::Function& f : *fs) {
    std::string text = ir::PrintFunction(f);
    auto again = ir::ParseFunction(text);
    if (!again.ok()) {
      return absl::InternalError(absl::StrCat(
          "printed text does not parse: ", again.status().message()));
    }
    if (ir::PrintFunction(*again) != text) {
      return absl::InternalError("parse(print(f)) prints differently");
    }
    if (!out.empty()) out.push_back('\n');
    out += text;
  }
  return out;
}

absl::StatusOr<std::string> RunOpt(absl::string_view options,
                                   absl::string_view input) {
  opt::PassManager pm(/*verify_each=*/true);
  if (absl::Status s = pm.AddByNames(options); !s.ok()) return s;
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::string out;
  for (ir::Function& f : *fs) {
    if (absl::Status s = ir::VerifyFunction(f); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input does not verify: ", s.message()));
    }
    if (absl::Status s = pm.Run(f); !s.ok()) return s;
    if (!out.empty()) out.push_back('\n');
    out += ir::PrintFunction(f);
  }
  return out;
}

absl::StatusOr<std::string> RunDomtree(absl::string_view options,
                                       absl::string_view input) {
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::string out;
  for (const ir::Function& f : *fs) {
    ir::ControlFlowGraph cfg(f);
    ir::DominatorTree dt(f, cfg);
    absl::StrAppend(&out, "%", f.name(), ":\n");
    for (ir::Block b : f.blocks()) {
      absl::StrAppend(&out, "  ", ir::BlockName(b), ": preds [");
      bool first = true;
      for (const ir::BlockPredecessor& p : cfg.preds(b)) {
        absl::StrAppend(&out, first ? "" : ", ", ir::BlockName(p.block));
        first = false;
      }
      out.append("] succs [");
      first = true;
      for (ir::Block s : cfg.succs(b)) {
        absl::StrAppend(&out, first ? "" : ", ", ir::BlockName(s));
        first = false;
      }
      out.append("] idom ");
      if (!dt.IsReachable(b)) {
        out.append("unreachable");
      } else if (dt.idom(b).valid()) {
        out.append(ir::BlockName(dt.idom(b)));
      } else {
        out.append("-");
      }
      out.push_back('\n');
    }
  }
  return out;
}

KILN_FILETEST_KIND(verifier, RunVerifier);
KILN_FILETEST_KIND(print, RunPrint);
KILN_FILETEST_KIND(opt, RunOpt);
KILN_FILETEST_KIND(domtree, RunDomtree);

}  // namespace
}  // namespace kiln::filetest
