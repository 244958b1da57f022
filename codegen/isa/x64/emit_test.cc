// Encoder round trips (emit one instruction with chosen registers,
// disassemble with Zydis, compare) and execution of hand-built VCode.
#include "codegen/isa/x64/emit.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "codegen/disasm/disasm.h"
#include "codegen/isa/x64/abi.h"
#include "codegen/isa/x64/inst.h"
#include "codegen/isa/x64/test_util.h"
#include "gtest/gtest.h"

namespace kiln::isa::x64 {
namespace {

Allocation R(int hw) { return Allocation::Reg(GprReg(hw)); }
Allocation F(int hw) { return Allocation::Reg(XmmReg(hw)); }

// Emits the instructions `build` appends, with operands allocated to
// `allocs` in order, and returns the disassembly between the prologue and
// the epilogue, one instruction per line.
std::string EmitWith(const std::function<void(Builder&)>& build,
                     std::vector<Allocation> allocs, CompiledFunction* out = nullptr) {
  MachFunction f;
  f.name = "test";
  Builder b(&f);
  f.vcode.DeclareBlocks(1);
  f.vcode.StartBlock(0);
  build(b);
  b.Ret({}, {});
  f.vcode.EndBlock();
  regalloc::Output ra;
  ra.allocs = std::move(allocs);
  ra.allocs.resize(f.vcode.all_operands().size(), R(kRax));
  ra.edge_moves_begin.assign(f.vcode.num_edges() + 1, 0);
  CompileContext ctx;
  ctx.stack_check = false;
  absl::StatusOr<CompiledFunction> c = Emit(f, ra, ctx);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return "";
  if (out != nullptr) *out = *c;
  std::vector<std::string> lines = absl::StrSplit(disasm::FormatX64Text(c->code), '\n');
  // push rbp / mov rbp, rsp ... leave / ret / "" (+ islands)
  std::string s;
  size_t end = lines.size();
  for (size_t k = 0; k < lines.size(); ++k) {
    if (lines[k] == "leave") {
      end = k;
      break;
    }
  }
  for (size_t k = 2; k < end; ++k) s += lines[k] + "\n";
  return s;
}

TEST(X64EncodeTest, IntegerForms) {
  EXPECT_EQ(EmitWith([](Builder& b) { b.MovRR(b.NewInt(), b.NewInt()); }, {R(kRcx), R(kRax)}),
            "mov rax, rcx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MovImm(b.NewInt(), 0); }, {R(kR9)}), "xor r9d, r9d\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MovImm(b.NewInt(), -1); }, {R(kRax)}),
            "mov rax, 0xFFFFFFFFFFFFFFFF\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MovImm(b.NewInt(), 0x12345678); }, {R(kRdx)}),
            "mov edx, 0x12345678\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.AluRR(AluOp::kAdd, b.NewInt(), b.NewInt(), 4); },
                     {R(kRax), R(kR12)}),
            "add eax, r12d\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.AluRI(AluOp::kSub, b.NewInt(), 16); }, {R(kRbx)}),
            "sub rbx, 0x10\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.AluRR(AluOp::kImul, b.NewInt(), b.NewInt()); },
                     {R(kRsi), R(kRdi)}),
            "imul rsi, rdi\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MulHigh(false, b.NewInt(), b.NewInt(), b.NewInt()); },
                     {R(kRax), R(kR9), R(kRdx), R(kRax)}),
            "mul r9\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MulHigh(true, b.NewInt(), b.NewInt(), b.NewInt(), 4); },
                     {R(kRax), R(kRcx), R(kRdx), R(kRax)}),
            "imul ecx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Imul3(b.NewInt(), b.NewInt(), 10, 4); },
                     {R(kRcx), R(kRax)}),
            "imul eax, ecx, 0x0A\n");
  EXPECT_EQ(EmitWith(
                [](Builder& b) {
                  Addr a{b.NewInt(), b.NewInt(), 2, 16};
                  b.Lea(b.NewInt(), a);
                },
                {R(kRax), R(kRcx), R(kRdx)}),
            "lea rax, [rcx+rdx*4+0x10]\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.ShiftRC(ShiftOp::kShl, b.NewInt(), b.NewInt()); },
                     {R(kRax), R(kRcx)}),
            "shl rax, cl\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.ShiftRI(ShiftOp::kSar, b.NewInt(), 3, 4); },
                     {R(kR8)}),
            "sar r8d, 0x03\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Cmp(b.NewInt(), b.NewInt(), 4); }, {R(kRax), R(kRcx)}),
            "cmp eax, ecx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.TestImm(b.NewInt(), 1, 4); }, {R(kRdi)}),
            "test edi, 0x01\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Setcc(kCondL, b.NewInt()); }, {R(kRsi)}),
            "setl sil\nmovzx esi, sil\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Cmov(kCondNE, b.NewInt(), b.NewInt()); },
                     {R(kRax), R(kRcx)}),
            "cmovnz rax, rcx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Ext(LoadKind::kS8x64, b.NewInt(), b.NewInt()); },
                     {R(kRdi), R(kRax)}),
            "movsx rax, dil\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Ext(LoadKind::kS32x64, b.NewInt(), b.NewInt()); },
                     {R(kRcx), R(kRax)}),
            "movsxd rax, ecx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Neg(b.NewInt(), 4); }, {R(kRdx)}), "neg edx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.BitCount(0, b.NewInt(), b.NewInt(), 4); },
                     {R(kRcx), R(kRax)}),
            "lzcnt eax, ecx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.BitCount(2, b.NewInt(), b.NewInt(), 8); },
                     {R(kRcx), R(kRax)}),
            "popcnt rax, rcx\n");
  // BMI1 / BMI2 (VEX, three operands).
  EXPECT_EQ(EmitWith([](Builder& b) { b.Andn(b.NewInt(), b.NewInt(), b.NewInt(), 4); },
                     {R(kRcx), R(kRdx), R(kRax)}),
            "andn eax, ecx, edx\n");
  EXPECT_EQ(EmitWith(
                [](Builder& b) { b.ShiftX(ShiftOp::kSar, b.NewInt(), b.NewInt(), b.NewInt(), 8); },
                {R(kRdi), R(kRsi), R(kR9)}),
            "sarx r9, rdi, rsi\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Rorx(b.NewInt(), b.NewInt(), 25, 4); },
                     {R(kRcx), R(kR10)}),
            "rorx r10d, ecx, 0x19\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Bls(0, b.NewInt(), b.NewInt(), 8); },
                     {R(kRcx), R(kRax)}),
            "blsr rax, rcx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.BitScan(1, b.NewInt(), b.NewInt(), 4); },
                     {R(kRcx), R(kRax), R(kRdx)}),
            "bsf eax, ecx\nmov edx, 0x20\ncmovz eax, edx\n");
}

