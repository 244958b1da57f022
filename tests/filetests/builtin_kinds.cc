// The filetest kinds for the IR and the optimizer:
//   test verifier     "%name: ok" or "%name: <verifier message>" per function
//   test print        the printed functions (also checks parse(print) round trip)
//   test opt P1,P2    the functions after the passes (verified after each)
//   test domtree      per block: preds, succs and immediate dominator
//   test inline [P1,P2]  function k of the file is wasm function k; each
//                     function with the others' bodies (as written)
//                     inlined (codegen/opt/inline.h), then the passes
//   test run [P1,P2]  interprets each "; run: %f(args)" line; with passes,
//                     also runs the optimized function and reports any
//                     difference
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "codegen/ir/cfg.h"
#include "codegen/ir/dominator_tree.h"
#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/inline.h"
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

absl::StatusOr<std::string> RunInline(absl::string_view options,
                                      absl::string_view input) {
  opt::PassManager pm(/*verify_each=*/true);
  if (!options.empty()) {
    if (absl::Status s = pm.AddByNames(options); !s.ok()) return s;
  }
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::vector<opt::InlineBody> bodies;
  for (const ir::Function& f : *fs) {
    if (absl::Status s = ir::VerifyFunction(f); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("input does not verify: ", s.message()));
    }
    bodies.push_back(opt::PrepareInlineBody(f));
  }
  auto lookup = [&](uint32_t i) -> const opt::InlineBody* {
    return i < bodies.size() ? &bodies[i] : nullptr;
  };
  std::string out;
  for (uint32_t k = 0; k < fs->size(); ++k) {
    ir::Function& f = (*fs)[k];
    const int n = opt::InlineCalls(f, k, lookup);
    if (absl::Status s = ir::VerifyFunction(f); !s.ok()) {
      return absl::InternalError(
          absl::StrCat("after inlining: ", s.message()));
    }
    if (absl::Status s = pm.Run(f); !s.ok()) return s;
    if (!out.empty()) out.push_back('\n');
    absl::StrAppend(&out, "; ", n, " calls inlined\n", ir::PrintFunction(f));
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

absl::StatusOr<uint64_t> ParseRunArg(absl::string_view s, ir::Type t) {
  s = absl::StripAsciiWhitespace(s);
  std::string str(s);
  if (ir::IsFloat(t) && !absl::StartsWith(s, "0x")) {
    char* end = nullptr;
    uint64_t bits = 0;
    if (t == ir::Type::kF32) {
      float v = std::strtof(str.c_str(), &end);
      uint32_t b;
      std::memcpy(&b, &v, 4);
      bits = b;
    } else {
      double v = std::strtod(str.c_str(), &end);
      std::memcpy(&bits, &v, 8);
    }
    if (end != str.c_str() + str.size()) {
      return absl::InvalidArgumentError(absl::StrCat("bad float '", s, "'"));
    }
    return bits;
  }
  bool neg = absl::ConsumePrefix(&s, "-");
  uint64_t u = 0;
  bool ok = absl::ConsumePrefix(&s, "0x") ? absl::SimpleHexAtoi(s, &u)
                                          : absl::SimpleAtoi(s, &u);
  if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad integer '", str, "'"));
  if (neg) u = 0 - u;
  return ir::TypeBits(t) == 32 ? u & 0xffffffffu : u;
}

std::string FormatRunValue(uint64_t bits, ir::Type t) {
  switch (t) {
    case ir::Type::kI32:
      return absl::StrCat(static_cast<int32_t>(bits));
    case ir::Type::kI64:
      return absl::StrCat(static_cast<int64_t>(bits));
    case ir::Type::kF32:
      return ir::FormatF32Bits(static_cast<uint32_t>(bits));
    case ir::Type::kF64:
      return ir::FormatF64Bits(bits);
    default:
      return absl::StrCat(bits);
  }
}

std::string FormatOutcome(const ir::InterpOutcome& o, const ir::Signature& sig) {
  if (o.trapped) return absl::StrCat("trap ", ir::TrapCodeTextName(o.trap));
  std::string out;
  for (size_t k = 0; k < o.results.size(); ++k) {
    absl::StrAppend(&out, k ? ", " : "",
                    FormatRunValue(o.results[k], sig.results[k]));
  }
  return out.empty() ? "()" : out;
}

absl::StatusOr<ir::InterpOutcome> RunOnce(const ir::Function& f,
                                          const std::vector<uint64_t>& args) {
  std::vector<uint8_t> heap(65536, 0);  // One wasm page, fresh per run.
  std::vector<uint8_t> raw(65536, 0);   // Simulated VMContext (pointer 0).
  ir::InterpOptions opts;
  opts.heap = &heap;
  opts.raw_memory = &raw;
  opts.fuel = 1'000'000;
  return ir::Interpret(f, args, opts);
}

// Lines "; run: %name(a, b)" in the input, in order.
absl::StatusOr<std::string> RunRun(absl::string_view options,
                                   absl::string_view input) {
  auto fs = ir::ParseFunctions(input);
  if (!fs.ok()) return fs.status();
  std::vector<ir::Function> optimized = *fs;
  if (!options.empty()) {
    opt::PassManager pm(/*verify_each=*/true);
    if (absl::Status s = pm.AddByNames(options); !s.ok()) return s;
    for (ir::Function& f : optimized) {
      if (absl::Status s = pm.Run(f); !s.ok()) return s;
    }
  }
  std::string out;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(input, '\n')) {
    ++line_no;
    line = absl::StripAsciiWhitespace(line);
    if (!absl::ConsumePrefix(&line, "; run:")) continue;
    line = absl::StripAsciiWhitespace(line);
    size_t open = line.find('(');
    if (!absl::StartsWith(line, "%") || open == absl::string_view::npos ||
        !absl::EndsWith(line, ")")) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected '; run: %name(args)'"));
    }
    absl::string_view name = line.substr(1, open - 1);
    absl::string_view arg_text = line.substr(open + 1, line.size() - open - 2);
    size_t idx = 0;
    while (idx < fs->size() && (*fs)[idx].name() != name) ++idx;
    if (idx == fs->size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": no function %", name));
    }
    const ir::Function& f = (*fs)[idx];
    const ir::Signature& sig = f.signature();
    std::vector<uint64_t> args;
    if (!absl::StripAsciiWhitespace(arg_text).empty()) {
      for (absl::string_view a : absl::StrSplit(arg_text, ',')) {
        if (args.size() >= sig.params.size()) break;
        auto v = ParseRunArg(a, sig.params[args.size()]);
        if (!v.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("line ", line_no, ": ", v.status().message()));
        }
        args.push_back(*v);
      }
    }
    auto before = RunOnce(f, args);
    if (!before.ok()) {
      // What the interpreter cannot run (calls, no fuel) is reported, not
      // compared.
      if (before.status().code() == absl::StatusCode::kUnimplemented ||
          before.status().code() == absl::StatusCode::kResourceExhausted) {
        absl::StrAppend(&out, line, " -> not run: ", before.status().message(),
                        "\n");
        continue;
      }
      return absl::Status(before.status().code(),
                          absl::StrCat("line ", line_no, ": ",
                                       before.status().message()));
    }
    absl::StrAppend(&out, line, " -> ", FormatOutcome(*before, sig), "\n");
    if (!options.empty()) {
      auto after = RunOnce(optimized[idx], args);
      if (!after.ok()) {
        absl::StrAppend(&out, "  MISMATCH after ", options, ": ",
                        after.status().message(), "\n");
      } else if (!(*after == *before)) {
        absl::StrAppend(&out, "  MISMATCH after ", options, ": ",
                        FormatOutcome(*after, sig), "\n");
      }
    }
  }
  return out;
}

KILN_FILETEST_KIND(verifier, RunVerifier);
KILN_FILETEST_KIND(run, RunRun);
KILN_FILETEST_KIND(print, RunPrint);
KILN_FILETEST_KIND(opt, RunOpt);
KILN_FILETEST_KIND(domtree, RunDomtree);
KILN_FILETEST_KIND(inline, RunInline);

}  // namespace
}  // namespace kiln::filetest
