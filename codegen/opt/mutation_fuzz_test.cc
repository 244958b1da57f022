// Mutation fuzzing without a fuzzing engine: random edits of valid IR text.
// Whatever parses must not crash the verifier; whatever verifies must
// print and re-parse to the same text, survive every pass with the
// verifier on, and behave the same in the interpreter before and after.
#include <cctype>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "codegen/ir/interpreter.h"
#include "codegen/ir/parser.h"
#include "codegen/ir/printer.h"
#include "codegen/ir/verifier.h"
#include "codegen/opt/dce.h"
#include "codegen/opt/pass.h"
#include "codegen/opt/simplify_cfg.h"
#include "codegen/opt/split_critical_edges.h"
#include "gtest/gtest.h"

namespace kiln::opt {
namespace {

constexpr const char* kSeeds[] = {
    R"(function %a(i64, i64, i32, i32) -> i32 {
block0(v0: i64, v1: i64, v2: i32, v3: i32):
    v4 = iconst.i32 7
    v5 = iadd v2, v4
    v6 = imul v5, v3
    v7 = icmp slt v6, v2
    brif v7, block1(v6), block2(v5, v3)
block1(v8: i32):
    v9 = sdiv v8, v3
    jump block3(v9)
block2(v10: i32, v11: i32):
    v12 = urem v10, v11
    v13 = select v12, v10, v11
    jump block3(v13)
block3(v14: i32):
    v15 = iadd v14, v4
    v16 = iadd v4, v14
    v17 = bxor v15, v16
    return v17
}
)",
    R"(function %b(i64, i64, i64) -> i64 {
block0(v0: i64, v1: i64, v2: i64):
    v3 = iconst.i64 1
    jump block1(v2, v3)
block1(v4: i64, v5: i64):
    v6 = iconst.i64 0
    v7 = icmp eq v4, v6
    brif v7, block3, block2
block2:
    v8 = imul v5, v4
    v9 = isub v4, v3
    v10 = iconst.i64 3
    v11 = band v9, v10
    jump block1(v11, v8)
block3:
    return v5
}
)",
    R"(function %c(i64, i64, i32, f64) -> f64, i32 {
block0(v0: i64, v1: i64, v2: i32, v3: f64):
    v4 = fcvt_from_sint.f64 v2
    v5 = fmin v4, v3
    v6 = nearest v5
    v7 = fcvt_to_sint_sat.i32 v6
    v8 = band_imm v2, 255
    v9 = heap_uload8.i32 v0, v8+3
    heap_istore8 v7, v0, v8
    trapz v9, integer_division_by_zero
    br_table v7, block1, [block2, block1]
block1:
    v10 = f64const 1.5
    v11 = fadd v6, v10
    return v11, v9
block2:
    v12 = fdemote.f32 v6
    v13 = fpromote.f64 v12
    return v13, v7
}
)",
};

constexpr const char* kTokens[] = {
    "v1",  "v2",   "v4",    "v5",  "block1", "block2", "block3", ",",
    "(",   ")",    "i32",   "i64", "f64",    "0",      "-1",     "iadd",
    "jump", "brif", "return", "\n", " ",     ":",      "=",      "+4",
    "iconst.i32 3", "block9", "v99", "sdiv", "[",    "]",      "trap unreachable_code_reached\n"};

std::string Mutate(std::string s, std::mt19937& rng) {
  auto pick = [&](size_t n) {
    return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
  };
  int edits = 1 + pick(3);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = pick(s.size());
    switch (pick(5)) {
      case 0:
        s.erase(pos, 1 + pick(4));
        break;
      case 1:
        s.insert(pos, kTokens[pick(std::size(kTokens))]);
        break;
      case 2:
        if (std::isdigit(static_cast<unsigned char>(s[pos]))) {
          s[pos] = static_cast<char>('0' + pick(10));
        } else {
          s[pos] = "vbi0(),:= \n"[pick(11)];
        }
        break;
      case 3: {  // Duplicate or drop a line.
        size_t start = s.rfind('\n', pos);
        start = start == std::string::npos ? 0 : start + 1;
        size_t end = s.find('\n', pos);
        if (end == std::string::npos) break;
        std::string line = s.substr(start, end - start + 1);
        if (pick(2)) {
          s.insert(start, line);
        } else {
          s.erase(start, line.size());
        }
        break;
      }
      default:
        s.resize(pos);
        break;
    }
  }
  return s;
}

absl::StatusOr<ir::InterpOutcome> Execute(const ir::Function& f) {
  std::vector<uint8_t> heap(4096, 1);
  ir::InterpOptions opts;
  opts.heap = &heap;
  opts.fuel = 5000;
  std::vector<uint64_t> args;
  for (size_t k = 0; k < f.signature().params.size(); ++k) args.push_back(k * 3 + 1);
  return ir::Interpret(f, args, opts);
}

TEST(MutationFuzzTest, ParseVerifyOptimizeInterpret) {
  std::mt19937 rng(99);
  int parsed = 0, verified = 0, compared = 0;
  for (int iter = 0; iter < 100000; ++iter) {
    std::string text = Mutate(kSeeds[iter % std::size(kSeeds)], rng);
    auto fs = ir::ParseFunctions(text);
    if (!fs.ok()) continue;
    ++parsed;
    for (ir::Function& f : *fs) {
      if (!ir::VerifyFunction(f).ok()) continue;
      ++verified;
      std::string printed = ir::PrintFunction(f);
      auto again = ir::ParseFunction(printed);
      ASSERT_TRUE(again.ok()) << again.status() << "\n" << printed;
      ASSERT_EQ(ir::PrintFunction(*again), printed);
      ir::Function g = f;
      PassManager pm(/*verify_each=*/true);
      AddDefaultPipeline(pm);
      pm.Add(std::make_unique<SimplifyCfgPass>());
      pm.Add(std::make_unique<DcePass>());
      pm.Add(std::make_unique<SplitCriticalEdgesPass>());
      absl::Status s = pm.Run(g);
      ASSERT_TRUE(s.ok()) << s << "\n" << printed;
      auto before = Execute(f);
      if (!before.ok()) continue;
      auto after = Execute(g);
      ASSERT_TRUE(after.ok()) << after.status() << "\n" << printed;
      ASSERT_TRUE(*before == *after) << printed << "\n" << ir::PrintFunction(g);
      ++compared;
    }
  }
  std::printf("%d parsed, %d verified, %d compared\n", parsed, verified, compared);
  EXPECT_GT(verified, 2000);
}

}  // namespace
}  // namespace kiln::opt