TEST(X64EncodeTest, MemoryForms) {
  CompiledFunction c;
  EXPECT_EQ(EmitWith(
                [](Builder& b) {
                  b.Load(LoadKind::kU8, b.NewInt(), Addr{b.NewInt(), b.NewInt(), 0, 7},
                         static_cast<uint8_t>(abi::TrapCode::kMemoryOutOfBounds));
                },
                {R(kRax), R(kRsi), R(kRdx)}, &c),
            "movzx eax, byte ptr [rsi+rdx*1+0x07]\n");
  ASSERT_EQ(c.traps.size(), 1u);
  EXPECT_EQ(c.traps[0].code_offset, 4u);  // after push rbp; mov rbp, rsp
  EXPECT_EQ(c.traps[0].code, abi::TrapCode::kMemoryOutOfBounds);
  EXPECT_EQ(EmitWith([](Builder& b) { b.Store(StoreKind::kI16, b.NewInt(), Addr{b.NewInt()}); },
                     {R(kRcx), R(kRdi)}),
            "mov [rdi], cx\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Load(LoadKind::kF64, b.NewFloat(), Addr{b.NewInt(), kInvalidVReg, 0, -8}); },
                     {F(3), R(kRbx)}),
            "movsd xmm3, qword ptr [rbx-0x08]\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.AluRM(AluOp::kAdd, b.NewInt(), Addr{b.NewInt()}, 4); },
                     {R(kRax), R(kR13)}),
            "add eax, [r13]\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.StoreImm(4, 5, Addr{b.NewInt(), kInvalidVReg, 0, 8}); },
                     {R(kRax)}),
            "mov dword ptr [rax+0x08], 0x05\n");
}

