#include <asmjit/x86.h>
#include <Zydis/Zydis.h>
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "wabt/wast-parser.h"
#include "wabt/wast-lexer.h"
TEST(Deps, Link) {
  absl::flat_hash_map<int, int> m; m[1] = 2;
  absl::StatusOr<int> s = absl::InvalidArgumentError(absl::StrCat("x", 1));
  EXPECT_FALSE(s.ok());
  asmjit::JitRuntime rt; asmjit::CodeHolder code; code.init(rt.environment());
  asmjit::x86::Assembler a(&code); a.mov(asmjit::x86::eax, 42); a.ret();
  int (*fn)(); ASSERT_EQ(rt.add(&fn, &code), asmjit::kErrorOk); EXPECT_EQ(fn(), 42);
  ZydisDisassembledInstruction insn;
  uint8_t bytes[] = {0xb8, 42, 0, 0, 0};
  ASSERT_TRUE(ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, 0, bytes, 5, &insn)));
  EXPECT_STREQ(insn.text, "mov eax, 0x2A");
  std::string src = "(module (func (result i32) i32.const 1))";
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer("x.wast", src.data(), src.size(), &errors);
  std::unique_ptr<wabt::Script> script;
  wabt::WastParseOptions opts(wabt::Features{});
  EXPECT_EQ(wabt::ParseWastScript(lexer.get(), &script, &errors, &opts), wabt::Result::Ok);
}
