#include "wasm/opcodes.h"

#include <set>
#include <string>
#include <utility>

#include "gtest/gtest.h"

namespace kiln::wasm {
namespace {

TEST(OpcodesTest, LookupRoundTripsAndCodesAreUnique) {
  std::set<std::pair<int, uint32_t>> seen;
  for (int i = 0; i < kNumOpcodes; ++i) {
    Opcode op = static_cast<Opcode>(i);
    const OpcodeInfo& info = GetOpcodeInfo(op);
    EXPECT_TRUE(seen.insert({info.prefix, info.code}).second) << info.name;
    EXPECT_EQ(LookupOpcode(info.prefix, info.code), op) << info.name;
  }
  EXPECT_EQ(LookupOpcode(0x00, 0x06), Opcode::kInvalid);  // try (not 2.0)
  EXPECT_EQ(LookupOpcode(0xfd, 0x9a), Opcode::kInvalid);  // reserved
  EXPECT_EQ(LookupOpcode(0xfd, 0x100), Opcode::kI8X16RelaxedSwizzle);
  EXPECT_EQ(LookupOpcode(0xfd, 0x113), Opcode::kI32X4RelaxedDotI8X16I7X16AddS);
  EXPECT_EQ(LookupOpcode(0xfd, 0x114), Opcode::kInvalid);  // bf16 dot (dropped)
  EXPECT_EQ(LookupOpcode(0xfd, 0xffffffff), Opcode::kInvalid);
  EXPECT_EQ(LookupOpcode(0xfe, 0x00), Opcode::kMemoryAtomicNotify);
  EXPECT_EQ(LookupOpcode(0xfe, 0x04), Opcode::kInvalid);  // reserved
  EXPECT_EQ(LookupOpcode(0xfe, 0x4e), Opcode::kI64AtomicRmw32CmpxchgU);
  EXPECT_EQ(LookupOpcode(0xfe, 0x4f), Opcode::kInvalid);
}

TEST(OpcodesTest, Counts) {
  int single = 0, fc = 0, fd = 0, relaxed = 0, threads = 0;
  for (int i = 0; i < kNumOpcodes; ++i) {
    const OpcodeInfo& info = GetOpcodeInfo(static_cast<Opcode>(i));
    if (info.feature == Feature::k_relaxed_simd) {
      EXPECT_EQ(info.prefix, 0xfd) << info.name;
      ++relaxed;
      continue;
    }
    if (info.feature == Feature::k_threads) {
      EXPECT_EQ(info.prefix, 0xfe) << info.name;
      ++threads;
      continue;
    }
    switch (info.prefix) {
      case 0x00: ++single; break;
      case 0xfc: ++fc; break;
      case 0xfd: ++fd; break;
    }
  }
  EXPECT_EQ(single, 185);  // MVP 172 + sign-ext 5 + select t + table.get/set
                           // + ref.null/is_null/func + return_call(_indirect)
  EXPECT_EQ(fc, 18);       // trunc_sat 8 + bulk memory/table 10
  EXPECT_EQ(fd, 236);      // all of 128-bit SIMD
  EXPECT_EQ(relaxed, 20);  // relaxed SIMD (0xfd 0x100-0x113)
  EXPECT_EQ(threads, 67);  // notify, wait32/64, fence + 7 loads, 7 stores,
                           // 7 x 7 RMW (0xfe 0x00-0x03, 0x10-0x4e)
}

char Letter(const std::string& t) {
  if (t == "i32") return 'i';
  if (t == "i64") return 'l';
  if (t == "f32") return 'f';
  if (t == "f64") return 'd';
  return 's';  // i8x16 ... f64x2, v128
}

std::string SigString(SigClass c) {
  const Signature& s = GetSignature(c);
  auto l = [](ValType t) { return Letter(ValTypeName(t)); };
  std::string r = s.has_result ? std::string(1, l(s.result)) : "v";
  r += "_";
  for (int i = 0; i < s.num_params; ++i) r += l(s.params[i]);
  if (s.num_params == 0) r += "v";
  return r;
}

// Derives the expected signature of a numeric/SIMD opcode from its name.
std::string Expected(const std::string& name) {
  std::string ty = name.substr(0, name.find('.'));
  std::string op = name.substr(name.find('.') + 1);
  char r = Letter(ty);
  static const std::set<std::string> kUnary = {
      "clz", "ctz", "popcnt", "abs", "neg", "ceil", "floor", "trunc",
      "nearest", "sqrt", "extend8_s", "extend16_s", "extend32_s", "not"};
  static const std::set<std::string> kCompare = {
      "eq", "ne", "lt", "gt", "le", "ge", "lt_s", "lt_u", "gt_s",
      "gt_u", "le_s", "le_u", "ge_s", "ge_u"};
  if (op == "eqz") return std::string("i_") + r;
  if (op == "any_true" || op == "all_true" || op == "bitmask") return "i_s";
  if (op == "shl" || op == "shr_s" || op == "shr_u") {
    return r == 's' ? "s_si" : std::string(1, r) + "_" + r + r;
  }
  if (op == "splat") {
    char lane = ty[0] == 'f' ? (ty == "f32x4" ? 'f' : 'd')
                             : (ty == "i64x2" ? 'l' : 'i');
    return std::string("s_") + lane;
  }
  if (op == "bitselect" || op == "relaxed_madd" || op == "relaxed_nmadd" ||
      op == "relaxed_laneselect" || op == "relaxed_dot_i8x16_i7x16_add_s") {
    return "s_sss";
  }
  if (kUnary.count(op)) return std::string(1, r) + "_" + r;
  if (kCompare.count(op)) {
    return r == 's' ? "s_ss" : std::string("i_") + r + r;
  }
  if (r == 's') {
    // Vector conversions / extends / unary vector ops take one v128; the
    // rest (arith, narrow, extmul, dot, swizzle, q15mulr, avgr...) two.
    static const std::set<std::string> kVecUnaryPrefixes = {
        "extend_", "extadd_", "convert_", "trunc_sat_", "demote_",
        "promote_", "relaxed_trunc_"};
    for (const std::string& p : kVecUnaryPrefixes) {
      if (op.rfind(p, 0) == 0) return "s_s";
    }
    return "s_ss";
  }
  // Scalar conversions: <to>.<op>_<from>[_s|_u].
  for (const char* from : {"i32", "i64", "f32", "f64"}) {
    if (op.find(std::string("_") + from) != std::string::npos) {
      return std::string(1, r) + "_" + Letter(from);
    }
  }
  return std::string(1, r) + "_" + r + r;
}

TEST(OpcodesTest, SignaturesMatchNames) {
  int checked = 0;
  for (int i = 0; i < kNumOpcodes; ++i) {
    const OpcodeInfo& info = GetOpcodeInfo(static_cast<Opcode>(i));
    if (info.sig == SigClass::kSigSpecial || info.imm != ImmKind::kNone) {
      continue;
    }
    EXPECT_EQ(SigString(info.sig), Expected(info.name)) << info.name;
    ++checked;
  }
  EXPECT_GT(checked, 300);
}

TEST(OpcodesTest, MemoryImmediates) {
  EXPECT_EQ(NaturalAlignmentLog2(GetOpcodeInfo(Opcode::kI32Load).imm), 2);
  EXPECT_EQ(NaturalAlignmentLog2(GetOpcodeInfo(Opcode::kI64Load8S).imm), 0);
  EXPECT_EQ(NaturalAlignmentLog2(GetOpcodeInfo(Opcode::kV128Load).imm), 4);
  EXPECT_EQ(NaturalAlignmentLog2(GetOpcodeInfo(Opcode::kV128Load8X8S).imm), 3);
  EXPECT_EQ(NaturalAlignmentLog2(GetOpcodeInfo(Opcode::kV128Load32Zero).imm),
            2);
  EXPECT_EQ(LaneCount(GetOpcodeInfo(Opcode::kV128Load16Lane).imm), 8);
  EXPECT_EQ(LaneCount(GetOpcodeInfo(Opcode::kI8X16ExtractLaneS).imm), 16);
  EXPECT_EQ(LaneCount(GetOpcodeInfo(Opcode::kF64X2ReplaceLane).imm), 2);
  EXPECT_EQ(SigString(GetOpcodeInfo(Opcode::kF64X2ReplaceLane).sig), "s_sd");
  EXPECT_EQ(SigString(GetOpcodeInfo(Opcode::kI64X2ExtractLane).sig), "l_s");
  EXPECT_EQ(SigString(GetOpcodeInfo(Opcode::kV128Store16Lane).sig), "v_is");
  EXPECT_EQ(SigString(GetOpcodeInfo(Opcode::kV128Load64Lane).sig), "s_is");
  EXPECT_EQ(SigString(GetOpcodeInfo(Opcode::kI64Store32).sig), "v_il");
  EXPECT_STREQ(OpcodeName(Opcode::kI32TruncSatF64U), "i32.trunc_sat_f64_u");
}

}  // namespace
}  // namespace kiln::wasm