TEST(X64EncodeTest, FloatForms) {
  EXPECT_EQ(EmitWith([](Builder& b) { b.XmmRR(SseOp::kAdd, b.NewFloat(), b.NewFloat(), 4); },
                     {F(0), F(1)}),
            "addss xmm0, xmm1\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.XmmRR(SseOp::kXor, b.NewFloat(), b.NewFloat(), 8); },
                     {F(2), F(14)}),
            "xorpd xmm2, xmm14\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.XmmSqrt(b.NewFloat(), b.NewFloat(), 8); }, {F(1), F(0)}),
            "sqrtsd xmm0, xmm1\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.XmmRound(b.NewFloat(), b.NewFloat(), 4, 3); },
                     {F(1), F(0)}),
            "roundss xmm0, xmm1, 0x03\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.Ucomis(b.NewFloat(), b.NewFloat(), 8); }, {F(0), F(1)}),
            "ucomisd xmm0, xmm1\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.CvtFloatFloat(b.NewFloat(), b.NewFloat(), 8); },
                     {F(1), F(0)}),
            "cvtss2sd xmm0, xmm1\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.MovToXmm(b.NewInt(), b.NewFloat(), 8); }, {R(kRax), F(0)}),
            "movq xmm0, rax\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.CvtIntToFloat(b.NewInt(), 4, b.NewFloat(), 8); },
                     {R(kRax), F(0)}),
            "xorps xmm0, xmm0\ncvtsi2sd xmm0, eax\n");
  EXPECT_EQ(EmitWith([](Builder& b) { b.XmmConst(b.NewFloat(), 0x3f800000, 4); }, {F(0), R(kRax)}),
            "mov eax, 0x3F800000\nmovd xmm0, eax\n");
}

TEST(X64EncodeTest, DivisionWithChecks) {
  CompiledFunction c;
  std::string text = EmitWith(
      [](Builder& b) { b.Div(DivKind::kSdiv, b.NewInt(), b.NewInt(), b.NewInt(), 4); },
      {R(kRax), R(kRcx), R(kRax), R(kRdx)}, &c);
  EXPECT_NE(text.find("cmp ecx, 0xFFFFFFFF"), std::string::npos) << text;
  EXPECT_NE(text.find("neg eax"), std::string::npos) << text;
  EXPECT_NE(text.find("cdq"), std::string::npos) << text;
  EXPECT_NE(text.find("idiv ecx"), std::string::npos) << text;
  // idiv (div by zero) + the overflow ud2 island.
  ASSERT_EQ(c.traps.size(), 2u);
  EXPECT_EQ(c.traps[0].code, abi::TrapCode::kIntegerDivisionByZero);
  EXPECT_EQ(c.traps[1].code, abi::TrapCode::kIntegerOverflow);
}

// ---- Executing allocated code ----

template <typename Fn>
Fn Compile(const MachFunction& f, CompiledFunction* out = nullptr) {
  CompileContext ctx;
  ctx.stack_limit_offset = 0;
  ctx.stack_limit_indirect = false;
  absl::StatusOr<CompiledFunction> c = AllocateAndEmit(f, ctx);
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return nullptr;
  if (out != nullptr) *out = *c;
  return reinterpret_cast<Fn>(testing::MakeExecutable(c->code));
}

TEST(X64RunTest, SumLoop) {
  // sum(n) = n + (n-1) + ... + 1
  MachFunction f;
  f.name = "sum";
  Builder b(&f);
  VCode& vc = f.vcode;
  VReg vmctx = b.NewInt(), n = b.NewInt(), s = b.NewInt();
  VReg n1 = b.NewInt(), s1 = b.NewInt(), r = b.NewInt();
  vc.DeclareBlocks(4);
  vc.AddBlockParam(1, n1);
  vc.AddBlockParam(1, s1);
  vc.AddBlockParam(3, r);
  vc.StartBlock(0);
  b.Args({vmctx, n}, {GprReg(kRdi), GprReg(kRsi)});
  b.MovImm(s, 0);
  b.Jmp(1, {n, s});
  vc.EndBlock();
  vc.StartBlock(1);
  VReg s2 = b.NewInt(), n2 = b.NewInt();
  b.CmpImm(n1, 0);
  b.Jcc(kCondE, 3, {s1}, 2, {});
  vc.EndBlock();
  vc.StartBlock(2);
  b.MovRR(s1, s2);
  b.AluRR(AluOp::kAdd, s2, n1);
  b.MovRR(n1, n2);
  b.AluRI(AluOp::kSub, n2, 1);
  b.Jmp(1, {n2, s2});
  vc.EndBlock();
  vc.StartBlock(3);
  b.Ret({r}, {GprReg(kRax)});
  vc.EndBlock();
  CompiledFunction c;
  auto fn = Compile<int64_t (*)(void*, int64_t)>(f, &c);
  ASSERT_NE(fn, nullptr);
  testing::FakeVmctx ctx;
  EXPECT_EQ(fn(&ctx, 10), 55);
  EXPECT_EQ(fn(&ctx, 100000), 5000050000);
  EXPECT_EQ(c.num_spill_slots, 0u);
  std::printf("%s", disasm::FormatX64(c.code).c_str());
}

TEST(X64RunTest, SpillsUnderPressure) {
  // t_k = n * (k+1) for k < 40, all live at once, then summed.
  MachFunction f;
  f.name = "pressure";
  Builder b(&f);
  VCode& vc = f.vcode;
  vc.DeclareBlocks(1);
  vc.StartBlock(0);
  VReg vmctx = b.NewInt(), n = b.NewInt();
  b.Args({vmctx, n}, {GprReg(kRdi), GprReg(kRsi)});
  std::vector<VReg> t;
  for (int k = 0; k < 40; ++k) {
    VReg v = b.NewInt();
    b.Imul3(v, n, k + 1);
    t.push_back(v);
  }
  VReg acc = b.NewInt();
  b.MovImm(acc, 0);
  for (int k = 39; k >= 0; --k) {
    VReg next = b.NewInt();
    b.MovRR(acc, next);
    b.AluRR(AluOp::kAdd, next, t[k]);
    acc = next;
  }
  b.Ret({acc}, {GprReg(kRax)});
  vc.EndBlock();
  CompiledFunction c;
  auto fn = Compile<int64_t (*)(void*, int64_t)>(f, &c);
  ASSERT_NE(fn, nullptr);
  testing::FakeVmctx ctx;
  EXPECT_EQ(fn(&ctx, 3), 3 * (40 * 41 / 2));
  EXPECT_GT(c.num_spill_slots, 0u);
}

extern "C" int64_t KilnTestCallee(int64_t a, int64_t b) { return a * 100 + b; }

TEST(X64RunTest, ValuesLiveAcrossCalls) {
  // f(vmctx, fp, x) = fp(x, x+1) + x*3 + fp(x+2, 1)
  MachFunction f;
  f.name = "calls";
  Builder b(&f);
  VCode& vc = f.vcode;
  vc.DeclareBlocks(1);
  vc.StartBlock(0);
  VReg vmctx = b.NewInt(), fp = b.NewInt(), x = b.NewInt();
  b.Args({vmctx, fp, x}, {GprReg(kRdi), GprReg(kRsi), GprReg(kRdx)});
  VReg x1 = b.NewInt(), x3 = b.NewInt(), x2 = b.NewInt(), one = b.NewInt();
  VReg r1 = b.NewInt(), r2 = b.NewInt(), sum = b.NewInt(), sum2 = b.NewInt();
  b.Lea(x1, Addr{x, kInvalidVReg, 0, 1});
  b.Imul3(x3, x, 3);
  b.CallInd(fp, {x, x1}, {GprReg(kRdi), GprReg(kRsi)}, {r1}, {GprReg(kRax)}, CallClobbers());
  b.Lea(x2, Addr{x, kInvalidVReg, 0, 2});
  b.MovImm(one, 1);
  b.CallInd(fp, {x2, one}, {GprReg(kRdi), GprReg(kRsi)}, {r2}, {GprReg(kRax)}, CallClobbers());
  b.Lea(sum, Addr{r1, r2, 0, 0});
  b.Lea(sum2, Addr{sum, x3, 0, 0});
  b.Ret({sum2}, {GprReg(kRax)});
  vc.EndBlock();
  CompiledFunction c;
  auto fn = Compile<int64_t (*)(void*, void*, int64_t)>(f, &c);
  ASSERT_NE(fn, nullptr);
  testing::FakeVmctx ctx;
  EXPECT_EQ(fn(&ctx, reinterpret_cast<void*>(&KilnTestCallee), 5),
            KilnTestCallee(5, 6) + 15 + KilnTestCallee(7, 1));
}

TEST(X64RunTest, WasmFloatMinMax) {
  for (bool is_max : {false, true}) {
    MachFunction f;
    f.name = "minmax";
    Builder b(&f);
    VCode& vc = f.vcode;
    vc.DeclareBlocks(1);
    vc.StartBlock(0);
    VReg vmctx = b.NewInt(), x = b.NewFloat(), y = b.NewFloat(), d = b.NewFloat();
    b.Args({vmctx, x, y}, {GprReg(kRdi), XmmReg(0), XmmReg(1)});
    b.XmmMov(y, d);
    b.XmmMinMax(is_max, x, d, 8);
    b.Ret({d}, {XmmReg(0)});
    vc.EndBlock();
    auto fn = Compile<double (*)(void*, double, double)>(f);
    ASSERT_NE(fn, nullptr);
    testing::FakeVmctx ctx;
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_EQ(fn(&ctx, 1.0, 2.0), is_max ? 2.0 : 1.0);
    EXPECT_TRUE(std::isnan(fn(&ctx, nan, 2.0)));
    EXPECT_TRUE(std::isnan(fn(&ctx, 2.0, nan)));
    EXPECT_EQ(std::signbit(fn(&ctx, 0.0, -0.0)), !is_max);
    EXPECT_EQ(std::signbit(fn(&ctx, -0.0, 0.0)), !is_max);
  }
}

}  // namespace
}  // namespace kiln::isa::x64

namespace kiln::isa::x64 {
namespace {

TEST(X64RunTest, ManyValuesLiveAcrossALoopAndCalls) {
  // 3000 values live across a loop with a call in it; summed at the end.
  constexpr int kN = 3000;
  MachFunction f;
  f.name = "stress";
  Builder b(&f);
  VCode& vc = f.vcode;
  vc.DeclareBlocks(3);
  VReg i1 = b.NewInt();
  vc.AddBlockParam(1, i1);
  vc.StartBlock(0);
  VReg vmctx = b.NewInt(), fp = b.NewInt(), n = b.NewInt();
  b.Args({vmctx, fp, n}, {GprReg(kRdi), GprReg(kRsi), GprReg(kRdx)});
  std::vector<VReg> t;
  for (int k = 0; k < kN; ++k) {
    VReg v = b.NewInt();
    b.Imul3(v, n, k + 1);
    t.push_back(v);
  }
  VReg zero = b.NewInt();
  b.MovImm(zero, 0);
  b.Jmp(1, {zero});
  vc.EndBlock();
  vc.StartBlock(1);
  VReg r = b.NewInt(), i2 = b.NewInt();
  b.CallInd(fp, {i1, i1}, {GprReg(kRdi), GprReg(kRsi)}, {r}, {GprReg(kRax)}, CallClobbers());
  b.MovRR(i1, i2);
  b.AluRI(AluOp::kAdd, i2, 1);
  b.CmpImm(i2, 3);
  b.Jcc(kCondL, 1, {i2}, 2, {});
  vc.EndBlock();
  vc.StartBlock(2);
  VReg acc = b.NewInt();
  b.MovImm(acc, 0);
  for (int k = 0; k < kN; ++k) {
    VReg next = b.NewInt();
    b.MovRR(acc, next);
    b.AluRR(AluOp::kAdd, next, t[k]);
    acc = next;
  }
  b.Ret({acc}, {GprReg(kRax)});
  vc.EndBlock();
  CompiledFunction c;
  auto fn = Compile<int64_t (*)(void*, void*, int64_t)>(f, &c);
  ASSERT_NE(fn, nullptr);
  testing::FakeVmctx ctx;
  EXPECT_EQ(fn(&ctx, reinterpret_cast<void*>(&KilnTestCallee), 2),
            int64_t{2} * kN * (kN + 1) / 2);
  EXPECT_GT(c.num_spill_slots, 1000u);
}

}  // namespace
}  // namespace kiln::isa::x64
